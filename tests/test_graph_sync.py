"""The Microsoft 365 sync end to end: real msal, real requests, a real HTTPS fake on 127.0.0.1, a real workbook."""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import keyring
import pytest
from click.testing import CliRunner
from fake_graph import (
    FORMS_HEADERS_EN,
    FORMS_HEADERS_JA,
    ORGANIZER,
    ORGANIZER_ID,
    USAGE_SHARE_URL,
    FakeGraph,
    attendance_record,
    registration,
    share_id,
    write_master,
)
from keyring.backend import KeyringBackend

from toolkit import schema
from toolkit.errors import AuthError
from toolkit.graph.http import make_session
from toolkit.graph.queue import queue_path, read_queue, read_state, state_path
from toolkit.graph.sync import run_sync
from toolkit.workbook.read import read_raw

ROOT = Path(__file__).resolve().parents[1]
EVENT_FORM_URL = "https://contoso.sharepoint.com/:x:/s/program/EventOneResults?e=x1"
TEAMS_URL = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d"
ATTENDANCE_HEADERS = FORMS_HEADERS_JA + ("企業名", "氏名", "メールアドレス", "出欠")
USAGE_HEADERS = FORMS_HEADERS_EN + ("企業名", "サービス名", "利用領域", "利用日")
FORMULA = '=HYPERLINK("http://x","y")'
T0 = datetime(2025, 10, 1, 10, 0)

COMPANIES = [
    ("C01", "株式会社アルファ商事", None, None, None, None, None, None, None, "taro@alpha.co.jp"),
    ("C02", "有限会社ベータ工業", None, None, None, None, None, None, None, "info@beta.jp"),
    ("C03", "ガンマ（株）", None, None, None, None, None, None, None, "gamma.owner@gmail.com"),
]
SERVICES = [
    ("S01", "kintone", "サイボウズ", "グループウェア"),
    ("S02", "freee会計", "freee", "経理"),
    ("S03", "Microsoft 365", "日本マイクロソフト", "コミュニケーション"),
]
EVENTS = [("E01", "説明会・ワークショップ", "第1回説明会", date(2025, 10, 1), "オンライン", None, TEAMS_URL,
           EVENT_FORM_URL)]
ATTENDANCE_ANSWERS = [
    (1, T0, T0, "anonymous", "", "ｱﾙﾌｧ商事", "山田 太郎", "yamada@alpha.co.jp", "出席"),
    (2, T0, T0, "anonymous", "", "(有) ベータ工業", "鈴木 花子", "hanako@beta.jp", ""),
    (3, T0, T0, "anonymous", "", "デルタ株式会社", "佐藤 一郎", "sato@delta.jp", "欠席"),
    (4, T0, T0, "anonymous", "", "アルファ商事", FORMULA, "x@alpha.co.jp", "出席"),
]
USAGE_ANSWERS = [
    (1, T0, T0, "taro@alpha.co.jp", "山田", "株式会社アルファ商事", "kintone", "グループウェア", date(2025, 9, 10)),
    (2, T0, T0, "anonymous", "", "ベータ工業", "ＦＲＥＥＥ会計", "", "2025/9/11"),
    (3, T0, T0, "anonymous", "", "ガンマ", "Microsoft 365", "コミュニケーション", "令和7年9月12日"),
    (4, T0, T0, "anonymous", "", "不明商店", "kintone", "グループウェア", date(2025, 9, 13)),
]
TEAMS_RECORDS = [
    attendance_record("Taro@Alpha.co.jp", "山田 太郎", 3725),  # the contact address (any case)
    attendance_record("jiro@beta.jp", "ベータ 次郎", 1800),  # the company's domain
    attendance_record("someone@gmail.com", "個人 アドレス", 600),  # free mail: never matched by domain
    attendance_record(None, "ゲスト", 59),  # anonymous: no address at all
]


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def memory_keyring():
    """A keyring of our own, so no test reads (or writes) the machine's real one."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def sync(book: Path, fake: FakeGraph, *, env: dict | None = None, waits: list | None = None, **kwargs):
    """run_sync through a session whose retry waits are recorded, never slept."""
    env = fake.env() if env is None else env
    tries = int(env.get("TOOLKIT_GRAPH_TRIES") or 3)
    with make_session(ca_bundle=str(fake.ca_path), tries=tries, sleep=(waits if waits is not None else []).append) \
            as session:
        return run_sync(book, env=env, session=session, **kwargs)


def failed(report) -> dict[str, str]:
    return {s.label: s.error for s in report.failed_sources}


@pytest.fixture
def fake(tmp_path):
    (tmp_path / "fake").mkdir()
    server = FakeGraph(tmp_path / "fake", page_size=2).start()
    server.add_form(EVENT_FORM_URL, ATTENDANCE_HEADERS, ATTENDANCE_ANSWERS, item_id="01EVENTFORM")
    server.add_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS, item_id="01USAGEFORM")
    server.add_meeting(TEAMS_URL, {"report-1": TEAMS_RECORDS})
    yield server
    server.stop()


@pytest.fixture
def book(tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    return write_master(
        folder / "master.xlsx", companies=COMPANIES, services=SERVICES, events=EVENTS,
        usage=[("C01", "S01", "グループウェア", date(2025, 9, 2), None, "ヒアリング", None)],
        settings={"Teams主催者": ORGANIZER, "利用実績フォーム結果URL": USAGE_SHARE_URL})


def sheet_rows(path: Path, table: schema.Table) -> list[dict]:
    rows = read_raw(path, sheets=[table.sheet])[table.sheet]
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r)) for r in rows[1:] if any(v not in ("", None) for v in r)]


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["回答ID"]: r for r in rows if r.get("回答ID")}


def sheet_parts(path: Path) -> dict[str, set[str]]:
    """sheet name -> its worksheet part and table parts, from the package's relationships."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    with zipfile.ZipFile(path) as z:
        rels = {r.get("Id"): r.get("Target") for r in
                ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels")).findall("p:Relationship", ns)}
        result = {}
        for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).find("m:sheets", ns):
            target = rels[sheet.get(f"{{{ns['r']}}}id")].lstrip("/")
            part = target if target.startswith("xl/") else "xl/" + target
            parts = {part}
            rel_name = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
            if rel_name in z.namelist():
                for rel in ElementTree.fromstring(z.read(rel_name)).findall("p:Relationship", ns):
                    if rel.get("Type", "").endswith("/table"):
                        target = rel.get("Target")
                        parts.add(target.lstrip("/") if target.startswith("/")
                                  else os.path.normpath(os.path.join(os.path.dirname(part), target)))
            result[sheet.get("name")] = parts
    return result


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


# ---------------------------------------------------------------- the happy path

def test_rows_land_once_matched_and_a_rerun_adds_nothing(fake, book):
    report = sync(book, fake)
    assert report.fetched == 12 and report.new == 12 and report.duplicates == 0 and report.queued == 0
    assert report.written == 12 and report.failed_sources == [] and report.exit_code == 0

    attendance = by_key(sheet_rows(book, schema.ATTENDANCE))
    assert len(attendance) == 8
    forms = {k.split(":")[1]: r for k, r in attendance.items() if k.startswith("01EVENTFORM:")}
    assert forms["1"]["企業ID"] == "C01" and forms["1"]["出欠"] == "出席" and forms["1"]["出典"] == "Forms"
    assert forms["2"]["企業ID"] == "C02" and forms["2"]["出欠"] == "申込"  # empty answer = 申込
    assert forms["3"]["企業ID"] in ("", None) and forms["3"]["出欠"] == "欠席"  # unmatched, still written
    assert all(r["イベントID"] == "E01" for r in attendance.values())
    # Teams rows are keyed by report id + attendance record id.
    record_ids = {r["id"] for r in TEAMS_RECORDS}
    teams = {r["メール"] or r["氏名"]: r for k, r in attendance.items() if k.startswith("report-1:")}
    assert {k.split(":", 1)[1] for k in attendance if k.startswith("report-1:")} == record_ids
    assert set(teams) == {"taro@alpha.co.jp", "jiro@beta.jp", "someone@gmail.com", "ゲスト"}
    assert teams["taro@alpha.co.jp"]["企業ID"] == "C01" and teams["taro@alpha.co.jp"]["参加時間（分）"] == 62.1
    assert teams["jiro@beta.jp"]["企業ID"] == "C02" and teams["jiro@beta.jp"]["参加時間（分）"] == 30.0
    assert teams["someone@gmail.com"]["企業ID"] in ("", None)  # free mail never matches by domain
    assert teams["ゲスト"]["出典"] == "Teams" and teams["ゲスト"]["出欠"] == "出席"

    usage = by_key(sheet_rows(book, schema.USAGE_DAYS))
    assert len(usage) == 4
    u = {k.split(":")[1]: r for k, r in usage.items()}
    assert (u["1"]["企業ID"], u["1"]["サービスID"], u["1"]["利用領域"]) == ("C01", "S01", "グループウェア")
    assert (u["2"]["企業ID"], u["2"]["サービスID"], u["2"]["利用領域"]) == ("C02", "S02", "経理")  # area from service
    assert u["3"]["企業ID"] == "C03" and u["4"]["企業ID"] in ("", None) and u["4"]["サービスID"] == "S01"
    assert u["1"]["アカウント"] == "taro@alpha.co.jp"

    unmatched = {(i["sheet"], i["key"].split(":")[0]) for i in report.unmatched if i["column"] == "企業ID"}
    assert ("出欠", "01EVENTFORM") in unmatched and ("利用実績", "01USAGEFORM") in unmatched

    from toolkit.load import load_program

    program = load_program(book)
    dates = {r.response_id.split(":")[1]: r.date for r in program.usage if r.response_id}
    assert dates == {"1": date(2025, 9, 10), "2": date(2025, 9, 11), "3": date(2025, 9, 12)}
    assert [r.source for r in program.usage if not r.response_id] == ["ヒアリング"]
    audit = sheet_rows(book, schema.AUDIT_LOG)
    assert len(audit) == 1 and audit[0]["操作"] == "同期" and "出欠 8件" in audit[0]["内容"]

    # The organizer's UPN was resolved to its object ID once, and meetings were asked under that ID.
    assert len(fake.requests_to(f"/users/{ORGANIZER}")) == 1
    assert fake.requests_to(f"/users/{ORGANIZER_ID}/onlineMeetings")
    assert read_state(book)["organizers"] == {ORGANIZER.casefold(): ORGANIZER_ID}

    before = book.read_bytes()
    meetings = len(fake.requests_to("/onlineMeetings"))
    again = sync(book, fake)
    assert again.new == 0 and again.written == 0 and again.failed_sources == []
    assert book.read_bytes() == before  # nothing to add: the workbook is not even rewritten
    # The event (2025-10-01) was read more than a week after it: settled, it is not asked again.
    assert set(again.skipped_unchanged) == {"イベント E01 のフォーム結果", "利用実績フォームの結果",
                                            "イベント E01 の Teams 出席"}
    assert len(fake.requests_to("/onlineMeetings")) == meetings
    assert len(fake.requests_to(f"/users/{ORGANIZER}")) == 1  # cached in the state file
    full = sync(book, fake, full=True)  # `toolkit sync --full` reads it again
    assert full.duplicates == 4 and full.new == 0  # the Teams records, recognised by 回答ID
    assert len(fake.requests_to("/onlineMeetings")) > meetings


def test_new_responses_are_added_and_the_unmatched_rows_are_not_duplicated(fake, book):
    sync(book, fake, now=T0 + timedelta(days=1))  # within the event's week: its Teams attendance is read each time
    fake.update_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS + [
        (5, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 20))])
    report = sync(book, fake, now=T0 + timedelta(days=2))
    # Row 4 (unknown company, empty 企業ID) is an invalid row for the reader, yet it is not appended again.
    assert report.new == 1 and report.duplicates == 4 + 4
    keys = [r["回答ID"] for r in sheet_rows(book, schema.USAGE_DAYS) if r.get("回答ID")]
    assert len(keys) == len(set(keys)) == 5


def test_lost_state_or_missing_rows_fetch_again(fake, book):
    sync(book, fake)
    state_path(book).unlink()
    report = sync(book, fake)
    assert report.skipped_unchanged == [] and report.new == 0  # re-downloaded, nothing new

    # The state says "unchanged" but the workbook no longer has the rows (restored from an old copy).
    write_master(book, companies=COMPANIES, services=SERVICES, events=EVENTS,
                 settings={"Teams主催者": ORGANIZER, "利用実績フォーム結果URL": USAGE_SHARE_URL})
    report = sync(book, fake)
    assert report.skipped_unchanged == [] and report.new == 12


# ---------------------------------------------------------------- Forms as real tenants make them

def test_english_locale_form_with_id_and_text_dates_m_d_yyyy(fake, book):
    headers = ("Id", "Start time", "Completion time", "Email", "Name", "Last modified time",
               "企業名", "サービス名", "利用領域", "利用日")
    fake.add_form(USAGE_SHARE_URL, headers, [
        (1, "10/1/2025 9:00:00 AM", "10/1/2025 9:02:00 AM", "anonymous", "", "10/1/2025 9:02:00 AM",
         "アルファ商事", "kintone", "グループウェア", "10/1/2025"),
        (2, "10/2/2025 9:00:00 AM", "10/2/2025 9:02:00 AM", "anonymous", "", "10/2/2025 9:02:00 AM",
         "ベータ工業", "freee会計", "経理", "9/30/2025")], item_id="01ENGLISH")
    report = sync(book, fake)
    assert report.failed_sources == []
    usage = by_key(sheet_rows(book, schema.USAGE_DAYS))
    assert usage["01ENGLISH:1"]["利用日"] == date(2025, 10, 1)  # October 1st, not January 10th
    assert usage["01ENGLISH:2"]["利用日"] == date(2025, 9, 30)


def test_a_duplicated_question_title_is_found_by_its_number(fake, book):
    # The question 名前 sits beside Forms' own 名前 column: Forms titles it 名前2.
    headers = FORMS_HEADERS_JA + ("企業名", "名前2", "メールアドレス", "出欠")
    fake.add_form(EVENT_FORM_URL, headers, [(1, T0, T0, "anonymous", "", "アルファ商事", "山田 太郎",
                                             "yamada@alpha.co.jp", "出席")], item_id="01DUP")
    import openpyxl

    wb = openpyxl.load_workbook(book)
    wb[schema.SETTINGS.sheet].append(["フォーム列名（氏名）", "名前"])
    wb.save(book)
    report = sync(book, fake)
    assert report.failed_sources == []
    assert by_key(sheet_rows(book, schema.ATTENDANCE))["01DUP:1"]["氏名"] == "山田 太郎"


def test_an_edited_response_updates_its_row_in_place_and_is_logged(fake, book):
    headers = ATTENDANCE_HEADERS[:5] + ("最終変更時刻",) + ATTENDANCE_HEADERS[5:]
    answers = [a[:5] + (T0,) + a[5:] for a in ATTENDANCE_ANSWERS]
    fake.add_form(EVENT_FORM_URL, headers, answers, item_id="01EVENTFORM")
    sync(book, fake)
    rows = sheet_rows(book, schema.ATTENDANCE)
    number = next(i for i, r in enumerate(rows) if r["回答ID"] == "01EVENTFORM:2")
    assert rows[number]["出欠"] == "申込"

    # Hanako changes her answer to 欠席: Forms moves the response's last-modified time.
    edited = list(answers)
    edited[1] = answers[1][:5] + (datetime(2025, 10, 2, 8, 0),) + answers[1][6:-1] + ("欠席",)
    fake.update_form(EVENT_FORM_URL, headers, edited)
    report = sync(book, fake)
    assert report.updated == 1 and report.new == 0 and report.written == 1
    after = sheet_rows(book, schema.ATTENDANCE)
    assert len(after) == len(rows)  # never a second row
    assert after[number]["回答ID"] == "01EVENTFORM:2" and after[number]["出欠"] == "欠席"
    assert [r["出欠"] for i, r in enumerate(after) if i != number] == [r["出欠"] for i, r in enumerate(rows)
                                                                     if i != number]
    audit = sheet_rows(book, schema.AUDIT_LOG)
    logged = [a for a in audit if a["操作"] == "同期（更新）"]
    assert len(logged) == 1 and logged[0]["キー"] == "01EVENTFORM:2" and "出欠: 申込 → 欠席" in logged[0]["内容"]
    assert sync(book, fake).updated == 0  # the same edit is not applied twice


def test_an_update_never_lands_on_another_response_when_staff_sorted_the_sheet_meanwhile(fake, book):
    import openpyxl

    from toolkit.errors import WriteError
    from toolkit.graph.sync import FileDestination

    sync(book, fake)
    raw = read_raw(book, sheets=[schema.ATTENDANCE.sheet])  # what the sync read before fetching
    rows = sheet_rows(book, schema.ATTENDANCE)
    number = next(i for i, r in enumerate(rows) if r["回答ID"] == "01EVENTFORM:2") + 2
    wb = openpyxl.load_workbook(book)  # meanwhile staff sort the sheet: another response is now on that row
    ws = wb[schema.ATTENDANCE.sheet]
    column = [c.value for c in ws[1]].index("回答ID") + 1
    other = 3 if number == 2 else 2
    for c in range(1, ws.max_column + 1):
        a, b = ws.cell(number, c), ws.cell(other, c)
        a.value, b.value = b.value, a.value
    wb.save(book)
    before = book.read_bytes()
    with pytest.raises(WriteError):
        FileDestination(book, raw).write({}, {schema.ATTENDANCE.sheet: {number: {"出欠": "欠席"}}}, [])
    assert book.read_bytes() == before and ws.cell(number, column).value != "01EVENTFORM:2"


def test_a_recreated_result_workbook_of_the_same_form_keeps_the_keys(fake, book):
    sync(book, fake)
    # Someone deleted the result workbook and Forms made a new one (new file id) with the same responses.
    fake.add_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS + [
        (5, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 20))],
        item_id="01RECREATED")
    report = sync(book, fake)
    assert report.new == 1 and failed(report) == {}
    keys = sorted(r["回答ID"] for r in sheet_rows(book, schema.USAGE_DAYS) if r.get("回答ID"))
    assert keys == [f"01USAGEFORM:{i}" for i in range(1, 6)]  # the old prefix, kept: no response doubled

    # Another form behind the same link: its IDs start at 1 again, with other completion times.
    other = datetime(2026, 1, 5, 9, 0)
    fake.add_form(USAGE_SHARE_URL, USAGE_HEADERS, [(1, other, other, "anonymous", "", "アルファ商事", "kintone",
                                                    "グループウェア", date(2026, 1, 5))], item_id="01OTHERFORM")
    assert sync(book, fake).new == 1
    assert "01OTHERFORM:1" in by_key(sheet_rows(book, schema.USAGE_DAYS))


# ---------------------------------------------------------------- each source on its own

def test_a_deleted_form_among_good_ones_is_named_and_the_others_are_written(fake, book):
    fake.remove_form(EVENT_FORM_URL)
    report = sync(book, fake)
    assert list(failed(report)) == ["イベント E01 のフォーム結果"] and "見つかりません" in report.failed_sources[0].error
    assert report.exit_code == 2 and report.written == 8  # the Teams records and the usage form
    keys = set(by_key(sheet_rows(book, schema.ATTENDANCE))) | set(by_key(sheet_rows(book, schema.USAGE_DAYS)))
    assert not any(k.startswith("01EVENTFORM:") for k in keys) and len(keys) == 8
    assert "取得できなかった取得元 1件" in sheet_rows(book, schema.AUDIT_LOG)[0]["内容"]
    again = sync(book, fake)
    assert again.new == 0 and again.exit_code == 2  # still missing; nothing doubled


@pytest.mark.parametrize("match, kind, broken, rows_written", [
    ("attendanceRecords", "truncate", "イベント E01 の Teams 出席", 8),  # a page cut off half-way, every time
    ("attendanceReports", "drop", "イベント E01 の Teams 出席", 8),  # the connection dropped
    ("onlineMeetings?", "malformed", "イベント E01 の Teams 出席", 8),  # broken JSON
    (share_id(USAGE_SHARE_URL), "429", "利用実績フォームの結果", 8),  # a throttling storm on one source
    ("/download/", "503", None, 4),  # every download fails: both forms, the Teams records still land
])
def test_a_source_failing_half_way_writes_nothing_of_its_own(fake, book, match, kind, broken, rows_written):
    fake.fault(match, kind, times=50)
    waits: list[float] = []
    report = sync(book, fake, env=fake.env(TOOLKIT_GRAPH_TRIES="2"), waits=waits)
    names = set(failed(report))
    assert (names == {broken}) if broken else (names == {"イベント E01 のフォーム結果", "利用実績フォームの結果"})
    assert all(failed(report).values())  # each with its reason
    assert report.written == rows_written and report.exit_code == 2
    state = read_state(book)
    if broken == "利用実績フォームの結果":
        assert "usage" not in state["forms"] and "event:E01" in state["forms"]  # fetched again next time
    assert not queue_path(book).exists()


def test_transient_faults_are_retried_and_an_expired_token_is_replaced(fake, book):
    fake.fault("driveItem", "429", times=1, retry_after="1")
    fake.fault("/download/", "503", times=1)
    fake.fault("attendanceReports", "401", times=1)  # the token "expires": a fresh one is needed
    fake.fault("attendanceRecords", "truncate", times=1)
    waits: list[float] = []
    report = sync(book, fake, waits=waits)
    assert report.new == 12 and report.failed_sources == []
    assert 1 in waits  # Retry-After honoured
    grants = [r["grant_type"] for r in fake.token_requests]
    assert grants == ["client_credentials", "client_credentials"]  # msal's cached token was dropped, not reused
    downloads = fake.requests_to("/download/")
    assert downloads and not any(r["has_auth"] for r in downloads)  # the 302 target never sees our token


def test_an_expired_download_url_is_fetched_again_from_content(fake, book):
    fake.fault("/download/", "expired", times=1)
    report = sync(book, fake)
    assert report.failed_sources == [] and report.new == 12
    assert len(fake.requests_to("/content")) == 3  # two forms, one of them asked twice


def test_the_token_request_is_retried_by_the_same_session(fake, book):
    fake.fault("/oauth2/v2.0/token", "503", times=1, retry_after="2")
    waits: list[float] = []
    assert sync(book, fake, waits=waits).new == 12
    assert waits[:1] == [2]


# ---------------------------------------------------------------- Teams as real tenants run it

def test_two_anonymous_iphone_attendees_are_two_rows(fake, book):
    fake.add_meeting(TEAMS_URL, {"report-1": [attendance_record(None, "iPhone", 600),
                                               attendance_record(None, "iPhone", 1200)]})
    report = sync(book, fake)
    iphones = [r for r in sheet_rows(book, schema.ATTENDANCE) if r["氏名"] == "iPhone"]
    assert len(iphones) == 2 and {r["参加時間（分）"] for r in iphones} == {10.0, 20.0}
    assert report.failed_sources == []


def test_only_the_reports_of_the_event_day_in_japan_are_kept(fake, book):
    # A recurring meeting: the event's session (10:00 JST on 10/1 is 01:00 UTC) and the next week's.
    fake.add_meeting(TEAMS_URL, {"r-day": [attendance_record("taro@alpha.co.jp", "山田", 600)],
                                 "r-late": [attendance_record("late@alpha.co.jp", "夜", 60)],
                                 "r-next": [attendance_record("next@alpha.co.jp", "翌週", 600)]},
                     starts={"r-day": "2025-10-01T01:00:00Z", "r-late": "2025-09-30T15:30:00Z",
                             "r-next": "2025-10-08T01:00:00Z"})
    sync(book, fake)
    teams = {r["メール"] for r in sheet_rows(book, schema.ATTENDANCE) if r["出典"] == "Teams"}
    assert teams == {"taro@alpha.co.jp", "late@alpha.co.jp"}  # 00:30 JST on 10/1 is the event day too


def test_a_short_join_link_is_matched_by_its_meeting_id(fake, tmp_path):
    short = "https://teams.microsoft.com/meet/2513874727365?p=AbCdEf123"
    fake.meetings.clear()
    fake.add_meeting("https://teams.microsoft.com/l/meetup-join/19%3ameeting_zz%40thread.v2/0",
                     {"rep": [attendance_record("taro@alpha.co.jp", "山田", 600)]}, join_meeting_id="2513874727365")
    (tmp_path / "s").mkdir()
    book = write_master(tmp_path / "s" / "m.xlsx", companies=COMPANIES, services=SERVICES,
                        events=[EVENTS[0][:6] + (short, None)], settings={"Teams主催者": ORGANIZER_ID})
    report = sync(book, fake)
    assert report.failed_sources == [] and report.new == 1
    assert not fake.requests_to("/users/organizer@")  # an object ID typed as the organizer needs no lookup


def test_a_webinar_gives_registrations_as_applications_and_attendance(fake, tmp_path):
    link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_webinar%40thread.v2/0?context=%7b%7d"
    regs = [registration("taro@alpha.co.jp", "太郎", "山田"), registration("hanako@beta.jp", "花子", "鈴木"),
            registration("x@delta.jp", "一郎", "佐藤", status="canceled")]
    fake.add_virtual_event("webinars", link, registrations=regs,
                           reports={"wr-1": [attendance_record("taro@alpha.co.jp", "山田 太郎", 3000)]})
    (tmp_path / "w").mkdir()
    book = write_master(tmp_path / "w" / "m.xlsx", companies=COMPANIES, services=SERVICES,
                        events=[("E02", "説明会・ワークショップ", "ウェビナー説明会", date(2025, 10, 1), "オンライン",
                                 None, link, None)], settings={"Teams主催者": ORGANIZER})
    report = sync(book, fake, now=datetime(2025, 10, 2, 9, 0))  # the day after: attendance may still change
    assert report.failed_sources == [] and report.new == 4
    rows = sheet_rows(book, schema.ATTENDANCE)
    status = {(r["氏名"], r["出欠"]) for r in rows}
    assert status == {("山田 太郎", "申込"), ("鈴木 花子", "申込"), ("佐藤 一郎", "欠席"), ("山田 太郎", "出席")}
    assert {r["企業ID"] for r in rows if r["氏名"] == "山田 太郎"} == {"C01"}
    # Looked up as a meeting first (one call), found among the webinars on the miss.
    assert len(fake.requests_to("/onlineMeetings")) == 1 and len(fake.requests_to("getByUserIdAndRole")) == 2

    # Hanako cancels: her row becomes 欠席, in place. The session is remembered: no meeting look-up, no listing.
    fake.virtual_events[0].registrations[1]["status"] = "canceled"
    again = sync(book, fake, now=datetime(2025, 10, 3, 9, 0))
    assert len(fake.requests_to("/onlineMeetings")) == 1 and len(fake.requests_to("getByUserIdAndRole")) == 2
    assert again.updated == 1 and again.new == 0
    assert {(r["氏名"], r["出欠"]) for r in sheet_rows(book, schema.ATTENDANCE)} == \
        {("山田 太郎", "申込"), ("鈴木 花子", "欠席"), ("佐藤 一郎", "欠席"), ("山田 太郎", "出席")}


def test_a_town_hall_gives_its_session_attendance(fake, tmp_path):
    link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_townhall%40thread.v2/0"
    fake.add_virtual_event("townhalls", link, reports={"th-1": [attendance_record("jiro@beta.jp", "ベータ 次郎", 900)]})
    (tmp_path / "t").mkdir()
    book = write_master(tmp_path / "t" / "m.xlsx", companies=COMPANIES, services=SERVICES,
                        events=[("E03", "説明会・ワークショップ", "成果共有会", date(2025, 10, 1), "オンライン", None,
                                 link, None)], settings={"Teams主催者": ORGANIZER})
    report = sync(book, fake)
    assert report.failed_sources == [] and report.new == 1
    row = sheet_rows(book, schema.ATTENDANCE)[0]
    assert (row["企業ID"], row["出欠"], row["参加時間（分）"], row["イベントID"]) == ("C02", "出席", 15.0, "E03")
    assert not fake.requests_to("/registrations")  # town halls take no registrations


def test_without_the_virtual_event_permission_meetings_are_still_read(fake, book):
    fake.fault("getByUserIdAndRole", "403", times=50)  # VirtualEvent.Read.All not granted
    report = sync(book, fake)
    assert report.failed_sources == [] and report.new == 12
    assert not fake.requests_to("virtualEvents")  # a plain meeting is found as a meeting: no listing at all


def test_a_throttled_virtual_events_listing_fails_only_the_webinar_and_requests_are_counted(fake, tmp_path):
    """Virtual events are rationed (10,000 requests per app and month): a 429 storm on their listing fails the
    webinar's source only; the plain meeting beside it is synced, and the run says how many calls it made."""
    from toolkit.cli import main

    webinar = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_webinar2%40thread.v2/0"
    fake.add_virtual_event("webinars", webinar, reports={"w": [attendance_record("jiro@beta.jp", "次郎", 900)]})
    fake.fault("virtualEvents", "429", times=1000)
    (tmp_path / "v").mkdir()
    book = write_master(tmp_path / "v" / "m.xlsx", companies=COMPANIES, services=SERVICES, events=[
        EVENTS[0][:6] + (TEAMS_URL, None),
        ("E02", "成果共有会", "成果共有会", date(2025, 10, 1), "オンライン", None, webinar, None)],
        settings={"Teams主催者": ORGANIZER})
    result = CliRunner().invoke(main, ["sync", str(book), "--json"], env=fake.env(TOOLKIT_GRAPH_TRIES="2"))
    data = json.loads(result.output)
    assert result.exit_code == 2 and [f["source"] for f in data["failed_sources"]] == ["イベント E02 の Teams 出席"]
    assert data["written"] == 4  # E01's four Teams records
    # Every request the fake received for the sources (retries of the throttled listing included) is counted.
    graph_calls = [r for r in fake.log if r["path"].startswith("/v1.0/")]
    assert data["requests"] == len(graph_calls) > 0


def test_meeting_not_found_is_a_failed_source_and_the_rest_is_written(fake, book):
    fake.meetings.clear()
    report = sync(book, fake)
    assert report.new == 8 and list(failed(report)) == ["イベント E01 の Teams 出席"]
    assert "見つかりません" in failed(report)["イベント E01 の Teams 出席"]


# ---------------------------------------------------------------- the CLI

def test_cli_twice_adds_every_row_once_and_names_the_failed_source_with_exit_2(fake, book):
    from toolkit.cli import main

    fake.remove_form(USAGE_SHARE_URL)
    env = fake.env()
    first = CliRunner().invoke(main, ["sync", str(book), "--json"], env=env)
    assert first.exit_code == 2, first.output
    data = json.loads(first.output)
    assert data["written"] == 8 and [f["source"] for f in data["failed_sources"]] == ["利用実績フォームの結果"]
    second = CliRunner().invoke(main, ["sync", str(book)], env=env)
    assert second.exit_code == 2 and "利用実績フォームの結果" in second.output and "新規 0件" in second.output
    keys = [r["回答ID"] for r in sheet_rows(book, schema.ATTENDANCE)]
    assert len(keys) == len(set(keys)) == 8


def test_the_cli_exits_2_with_a_message_when_sign_in_fails(fake, book):
    from toolkit.cli import main

    result = CliRunner().invoke(main, ["sync", str(book), "--json"], env=fake.env(TOOLKIT_CLIENT_SECRET="wrong"))
    assert result.exit_code == 2 and "シークレット" in result.output


def test_dry_run_plans_without_writing_through_a_session_of_our_own(fake, book):
    import requests

    before = book.read_bytes()
    env = fake.env()
    del env["TOOLKIT_CA_BUNDLE"]  # the session below carries the trust instead
    with requests.Session() as session:
        session.trust_env = False
        session.verify = str(fake.ca_path)
        report = run_sync(book, dry_run=True, env=env, session=session)
        assert session.get(fake.base_url + "/nothing", timeout=5).status_code == 404  # still ours, still open
    assert report.dry_run and report.new == 12 and report.written == 0
    assert book.read_bytes() == before and not state_path(book).exists()


# ---------------------------------------------------------------- security

def test_formula_looking_answer_lands_as_text_never_a_formula(fake, book):
    sync(book, fake)
    import openpyxl

    ws = openpyxl.load_workbook(book)[schema.ATTENDANCE.sheet]
    cell = next(c for c in ws["C"][1:] if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value == "'" + FORMULA
    part = next(iter(p for p in sheet_parts(book)[schema.ATTENDANCE.sheet] if "worksheets" in p))
    assert b"<f>" not in members(book)[part] and b"<f " not in members(book)[part]


def test_secrets_and_tokens_never_reach_the_workbook_queue_state_or_backups(fake, book):
    sync(book, fake)
    owner = book.parent / ("~$" + book.name)
    owner.write_bytes(b"x")
    fake.update_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS + [
        (9, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 21))])
    sync(book, fake)
    assert queue_path(book).exists()
    secrets = [fake.secret.encode()] + [t.encode() for t in fake.issued]
    files = [p for p in book.parent.rglob("*") if p.is_file()]
    assert any(".toolkit-backups" in str(p) for p in files)
    for path in files:
        blobs = members(path).values() if path.suffix == ".xlsx" and zipfile.is_zipfile(path) else [path.read_bytes()]
        for blob in blobs:
            assert not any(s in blob for s in secrets), path


# ---------------------------------------------------------------- Excel has the workbook open

def test_rows_are_queued_while_excel_has_the_book_open_then_applied_once(fake, book):
    owner = book.parent / ("~$" + book.name)
    owner.write_bytes(b"owner")
    before = members(book)
    report = sync(book, fake)
    assert report.queued == 12 and report.written == 0
    assert members(book) == before
    queued = read_queue(book)
    assert sum(len(v) for v in queued.values()) == 12
    assert stat.S_IMODE(queue_path(book).stat().st_mode) == 0o600
    assert isinstance(queued["利用実績"][0]["利用日"], date)  # dates survive the JSON queue

    fake.update_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS + [
        (5, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 20))])
    assert sync(book, fake).queued == 13

    owner.unlink()
    report = sync(book, fake)
    assert report.written == 13 and report.from_queue == 13 and report.new == 0
    assert not queue_path(book).exists()
    keys = [r["回答ID"] for t in (schema.ATTENDANCE, schema.USAGE_DAYS) for r in sheet_rows(book, t) if r.get("回答ID")]
    assert len(keys) == len(set(keys)) == 13
    assert sync(book, fake).new == 0


def test_only_the_touched_sheets_change(fake, book):
    before = members(book)
    sync(book, fake)
    after = members(book)
    parts = sheet_parts(book)
    owned = set().union(*(parts[t.sheet] for t in (schema.ATTENDANCE, schema.USAGE_DAYS, schema.AUDIT_LOG)))
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed and changed <= owned
    assert set(after) - set(before) <= owned


def test_a_sync_waits_for_another_writer_of_the_book_then_runs(fake, book):
    """One lock for every toolkit writer: a sync started while another holds the book (a 集計 refresh, another
    sync) waits, then reads the book as that one left it."""
    import threading
    import time

    from toolkit.workbook.lock import writer_lock

    held, release = threading.Event(), threading.Event()

    def other_writer():
        with writer_lock(book):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=other_writer)
    thread.start()
    held.wait(5)
    threading.Timer(0.6, release.set).start()
    started = time.monotonic()
    assert sync(book, fake).written == 12
    assert time.monotonic() - started >= 0.5  # it waited for the other writer
    thread.join()
    assert sync(book, fake).written == 0  # and a second run adds nothing


# ---------------------------------------------------------------- authentication

def test_a_certificate_instead_of_a_secret(fake, book, tmp_path):
    env = fake.env(TOOLKIT_CLIENT_CERTIFICATE=str(fake.make_certificate(tmp_path / "toolkit-sync.pem")))
    del env["TOOLKIT_CLIENT_SECRET"]
    report = sync(book, fake, env=env)
    assert report.written == 12 and report.failed_sources == []
    request = fake.token_requests[-1]
    assert "client_secret" not in request and request["client_assertion_type"].endswith("jwt-bearer")
    header = fake.assertions[-1]  # verified by the fake: signature, audience, issuer, expiry
    assert header["alg"] in ("RS256", "PS256") and ("x5t#S256" in header or "x5t" in header)

    # A certificate Entra does not know is refused with a message about the certificate, not a secret.
    unknown = fake.make_certificate(tmp_path / "other.pem", register=False)
    with pytest.raises(AuthError, match="証明書"):
        sync(book, fake, env={**env, "TOOLKIT_CLIENT_CERTIFICATE": str(unknown)})
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
    with pytest.raises(AuthError, match="秘密キー"):
        sync(book, fake, env={**env, "TOOLKIT_CLIENT_CERTIFICATE": str(broken)})


@pytest.mark.parametrize("error, expected", [
    ({"error": "invalid_client", "error_description": "AADSTS7000222: The provided client secret keys are expired."},
     "有効期限"),
    ({"error": "invalid_grant", "error_description": "AADSTS65001: The user or administrator has not consented."},
     "管理者の同意"),
])
def test_token_errors_become_clear_messages(fake, book, error, expected):
    fake.token_error = error
    with pytest.raises(AuthError, match=expected):
        sync(book, fake)


def test_wrong_secret_unknown_tenant_and_no_credential(fake, book):
    with pytest.raises(AuthError, match="シークレット"):
        sync(book, fake, env=fake.env(TOOLKIT_CLIENT_SECRET="wrong"))
    with pytest.raises(AuthError, match="テナント"):
        sync(book, fake, env=fake.env(TOOLKIT_TENANT_ID="no-such-tenant",
                                      TOOLKIT_AUTHORITY=f"{fake.base_url}/no-such-tenant"))
    env = fake.env()
    del env["TOOLKIT_CLIENT_SECRET"]
    with pytest.raises(AuthError, match="TOOLKIT_CLIENT_CERTIFICATE"):
        sync(book, fake, env=env)
    assert not book.with_name(book.name + ".toolkit-sync-state.json").exists()


def test_the_secret_can_come_from_the_keyring(fake, book, memory_keyring):
    env = fake.env()
    del env["TOOLKIT_CLIENT_SECRET"]
    memory_keyring.set_password("toolkit", env["TOOLKIT_CLIENT_ID"], fake.secret)
    assert sync(book, fake, env=env).written == 12


def test_device_code_login_then_sync_as_that_person_through_me(fake, book):
    from toolkit.graph.auth import login, token_cache_path

    env = fake.env()
    del env["TOOLKIT_CLIENT_SECRET"]
    said: list[str] = []
    login(env, out=said.append, device_code=True)
    cache = token_cache_path(env)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600 and "ABCD-EFGH" in said[0]
    # Delegated scopes follow the configured Graph host (the fake refuses any other).
    scopes = next(iter(fake.device_scopes.values())).split()
    assert f"{fake.base_url}/.default" in scopes  # what the admin consented, not a list to consent to
    report = sync(book, fake, env=env)
    assert report.written == 12 and report.failed_sources == []
    assert fake.requests_to("/v1.0/me/onlineMeetings") and not fake.requests_to("/v1.0/users/")


def test_the_requests_ca_bundle_variable_does_not_override_ours(fake, book, monkeypatch, tmp_path):
    bogus = tmp_path / "other-ca.pem"
    bogus.write_text("not a certificate")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    assert run_sync(book, env=fake.env()).written == 12  # the session made from TOOLKIT_CA_BUNDLE


# ---------------------------------------------------------------- the scheduled wrapper

def test_scheduled_wrapper_logs_counts_without_secrets_or_addresses(fake, book, tmp_path):
    log = tmp_path / "logs" / "sync.log"
    env = {**os.environ, **fake.env(), "PYTHONPATH": str(ROOT)}
    env.pop("REQUESTS_CA_BUNDLE", None)
    script = [sys.executable, str(ROOT / "scripts" / "sync_scheduled.py"), str(book), "--log", str(log)]
    ok = subprocess.run(script, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(script, env={**env, "TOOLKIT_CLIENT_SECRET": "wrong-secret"}, capture_output=True,
                         text=True, timeout=60, check=False)
    assert bad.returncode == 2
    fake.remove_form(EVENT_FORM_URL)  # one source gone: the others are written, the scheduler sees a failed run
    partly = subprocess.run(script, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert partly.returncode == 2
    text = log.read_text(encoding="utf-8")
    assert "イベント E01 のフォーム結果" in text
    assert "新規 12件" in text and "シークレット" in text
    assert fake.secret not in text and "wrong-secret" not in text and not any(t in text for t in fake.issued)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)  # no e-mail address in the log


# ---------------------------------------------------------------- least privilege and stale forms (issue 25)

PATH_URL = "https://contoso.sharepoint.com/sites/program/Shared Documents/フォーム/説明会 申込（結果）.xlsx"


def test_a_path_address_resolves_with_sites_selected_only(fake, tmp_path):
    """The app holds Sites.Selected on the site: /shares answers 403, the site, its library and the file's path
    are read instead. The address is typed as Excel's 「パスのコピー」 gives it (a space, Japanese)."""
    fake.sites_selected_only = True
    fake.add_form(PATH_URL, ATTENDANCE_HEADERS, ATTENDANCE_ANSWERS)
    (tmp_path / "p").mkdir()
    book = write_master(tmp_path / "p" / "m.xlsx", companies=COMPANIES, services=SERVICES,
                        events=[EVENTS[0][:6] + (None, PATH_URL)])
    report = sync(book, fake, now=datetime(2025, 10, 1, 18, 0))
    assert report.failed_sources == [] and report.new == 4
    assert fake.requests_to("/shares/")  # tried first (it takes any address where the app may use it)
    assert fake.requests_to("/v1.0/sites/contoso.sharepoint.com:/sites/program")
    assert fake.requests_to("/drives") and fake.requests_to("root:")


def test_a_share_link_with_sites_selected_only_says_to_use_the_path(fake, book):
    fake.sites_selected_only = True
    report = sync(book, fake)
    assert "パスのコピー" in failed(report)["イベント E01 のフォーム結果"]
    assert "Teams" not in " ".join(failed(report))  # the meeting is read as before


def test_an_unreadable_url_cell_is_a_failed_source_never_dropped_in_silence(fake, tmp_path):
    from toolkit.cli import main

    (tmp_path / "u").mkdir()
    book = write_master(tmp_path / "u" / "m.xlsx", companies=COMPANIES, services=SERVICES,
                        events=[EVENTS[0][:6] + (None, "共有リンクを後で貼る")],
                        settings={"利用実績フォーム結果URL": "sharepoint の結果ブック"})
    result = CliRunner().invoke(main, ["sync", str(book), "--json"], env=fake.env())
    data = json.loads(result.output)
    assert result.exit_code == 2
    assert {f["source"] for f in data["failed_sources"]} == {"イベント E01 のフォーム結果", "利用実績フォームの結果"}
    assert all("URL として読めません" in f["reason"] for f in data["failed_sources"])


def test_a_result_workbook_not_modified_since_the_event_is_named_for_a_check(fake, book):
    from toolkit.cli import main

    form = next(f for f in fake.forms.values() if f.share_url == EVENT_FORM_URL)
    form.modified = "2025-09-28T03:00:00Z"  # before the event of 2025-10-01: the day's answers are missing
    usage = next(f for f in fake.forms.values() if f.share_url == USAGE_SHARE_URL)
    usage.modified = "2025-10-20T00:00:00Z"  # within the last 7 days of the run below: fresh
    env = fake.env()
    result = CliRunner().invoke(main, ["sync", str(book)], env=env)  # today, long after the usage period
    assert result.exit_code == 0 and "要確認: イベント E01 のフォーム結果" in result.output
    assert "2025/09/28" in result.output and "Excel for the web" in result.output
    report = sync(book, fake, now=datetime(2025, 10, 24, 9, 0))  # during the usage period
    assert [s["source"] for s in report.stale] == ["イベント E01 のフォーム結果"]
    usage.modified = "2025-10-10T00:00:00Z"  # 14 days before: the usage form stopped taking answers
    report = sync(book, fake, now=datetime(2025, 10, 24, 9, 0))
    assert {s["source"] for s in report.stale} == {"イベント E01 のフォーム結果", "利用実績フォームの結果"}
    form.modified = "2025-10-01T09:00:00Z"  # an answer on the event day: fresh
    report = sync(book, fake, now=datetime(2025, 10, 24, 9, 0))
    assert [s["source"] for s in report.stale] == ["利用実績フォームの結果"]


# ---------------------------------------------------------------- no stale 集計 (issue 19 item 5)

@pytest.mark.parametrize("delay", [0.1, 0.3, 0.6])
def test_summary_started_during_a_sync_shows_the_rows_the_sync_added(fake, tmp_path, delay):
    """`toolkit sync B & sleep d; toolkit summary B`: the refresh waits for the sync still fetching (one writer lock
    from read to write), so 集計 counts the rows the sync adds. The sync is slowed by one throttled download."""
    from toolkit.kpi import compute_kpis
    from toolkit.load import load_program

    (tmp_path / "r").mkdir()
    book = write_master(tmp_path / "r" / "m.xlsx", companies=COMPANIES, services=SERVICES, events=EVENTS,
                        settings={"Teams主催者": ORGANIZER, "利用実績フォーム結果URL": USAGE_SHARE_URL})
    fake.fault("/download/", "429", times=1, retry_after="1")
    env = {**os.environ, **fake.env()}
    command = [sys.executable, "-m", "toolkit"]
    syncing = subprocess.Popen(command + ["sync", str(book)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    summary = subprocess.run(command + ["summary", str(book)], env=env, capture_output=True, text=True, timeout=120)
    out, err = syncing.communicate(timeout=120)
    assert syncing.returncode == 0, out + err
    assert summary.returncode == 0, summary.stdout + summary.stderr
    final = compute_kpis(load_program(book)).usage.total
    rows = read_raw(book, sheets=[schema.SUMMARY_SHEET])[schema.SUMMARY_SHEET]
    shown = next(r[1] for r in rows if r and r[0] == "利用回数（回）")
    assert final == 3 and shown == final  # the three usage answers the sync added, counted on 集計
