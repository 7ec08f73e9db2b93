"""What people really type (workbook.md), case by case."""
from datetime import date, datetime, time

import pytest

from toolkit.normalize import (Invalid, parse_choice, parse_date, parse_datetime, parse_email, parse_fiscal_year,
                               parse_id, parse_int, parse_number, parse_ratio, parse_text, parse_url, parse_yen)


@pytest.mark.parametrize("raw", ["120000", "120,000", "¥120,000", "￥120,000", "120,000円", "12万円", "１２万円",
                                 " 120000 ", "１２０，０００円", 120000, 120000.0, "12万0000円"])
def test_yen_forms_are_all_120000(raw):
    assert parse_yen(raw) == 120000


@pytest.mark.parametrize("raw", ["△5,000", "▲5,000", "(5,000)", "（5,000）", "-5000", "−5,000", "¥-5,000", -5000])
def test_losses_are_negative(raw):
    assert parse_yen(raw) == -5000


@pytest.mark.parametrize("raw,expected", [("12万3,000円", 123000), ("1.5万円", 15000), ("1億2000万円", 120000000),
                                          ("5千円", 5000), ("0", 0)])
def test_yen_units(raw, expected):
    assert parse_yen(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12,3.4.5", "万", "1.5円", 1234.5, True, date(2025, 1, 1), "12万円くらい"])
def test_unreadable_yen_is_invalid_not_zero(raw):
    with pytest.raises(Invalid):
        parse_yen(raw)


@pytest.mark.parametrize("raw", ["1,2000,000円", "12,34", "１，２０００", "12万3,00円", "1,2000人"])
def test_misplaced_thousands_commas_are_a_finding_not_a_guess(raw):
    """1,2000,000 may mean 1,200,000 or 12,000,000: the cell is named, never read as 12,000,000."""
    for parse in (parse_yen, parse_number):
        with pytest.raises(Invalid, match="カンマの位置"):
            parse(raw)


@pytest.mark.parametrize("raw", ["", "   ", "　", None])
def test_blank_is_none(raw):
    assert parse_yen(raw) is None
    assert parse_date(raw) is None
    assert parse_text(raw) is None


@pytest.mark.parametrize("raw", [date(2025, 9, 15), datetime(2025, 9, 15, 0, 0), "2025/9/15", "2025-09-15",
                                 "2025年9月15日", "R7.9.15", "r7.9.15", "令和7年9月15日", "令和７年９月１５日",
                                 "２０２５／９／１５", "2025.9.15", "2025/09/15 00:00:00", "20250915", 45915,
                                 45915.0, "R7/9/15", "令和7年9月15日(月)"])
def test_date_forms(raw):
    assert parse_date(raw) == date(2025, 9, 15)


def test_reiwa_gannen_and_other_eras():
    assert parse_date("令和元年5月1日") == date(2019, 5, 1)
    assert parse_date("平成31年4月30日") == date(2019, 4, 30)
    assert parse_date("H30.4.1") == date(2018, 4, 1)


@pytest.mark.parametrize("raw", ["令和元年4月30日", "平成31年5月1日", "2025/2/30", "2025/13/1", "明日", "9/15",
                                 "R0.1.1", True, time(10, 0), 0, -3])
def test_impossible_dates_are_invalid(raw):
    with pytest.raises(Invalid):
        parse_date(raw)


def test_datetime_keeps_time():
    assert parse_datetime("2025/9/15 10:30") == datetime(2025, 9, 15, 10, 30)
    assert parse_datetime(45915.5) == datetime(2025, 9, 15, 12, 0)


def test_ids_are_nfkc_without_spaces():
    assert parse_id("Ｃ０１ ") == "C01"
    assert parse_id(" C01　") == "C01"
    assert parse_id(7.0) == "7"


def test_text_that_looks_like_a_number_stays_text():
    assert parse_text("0123456789012") == "0123456789012"
    assert parse_text(1234567890123.0) == "1234567890123"
    assert parse_text("  株式会社Ａ　") == "株式会社Ａ"


def test_choices_accept_width_and_bracket_variants():
    assert parse_choice("サポート費(設定費用)", "費目") == "サポート費（設定費用）"
    assert parse_choice(" 対面 ", "形態") == "対面"
    assert parse_choice("段階２", "取組段階") == "2"
    assert parse_choice(2.0, "取組段階") == "2"
    with pytest.raises(Invalid, match="対面"):
        parse_choice("訪問", "形態")


def test_counts_and_numbers():
    assert parse_int("１２人") == 12
    assert parse_int("3月") == 3
    assert parse_number("1.5時間") == 1.5
    assert parse_number("1,200") == 1200.0
    with pytest.raises(Invalid):
        parse_int("1.5")
    with pytest.raises(Invalid):
        parse_number("たくさん")


def test_email_and_url():
    assert parse_email(" taro@example.jp ") == "taro@example.jp"
    assert parse_email("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ") == "taro@example.jp"
    with pytest.raises(Invalid):
        parse_email("taro at example")
    assert parse_url("https://example.com/a") == "https://example.com/a"
    # Excel's 「パスのコピー」: a space and Japanese, encoded; an escape already there kept as it is.
    assert parse_url("https://contoso.sharepoint.com/sites/p/Shared Documents/結果.xlsx?web=1") == \
        "https://contoso.sharepoint.com/sites/p/Shared%20Documents/%E7%B5%90%E6%9E%9C.xlsx?web=1"
    assert parse_url("https://teams.microsoft.com/l/meetup-join/19%3ameeting") == \
        "https://teams.microsoft.com/l/meetup-join/19%3ameeting"
    with pytest.raises(Invalid):
        parse_url("example.com")


@pytest.mark.parametrize("raw", [2025, 2025.0, "2025", "2025年度", "令和7年度", "R7", "令和７年度"])
def test_fiscal_year_forms(raw):
    assert parse_fiscal_year(raw) == 2025


@pytest.mark.parametrize("raw,expected", [(0.9, 0.9), ("90%", 0.9), ("９０％", 0.9), (90, 0.9), ("0.85", 0.85)])
def test_ratio_forms(raw, expected):
    assert parse_ratio(raw) == pytest.approx(expected)
