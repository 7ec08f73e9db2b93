"""`toolkit summary`: the 集計 dashboard (figures, formats, widths, native charts) rewritten in place, nothing else
changed, and read → compute → write held against a concurrent writer."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from datetime import datetime
from itertools import takewhile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree
from python_calamine import CalamineWorkbook

from toolkit import schema
from toolkit.budget import compute_budget
from toolkit.cli import main
from toolkit.demo import build_demo_workbook
from toolkit.japanese import display_width
from toolkit.kpi import compute_kpis
from toolkit.summary import COMPANY_HEADERS, refresh_book
from toolkit.load import load_program
from toolkit.workbook.write import WriteError

REPO = Path(__file__).resolve().parents[1]
SUMMARY = schema.SUMMARY_SHEET
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
COL = {h.replace("\n", ""): i for i, h in enumerate(COMPANY_HEADERS)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    build_demo_workbook(path)
    return path


@pytest.fixture
def book(demo, tmp_path) -> Path:
    return Path(shutil.copy(demo, tmp_path / "master.xlsx"))


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def summary_rows(path: Path) -> list[list]:
    with CalamineWorkbook.from_path(str(path)) as wb:
        return wb.get_sheet_by_name(SUMMARY).to_python(skip_empty_area=False)


def summary_part(path: Path) -> str:
    files = members(path)
    sheet = next(el for el in etree.fromstring(files["xl/workbook.xml"]).iter("{*}sheet") if el.get("name") == SUMMARY)
    return rels_of(files, "xl/workbook.xml")[sheet.get(f"{{{NS_REL}}}id")]


def rels_of(files: dict[str, bytes], part: str) -> dict[str, str]:
    folder, name = part.rsplit("/", 1)
    data = files.get(f"{folder}/_rels/{name}.rels")
    if data is None:
        return {}
    return {r.get("Id"): r.get("Target")[1:] if r.get("Target").startswith("/")
            else os.path.normpath(os.path.join(folder, r.get("Target"))) for r in etree.fromstring(data)}


# ---------------------------------------------------------------------------------------------------------------

def test_dashboard_holds_the_figures_and_nothing_else_changes(book):
    before = members(book)
    program = load_program(book)
    budget, kpis = compute_budget(program), compute_kpis(program)

    result = CliRunner().invoke(main, ["summary", str(book)])
    assert result.exit_code == 0, result.output

    after = members(book)
    sheet = summary_part(book)
    changed = {n for n in before if before[n] != after.get(n)}
    audit_sheet_and_table = {n for n in changed if n not in (sheet, "xl/styles.xml", "[Content_Types].xml")}
    assert sheet in changed and len(audit_sheet_and_table) == 2  # 履歴: its sheet and its table
    added = set(after) - set(before)
    assert {n.split("/")[1] for n in added} == {"charts", "drawings", "worksheets"}  # charts, drawing, sheet rels

    rows = summary_rows(book)
    header = next(i for i, r in enumerate(rows) if r[0] == "企業ID")
    assert rows[header][:len(COMPANY_HEADERS)] == list(COMPANY_HEADERS)
    by_company = {r[0]: r for r in rows[header + 1:header + 1 + len(budget.companies)]}
    assert list(by_company) == list(budget.companies)
    for cid, b in budget.companies.items():
        row = by_company[cid]
        assert row[COL["(1) クラウドサービス経費"]] == b.cloud_service and row[COL["合計（円）"]] == b.total
        assert row[COL["予算の状態"]] == b.status_label
        assert row[COL["利用回数"]] == kpis.usage.by_company[cid]
    assert {"plan_over", "warning"} <= {b.status for b in budget.companies.values()}  # coloured status words
    usage = next(r for r in rows if r[0] == "利用回数（回）")
    assert usage[1:5] == [kpis.usage.total, kpis.usage.target, pytest.approx(kpis.usage.total / kpis.usage.target),
                          "達成" if kpis.usage.achieved else "未達"]
    total = next(r for r in rows if r[0] == "総合計")
    assert total[COL["合計（円）"]] == budget.grand_total
    months = next(i for i, r in enumerate(rows) if r[0] == "月")
    monthly = list(takewhile(lambda r: r[0], rows[months + 1:]))  # the block ends at a blank row
    assert monthly[0][0] == "2025年9月" and sum(r[1] for r in monthly) == kpis.usage.total  # the chart's data

    wb = openpyxl.load_workbook(book)
    ws = wb[SUMMARY]
    first = header + 2  # the Excel row of the first company
    for name in ("(1) クラウドサービス経費", "上限", "合計（円）"):
        cell = ws.cell(first, COL[name] + 1)
        assert "#,##0" in cell.number_format  # yen with thousands separators
    assert ws.cell(first, COL["執行率"] + 1).number_format == "0.0%"
    assert isinstance(ws["B2"].value, datetime)  # 更新日時
    longest = max(display_width(b.name) for b in budget.companies.values())
    assert ws.column_dimensions["B"].width >= longest  # names in full
    assert ws.freeze_panes == "A3"
    assert "超過" in "".join(str(r.formula) for cf in ws.conditional_formatting for r in cf.rules)  # colours stay
    audit = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("履歴").to_python()
    assert audit[-1][1] == "集計"


def test_rerun_replaces_its_charts_keeps_a_staff_picture_and_adds_no_formats(book, tmp_path):
    wb = openpyxl.load_workbook(book)
    from openpyxl.drawing.image import Image as XLImage
    from PIL import Image
    Image.new("RGB", (8, 8), (0, 90, 200)).save(tmp_path / "logo.png")
    wb[SUMMARY].add_image(XLImage(str(tmp_path / "logo.png")), "P2")  # staff put their logo on the sheet
    wb[SUMMARY].merge_cells("A1:H2")  # and a merge that would hide the 更新 time
    wb.save(book)
    original_styles = etree.fromstring(members(book)["xl/styles.xml"])

    refresh_book(book, now=datetime(2026, 3, 27, 10, 30))
    first = members(book)
    refresh_book(book, now=datetime(2026, 3, 27, 10, 31))
    files = members(book)

    assert files["xl/styles.xml"] == first["xl/styles.xml"]  # the second run found every format it needs
    styles = etree.fromstring(files["xl/styles.xml"])
    for kind in ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs"):
        old = original_styles.find(f"{{*}}{kind}")
        new = styles.find(f"{{*}}{kind}")
        if old is not None:  # existing entries keep their place: only appended to
            assert [etree.tostring(e) for e in new][:len(old)] == [etree.tostring(e) for e in old]

    sheet = summary_part(book)
    drawing = next(t for t in rels_of(files, sheet).values() if "/drawings/" in t)
    anchors = etree.fromstring(files[drawing])
    chart_ids = [el.get(f"{{{NS_REL}}}id")
                 for el in anchors.iter(f"{{{NS_C}}}chart")]
    drawing_rels = rels_of(files, drawing)
    charts = sorted(drawing_rels[i] for i in chart_ids)
    assert len(charts) == 2 and sorted(n for n in files if n.startswith("xl/charts/chart")) == charts
    assert any(t.endswith(".png") for t in drawing_rels.values())  # the staff picture is still placed
    assert len(anchors) == 3
    content_types = files["[Content_Types].xml"].decode()
    titles = []
    for chart in charts:
        assert f'PartName="/{chart}"' in content_types
        root = etree.fromstring(files[chart])
        titles.append("".join(root.find(f"{{{NS_C}}}chart/{{{NS_C}}}title").itertext()))
        refs = [f.text for f in root.iter(f"{{{NS_C}}}f")]
        assert refs and all(r.startswith(f"'{SUMMARY}'!$") for r in refs)
    assert titles == ["月別の利用回数", "企業別 上限の使用状況（上限に対する割合）"]

    ws = openpyxl.load_workbook(book)[SUMMARY]
    assert not ws.merged_cells.ranges and ws["B2"].value == datetime(2026, 3, 27, 10, 31)


def _strict(path: Path) -> None:
    """Save as Excel's 'Strict Open XML Spreadsheet' does: the same parts under the ISO namespaces."""
    swaps = [(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
              b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
             (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
              b"http://purl.oclc.org/ooxml/officeDocument/relationships"),
             (b"http://schemas.openxmlformats.org/drawingml/2006/main", b"http://purl.oclc.org/ooxml/drawingml/main")]
    files = members(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            for old, new in swaps:
                data = data.replace(old, new)
            z.writestr(name, data)


def test_a_strict_open_xml_book_is_refused_with_a_clear_message(book):
    _strict(book)
    original = book.read_bytes()
    with pytest.raises(WriteError, match="Strict Open XML") as caught:
        refresh_book(book)
    assert "見つかりません" not in str(caught.value) and "名前を付けて保存" in str(caught.value)
    assert book.read_bytes() == original


# ---------------------------------------------------------------------------------------------------------------
# Two toolkit writers at once: the later one reads after the earlier one wrote.

HOLDER = """
import sys, datetime
from toolkit.workbook.write import transaction
rows = [{"企業ID": sys.argv[2], "サービスID": sys.argv[3], "利用領域": sys.argv[4],
         "利用日": datetime.date(2025, 9, 1) + datetime.timedelta(days=i), "アカウント": "lock@example.jp",
         "出典": "ヒアリング"} for i in range(150)]
with transaction(sys.argv[1]) as tx:
    print("held", flush=True)
    sys.stdin.readline()
    tx.patch(append={"利用実績": rows})
print("done", flush=True)
"""
SUMMARY_CHILD = """
import sys
from toolkit.summary import refresh_book
refresh_book(sys.argv[1], on_wait=lambda: print("waiting", flush=True))
print("done", flush=True)
"""


def _python(code: str, *args: str, stdin=None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", code, *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)


def test_summary_waits_for_a_concurrent_writer_and_reads_what_it_wrote(book):
    program = load_program(book)
    before = compute_kpis(program).usage.total
    sub = program.subscriptions[0]
    holder = _python(HOLDER, str(book), sub.company_id, sub.service_id, sub.area, stdin=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        summary = _python(SUMMARY_CHILD, str(book))
        # The summary has reached the writer lock (before reading the book) and waits there.
        assert summary.stdout.readline().strip() == "waiting", summary.stderr.read()
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.wait(60) == 0, holder.stderr.read()
        assert summary.stdout.readline().strip() == "done", summary.stderr.read()
        assert summary.wait(60) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
    after = compute_kpis(load_program(book)).usage.total
    assert after > before  # the holder's rows count …
    assert next(r for r in summary_rows(book) if r[0] == "利用回数（回）")[1] == after  # … and 集計 shows them


def test_a_killed_writer_never_leaves_the_lock_held(book):
    holder = _python(HOLDER, str(book), "C01", "S01", "人事", stdin=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    from toolkit.workbook.write import transaction
    with transaction(book, wait=0) as tx:  # no waiting: the OS released the dead process's lock
        tx.patch(append={schema.AUDIT_LOG.sheet: [{"日時": datetime(2026, 1, 5), "操作": "確認"}]})
    assert CalamineWorkbook.from_path(str(book)).get_sheet_by_name("履歴").to_python()[-1][1] == "確認"


# ---------------------------------------------------------------------------------------------------------------

def test_libreoffice_reads_the_dashboard_and_its_charts(book, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    refresh_book(book, now=datetime(2026, 3, 27, 10, 30))
    out = tmp_path / "out"
    subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless", "--convert-to",
                    "xlsx", "--outdir", str(out), str(book)], capture_output=True, timeout=180)
    converted = out / book.name
    assert converted.exists(), "LibreOffice could not open the workbook"
    files = members(converted)
    charts = [n for n in files if n.startswith("xl/charts/chart")]
    assert len(charts) == 2  # LibreOffice understood both charts (it drops what it cannot read)
    bar = next(etree.fromstring(files[c]) for c in charts if b"<c:barDir val=\"bar\"" in files[c])
    assert len(bar.findall(f".//{{{NS_C}}}ser")) == 2
    rows = summary_rows(converted)
    assert rows[1][1] == datetime(2026, 3, 27, 10, 30)
    assert next(r for r in rows if r[0] == "総合計")[COL["合計（円）"]] == compute_budget(load_program(book)).grand_total


def test_the_demo_opens_on_a_filled_dashboard(tmp_path):
    from toolkit.demo_job import run_demo
    result = run_demo(tmp_path, pdf=False)
    rows = summary_rows(result.workbook)
    assert next(r for r in rows if r[0] == "利用回数（回）")[1] == result.usage_total
    assert len([n for n in members(result.workbook) if n.startswith("xl/charts/")]) == 2


# ---------------------------------------------------------------- labels that cannot break a chart (issue 19 item 4)

# As read: a vertical tab pasted from Word (Excel stores it as _x000B_), 100+ characters, TeX-like dollars.
HOSTILE_NAMES = ["株式会社\x0bパステッド改行", "株式会社" + "ながいなまえ" * 17, "$\\frac{株式会社$ 数式風"]


def _rename_companies(path: Path, names: list[str]) -> None:
    book = openpyxl.load_workbook(path)
    ws = book["企業"]
    for row, name in enumerate(names, start=2):
        ws.cell(row=row, column=2, value=name.replace("\x0b", "_x000B_"))  # Excel's escape of the character
    book.save(path)


def test_control_characters_and_long_names_never_break_the_summary_charts(book):
    _rename_companies(book, HOSTILE_NAMES)
    result = CliRunner().invoke(main, ["summary", str(book)])
    assert result.exit_code == 0, result.output
    files = members(book)
    charts = [n for n in files if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    for name in charts:
        root = etree.fromstring(files[name])  # well-formed: the vertical tab is gone, not written
        assert "\x0b" not in "".join(root.itertext())
    cached = "".join(t for name in charts for t in etree.fromstring(files[name]).itertext())
    assert "株式会社パステッド改行" in cached and "$\\frac{株式会社$ 数式風" in cached  # shown, as typed


def test_a_failure_in_the_toolkits_own_output_is_named_as_the_toolkits(book, monkeypatch):
    import toolkit.workbook.xlsx._chart as chart

    before = book.read_bytes()
    monkeypatch.setattr(chart, "chart_xml", lambda *a, **k: b"<c:chartSpace")  # a toolkit bug, simulated
    result = CliRunner().invoke(main, ["summary", str(book)])
    said = "".join(result.output.split())  # the message as one line, wherever the terminal wrapped it
    assert result.exit_code == 2 and "ブックではなくtoolkitの不具合" in said and "壊れていて読めません" not in said
    assert "Traceback" not in result.output and book.read_bytes() == before


def test_document_charts_take_any_name(tmp_path):
    from toolkit.documents.charts import LABEL_CELLS, MAX_LABEL_CELLS, horizontal_bars, wrap

    for name in HOSTILE_NAMES + ["あ" * 32767]:
        assert horizontal_bars([name, "短い名前"], [3, 5], xlabel="回").startswith(b"\x89PNG")
        lines = wrap(name).split("\n")
        assert len(lines) <= 2 and all(display_width(line) <= LABEL_CELLS for line in lines)
        assert sum(map(display_width, lines)) <= MAX_LABEL_CELLS
    assert wrap("あ" * 32767).endswith("…")  # shortened, said so with an ellipsis
    assert wrap("株式会社テスト") == "株式会社テスト"
