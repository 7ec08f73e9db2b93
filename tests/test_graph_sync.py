"""The Microsoft 365 sync end to end: real msal, real requests, a real HTTPS fake on 127.0.0.1, a real workbook."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import keyring
import pytest
from click.testing import CliRunner
from fake_graph import (
    FORMS_HEADERS_EN,
    FORMS_HEADERS_JA,
    ORGANIZER,
    USAGE_SHARE_URL,
    FakeGraph,
    attendance_record,
    share_id,
    write_master,
)
from keyring.backend import KeyringBackend

from toolkit import schema
from toolkit.graph.queue import lock_path, queue_path, read_queue, state_path
from toolkit.graph.sync import SyncError, plan_sync, run_sync
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
    report = run_sync(book, env=fake.env())
    assert report.fetched == 12 and report.new == 12 and report.duplicates == 0 and report.queued == 0
    assert report.written == 12 and report.problems == []

    attendance = by_key(sheet_rows(book, schema.ATTENDANCE))
    assert len(attendance) == 8
    forms = {k.split(":")[1]: r for k, r in attendance.items() if k.startswith("01EVENTFORM:")}
    assert forms["1"]["企業ID"] == "C01" and forms["1"]["出欠"] == "出席" and forms["1"]["出典"] == "Forms"
    assert forms["2"]["企業ID"] == "C02" and forms["2"]["出欠"] == "申込"  # empty answer = 申込
    assert forms["3"]["企業ID"] in ("", None) and forms["3"]["出欠"] == "欠席"  # unmatched, still written
    assert all(r["イベントID"] == "E01" for r in attendance.values())
    teams = {k.split(":", 1)[1]: r for k, r in attendance.items() if k.startswith("report-1:")}
    assert set(teams) == {"taro@alpha.co.jp", "jiro@beta.jp", "someone@gmail.com", "ゲスト"}
    assert teams["taro@alpha.co.jp"]["企業ID"] == "C01" and teams["taro@alpha.co.jp"]["参加時間（分）"] == 62.1
    assert teams["jiro@beta.jp"]["企業ID"] == "C02" and teams["jiro@beta.jp"]["参加時間（分）"] == 30.0
    assert teams["someone@gmail.com"]["企業ID"] in ("", None)  # free mail never matches by domain
    assert teams["ゲスト"]["氏名"] == "ゲスト" and teams["ゲスト"]["出典"] == "Teams" and teams["ゲスト"]["出欠"] == "出席"

    usage = by_key(sheet_rows(book, schema.USAGE_DAYS))
    assert len(usage) == 4
    u = {k.split(":")[1]: r for k, r in usage.items()}
    assert (u["1"]["企業ID"], u["1"]["サービスID"], u["1"]["利用領域"]) == ("C01", "S01", "グループウェア")
    assert (u["2"]["企業ID"], u["2"]["サービスID"], u["2"]["利用領域"]) == ("C02", "S02", "経理")  # area from service
    assert u["3"]["企業ID"] == "C03" and u["3"]["出典"] == "Forms"
    assert u["4"]["企業ID"] in ("", None) and u["4"]["サービスID"] == "S01"
    assert u["1"]["アカウント"] == "taro@alpha.co.jp"

    unmatched = {(i["sheet"], i["key"].split(":")[-1]) for i in report.unmatched if i["column"] == "企業ID"}
    assert unmatched == {("出欠", "3"), ("出欠", "someone@gmail.com"), ("出欠", "ゲスト"), ("利用実績", "4")}

    # The reader sees real dates and the workbook keeps its hand-entered row.
    from toolkit.workbook.read import load_program

    program = load_program(book)
    dates = {r.response_id.split(":")[1]: r.date for r in program.usage if r.response_id}
    assert dates == {"1": date(2025, 9, 10), "2": date(2025, 9, 11), "3": date(2025, 9, 12)}
    assert [r.source for r in program.usage if not r.response_id] == ["ヒアリング"]
    audit = sheet_rows(book, schema.AUDIT_LOG)
    assert len(audit) == 1 and audit[0]["操作"] == "同期" and "出欠 8件" in audit[0]["内容"]

    before = book.read_bytes()
    again = run_sync(book, env=fake.env())
    assert again.new == 0 and again.written == 0
    assert book.read_bytes() == before  # nothing to add: the workbook is not even rewritten
    # Unchanged Forms workbooks are not downloaded again (same cTag, rows still there); Teams is re-read.
    assert set(again.skipped_unchanged) == {"イベント E01 のフォーム結果", "利用実績フォームの結果"}
    assert again.duplicates == 4  # the Teams records, recognised by 回答ID


def test_new_responses_are_added_and_the_unmatched_rows_are_not_duplicated(fake, book):
    run_sync(book, env=fake.env())
    fake.update_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS + [
        (5, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 20))])
    report = run_sync(book, env=fake.env())
    # Row 4 (unknown company, empty 企業ID) is an invalid row for the reader, yet it is not appended again.
    assert report.new == 1 and report.duplicates == 4 + 4
    usage = sheet_rows(book, schema.USAGE_DAYS)
    keys = [r["回答ID"] for r in usage if r.get("回答ID")]
    assert len(keys) == len(set(keys)) == 5


def test_lost_state_or_missing_rows_fetch_again(fake, book, tmp_path):
    run_sync(book, env=fake.env())
    state_path(book).unlink()
    report = run_sync(book, env=fake.env())
    assert report.skipped_unchanged == [] and report.new == 0  # re-downloaded, nothing new

    # The state says "unchanged" but the workbook no longer has the rows (restored from an old copy).
    write_master(book, companies=COMPANIES, services=SERVICES, events=EVENTS,
                 settings={"Teams主催者": ORGANIZER, "利用実績フォーム結果URL": USAGE_SHARE_URL})
    report = run_sync(book, env=fake.env())
    assert report.skipped_unchanged == [] and report.new == 12


def test_forms_columns_in_english_or_japanese_and_titles_from_settings(fake, tmp_path):
    custom = ("ID", "Start time", "Completion time", "Email", "Name", "貴社名", "お名前", "メール連絡先", "ご出欠")
    fake.add_form(EVENT_FORM_URL, custom, [(7, T0, T0, "anonymous", "", "アルファ商事", "田中", "t@alpha.co.jp", "出席")],
                  item_id="01CUSTOM")
    (tmp_path / "b").mkdir()
    path = write_master(tmp_path / "b" / "m.xlsx", companies=COMPANIES, services=SERVICES,
                        events=[EVENTS[0][:6] + (None, EVENT_FORM_URL)])
    with pytest.raises(SyncError, match="企業名"):
        run_sync(path, dry_run=True, env=fake.env())
    # Staff name their own question titles in 設定 (extra rows in its table).
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SETTINGS.sheet]
    for title, value in (("企業名", "貴社名"), ("氏名", "お名前"), ("メールアドレス", "メール連絡先"), ("出欠", "ご出欠")):
        ws.append([f"フォーム列名（{title}）", value])
    wb.save(path)
    report = run_sync(path, env=fake.env())
    rows = sheet_rows(path, schema.ATTENDANCE)
    assert report.new == 1 and rows[0]["企業ID"] == "C01" and rows[0]["氏名"] == "田中"


# ---------------------------------------------------------------- security

def test_formula_looking_answer_lands_as_text_never_a_formula(fake, book):
    run_sync(book, env=fake.env())
    import openpyxl

    ws = openpyxl.load_workbook(book)[schema.ATTENDANCE.sheet]
    names = [c.value for c in ws["C"][1:]]
    cell = next(c for c in ws["C"][1:] if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value == "'" + FORMULA, names
    part = next(iter(p for p in sheet_parts(book)[schema.ATTENDANCE.sheet] if "worksheets" in p))
    assert b"<f>" not in members(book)[part] and b"<f " not in members(book)[part]


def test_secrets_and_tokens_never_reach_the_workbook_queue_state_or_backups(fake, book, tmp_path):
    run_sync(book, env=fake.env())
    owner = book.parent / ("~$" + book.name)
    owner.write_bytes(b"x")
    fake.update_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS + [
        (9, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 21))])
    run_sync(book, env=fake.env())
    assert queue_path(book).exists()
    secrets = [fake.secret.encode()] + [t.encode() for t in fake.issued]
    files = [p for p in book.parent.rglob("*") if p.is_file()]
    assert any(".toolkit-backups" in str(p) for p in files)
    for path in files:
        blobs = members(path).values() if path.suffix == ".xlsx" and zipfile.is_zipfile(path) else [path.read_bytes()]
        for blob in blobs:
            assert not any(s in blob for s in secrets), path


# ---------------------------------------------------------------- all or nothing

@pytest.mark.parametrize("match, kind", [
    ("attendanceRecords", "truncate"),  # a page cut off half-way, every time
    ("attendanceReports", "drop"),  # the connection dropped
    ("onlineMeetings?", "malformed"),  # broken JSON
    (share_id(USAGE_SHARE_URL), "429"),  # a throttling storm on the last source
    ("/download/", "503"),
])
def test_a_failure_half_way_writes_nothing(fake, book, match, kind):
    fake.fault(match, kind, times=50)
    before = book.read_bytes()
    with pytest.raises(SyncError) as info:
        run_sync(book, env=fake.env(TOOLKIT_GRAPH_TRIES="2"))
    assert str(info.value)  # a Japanese message, no traceback for staff
    assert book.read_bytes() == before
    assert not queue_path(book).exists() and not state_path(book).exists() and not lock_path(book).exists()


def test_transient_faults_are_retried_and_an_expired_token_is_replaced(fake, book):
    fake.fault("driveItem", "429", times=1, retry_after="1")
    fake.fault("/download/", "503", times=1)
    fake.fault("attendanceReports", "401", times=1)  # the token "expires": a fresh one is needed
    fake.fault("attendanceRecords", "truncate", times=1)
    report = run_sync(book, env=fake.env())
    assert report.new == 12
    grants = [r["grant_type"] for r in fake.token_requests]
    assert grants == ["client_credentials", "client_credentials"]  # msal's cached token was dropped, not reused
    downloads = fake.requests_to("/download/")
    assert downloads and not any(r["has_auth"] for r in downloads)  # the 302 target never sees our token


def test_the_cli_exits_2_with_a_message_on_failure(fake, book):
    from toolkit.cli import main

    fake.fault("attendanceRecords", "malformed", times=50)
    result = CliRunner().invoke(main, ["sync", str(book), "--json"], env=fake.env())
    assert result.exit_code == 2, result.output
    assert "壊れて" in result.output


def test_meeting_not_found_is_reported_and_the_rest_is_written(fake, book):
    fake.meetings.clear()
    report = run_sync(book, env=fake.env())
    assert report.new == 8 and any("会議" in p for p in report.problems)


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


def test_plan_sync_is_usable_on_its_own(fake, book):
    from toolkit.graph.auth import make_session, resolve_config, token_source
    from toolkit.graph.client import GraphClient
    from toolkit.workbook.read import load_program

    program = load_program(book)
    config = resolve_config(program.settings, fake.env())
    with make_session(config) as session:
        client = GraphClient(session, config.graph_url, token_source(config, session, fake.env()))
        plan = plan_sync(program, client=client)
    assert plan.new == 12 and set(plan.appends) == {"出欠", "利用実績"} and plan.duplicates == 0


# ---------------------------------------------------------------- Excel has the workbook open

def test_rows_are_queued_while_excel_has_the_book_open_then_applied_once(fake, book):
    owner = book.parent / ("~$" + book.name)
    owner.write_bytes(b"owner")
    before = members(book)
    report = run_sync(book, env=fake.env())
    assert report.queued == 12 and report.written == 0
    assert members(book) == before
    queued = read_queue(book)
    assert sum(len(v) for v in queued.values()) == 12
    assert stat.S_IMODE(queue_path(book).stat().st_mode) == 0o600
    assert isinstance(queued["利用実績"][0]["利用日"], date)  # dates survive the JSON queue

    # Still open, one more response: the queue is rewritten, nothing is doubled.
    fake.update_form(USAGE_SHARE_URL, USAGE_HEADERS, USAGE_ANSWERS + [
        (5, T0, T0, "anonymous", "", "アルファ商事", "kintone", "グループウェア", date(2025, 9, 20))])
    assert run_sync(book, env=fake.env()).queued == 13

    owner.unlink()
    report = run_sync(book, env=fake.env())
    assert report.written == 13 and report.from_queue == 13 and report.new == 0
    assert not queue_path(book).exists()
    keys = [r["回答ID"] for t in (schema.ATTENDANCE, schema.USAGE_DAYS) for r in sheet_rows(book, t) if r.get("回答ID")]
    assert len(keys) == len(set(keys)) == 13
    assert run_sync(book, env=fake.env()).new == 0


def test_only_the_touched_sheets_change(fake, book):
    before = members(book)
    run_sync(book, env=fake.env())
    after = members(book)
    parts = sheet_parts(book)
    owned = set().union(*(parts[t.sheet] for t in (schema.ATTENDANCE, schema.USAGE_DAYS, schema.AUDIT_LOG)))
    changed = {name for name in before if before[name] != after.get(name)}
    assert changed and changed <= owned
    assert set(after) - set(before) <= owned


# ---------------------------------------------------------------- one sync at a time

def test_a_second_sync_is_refused_while_one_runs(fake, book):
    lock_path(book).write_text(f'{{"pid": {os.getpid()}, "host": "{__import__("socket").gethostname()}"}}')
    with pytest.raises(SyncError, match="別の同期が実行中です"):
        run_sync(book, env=fake.env())
    # A lock left by a process that has ended is taken over.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(book).write_text(f'{{"pid": {dead.pid}, "host": "{__import__("socket").gethostname()}"}}')
    assert run_sync(book, env=fake.env()).written == 12
    assert not lock_path(book).exists()


# ---------------------------------------------------------------- authentication

@pytest.mark.parametrize("error, expected", [
    ({"error": "invalid_client", "error_description": "AADSTS7000222: The provided client secret keys are expired."},
     "有効期限"),
    ({"error": "invalid_grant", "error_description": "AADSTS65001: The user or administrator has not consented."},
     "管理者の同意"),
])
def test_token_errors_become_clear_messages(fake, book, error, expected):
    fake.token_error = error
    with pytest.raises(SyncError, match=expected):
        run_sync(book, env=fake.env())


def test_wrong_secret_unknown_tenant_and_no_secret(fake, book):
    with pytest.raises(SyncError, match="シークレット"):
        run_sync(book, env=fake.env(TOOLKIT_CLIENT_SECRET="wrong"))
    with pytest.raises(SyncError, match="テナント"):
        run_sync(book, env=fake.env(TOOLKIT_TENANT_ID="no-such-tenant",
                                    TOOLKIT_AUTHORITY=f"{fake.base_url}/no-such-tenant"))
    env = fake.env()
    del env["TOOLKIT_CLIENT_SECRET"]
    with pytest.raises(SyncError, match="TOOLKIT_CLIENT_SECRET"):
        run_sync(book, env=env)


def test_the_secret_can_come_from_the_keyring(fake, book, memory_keyring):
    env = fake.env()
    del env["TOOLKIT_CLIENT_SECRET"]
    memory_keyring.set_password("toolkit", env["TOOLKIT_CLIENT_ID"], fake.secret)
    assert run_sync(book, env=env).written == 12


def test_device_code_login_caches_tokens_for_the_owner_only_and_sync_uses_them(fake, book):
    from toolkit.graph.auth import login_device_code, token_cache_path

    env = fake.env()
    del env["TOOLKIT_CLIENT_SECRET"]
    said: list[str] = []
    login_device_code(env, out=said.append)
    cache = token_cache_path(env)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert "ABCD-EFGH" in said[0]
    assert run_sync(book, env=env).written == 12
    assert fake.token_requests[-1]["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"


def test_the_requests_ca_bundle_variable_does_not_override_ours(fake, book, monkeypatch, tmp_path):
    bogus = tmp_path / "other-ca.pem"
    bogus.write_text("not a certificate")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    assert run_sync(book, env=fake.env()).written == 12


# ---------------------------------------------------------------- the scheduled wrapper

def test_scheduled_wrapper_logs_counts_without_secrets_or_addresses(fake, book, tmp_path):
    log = tmp_path / "logs" / "sync.log"
    env = {**os.environ, **fake.env(), "PYTHONPATH": str(ROOT)}
    env.pop("REQUESTS_CA_BUNDLE", None)
    ok = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_scheduled.py"), str(book), "--log", str(log)],
                        env=env, capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    fake.fault("attendanceRecords", "malformed", times=50)
    bad = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_scheduled.py"), str(book), "--log", str(log)],
                         env=env, capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2
    text = log.read_text(encoding="utf-8")
    assert "新規 12件" in text and "壊れて" in text
    assert fake.secret not in text and not any(t in text for t in fake.issued)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)  # no e-mail address in the log
