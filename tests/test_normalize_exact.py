"""The parsers at their edges, with the exact message staff read for each refusal (the message is the contract:
it says what to type instead). Values worked out by hand."""
from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import pytest

from toolkit.normalize import (Invalid, is_percent, parse_choice, parse_date, parse_datetime, parse_email,
                               parse_fiscal_year, parse_id, parse_int, parse_number, parse_ratio, parse_tax_basis,
                               parse_text, parse_url, parse_yen)

YEN = "金額（例: 120,000 / 12万円 / △5,000）を入力してください"
DATE = "日付（例: 2025/9/15、令和7年9月15日、R7.9.15）を入力してください"
FISCAL = "年度（例: 2025、令和7年度）を入力してください"


@pytest.mark.parametrize("parse, raw, message", [
    (parse_yen, "abc", YEN),
    (parse_yen, True, YEN),
    (parse_yen, date(2025, 1, 1), YEN),
    (parse_yen, time(9, 0), YEN),
    (parse_yen, timedelta(days=1), YEN),
    (parse_yen, "万", YEN),
    (parse_yen, "USD 1,200", "円以外の通貨の金額です。円に換算した金額を入力してください"),
    (parse_yen, "11.000", "「11.000」は 11,000 円ですか。桁の区切りはカンマ（,）で入力してください（小数の円はありません）"),
    (parse_yen, "1,2000", "桁区切りのカンマの位置が正しくありません（「1,2000」）。1,200,000 のように 3 桁ごとに区切るか、"
                          "カンマなしで入力してください"),
    (parse_yen, 1234.5, "金額は整数で入力してください"),
    (parse_yen, 1e16, "金額が大きすぎます（1,000兆を超えています）"),
    (parse_yen, math.inf, "金額として扱えない値です（数値の範囲外）"),
    (parse_number, "abc", "数値を入力してください"),
    (parse_number, True, "数値を入力してください"),
    (parse_number, date(2025, 1, 1), "数値を入力してください"),
    (parse_number, -1e16, "数値が大きすぎます（1,000兆を超えています）"),
    (parse_number, math.nan, "数値として扱えない値です（数値の範囲外）"),
    (parse_int, "1.5", "数は整数で入力してください"),
    (parse_date, "2025/2/30", f"存在しない日付です。{DATE}"),
    (parse_date, "平成32年1月1日", f"元号と日付が合いません。{DATE}"),
    (parse_date, "令和0年5月1日", DATE),
    (parse_date, "きのう", DATE),
    (parse_date, 0, DATE),
    (parse_date, 2958466, DATE),  # the day after 9999-12-31
    (parse_date, True, DATE),
    (parse_date, time(9, 0), DATE),
    (parse_choice, "対面?", "次のいずれかを入力してください: 対面、オンライン、電話・メール"),
    (parse_email, "taro@", "メールアドレス（例: taro@example.jp）を入力してください"),
    (parse_url, "ftp://example.jp/a", "https:// で始まるURLを入力してください"),
    (parse_url, "https://example.jp/a\nb", "https:// で始まるURLを入力してください"),
    (parse_fiscal_year, "来年度", FISCAL),
    (parse_fiscal_year, 1999, f"年度 1999 は範囲外です。{FISCAL}"),
    (parse_fiscal_year, "2101", f"年度 2101 は範囲外です。{FISCAL}"),
    (parse_fiscal_year, 2025.5, "年度は整数で入力してください"),
    (parse_ratio, 0, "0 より大きく 1 以下の割合（例: 0.9、90%）を入力してください"),
    (parse_ratio, "101%", "0 より大きく 1 以下の割合（例: 0.9、90%）を入力してください"),
    (parse_tax_basis, "込み", "税込 か 税抜 を入力してください"),
])
def test_each_refusal_says_exactly_what_to_type(parse, raw, message):
    args = (raw, "形態") if parse is parse_choice else (raw,)
    with pytest.raises(Invalid) as caught:
        parse(*args)
    assert str(caught.value) == message


@pytest.mark.parametrize("parse, raw, value", [
    # Blanks are None, never 0 or "".
    *[(p, blank, None) for p in (parse_yen, parse_number, parse_int, parse_date, parse_datetime, parse_email,
                                 parse_url, parse_fiscal_year, parse_ratio, parse_tax_basis, parse_text, parse_id)
      for blank in (None, "", "　 ")],
    (parse_yen, "+1,000", 1000), (parse_yen, "1,000,000", 1000000), (parse_yen, 999_999_999_999_999, 999_999_999_999_999),
    (parse_yen, "1億", 100_000_000), (parse_yen, "￥△5,000", -5000), (parse_yen, 1e15, 10 ** 15),
    (parse_yen, 1234.0000001, 1234),  # within the 1e-6 of a whole yen that a float sum leaves
    (parse_number, "1.5時間", 1.5), (parse_number, "12人", 12.0), (parse_number, "(3)", -3.0),
    (parse_number, "90%", 90.0), (parse_number, 1e15, 1e15),
    (parse_int, "3月", 3), (parse_int, 2.0000001, 2),
    (parse_text, 1234567890123.0, "1234567890123"), (parse_text, 1.5, "1.5"), (parse_text, 7, "7"),
    (parse_text, True, "TRUE"), (parse_text, False, "FALSE"), (parse_text, "  a b  ", "a b"),
    (parse_text, datetime(2025, 9, 1, 9, 30), "2025/09/01 09:30"), (parse_text, datetime(2025, 9, 1), "2025/09/01"),
    (parse_text, date(2025, 9, 1), "2025/09/01"),
    (parse_id, " Ｃ０１ ", "C01"), (parse_id, "C 01", "C01"), (parse_id, 101.0, "101"),
    (parse_date, "2025/9/15", date(2025, 9, 15)), (parse_date, "R7.9.15", date(2025, 9, 15)),
    (parse_date, "令和元年5月1日", date(2019, 5, 1)), (parse_date, "H31.4.30", date(2019, 4, 30)),
    (parse_date, "20250915", date(2025, 9, 15)), (parse_date, 20250915, date(2025, 9, 15)),
    (parse_date, 45915, date(2025, 9, 15)), (parse_date, 61, date(1900, 3, 1)), (parse_date, 2958465, date(9999, 12, 31)),
    (parse_date, "2025年9月15日(月)", date(2025, 9, 15)),
    (parse_datetime, "2025/9/15 9:05", datetime(2025, 9, 15, 9, 5)),
    (parse_datetime, "2025-09-15T09:05:30", datetime(2025, 9, 15, 9, 5, 30)),
    (parse_datetime, date(2025, 9, 15), datetime(2025, 9, 15)),
    (parse_email, "mailto:Taro@Example.jp", "Taro@Example.jp"), (parse_email, "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"),
    (parse_url, "https://example.jp/フォーム 結果.xlsx",
     "https://example.jp/%E3%83%95%E3%82%A9%E3%83%BC%E3%83%A0%20%E7%B5%90%E6%9E%9C.xlsx"),
    (parse_url, "https://example.jp/a%20b", "https://example.jp/a%20b"),
    (parse_fiscal_year, "令和7年度", 2025), (parse_fiscal_year, "R元", 2019), (parse_fiscal_year, 2000, 2000),
    (parse_fiscal_year, "2100年度", 2100),
    (parse_ratio, "90%", 0.9), (parse_ratio, 90, 0.9), (parse_ratio, 1, 1.0), (parse_ratio, "100%", 1.0),
    (parse_ratio, 0.9, 0.9),
    (parse_tax_basis, "税込", "税込"), (parse_tax_basis, " 税抜 ", "税抜"), (parse_tax_basis, "内税", "税込"),
    (parse_tax_basis, "外税", "税抜"),
])
def test_each_form_reads_as_worked_out_here(parse, raw, value):
    assert parse(raw) == value


def test_a_stage_may_be_typed_with_its_word():
    assert parse_choice("段階2", "取組段階") == "2" and parse_choice("Lv.3", "取組段階") == "3"
    assert parse_choice(4.0, "取組段階") == "4" and parse_choice(" オンライン ", "形態") == "オンライン"


@pytest.mark.parametrize("raw, typed_as_percent", [("90%", True), ("９０％", True), (90, True), ("1.5", True),
                                                   (0.9, False), (1, False), ("abc", False), (None, False)])
def test_a_ratio_typed_as_per_cent_is_noticed(raw, typed_as_percent):
    assert is_percent(raw) is typed_as_percent
