"""A master kept in SharePoint: `toolkit sync URL` through the Excel workbook API of the loopback fake.

Real msal (device-code sign-in once, then the cached refresh token), real requests, a real HTTPS server on
127.0.0.1 whose workbook is a real .xlsx changed with openpyxl as the calls arrive. The module shares one
fake and one sign-in; every test gets its own master (its own drive item, so its own sync state).
"""
from __future__ import annotations

import stat
from datetime import date, datetime

import pytest
from fake_graph import FORMS_HEADERS_JA
from cloud_setup import FORMULA, T0, add_master, downloaded, keys, master_bytes, sync

from toolkit.errors import AuthError, GraphError
from toolkit.graph.queue import queue_path, read_queue
from toolkit.workbook.cloud import CloudBook

NOTE = "共同編集者がブラウザーで書いたメモ"


@pytest.fixture(scope="module")
def template():
    return master_bytes()


@pytest.fixture
def master(fake, template):
    return add_master(fake, template)


# ---------------------------------------------------------------- the happy path

def test_sync_adds_every_row_once_closes_its_session_and_keeps_the_co_authors_edit(fake, env, master):
    url, file = master
    fake.excel.on_session.append(lambda f: f.book["企業"].cell(row=2, column=14, value=NOTE))
    created_before = len(fake.excel.created)

    report = sync(url, env)
    assert report.written == 6 and report.new == 6 and report.failed_sources == [] and report.queued == 0

    attendance = {r["回答ID"]: r for r in downloaded(file, "出欠")}
    assert len(attendance) == 3
    first = attendance["01CLOUDEVENT:1"]
    assert first["企業ID"] == "C01" and first["出欠"] == "出席" and first["出典"] == "Forms"
    assert isinstance(first["取込日時"], datetime)  # a serial number shown as a date-time by its format
    assert attendance["01CLOUDEVENT:2"]["氏名"] == "0123"  # text stays text, leading zero and all
    assert attendance["01CLOUDEVENT:3"]["氏名"] == "'" + FORMULA  # neutralised, and stored as text
    assert not file.formulas  # nothing the toolkit sent became a formula
    usage = {r["回答ID"]: r for r in downloaded(file, "利用実績")}
    assert usage["01CLOUDUSAGE:1"]["利用日"] == date(2025, 9, 10)  # a serial number, shown as a date
    assert usage["01CLOUDUSAGE:2"]["サービスID"] == "S02" and usage["01CLOUDUSAGE:2"]["利用領域"] == "経理"
    assert usage["01CLOUDUSAGE:3"]["企業ID"] in ("", None)  # unmatched, still written
    audit = downloaded(file, "履歴")
    assert len(audit) == 1 and audit[0]["操作"] == "同期" and isinstance(audit[0]["日時"], datetime)

    # The co-author's edit made between the toolkit's read and its write is still there: nothing replaced the file.
    assert file.book["企業"].cell(row=2, column=14).value == NOTE
    assert fake.puts == [] and not [r for r in fake.log if r["method"] == "PUT"]
    # One session, closed; every workbook call named it; app tokens never reached the workbook API.
    sessions = fake.excel.created[created_before:]
    assert len(sessions) == 1 and sessions[0] in fake.excel.closed and not fake.excel.open_sessions(file.item_id)
    assert fake.excel.sessionless == []

    again = sync(url, env)
    assert again.new == 0 and again.written == 0 and again.failed_sources == []
    assert len(keys(file, "出欠")) == 3 and len(keys(file, "利用実績")) == 3
    assert len(fake.excel.created) == created_before + 1  # nothing to write: no session at all


def test_all_of_a_tables_rows_go_in_one_call_and_dates_get_their_format(fake, env, master):
    url, file = master
    before = len(fake.requests_to("/rows/add"))
    sync(url, env)
    adds = fake.requests_to("/rows/add")[before:]
    assert len(adds) == 3  # 出欠, 利用実績, 履歴: one rows/add each
    ws = file.book["利用実績"]
    dates = [c.number_format for c in ws["D"][1:] if c.value is not None]
    assert dates and set(dates) == {"yyyy/mm/dd"}


def test_the_cached_download_is_reused_until_the_ctag_moves(fake, env, master):
    url, file = master
    with CloudBook(url, env=env) as book:
        first = book.download()
        assert stat.S_IMODE(first.stat().st_mode) == 0o600 and first.name == "マスター.xlsx"
        assert first.is_relative_to(env["TOOLKIT_CACHE_DIR"])
    count = len(fake.requests_to("/download/"))
    with CloudBook(url, env=env) as book:
        assert book.download() == first and len(fake.requests_to("/download/")) == count  # same cTag
    file.book["企業"].cell(row=3, column=14, value="別の変更")
    file.touch()  # someone saved a change: new cTag
    with CloudBook(url, env=env) as book:
        raw = book.read_raw(["企業"])
    assert len(fake.requests_to("/download/")) == count + 1
    assert any("別の変更" in [str(v) for v in row] for row in raw["企業"])


def test_an_edited_response_is_rewritten_in_its_own_row_though_a_co_author_moved_the_rows(fake, env):
    form = "https://contoso.sharepoint.com/:x:/s/program/EEditedUsageResults?e=u2"
    headers = FORMS_HEADERS_JA + ("最終変更時刻", "企業名", "サービス名", "利用領域", "利用日")
    answers = [(1, T0, T0, "anonymous", "", T0, "アルファ商事", "kintone", "グループウェア", date(2025, 9, 10)),
               (2, T0, T0, "anonymous", "", T0, "ベータ工業", "kintone", "グループウェア", date(2025, 9, 11))]
    fake.add_form(form, headers, answers, item_id="01EDITED")
    url, file = add_master(fake, master_bytes(usage_form=form))
    assert sync(url, env).written == 5  # 3 出欠 + 2 利用実績
    fake.update_form(form, headers, [answers[0], answers[1][:5] + (datetime(2025, 10, 2, 8, 0), "ベータ工業",
                                                                   "freee会計", "経理", date(2025, 9, 20))])

    def sort_descending(f):  # a co-author sorts 利用実績 between the toolkit's download and its write
        ws = f.book["利用実績"]
        rows = {ws.cell(r, 7).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 7).value}
        one, two = rows["01EDITED:1"], rows["01EDITED:2"]
        for c in range(1, 8):
            a, b = ws.cell(one, c), ws.cell(two, c)
            a.value, b.value = b.value, a.value
    fake.excel.on_session.append(sort_descending)

    report = sync(url, env)
    assert report.updated == 1 and report.new == 0 and report.written == 1
    usage = {r["回答ID"]: r for r in downloaded(file, "利用実績")}
    assert (usage["01EDITED:2"]["サービスID"], usage["01EDITED:2"]["利用日"]) == ("S02", date(2025, 9, 20))
    assert (usage["01EDITED:1"]["サービスID"], usage["01EDITED:1"]["利用日"]) == ("S01", date(2025, 9, 10))
    audit = downloaded(file, "履歴")
    assert audit[-1]["操作"] == "同期（更新）" and audit[-1]["キー"] == "01EDITED:2" and "利用日" in audit[-1]["内容"]


# ---------------------------------------------------------------- faults

def test_a_book_locked_for_editing_queues_the_rows_and_the_next_run_applies_them(fake, env, master):
    url, file = master
    fake.fault("/createSession", "423")
    report = sync(url, env)
    assert report.queued == 6 and report.written == 0
    assert keys(file, "出欠") == [] and keys(file, "利用実績") == []
    with CloudBook(url, env=env) as book:
        path = book.sync_path()
    assert sum(len(v) for v in read_queue(path).values()) == 6
    assert stat.S_IMODE(queue_path(path).stat().st_mode) == 0o600
    assert not fake.excel.open_sessions(file.item_id)

    report = sync(url, env)
    assert report.written == 6 and report.from_queue == 6 and report.new == 0
    assert not queue_path(path).exists()
    assert sorted(keys(file, "出欠")) == ["01CLOUDEVENT:1", "01CLOUDEVENT:2", "01CLOUDEVENT:3"]
    assert len(keys(file, "利用実績")) == 3


def test_a_lock_in_the_middle_of_the_write_queues_everything_and_nothing_is_doubled(fake, env, master):
    url, file = master
    fake.fault("/tables/UsageDays/rows/add", "423")  # 出欠 went in, then the book was locked
    report = sync(url, env)
    assert report.queued == 6 and not fake.excel.open_sessions(file.item_id)
    assert len(keys(file, "出欠")) == 3 and keys(file, "利用実績") == []
    report = sync(url, env)
    assert report.from_queue == 3 and report.duplicates >= 3 and report.queued == 0
    assert sorted(keys(file, "出欠")) == ["01CLOUDEVENT:1", "01CLOUDEVENT:2", "01CLOUDEVENT:3"]
    assert len(keys(file, "利用実績")) == 3


def test_a_504_after_the_rows_were_added_does_not_add_them_twice(fake, env, master):
    url, file = master
    fake.fault("/rows/add", "504-after")  # the first rows/add (出欠) is carried out, then answered 504
    report = sync(url, env)
    assert report.written == 6 and report.failed_sources == []
    assert sorted(keys(file, "出欠")) == ["01CLOUDEVENT:1", "01CLOUDEVENT:2", "01CLOUDEVENT:3"]
    assert len(keys(file, "利用実績")) == 3
    # urllib3 did not repeat the POST on its own: one rows/add reached the service for 出欠, and the 回答ID column
    # was read again (before the add, and after the 504) instead.
    mine = [r for r in fake.log if file.item_id in r["path"]]
    assert len([r for r in mine if r["method"] == "POST" and "Attendance/rows/add" in r["path"]]) == 1
    assert len([r for r in mine if "Attendance/columns/" in r["path"]]) == 2


def test_a_504_after_the_audit_row_does_not_log_the_run_twice(fake, env, master):
    url, file = master
    fake.fault("/tables/AuditLog/rows/add", "504-after")
    sync(url, env)
    assert len(downloaded(file, "履歴")) == 1


def test_an_expired_session_is_replaced_by_a_new_one(fake, env, master):
    url, file = master
    created = len(fake.excel.created)
    fake.fault("/tables/UsageDays/rows/add", "expire-session")
    report = sync(url, env)
    assert report.written == 6
    assert len(fake.excel.created) == created + 2  # the first expired half-way; its replacement finished
    assert len(keys(file, "出欠")) == 3 and len(keys(file, "利用実績")) == 3
    assert not fake.excel.open_sessions(file.item_id)


def test_a_create_session_answered_504_is_repeated(fake, env, master):
    url, file = master
    created, closed = len(fake.excel.created), len(fake.excel.closed)
    fake.fault("/createSession", "504-after")  # the service made one, the gateway gave up: Microsoft says repeat
    waits: list[float] = []
    assert sync(url, env, waits=waits).written == 6 and waits
    assert len(fake.excel.created) == created + 2 and fake.excel.closed[closed:] == fake.excel.created[-1:]


def test_a_create_session_answered_202_is_polled(fake, env, master):
    url, file = master
    fake.excel.async_creates, fake.excel.running_polls = 1, 2
    waits: list[float] = []
    report = sync(url, env, waits=waits)
    assert report.written == 6
    assert len(fake.requests_to("/workbook/operations/")) >= 3 and 1.0 in waits  # Retry-After honoured


def test_throttling_is_waited_out_as_asked(fake, env, master):
    url, file = master
    fake.fault("/rows/add", "429", retry_after="7")
    fake.fault("/headerRowRange", "503", retry_after="3")
    waits: list[float] = []
    report = sync(url, env, waits=waits)
    assert report.written == 6 and 7.0 in waits and 3.0 in waits
    assert len(keys(file, "出欠")) == 3


def test_the_session_is_closed_when_a_write_fails(fake, env, master):
    url, file = master
    fake.fault("/rows/add", "403", times=1)
    with pytest.raises(GraphError, match="編集する権限がありません") as caught:
        sync(url, env)
    assert "途中まで" not in str(caught.value) and caught.value.exit_code == 2
    assert not fake.excel.open_sessions(file.item_id) and keys(file, "出欠") == []


def test_a_failure_half_way_says_what_went_in_and_the_next_run_writes_the_rest_once(fake, env, master):
    url, file = master
    fake.fault("/tables/UsageDays/rows/add", "403")
    with pytest.raises(GraphError, match=r"途中まで書き込みました（出欠 3件）"):
        sync(url, env)
    assert not fake.excel.open_sessions(file.item_id)
    report = sync(url, env)
    assert report.written == 3 and report.duplicates >= 3
    assert sorted(keys(file, "出欠")) == ["01CLOUDEVENT:1", "01CLOUDEVENT:2", "01CLOUDEVENT:3"]
    assert len(keys(file, "利用実績")) == 3


# ---------------------------------------------------------------- sign-in

def test_the_workbook_api_needs_a_signed_in_account(fake, env, master, tmp_path):
    url, file = master
    no_login = {**env, "TOOLKIT_CONFIG_DIR": str(tmp_path / "nobody")}
    with pytest.raises(AuthError, match="toolkit login"):
        sync(url, no_login)
    assert keys(file, "出欠") == []


@pytest.mark.parametrize("error, expected", [
    ({"error": "invalid_grant", "error_codes": [700082],
      "error_description": "AADSTS700082: The refresh token has expired due to inactivity."}, "有効期限が切れました"),
    ({"error": "invalid_grant", "error_codes": [53003], "suberror": "message_only",
      "error_description": "AADSTS53003: Access has been blocked by Conditional Access policies."}, "条件付きアクセス"),
])
def test_an_expired_or_blocked_sign_in_is_a_clear_message(fake, env, master, error, expected):
    url, file = master
    fake.expire_tokens()  # the cached access token is refused: msal must use the refresh token
    fake.refresh_error = error
    try:
        with pytest.raises(AuthError, match=expected) as caught:
            sync(url, {k: v for k, v in env.items() if k != "TOOLKIT_CLIENT_SECRET"})
        assert caught.value.exit_code == 2 and "toolkit login" in str(caught.value)
    finally:
        fake.refresh_error = None
    assert keys(file, "出欠") == []


def test_a_conditional_access_challenge_from_graph_is_a_clear_message(fake, env, master):
    url, file = master
    fake.fault("/createSession", "claims")
    with pytest.raises(AuthError, match="条件付きアクセス") as caught:
        sync(url, env)
    assert caught.value.exit_code == 2 and keys(file, "出欠") == []
