"""The sync's rules one by one: name and e-mail matching, Excel-safe text, keys, queue, token cache, retries."""
from __future__ import annotations

import base64
import os
import stat
from datetime import date, datetime

import pytest
from fake_graph import ORGANIZER_ID, FakeGraph

from toolkit.errors import GraphError, SyncError
from toolkit.graph.auth import AuthConfig, describe_msal_error, load_certificate
from toolkit.private import owner_only_command, private_folder, write_private_file
from toolkit.graph.client import GraphClient
from toolkit.graph.forms import DriveItem, FormTable, _layout, form_date, parse_form_workbook, share_id
from toolkit.graph.http import RETRY_AFTER_MAX, make_session
from toolkit.graph.matching import CompanyMatcher, ServiceMatcher, normalize_name
from toolkit.graph.merge import index_rows, safe_text
from toolkit.graph.queue import queue_path, read_queue, read_queued_updates, write_queue
from toolkit.graph.rows import (
    FormColumns,
    form_columns_from_settings,
    parse_status,
    registration_rows,
    teams_attendance_rows,
)
from toolkit.graph.teams import AttendanceRecord, Registration, _on_day, short_link_id
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


def test_keys_come_from_raw_rows_including_invalid_ones_with_their_worksheet_row():
    raw = [["企業ID", "回答ID"], ["", "item:1"], ["C01", 12.0], ["C02", None], ["C03", "item:1"]]
    assert index_rows(raw) == {"item:1": 2, "12": 3}  # the first row of a key wins


def test_a_download_that_is_not_a_workbook_is_a_clear_error():
    with pytest.raises(GraphError, match="Excel ブックとして読めません"):
        parse_form_workbook(b"<html>sign in</html>", DriveItem("i", "d", "n", None, None), what="t")


def test_share_id_is_graphs_encoding():
    url = "https://contoso.sharepoint.com/:x:/g/personal/a_b/EW?e=4%2F%3F~"
    # The recipe of the Graph docs: base64, drop '=', '/' -> '_', '+' -> '-', prefix 'u!'.
    expected = "u!" + base64.b64encode(url.encode()).decode().rstrip("=").replace("/", "_").replace("+", "-")
    assert share_id(url) == expected and "=" not in share_id(url)


# ---------------------------------------------------------------- rows

def test_status_answers_and_teams_minutes_and_keys():
    assert parse_status("") == ("申込", True) and parse_status(" 出席 ") == ("出席", True)
    assert parse_status("たぶん") == ("たぶん", False)
    built = teams_attendance_rows([AttendanceRecord("r1", "id1", "A@X.JP", "A", 3725.0, "Attendee"),
                                   AttendanceRecord("r1", "id2", None, "iPhone", None, "Attendee"),
                                   AttendanceRecord("r1", "id3", None, "iPhone", 60.0, "Attendee")],
                                  "E01", CompanyMatcher([]), datetime(2025, 10, 1))
    assert [r["回答ID"] for r in built.rows] == ["r1:id1", "r1:id2", "r1:id3"]  # two "iPhone"s, two keys
    assert built.rows[0]["参加時間（分）"] == 62.1 and built.rows[1]["参加時間（分）"] is None
    assert built.aliases["r1:id1"] == "r1:a@x.jp"  # the key an older toolkit wrote still counts as present


def test_registrations_are_applications_and_a_cancelled_one_is_absent():
    built = registration_rows([Registration("g1", "T@Alpha.co.jp", "山田 太郎", "registered"),
                               Registration("g2", None, "鈴木", "canceled"),
                               Registration("g3", "w@x.jp", None, "waitlisted")],
                              "web1", "E02", CompanyMatcher([company("C01", "アルファ", "t@alpha.co.jp")]),
                              datetime(2025, 10, 1))
    assert [(r["回答ID"], r["出欠"], r["企業ID"]) for r in built.rows] == [
        ("web1:reg:g1", "申込", "C01"), ("web1:reg:g2", "欠席", None), ("web1:reg:g3", "申込", None)]
    assert built.versions == {"web1:reg:g1": "申込", "web1:reg:g2": "欠席", "web1:reg:g3": "申込"}


# ---------------------------------------------------------------- Forms columns, dates, Teams days and links

def test_forms_own_columns_in_either_language_and_any_case():
    own, questions, english = _layout(("Id", "Start time", "Completion time", "EMAIL", "Name",
                                       "Last modified time", "企業名", "利用日"))
    assert own == {"id": 0, "start": 1, "completion": 2, "email": 3, "name": 4, "modified": 5} and english
    own, questions, english = _layout(("ID", "開始時刻", "完了時刻", "メール", "名前", "最終変更時刻", "企業名", "名前2",
                                       "企業名2"))
    assert own["modified"] == 5 and not english
    # 名前2 is the question 名前 (Forms' own 名前 came first); the second 企業名 keeps the first one's place.
    assert questions == {"企業名": 6, "名前": 7}


def test_a_question_titled_like_forms_own_column_is_found():
    table = FormTable(DriveItem("i", "d", "n", None, None), ("ID", "名前", "名前2"), (), *_layout(("ID", "名前", "名前2")))
    assert table.column(("氏名", "名前")) == 2


@pytest.mark.parametrize("value, english, expected", [
    ("10/1/2025", True, date(2025, 10, 1)), ("10/1/2025 9:05:00 AM", True, date(2025, 10, 1)),
    ("2025/10/1", True, date(2025, 10, 1)), ("2025/10/1", False, date(2025, 10, 1)),
    (datetime(2025, 10, 1, 9), True, date(2025, 10, 1)), ("令和7年10月1日", False, date(2025, 10, 1)),
])
def test_form_dates(value, english, expected):
    assert form_date(value, english) == expected


def test_teams_days_are_japan_days_and_short_links_have_an_id():
    day = date(2025, 10, 1)
    assert _on_day("2025-09-30T15:00:00Z", day) and not _on_day("2025-09-30T14:59:59Z", day)
    assert _on_day({"dateTime": "2025-10-01T05:00:00.0000000", "timeZone": "UTC"}, day)
    assert _on_day("whatever", None) and not _on_day(None, day)
    assert short_link_id("https://teams.microsoft.com/meet/2513874727365?p=AbC") == "2513874727365"
    assert short_link_id("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x/0") is None


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
    updates = {"出欠": {"i:7": {"出欠": "欠席", "取込日時": datetime(2025, 9, 2, 9, 0)}}}
    assert write_queue(book, rows, updates) == 3
    assert read_queue(book) == rows and read_queued_updates(book) == updates
    assert write_queue(book, {"出欠": []}) == 0 and not queue_path(book).exists() and read_queue(book) == {}
    queue_path(book).write_text("{broken")
    with pytest.raises(SyncError, match="待ち行列"):
        read_queue(book)


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
    delegated = False

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
    waits: list[float] = []
    session = make_session(ca_bundle=str(fake.ca_path), tries=3, sleep=waits.append)
    client = GraphClient(session, fake.graph_url, StaticToken(fake), tries=3)
    yield fake, client, waits
    session.close()
    fake.stop()


def _records_url(fake: FakeGraph) -> str:
    meeting = fake.meetings["https://teams/join"].meeting_id
    return f"users/{ORGANIZER_ID}/onlineMeetings/{meeting}/attendanceReports/r1/attendanceRecords"


def test_paging_follows_next_links_and_retry_after_200_is_honoured_within_the_limit(graph):
    fake, client, waits = graph
    fake.fault("$skiptoken=3", "429", times=1, retry_after="200")  # SharePoint asks for minutes at times
    ids = [r["id"] for r in client.iter_values(_records_url(fake), what="t")]
    assert ids == [str(i) for i in range(7)] and waits == [200]
    assert RETRY_AFTER_MAX >= 200


def test_a_retry_after_beyond_the_limit_is_cut_to_the_limit(graph):
    fake, client, waits = graph
    fake.fault("attendanceRecords", "503", times=1, retry_after="3600")
    assert len(list(client.iter_values(_records_url(fake), what="t"))) == 7
    assert waits == [RETRY_AFTER_MAX]


def test_retries_are_bounded_with_backoff_and_jitter(graph):
    fake, client, waits = graph
    fake.fault("attendanceRecords", "503", times=10, retry_after=None)
    with pytest.raises(GraphError, match="3回"):
        list(client.iter_values(_records_url(fake), what="t"))
    # urllib3: no wait before the first retry, then back-off 2 s plus up to 1 s of jitter.
    assert len(waits) == 1 and 2.0 <= waits[0] <= 3.0


def test_a_body_cut_off_half_way_is_fetched_again(graph):
    fake, client, waits = graph
    fake.fault("attendanceRecords", "truncate", times=1)
    assert len(list(client.iter_values(_records_url(fake), what="t"))) == 7 and waits == [1.0]


def test_a_401_gets_one_fresh_token(graph):
    fake, client, _ = graph
    fake.fault("attendanceRecords", "401", times=1)
    assert len(list(client.iter_values(_records_url(fake), what="t"))) == 7
    assert client.tokens.value == "at-refreshed"


def test_the_token_is_never_sent_to_another_host(graph):
    _, client, _ = graph
    with pytest.raises(GraphError, match="トークン"):
        client.get_json("https://attacker.example/v1.0/me", what="t")


def test_settings_ids_env_precedence_and_scopes_of_the_configured_cloud(tmp_path):
    from toolkit.graph.auth import resolve_config

    class S:
        tenant_id, client_id = "sheet-tenant", "sheet-client"

    config = resolve_config(S(), {"TOOLKIT_CLIENT_ID": "env-client"})
    assert (config.tenant_id, config.client_id) == ("sheet-tenant", "env-client")
    assert config.authority == "https://login.microsoftonline.com/sheet-tenant" and config.default_authority
    assert config.app_scopes == ["https://graph.microsoft.com/.default"]
    us = resolve_config(S(), {"TOOLKIT_GRAPH_URL": "https://graph.microsoft.us/v1.0"})
    assert us.app_scopes == ["https://graph.microsoft.us/.default"]
    assert us.delegated_scopes == ["https://graph.microsoft.us/.default"]
    with pytest.raises(GraphError, match="https"):
        resolve_config(S(), {"TOOLKIT_AUTHORITY": "http://127.0.0.1/x"})
    with pytest.raises(GraphError, match="テナントID"):
        resolve_config(None, {})


def test_the_certificate_file_gives_key_certificate_and_sha1_thumbprint(tmp_path):
    import hashlib

    fake = FakeGraph(tmp_path)
    cert = load_certificate(fake.make_certificate(tmp_path / "c.pem"))
    assert cert.thumbprint == hashlib.sha1(fake.certificate_der).hexdigest().upper()  # as Entra shows it
    assert "PRIVATE KEY" in cert.private_key and "PRIVATE" not in repr(cert)
    assert set(cert.credential()) == {"private_key", "public_certificate"}
    # A key from one file with the certificate of another is refused before anything is sent.
    other = fake.make_certificate(tmp_path / "o.pem", register=False).read_text()
    mixed = tmp_path / "mixed.pem"
    mixed.write_text(cert.private_key + "\n" + other[other.index("-----BEGIN CERTIFICATE-----"):])
    with pytest.raises(GraphError, match="対になっていません"):
        load_certificate(mixed)


# ---------------------------------------------------------------- corporate networks (issue 25 item 7)

def test_every_graph_call_says_which_app_it_is(graph):
    fake, client, _ = graph
    list(client.iter_values(_records_url(fake), what="t"))
    agents = {r["agent"] for r in fake.log}
    # Microsoft's form for a non-ISV app: NONISV|company|app/version (ASCII, as a header must be).
    assert len(agents) == 1 and agents.pop().startswith("NONISV|unknown|toolkit/")
    from toolkit.graph.http import user_agent

    assert user_agent("株式会社テスト|コンサル") == \
        "NONISV|%E6%A0%AA%E5%BC%8F%E4%BC%9A%E7%A4%BE%E3%83%86%E3%82%B9%E3%83%88 " \
        "%E3%82%B3%E3%83%B3%E3%82%B5%E3%83%AB|toolkit/" + __import__("toolkit").__version__


def test_the_ca_bundle_is_added_to_the_os_trust_store_not_put_in_its_place(tmp_path, monkeypatch):
    """Two loopback servers: one whose CA the "OS" trusts (OpenSSL's SSL_CERT_FILE, which truststore reads on
    Linux as it reads the Windows store elsewhere), one whose CA is TOOLKIT_CA_BUNDLE. Both are reachable."""
    (tmp_path / "os").mkdir(), (tmp_path / "bundle").mkdir()
    with FakeGraph(tmp_path / "os") as system, FakeGraph(tmp_path / "bundle") as bundled:
        monkeypatch.setenv("SSL_CERT_FILE", str(system.ca_path))
        session = make_session(ca_bundle=str(bundled.ca_path), tries=1)
        for fake in (system, bundled):
            response = session.get(fake.graph_url + "/me", timeout=10)
            assert response.status_code == 401  # the TLS handshake succeeded; Graph wants a token
        session.close()
        plain = make_session(tries=1)  # without the bundle, the bundle's server is not trusted
        with pytest.raises(__import__("requests").exceptions.SSLError):
            plain.get(bundled.graph_url + "/me", timeout=10)
        plain.close()


def test_system_proxy_is_used_and_its_bypass_list_and_loopback_are_not_proxied(monkeypatch):
    monkeypatch.setenv("https_proxy", "http://proxy.corp.example:8080")
    monkeypatch.setenv("no_proxy", ".internal.example")
    session = make_session()
    assert session.proxies["https"] == "http://proxy.corp.example:8080"

    def proxies(url):
        return session.merge_environment_settings(url, {}, False, True, None)["proxies"]

    assert dict(proxies("https://graph.microsoft.com/v1.0/me")) == {"https": "http://proxy.corp.example:8080",
                                                                    "no_proxy": ".internal.example"}
    assert proxies("https://files.internal.example/x") == {}
    assert proxies("https://127.0.0.1:8443/v1.0/me") == {}
    # TOOLKIT_PROXY (the explicit setting) wins over the system's.
    assert make_session(proxy="http://other:3128").proxies == {"https": "http://other:3128", "http": "http://other:3128"}
    session.close()


def test_declared_floors_cover_what_the_code_relies_on():
    """An older install must be refused by pip, not crash on every Microsoft 365 command (issue 25 item 3)."""
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    from packaging.requirements import Requirement
    from packaging.version import Version

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = {}
    for line in project["dependencies"]:
        req = Requirement(line)
        floors[req.name] = min((Version(s.version) for s in req.specifier if s.operator == ">="), default=None)
    # Where each feature arrived (the libraries' changelogs): a certificate credential without "thumbprint"
    # (auth.Certificate.credential), Retry(retry_after_max=…) (http.make_retry), the OS trust store.
    needed = {"msal": Version("1.35"), "urllib3": Version("2.6.3"), "truststore": Version("0.10")}
    for name, floor in needed.items():
        assert floors.get(name) is not None and floors[name] >= floor, name
        assert Version(version(name)) >= floors[name], name


def test_owner_only_is_the_mode_here_and_an_acl_on_windows(tmp_path):
    """The one helper behind every "本人のみ" file: 0600 / 0700 on POSIX; on Windows (where chmod only sets the
    read-only flag) icacls removes inherited rights and grants the signed-in user alone."""
    folder = private_folder(tmp_path / "config" / "toolkit")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    write_private_file(folder / "login.json", "{}")
    assert stat.S_IMODE((folder / "login.json").stat().st_mode) == 0o600
    shared = tmp_path / "share"
    shared.mkdir(mode=0o775)
    os.chmod(shared, 0o775)
    write_private_file(shared / "master.xlsx.sync-queue.json", "{}")  # beside a workbook in a shared folder
    assert stat.S_IMODE(shared.stat().st_mode) == 0o775  # the staff's folder keeps its rights
    env = {"USERNAME": "sato", "USERDOMAIN": "FIRM"}
    assert owner_only_command(folder / "login.json", env) == [
        "icacls", str(folder / "login.json"), "/inheritance:r", "/grant:r", "FIRM\\sato:F"]
    assert owner_only_command(folder, env)[-1] == "FIRM\\sato:(OI)(CI)F"  # files made inside inherit it
