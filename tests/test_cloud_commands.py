"""Every command takes a SharePoint / OneDrive address where it takes a workbook (the location seam), and
`toolkit summary URL` rewrites 集計 through the Excel workbook API while a co-author edits another sheet."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner
from cloud_setup import add_master, as_file, downloaded, master_bytes

from toolkit import schema
from toolkit.budget import compute_budget
from toolkit.cli import main
from toolkit.demo import build_demo_workbook
from toolkit.kpi import compute_kpis
from toolkit.workbook.cloud import CloudBook, WorkbookSession
from toolkit.workbook.layout import LOOKS, Cell, Chart, Range, Series, SheetLayout
from toolkit.workbook.location import CloudUrl, parse_workbook
from toolkit.load import load_program

NOTE = "ブラウザーで共同編集中のメモ"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo program (20 companies, a year of data) as the bytes of a workbook and its own figures."""
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    build_demo_workbook(path)
    program = load_program(path)
    return path.read_bytes(), compute_budget(program), compute_kpis(program)


@pytest.fixture
def master(fake, demo):
    return add_master(fake, demo[0])


def run(env, *args):
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    return result


# ---------------------------------------------------------------- reading commands

def test_check_budget_kpi_plan_and_report_read_the_url(fake, env, master, demo, tmp_path):
    url, _ = master
    _, budget, kpis = demo
    result = run(env, "budget", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["grand_total"] == budget.grand_total
    result = run(env, "kpi", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["usage"]["total"] == kpis.usage.total
    result = run(env, "check", url, "--json")
    assert result.exit_code in (0, 1), result.output
    assert "findings" in json.loads(result.output)
    downloads = len(fake.requests_to("/download/"))
    result = run(env, "plan", url, "--company", "C01", "--out", tmp_path / "plans")
    assert result.exit_code == 0, result.output
    assert list((tmp_path / "plans").glob("*.docx"))
    assert len(fake.requests_to("/download/")) == downloads  # unchanged book: read from the cache
    result = run(env, "report", url, "--out", tmp_path / "reports")
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "reports").glob("*.docx"))) >= 4


def test_reading_needs_no_sign_in_where_the_app_credential_may_read_the_site(fake, env, master, tmp_path):
    url, _ = master
    nobody = {**env, "TOOLKIT_CONFIG_DIR": str(tmp_path / "nobody")}  # no `toolkit login` here
    before = len(fake.requests_to("/download/"))
    result = run(nobody, "budget", url, "--json")
    assert result.exit_code == 0, result.output
    assert len(fake.requests_to("/download/")) == before + 1  # read with the app's token (no login cache)
    result = run(nobody, "summary", url)  # a write needs the signed-in account
    assert result.exit_code == 2 and "toolkit login" in result.output


def test_an_address_copied_from_excel_works_as_typed(fake, env, demo):
    """「パスのコピー」 gives the file's address with spaces and Japanese unencoded."""
    typed = "https://contoso.sharepoint.com/sites/program/Shared Documents/マスター.xlsx?web=1"
    location = parse_workbook(f'"{typed}"')
    assert isinstance(location, CloudUrl) and " " not in location and location.name == "マスター.xlsx"
    fake.add_workbook(location, demo[0])
    result = run(env, "kpi", typed, "--json")
    assert result.exit_code == 0, result.output


def test_a_url_that_is_not_there_or_not_https_is_a_clear_error(env):
    result = run(env, "check", "https://contoso.sharepoint.com/:x:/s/program/ENoSuchFile?e=x")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "ブックを読めません" in result.output and "見つかりません" in result.output  # not "同期できませんでした"
    result = run(env, "check", "http://contoso.sharepoint.com/master.xlsx")
    assert result.exit_code == 2 and "https://" in result.output
    result = run(env, "excel-setup", "https://contoso.sharepoint.com/:x:/s/program/Eab?e=x")
    assert result.exit_code == 2 and "パソコン上のブック" in result.output


# ---------------------------------------------------------------- summary

def test_summary_rewrites_the_summary_sheet_through_the_workbook_api(fake, env, master, demo):
    url, file = master
    _, budget, kpis = demo
    fake.excel.on_session.append(lambda f: f.book["企業"].cell(row=2, column=14, value=NOTE))
    stale = file.book[schema.SUMMARY_SHEET]
    stale["A290"] = "前回の残り"  # left over from an older, longer 集計: must not survive
    file.touch()
    created = len(fake.excel.created)

    result = run(env, "summary", url)
    assert result.exit_code == 0, result.output
    rows = file.rows(schema.SUMMARY_SHEET)
    by_company: dict = {}
    for r in rows:  # the budget block comes first (the per-company KPI block repeats the IDs below it)
        if isinstance(r[0], str) and r[0] in budget.companies:
            by_company.setdefault(r[0], r)
    first = next(iter(budget.companies.values()))
    assert by_company[first.company_id][2] == first.cloud_service
    usage_row = next(r for r in rows if r[0] == "利用回数（回）")
    assert usage_row[1:3] == [kpis.usage.total, kpis.usage.target]
    assert usage_row[4] == ("達成" if kpis.usage.achieved else "未達")  # after the achievement rate
    assert not any(r[0] == "前回の残り" for r in rows)
    # The co-author's edit on another sheet survived; one session, closed; never a whole-file upload.
    assert file.book["企業"].cell(row=2, column=14).value == NOTE
    assert fake.excel.created[created:] and set(fake.excel.created[created:]) <= set(fake.excel.closed)
    assert fake.puts == []
    audit = downloaded(file, "履歴")
    assert audit[-1]["操作"] == "集計" and isinstance(audit[-1]["日時"], datetime)
    # The downloaded book reads back with the same figures (a date-time kept its format, text stayed text).
    path = as_file(file.content)
    assert load_program(path).companies
    # Only calls Graph v1.0 documents (issue 25: freezePanes and a multi-area charts/add were refused with 400):
    # both charts made, each from one range whose header row names its series; the template's frozen rows kept.
    assert fake.excel.refused == []
    charts = sorted(file.charts[schema.SUMMARY_SHEET].values(), key=lambda c: c["type"])
    assert [(c["type"], c["series"]) for c in charts] == [("BarClustered", ["実績", "計画額"]),
                                                         ("ColumnClustered", ["利用回数"])]
    assert all("," not in c["sourceData"] for c in charts) and all(c["title"] for c in charts)
    assert file.book[schema.SUMMARY_SHEET].freeze_panes == "A3"


def test_the_fake_refuses_what_graph_v1_does_not_document(fake, env, master):
    """The fake answers as v1.0 does: an undocumented segment is a 400, a multi-area chart source an
    InvalidArgument; so a test that passes against it would pass against the service."""
    url, file = master
    with CloudBook(url, env=env) as book, book.edit() as session:
        with pytest.raises(Exception) as frozen:
            session.call("POST", f"worksheets/{schema.SUMMARY_SHEET}/freezePanes/freezeRows", {"count": 2})
        with pytest.raises(Exception) as multi:
            session.call("POST", f"worksheets/{schema.SUMMARY_SHEET}/charts/add",
                         {"type": "ColumnClustered", "sourceData": "A47:A52,B47:B52", "seriesBy": "Columns"})
    assert "400" in str(frozen.value) and "400" in str(multi.value)
    assert fake.excel.refused == [f"POST worksheets/{schema.SUMMARY_SHEET}/freezePanes/freezeRows"]
    assert schema.SUMMARY_SHEET not in file.charts or not file.charts[schema.SUMMARY_SHEET]


def test_summary_refuses_a_locked_book_with_exit_2(fake, env, master):
    url, file = master
    fake.fault("/createSession", "423")
    result = run(env, "summary", url)
    assert result.exit_code == 2 and "ロック" in result.output and "Traceback" not in result.output


def test_sign_in_once_then_the_scheduled_sync_of_a_url_runs_on_the_cached_token(fake, tmp_path):
    """The dedicated account signs in once (`toolkit login`, device code); later runs know the tenant and the
    client from that sign-in: a master in SharePoint cannot be read for its 設定 before it."""
    env = {**fake.env(TOOLKIT_CONFIG_DIR=str(tmp_path / "config"), TOOLKIT_CACHE_DIR=str(tmp_path / "cache")),
           "TOOLKIT_TENANT_ID": None, "TOOLKIT_CLIENT_ID": None, "TOOLKIT_CLIENT_SECRET": None}
    result = run(env, "login", "--tenant", fake.tenant, "--client-id", fake.client_id, "--device-code")
    assert result.exit_code == 0 and "ABCD-EFGH" in result.output, result.output
    record = tmp_path / "config" / "login.json"
    assert json.loads(record.read_text())["tenant_id"] == fake.tenant and oct(record.stat().st_mode)[-3:] == "600"
    assert "access_token" not in record.read_text() and "rt-" not in record.read_text()
    url, file = add_master(fake, master_bytes())
    result = run(env, "sync", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["written"] == 6
    result = run(env, "login", "--workbook", url)
    assert result.exit_code == 2 and "パソコン上のブック" in result.output


def test_a_sync_of_a_url_from_the_command_line(fake, env):
    url, file = add_master(fake, master_bytes())  # the forms of cloud_setup, no Teams events
    created = len(fake.excel.created)
    result = run(env, "sync", url, "--dry-run", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["new"] == 6 and json.loads(result.output)["written"] == 0
    assert len(fake.excel.created) == created  # a dry run opens no session
    result = run(env, "sync", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["written"] == 6
    assert run(env, "sync", url, "--json").exit_code == 0
    assert len([r for r in downloaded(file, "利用実績") if r.get("回答ID")]) == 3


# ---------------------------------------------------------------- a sheet layout through range calls

def test_a_layout_renders_values_formats_styles_widths_and_charts(fake, env, master):
    url, file = master
    ws = file.book[schema.SUMMARY_SHEET]
    ws["B2"] = "古い値"
    ws.merge_cells("A10:C10")
    file.touch()
    layout = SheetLayout(rows=(
        (Cell("集計", "title"), None, Cell(datetime(2026, 3, 27, 10, 30), "datetime")),
        (),
        (Cell("企業", "header"), Cell("経費（円）", "header"), Cell("執行率", "header")),
        (Cell("C01"), Cell(352000, "yen"), Cell(0.88, "pct")),
        (Cell("C02"), Cell(-5000, "yen"), Cell(0.12, "pct")),
        (Cell("=1+1"), Cell(1.5, "change"), Cell("超過", "status")),
    ), widths={1: 12, 2: 16}, freeze_rows=3, charts=(Chart(
        "bar", "経費", Range(4, 1, 5, 1), (Series("経費（円）", Range(4, 2, 5, 2)),), anchor=(2, 6), size=(6, 12)),))
    with CloudBook(url, env=env) as book, book.edit() as session:
        assert isinstance(session, WorkbookSession)
        session.rewrite_sheet(schema.SUMMARY_SHEET, layout)
        session.rewrite_sheet(schema.SUMMARY_SHEET, layout)  # twice: the old chart is replaced, not doubled
    ws = file.book[schema.SUMMARY_SHEET]
    title, header = LOOKS["title"], LOOKS["header"]  # the one look table every renderer of 集計 reads
    assert ws["A1"].value == "集計" and ws["A1"].font.b and ws["A1"].font.sz == title["size"]
    assert ws["A1"].font.color.rgb.endswith(title["font"].lstrip("#"))
    assert ws["C1"].number_format == "yyyy/mm/dd hh:mm"
    assert ws["B4"].value == 352000 and ws["B4"].number_format == "#,##0;[Red]\\-#,##0"
    assert ws["C4"].number_format == "0.0%" and ws["B6"].number_format.startswith("+0.00")
    assert ws["A3"].font.b and ws["A3"].fill.fgColor.rgb.endswith(header["fill"].lstrip("#")) and not ws["A4"].font.b
    assert ws["A3"].alignment.wrap_text and not ws["A4"].alignment.wrap_text
    assert ws["C6"].fill.fgColor.rgb.endswith("FF7C80") and ws["C6"].font.color.rgb.endswith("7F0000")  # 超過
    assert ws["A6"].value == "=1+1" and ws["A6"].data_type == "s"  # text, never a formula
    assert ws["B2"].value is None and not ws.merged_cells.ranges
    assert round(ws.column_dimensions["B"].width) == 16 and ws.freeze_panes == "A3"  # the template's, untouched
    charts = file.charts[schema.SUMMARY_SHEET]
    assert len(charts) == 1
    chart = next(iter(charts.values()))
    assert chart["type"] == "BarClustered" and chart["sourceData"] == "A3:B5" and chart["title"] == "経費"
    assert chart["series"] == ["経費（円）"]  # named by the header row of its one source range
    assert chart["position"] == ("F2", "K13")
