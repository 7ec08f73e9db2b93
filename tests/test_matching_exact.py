"""graph/matching.py and graph/merge.py case by case: how a typed company or service name, or an e-mail address,
finds its row (and why it does not), and how form text and 回答ID cells are made safe and compared. Each expected
match and message worked out by hand from the rules in the modules' docstrings and graph.md."""
from __future__ import annotations

import pytest

from builders import write_workbook
from toolkit.graph.matching import (CompanyMatcher, Match, ServiceMatcher, email_domain, is_free_mail,
                                    normalize_email, normalize_name)
from toolkit.graph.merge import existing_index, index_rows, key_text, safe_row, safe_text
from toolkit.load import load_program


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    def company(cid, name, email=None):
        return [cid, name, *[None] * 7, email, 3]

    book = write_workbook(tmp_path_factory.mktemp("m") / "m.xlsx", {
        "企業": [company("C01", "株式会社アイウ商事", "taro@aiu.example.jp"),
                 company("C02", "エオ工業", "hanako@eo.example.jp"),
                 company("C03", "カキ", "kaki@gmail.com"),  # free mail: no domain to match by
                 company("C04", "同名"), company("C05", "同名"),
                 company("C06", "サシ", "a@shared.example.jp"), company("C07", "スセ", "b@shared.example.jp")],
        "サービス": [["S01", "会計ソフト", None, "経理"], ["S02", "勤怠", None, "人事"],
                    ["S03", "重複名", None, "人事"], ["S04", "重複名", None, "経理"]],
    })
    return load_program(book)


@pytest.mark.parametrize("name, email, expected", [
    ("㈱ ｱｲｳ商事", None, Match("C01", "name")),  # ㈱ and half-width kana folded, the legal form dropped
    ("アイウ商事株式会社", None, Match("C01", "name")),
    ("c02", None, Match("C02", "id")),  # the ID typed as the name, in any case
    ("同名", None, Match(None, "", "同じ名前の企業が複数あります")),
    ("不明", "TARO@AIU.example.jp", Match("C01", "email")),  # the name misses, the address is C01's
    (None, "jiro@eo.example.jp", Match("C02", "domain")),
    (None, "someone@gmail.com", Match(None, "", "フリーメールのため企業を特定できません")),
    (None, "kaki@gmail.com", Match("C03", "email")),  # the contact's own address still matches exactly
    (None, "z@shared.example.jp", Match(None, "", "同じドメインの企業が複数あります")),
    (None, "z@other.example.jp", Match(None, "", "連絡先メールに一致する企業がありません")),
    (None, "no-at-sign", Match(None, "", "メールアドレスがありません")),
    ("不明", None, Match(None, "", "企業シートに同じ名前の企業がありません")),
    ("不明", "someone@gmail.com", Match(None, "", "企業シートに同じ名前の企業がありません")),  # the name's reason
    ("", "", Match(None, "", "企業名もメールアドレスもありません")),
    (None, None, Match(None, "", "企業名もメールアドレスもありません")),
])
def test_a_company_is_found_by_name_then_address_or_told_why_not(program, name, email, expected):
    matcher = CompanyMatcher(program.companies)
    assert matcher.match(name, email) == expected
    assert matcher.match(name, email) is matcher.match(name, email)  # remembered


def test_a_service_is_found_by_name_or_id_and_knows_its_area(program):
    m = ServiceMatcher(program.services)
    assert m.by_name(" 会計ソフト ") == Match("S01", "name")
    assert m.by_name("s02") == Match("S02", "id")
    assert m.by_name("") == Match(None, "", "サービス名が空です")
    assert m.by_name("重複名") == Match(None, "", "同じ名前のサービスが複数あります")
    assert m.by_name("ない") == Match(None, "", "サービスシートに同じ名前のサービスがありません")
    assert (m.area_of("S01"), m.area_of("S02"), m.area_of(None), m.area_of("S99")) == ("経理", "人事", None, None)


def test_names_and_addresses_in_their_comparison_form():
    assert normalize_name("株式会社") == "株式会社"  # only a legal form: kept, not emptied
    assert normalize_name("(株)エオ工業(有)") == "エオ工業" and normalize_name(None) == ""
    assert normalize_name("ABC Trading") == "abctrading"
    assert normalize_email("mailto:Ａ＠Ｂ.JP") == "a@b.jp" and normalize_email(None) == ""
    assert (email_domain("x@y.jp"), email_domain("x"), email_domain("a@b@c.jp")) == ("y.jp", "", "c.jp")
    assert is_free_mail("GMAIL.COM") and is_free_mail("mail.yahoo.co.jp") and not is_free_mail("notgmail.com")


@pytest.mark.parametrize("value, safe", [
    ("=1+2", "'=1+2"), ("＝SUM(A1)", "'＝SUM(A1)"), ("+81 90", "'+81 90"), ("-", "'-"), ("@x", "'@x"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\nx", "'\nx"), ("a=1", "a=1"), ("", ""), (5, 5), (None, None)])
def test_form_text_that_would_start_a_formula_gets_an_apostrophe(value, safe):
    assert safe_text(value) == safe


def test_response_ids_are_compared_as_typed_text_and_indexed_by_their_first_row():
    assert safe_row({"氏名": "=HYPERLINK()", "参加時間（分）": 30}) == {"氏名": "'=HYPERLINK()", "参加時間（分）": 30}
    assert [key_text(v) for v in (" 12 ", "", "  ", None, 12.0, 12.5, 7)] == ["12", None, None, None, "12", "12.5", "7"]
    rows = [["イベントID", "氏名", " 回答 ID "],  # the header found after folding spaces
            ["EV1", "a", "R1"], ["EV1", "b"], ["EV1", "c", "R2"], ["EV1", "d", "R1"], ["EV1", "e", None]]
    # R1 on worksheet rows 2 and 5: the first is kept; row 3 has no such cell, row 6 an empty one.
    assert index_rows(rows) == {"R1": 2, "R2": 4}
    assert index_rows(None) == {} and index_rows([]) == {} and index_rows([["イベントID", "氏名"], ["EV1", "a"]]) == {}
    assert existing_index({"出欠": rows}) == {"出欠": {"R1": 2, "R2": 4}, "利用実績": {}}
