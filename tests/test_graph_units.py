"""The sync's rules one by one: name and e-mail matching, Excel-safe text, keys, queue, token cache, retries."""
from __future__ import annotations

import base64
import json
import os
import stat
from datetime import date, datetime
from email.utils import formatdate

import pytest
import requests
from fake_graph import FakeGraph

from toolkit.graph.auth import AuthConfig, describe_msal_error, write_private_file
from toolkit.graph.client import GraphClient, retry_after_seconds
from toolkit.graph.matching import CompanyMatcher, ServiceMatcher, normalize_name
from toolkit.graph.merge import dedupe, keys_from_rows, safe_text
from toolkit.graph.queue import SyncLock, lock_path, queue_path, read_queue, write_queue
from toolkit.graph.rows import (
    FormColumns,
    form_columns_from_settings,
    parse_status,
    teams_attendance_rows,
)
from toolkit.graph.sources import AttendanceRecord, share_id
from toolkit.graph.sync import SyncError
from toolkit.model import Company, Service


def company(cid: str, name: str, email: str | None) -> Company:
    return Company(2, cid, name, *([None] * 7), email, *([None] * 8))


def service(sid: str, name: str, area: str) -> Service:
    return Service(2, sid, name, None, area, *([None] * 5))


# ---------------------------------------------------------------- matching

@pytest.mark.parametrize("typed", ["株式会社アルファ商事", "アルファ商事株式会社", "㈱アルファ商事", "（株）アルファ商事",
                                   "ｱﾙﾌｧ商事", "アルファ　商事 ", "アルファ商事(株)"])
def test_company_names_match_after_normalisation(typed):
    assert normalize_name(typed) == normalize_name("株式会社アルファ商事") == "アルファ商事"


def test_a_name_that_is_only_a_legal_form_is_kept():
    assert normalize_name("株式会社") == "株式会社"
    assert normalize_name("有限会社 ＡＢＣ") == normalize_name("abc(有)") == "abc"


def test_company_by_email_exact_then_domain_never_free_mail():
    m = CompanyMatcher([company("C01", "アルファ", "taro@alpha.co.jp"), company("C02", "ベータ", "b@gmail.com"),
                        company("C03", "ガンマ", "x@shared.jp"), company("C04", "デルタ", "y@shared.jp")])
    assert m.by_email("TARO@alpha.co.jp") == ("C01", "email", "")
    assert m.by_email("hanako@alpha.co.jp").id == "C01"
    assert m.by_email("b@gmail.com").id == "C02"  # the contact address itself, even at a free-mail domain
    assert m.by_email("other@gmail.com").id is None and "フリーメール" in m.by_email("other@gmail.com").reason
    assert m.by_email("z@shared.jp").id is None  # two companies share the domain: ambiguous, not guessed
    assert m.match("ｱﾙﾌｧ", None).id == "C01" and m.match("不明", "q@alpha.co.jp").how == "domain"
    assert m.by_name("c03").id == "C03"  # the 企業ID typed instead of the name


def test_services_match_by_name_and_give_their_area():
    m = ServiceMatcher([service("S01", "Microsoft 365", "コミュニケーション"), service("S02", "freee会計", "経理")])
    assert m.by_name("microsoft365").id == "S01" and m.by_name("ＦＲＥＥＥ 会計").id == "S02"
    assert m.area_of("S02") == "経理" and m.by_name("unknown").id is None


# ---------------------------------------------------------------- Excel-safe text, keys

@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+81 3", "'+81 3"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("＝1+1", "'＝1+1"), ("山田", "山田"), ("", ""), (None, None), (12, 12),
])
def test_formula_starts_are_neutralised(value, expected):
    assert safe_text(value) == expected
    assert safe_text(safe_text(value)) == expected  # applying twice (a queued row) changes nothing more


def test_keys_come_from_raw_rows_including_invalid_ones_and_dedupe_within_a_batch():
    raw = [["企業ID", "回答ID"], ["", "item:1"], ["C01", 12.0], ["C02", None]]
    keys = keys_from_rows(raw)
    assert keys == {"item:1", "12"}
    rows, dups = dedupe([{"回答ID": "item:1"}, {"回答ID": "item:2"}, {"回答ID": "item:2"}, {"回答ID": None}], keys)
    assert [r["回答ID"] for r in rows] == ["item:2", None] and dups == 2


def test_a_download_that_is_not_a_workbook_is_a_clear_error():
    from toolkit.graph.sources import DriveItem, parse_form_workbook

    with pytest.raises(SyncError, match="Excel ブックとして読めません"):
        parse_form_workbook(b"<html>sign in</html>", DriveItem("i", "d", "n", None, None), what="t")


def test_share_id_is_graphs_encoding():
    url = "https://contoso.sharepoint.com/:x:/g/personal/a_b/EW?e=4%2F%3F~"
    # The recipe of the Graph docs: base64, drop '=', '/' -> '_', '+' -> '-', prefix 'u!'.
    expected = "u!" + base64.b64encode(url.encode()).decode().rstrip("=").replace("/", "_").replace("+", "-")
    assert share_id(url) == expected and "=" not in share_id(url)


# ---------------------------------------------------------------- rows

def test_status_answers_and_teams_minutes():
    assert parse_status("") == ("申込", True) and parse_status(" 出席 ") == ("出席", True)
    assert parse_status("たぶん") == ("たぶん", False)
    built = teams_attendance_rows([AttendanceRecord("r1", "A@X.JP", "A", 3725.0, "Attendee", "id1"),
                                   AttendanceRecord("r1", None, None, None, "Attendee", "id2")],
                                  "E01", CompanyMatcher([]), datetime(2025, 10, 1))
    assert [r["回答ID"] for r in built.rows] == ["r1:a@x.jp", "r1:id2"]
    assert built.rows[0]["参加時間（分）"] == 62.1 and built.rows[1]["参加時間（分）"] is None


def test_question_titles_from_the_settings_sheet():
    rows = [["項目", "値"], ["フォーム列名（企業名）", "貴社名、会社名"], ["フォーム列名(利用日)", "ご利用日"], ["事業名", "x"]]
    columns = form_columns_from_settings(rows)
    assert columns.company == ("貴社名", "会社名", "企業名") and columns.date == ("ご利用日", "利用日")
    assert columns.service == FormColumns().service


# ---------------------------------------------------------------- files beside the workbook

def test_private_file_is_owner_only_even_when_it_existed(tmp_path):
    path = tmp_path / "cfg" / "token_cache.json"
    path.parent.mkdir()
    path.write_text("old")
    os.chmod(path, 0o644)
    old = os.umask(0)
    try:
        write_private_file(path, '{"AccessToken": {}}')
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == '{"AccessToken": {}}'
    assert [p.name for p in path.parent.iterdir()] == ["token_cache.json"]  # no temp file left


def test_queue_round_trip_keeps_dates_and_an_empty_queue_removes_the_file(tmp_path):
    book = tmp_path / "m.xlsx"
    rows = {"利用実績": [{"利用日": date(2025, 9, 1), "回答ID": "i:1"}], "出欠": [{"取込日時": datetime(2025, 9, 1, 9, 5)}]}
    assert write_queue(book, rows) == 2
    assert read_queue(book) == rows
    assert write_queue(book, {"出欠": []}) == 0 and not queue_path(book).exists() and read_queue(book) == {}
    queue_path(book).write_text("{broken")
    with pytest.raises(SyncError, match="待ち行列"):
        read_queue(book)


def test_lock_is_exclusive_and_released(tmp_path):
    book = tmp_path / "m.xlsx"
    with SyncLock(book):
        assert json.loads(lock_path(book).read_text())["pid"] == os.getpid()
        with pytest.raises(SyncError, match="別の同期が実行中です"):
            SyncLock(book).acquire()
    assert not lock_path(book).exists()
    host = __import__("socket").gethostname()
    lock_path(book).write_text(f'{{"pid": 999999999, "host": "{host}"}}')
    with SyncLock(book):  # a dead process's lock is taken over
        pass


# ---------------------------------------------------------------- msal errors

@pytest.mark.parametrize("result, words", [
    ({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
     ["シークレット", "有効期限"]),
    ({"error": "invalid_grant", "error_description": "AADSTS65001: The user or administrator has not consented"},
     ["管理者の同意"]),
    ({"error": "invalid_request", "error_description": "AADSTS90002: Tenant 'x' not found."}, ["テナント「t」"]),
    ({"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found"}, ["クライアントID"]),
    ({"error": "server_error", "error_description": "boom\ntrace id"}, ["認証に失敗しました", "boom"]),
])
def test_msal_errors_become_japanese_advice(result, words):
    config = AuthConfig("t", "c", "https://login.microsoftonline.com/t", "https://graph.microsoft.com/v1.0",
                        secret="hidden-secret")
    message = describe_msal_error(result, config)
    assert all(w in message for w in words) and "hidden-secret" not in message
    assert "hidden-secret" not in repr(config)


# ---------------------------------------------------------------- the HTTP client

class StaticToken:
    def __init__(self, fake: FakeGraph):
        self.fake = fake
        self.value = "at-static"
        fake.tokens.add(self.value)

    def token(self) -> str:
        return self.value

    def refresh(self) -> str:
        self.value = "at-refreshed"
        self.fake.tokens.add(self.value)
        return self.value


@pytest.fixture
def graph(tmp_path):
    fake = FakeGraph(tmp_path, page_size=3).start()
    fake.add_meeting("https://teams/join", {"r1": [{"id": str(i)} for i in range(7)]})
    session = requests.Session()
    session.trust_env = False
    session.verify = str(fake.ca_path)
    waits: list[float] = []
    client = GraphClient(session, fake.graph_url, StaticToken(fake), tries=3, sleep=waits.append)
    yield fake, client, waits
    session.close()
    fake.stop()


def _records_url(fake: FakeGraph) -> str:
    meeting = fake.meetings["https://teams/join"].meeting_id
    return f"users/o@x/onlineMeetings/{meeting}/attendanceReports/r1/attendanceRecords"


def test_paging_follows_next_links_and_retry_after_is_honoured(graph):
    fake, client, waits = graph
    fake.fault("$skiptoken=3", "429", times=1, retry_after="7")
    ids = [r["id"] for r in client.iter_values(_records_url(fake), what="t")]
    assert ids == [str(i) for i in range(7)] and waits == [7.0]


def test_retries_are_bounded(graph):
    fake, client, waits = graph
    fake.fault("attendanceRecords", "503", times=10, retry_after=None)
    with pytest.raises(SyncError, match="3回"):
        list(client.iter_values(_records_url(fake), what="t"))
    assert waits == [0.5, 1.0]  # exponential back-off without Retry-After


def test_a_401_gets_one_fresh_token(graph):
    fake, client, _ = graph
    fake.fault("attendanceRecords", "401", times=1)
    assert len(list(client.iter_values(_records_url(fake), what="t"))) == 7
    assert client.tokens.value == "at-refreshed"


def test_the_token_is_never_sent_to_another_host(graph):
    _, client, _ = graph
    with pytest.raises(SyncError, match="トークン"):
        client.get_json("https://attacker.example/v1.0/me", what="t")


def test_retry_after_as_http_date():
    assert retry_after_seconds(formatdate(1_000_030, usegmt=True), now=lambda: 1_000_000) == pytest.approx(30)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_settings_ids_and_env_precedence(tmp_path):
    from toolkit.graph.auth import resolve_config

    class S:
        tenant_id, client_id = "sheet-tenant", "sheet-client"

    config = resolve_config(S(), {"TOOLKIT_CLIENT_ID": "env-client"})
    assert (config.tenant_id, config.client_id) == ("sheet-tenant", "env-client")
    assert config.authority == "https://login.microsoftonline.com/sheet-tenant" and config.default_authority
    with pytest.raises(SyncError, match="https"):
        resolve_config(S(), {"TOOLKIT_AUTHORITY": "http://127.0.0.1/x"})
    with pytest.raises(SyncError, match="テナントID"):
        resolve_config(None, {})
