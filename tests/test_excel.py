"""The Excel buttons: the macro-enabled build, and the xlwings adapter against a fake of xlwings.

Excel itself cannot run here (xlwings needs a running Excel), so the adapter is driven through
``tests/fake_xlwings.py``: a book built from the real .xlsm that ``build_macro_workbook`` makes (its sheets as
calamine reads them, its defined names, the contract's tables).
"""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from tests import fake_xlwings as xw
from tests.excel_book import correct_the_bad_row, fake_book, fetching, put_rows, queued_rows
from toolkit.japanese import display_width
from toolkit import excel, excel_setup, schema
from toolkit.outputs import OUTPUT_FOLDER

MACRO_CALL = re.compile(r'RunToolkit\s+"import ([\w.]+); \1\.(\w+)\(\)"')


def results(book: xw.Book) -> list[dict]:
    rows = book.sheets[excel.RESULTS_SHEET].rows()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# ---------------------------------------------------------------- the build

@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # oletools' use of old pyparsing names
def test_every_button_runs_a_macro_that_calls_an_existing_entry_point(built):
    from oletools.olevba import VBA_Parser

    _, xlsm = built
    parser = VBA_Parser(str(xlsm))
    try:
        assert parser.detect_vba_macros()
        code = {name: text for _, _, name, text in parser.extract_macros()}
    finally:
        parser.close()
    module = code[excel_setup.MODULE_NAME + ".bas"]
    subs = dict(re.findall(r"Public Sub (\w+)\(\)(.*?)End Sub", module, re.S))
    with zipfile.ZipFile(xlsm) as z:
        vml = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    on_click = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert sorted(on_click) == sorted(b.macro for b in excel_setup.BUTTONS)
    called = set()
    for macro in on_click:
        assert macro in subs, f"button macro {macro} is not in the VBA"
        (module_name, function), = MACRO_CALL.findall(subs[macro])
        assert module_name == "toolkit.excel" and callable(getattr(excel, function))
        called.add(function)
    assert called == set(excel.ENTRY_POINTS)
    captions = set(re.findall(r'<font [^>]*>([^<]+)</font>', vml))
    assert captions == {"計画書を作成", "報告書を一括作成", "入力チェック", "集計を更新", "同期"}


def test_build_keeps_the_master_and_makes_a_macro_enabled_book(built):
    from toolkit.workbook.read import read_raw

    master, xlsm = built
    with zipfile.ZipFile(master) as before, zipfile.ZipFile(xlsm) as after:
        assert after.testzip() is None
        names = set(after.namelist())
        types = after.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert 'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in types
        # Everything the build does not own is the master's, byte for byte; sheets differ only in their
        # code name (the VBA project's document modules), never in their data.
        owned = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
        for name in before.namelist():
            assert name in names
            old, new = before.read(name), after.read(name)
            if name in owned:
                continue
            if name.startswith("xl/worksheets/sheet"):
                data = re.compile(rb"<sheetData.*</sheetData>", re.S)
                assert data.search(old).group() == data.search(new).group(), name
                assert re.sub(rb'<sheetPr codeName="\w+"', b"<sheetPr", new) == old, name
            else:
                assert old == new, name
        # Every XML part still parses.
        for name in names:
            if name.endswith((".xml", ".rels", ".vml")):
                etree.fromstring(after.read(name))
    assert read_raw(xlsm) == read_raw(master)  # the reader (python-calamine) sees the same workbook
    sheets = re.findall(r'<sheet [^>]*name="([^"]+)"', zipfile.ZipFile(xlsm).read("xl/workbook.xml").decode())
    assert sheets[0] == excel.CONTROL_SHEET


def test_build_works_on_a_book_written_the_way_excel_writes_one(tmp_path):
    """Shared strings, the r prefix on the root, relative targets, and a comment (whose VML drawing the
    buttons' drawing must not collide with)."""
    import xlsxwriter
    from toolkit.workbook.read import read_raw

    master = tmp_path / "excel-like.xlsx"
    wb = xlsxwriter.Workbook(str(master))
    for table in (schema.SETTINGS, schema.COMPANIES):
        ws = wb.add_worksheet(table.sheet)
        ws.add_table(0, 0, 1, len(table.headers) - 1, {"name": table.name, "style": None,
                                                     "columns": [{"header": h} for h in table.headers]})
        ws.write(1, 0, "C01" if table is schema.COMPANIES else "事業名")
    wb.get_worksheet_by_name(schema.COMPANIES.sheet).write_comment("B2", "確認中")
    wb.close()
    out = excel_setup.build_macro_workbook(master, tmp_path / "excel-like.xlsm")
    with zipfile.ZipFile(out) as z:
        blocks = [re.search(r'idmap v:ext="edit" data="(\d+)"', z.read(n).decode()).group(1)
                  for n in z.namelist() if n.endswith(".vml")]
        workbook = z.read("xl/workbook.xml").decode()
    assert len(blocks) == 2 and len(set(blocks)) == 2
    assert re.search(r'<sheet [^>]*name="操作"[^>]*r:id="rId\d+"', workbook)
    assert read_raw(out) == read_raw(master)


def test_the_buttons_and_macros_survive_a_toolkit_write(built, tmp_path):
    from toolkit.workbook.read import read_raw
    from toolkit.workbook.write import patch_workbook

    xlsm = tmp_path / "master.xlsm"
    xlsm.write_bytes(built[1].read_bytes())
    row = dict(zip(schema.ATTENDANCE.headers, ("EV1", "C01", "山田 太郎", None, "出席", None, "Teams", "T-1", None)))
    patch_workbook(xlsm, append={schema.ATTENDANCE.sheet: [row]})
    with zipfile.ZipFile(built[1]) as before, zipfile.ZipFile(xlsm) as after:
        kept = [n for n in before.namelist() if n == "xl/vbaProject.bin" or n.endswith(".vml")
                or any(mark in before.read(n) for mark in (b"macroEnabled", b"<legacyDrawing"))]
        assert len(kept) == 4  # the project, the buttons' drawing, the 操作 sheet, the content types
        for name in kept:
            assert after.read(name) == before.read(name), name
    assert read_raw(xlsm)[schema.ATTENDANCE.sheet][1][2] == "山田 太郎"


def test_rebuilding_the_xlsm_only_refreshes_its_macros(built, tmp_path):
    from pyopenvba import ExcelFile

    _, xlsm = built
    first = excel_setup.build_macro_workbook(xlsm, tmp_path / "first.xlsm", python_exe=r"C:\Python311\pythonw.exe")
    assert fake_book(first, tmp_path).sheets[excel.CONF_SHEET].get("B1") == r"C:\Python311\pythonw.exe"
    again = excel_setup.build_macro_workbook(first, tmp_path / "again.xlsm", python_exe=r"D:\py\pythonw.exe")
    with zipfile.ZipFile(again) as z:
        workbook = z.read("xl/workbook.xml").decode()
        assert workbook.count(f'name="{excel.CONTROL_SHEET}"') == 1
        assert len([n for n in z.namelist() if n.endswith(".vml")]) == 1
    with ExcelFile(again) as wb:
        assert [m for m in wb.module_names() if m == excel_setup.MODULE_NAME] == [excel_setup.MODULE_NAME]
    conf = fake_book(again, tmp_path).sheets[excel.CONF_SHEET]
    assert conf.get("A1") == "INTERPRETER_WIN" and conf.get("B1") == r"D:\py\pythonw.exe"


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture
def staff_xlsm(built, tmp_path) -> tuple[Path, Path]:
    """master.xlsx and the master.xlsm made from it, in which staff have since worked: rows, their own sheet."""
    from toolkit.workbook.write import patch_workbook

    master = tmp_path / "マスター.xlsx"
    master.write_bytes(built[0].read_bytes())
    xlsm = excel_setup.build_macro_workbook(master, tmp_path / "マスター.xlsm", python_exe=r"C:\Python311\pythonw.exe")
    patch_workbook(xlsm, append={schema.COMPANIES.sheet: [{"企業ID": "C01", "企業名": "テスト工業株式会社"}]},
                   replace_sheets={"メモ": [["スタッフのメモ", 42]]}, backups=0)
    return master, xlsm


def test_excel_setup_twice_keeps_the_staff_work_in_the_xlsm(staff_xlsm):
    """The issue's case: `excel-setup マスター.xlsx` again, then on the .xlsm; the staff's work survives both."""
    from toolkit.workbook.read import read_raw

    master, xlsm = staff_xlsm
    before = _parts(xlsm)
    with pytest.raises(excel_setup.SetupError, match="内容が違います") as refused:
        excel_setup.setup_workbook(master)  # the default out: the .xlsm beside it
    assert f"toolkit excel-setup \"{xlsm}\"" in str(refused.value)
    assert _parts(xlsm) == before  # not a byte changed
    assert not list((xlsm.parent / ".toolkit-backups").glob("*.xlsm"))

    result = excel_setup.setup_workbook(xlsm)  # the .xlsm itself: refreshed in place
    assert result.refreshed and result.path == xlsm and result.missing_buttons == ()
    assert result.interpreter == r"C:\Python311\pythonw.exe"  # kept: no --python given
    after = _parts(xlsm)
    assert set(after) == set(before)
    changed = {n for n in before if after[n] != before[n]}
    assert changed <= {"xl/vbaProject.bin", "[Content_Types].xml"}, changed
    raw = read_raw(xlsm, sheets=[schema.COMPANIES.sheet, "メモ"])
    assert raw[schema.COMPANIES.sheet][1][:2] == ["C01", "テスト工業株式会社"]
    assert raw["メモ"][0] == ["スタッフのメモ", 42.0]
    assert result.backup.parent == xlsm.parent / ".toolkit-backups" and _parts(result.backup) == before
    assert excel_setup.read_macro_module(xlsm).count("Public Sub RefreshSummary()") == 1
    assert "マクロと設定を更新しました" in result.message() and str(result.backup) in result.message()


def test_excel_setup_from_an_unchanged_xlsx_refreshes_the_xlsm_rather_than_rebuilding_it(built, tmp_path):
    master = tmp_path / "master.xlsx"
    master.write_bytes(built[0].read_bytes())
    first = excel_setup.setup_workbook(master)
    assert not first.refreshed and first.path == tmp_path / "master.xlsm" and "作成しました" in first.message()
    again = excel_setup.setup_workbook(master, python_exe=r"D:\py\pythonw.exe")
    assert again.refreshed and again.backup is not None
    assert excel_setup.configured_python(again.path) == again.interpreter == r"D:\py\pythonw.exe"


def test_excel_setup_does_not_touch_an_xlsm_open_in_excel(staff_xlsm):
    from toolkit.errors import WorkbookLocked

    _, xlsm = staff_xlsm
    before = xlsm.read_bytes()
    owner = xlsm.parent / ("~$" + xlsm.name)
    owner.write_bytes(b"")
    with pytest.raises(WorkbookLocked):
        excel_setup.setup_workbook(xlsm)
    assert xlsm.read_bytes() == before


def test_refreshing_an_older_xlsm_names_the_buttons_it_lacks(built, tmp_path, monkeypatch):
    old = tuple(b for b in excel_setup.BUTTONS if b.macro != "RefreshSummary")
    monkeypatch.setattr(excel_setup, "BUTTONS", old)
    xlsm = excel_setup.build_macro_workbook(built[0], tmp_path / "old.xlsm")
    monkeypatch.undo()
    result = excel_setup.setup_workbook(xlsm)
    assert result.missing_buttons == ("集計を更新",)
    assert "RefreshSummary" in result.message() and "Alt+F8" in result.message()


def test_the_interpreter_is_written_so_every_pc_finds_its_own_python():
    env = {"LOCALAPPDATA": r"C:\Users\yamada\AppData\Local", "USERPROFILE": r"C:\Users\yamada",
           "APPDATA": r"C:\Users\yamada\AppData\Roaming", "ProgramFiles": r"C:\Program Files"}
    portable = excel_setup.portable_path
    assert portable(r"C:\Users\Yamada\AppData\Local\Programs\Python\Python311\pythonw.exe", env) == \
        r"%LOCALAPPDATA%\Programs\Python\Python311\pythonw.exe"  # the longest folder wins, case aside
    assert portable(r"C:\Program Files\Python311\pythonw.exe", env) == r"%ProgramFiles%\Python311\pythonw.exe"
    assert portable(r"C:\Users\yamada\toolkit\.venv\Scripts\pythonw.exe", env) == \
        r"%USERPROFILE%\toolkit\.venv\Scripts\pythonw.exe"
    assert portable(r"D:\toolkit\.venv\Scripts\pythonw.exe", env) == r"D:\toolkit\.venv\Scripts\pythonw.exe"
    assert excel_setup.check_interpreter("pythonw") == "pythonw"
    with pytest.raises(excel_setup.SetupError, match="フルパス"):
        excel_setup.check_interpreter("py")  # xlwings would answer "Could not find Interpreter!"


def test_xlwings_conf_file_is_in_the_format_xlwings_vba_reads(tmp_path):
    path = excel_setup.write_xlwings_conf(tmp_path, r"C:\Users\山田\toolkit\Scripts\pythonw.exe", r"C:\src")
    assert path.read_bytes().decode("cp932").splitlines() == [
        '"INTERPRETER_WIN","C:\\Users\\山田\\toolkit\\Scripts\\pythonw.exe"',
        '"ADD_WORKBOOK_TO_PYTHONPATH","False"',  # no SharePoint URL handed to xlwings' prepare_sys_path
        '"PYTHONPATH","C:\\src"']
    with pytest.raises(excel_setup.SetupError):
        excel_setup.write_xlwings_conf(tmp_path, "C:\\Users\\\U0001f600\\python.exe")


# ---------------------------------------------------------------- reading the open book

def test_rows_are_padded_so_row_zero_is_excel_row_one(tmp_path):
    book = xw.Book(str(tmp_path / "b.xlsm"))
    sheet = book.add_sheet("x")
    sheet.set("C3", "見出し")
    sheet.set("D4", 5.0)
    assert excel.sheet_rows(sheet) == [[None] * 4, [None] * 4, [None, None, "見出し", None], [None, None, None, 5.0]]


# ---------------------------------------------------------------- 入力チェック

def test_run_check_lists_the_bad_cell_with_sheet_row_column_and_a_link(book):
    outcome = excel.run_check(book)
    assert outcome.ok
    bad = [r for r in results(book) if r["値"] == "C99"]
    assert len(bad) == 1
    row = bad[0]
    assert (row["区分"], row["シート"], row["行"], row["列"]) == ("エラー", schema.EXPENSES.sheet, 3, "企業ID")
    sheet = book.sheets[excel.RESULTS_SHEET]
    link_row = 1 + results(book).index(row) + 1
    assert sheet.formulas[(link_row, 2)] == \
        f"=HYPERLINK(\"#'{schema.EXPENSES.sheet}'!C3\",\"{schema.EXPENSES.sheet}!C3\")"
    # The table covers exactly the header and the findings; the status cell says what happened.
    table = sheet.tables[excel.RESULTS_TABLE]
    assert table.range.shape == (1 + len(results(book)), len(excel.RESULT_HEADERS))
    status = book.sheets[excel.CONTROL_SHEET].range(excel.NAME_STATUS).value
    assert status.startswith("入力チェック: エラー ") and excel.RESULTS_SHEET in status
    assert book.sheets.active.name == excel.RESULTS_SHEET


def test_run_check_sees_an_unsaved_edit(book):
    excel.run_check(book)
    assert any(r["値"] == "C99" for r in results(book))
    book.sheets[schema.EXPENSES.sheet].set("C3", "C02")  # typed in Excel, not saved
    excel.run_check(book)
    assert not any(r["値"] == "C99" for r in results(book))
    assert book.sheets[excel.RESULTS_SHEET].tables[excel.RESULTS_TABLE].resizes >= 1


def test_text_from_cells_never_becomes_a_formula_in_the_results(book):
    book.sheets[schema.EXPENSES.sheet].set("E2", "'=1+2")  # an amount typed as text that looks like a formula
    excel.run_check(book)
    sheet = book.sheets[excel.RESULTS_SHEET]
    hits = [k for k, v in sheet.cells.items() if v == "=1+2"]
    assert hits and all(k not in sheet.formulas for k in hits)
    assert {c for _, c in sheet.formulas} == {2}  # only the links the toolkit writes itself


# ---------------------------------------------------------------- 計画書

def test_make_plan_for_the_company_picked_on_the_control_sheet(book, monkeypatch):
    opened = []
    monkeypatch.setattr(excel, "open_folder", opened.append)
    correct_the_bad_row(book)
    book.sheets[excel.CONTROL_SHEET].range(excel.NAME_COMPANY).value = "C01"
    outcome = excel.make_plan(book)
    assert outcome.ok, outcome.message
    docx = [p for p in outcome.paths if p.suffix == ".docx"]
    assert len(docx) == 1 and docx[0].is_file() and "C01" in docx[0].name
    assert docx[0].parent == Path(book.fullname).parent / OUTPUT_FOLDER
    assert opened == [docx[0].parent]
    from docx import Document

    text = "\n".join(p.text for p in Document(docx[0]).paragraphs)
    text += "\n".join(c.text for t in Document(docx[0]).tables for r in t.rows for c in r.cells)
    assert "テスト工業株式会社" in text


def test_make_plan_uses_the_rows_selected_on_the_companies_sheet(book, monkeypatch):
    monkeypatch.setattr(excel, "open_folder", lambda folder: None)
    correct_the_bad_row(book)
    book.select(schema.COMPANIES.sheet, "B2:C3")  # both company rows
    outcome = excel.make_plan(book)
    assert outcome.ok, outcome.message
    assert sorted(p.name for p in outcome.paths if "C01" in p.name or "C02" in p.name) == \
        sorted(p.name for p in outcome.paths)
    assert len(outcome.paths) == 2


def test_a_plan_from_a_book_with_an_error_row_is_refused_unless_made_as_a_draft(book, monkeypatch):
    monkeypatch.setattr(excel, "open_folder", lambda folder: None)
    book.sheets[excel.CONTROL_SHEET].range(excel.NAME_COMPANY).value = "C01"
    refused = excel.make_plan(book)
    assert not refused.ok and not refused.paths
    assert "1行が集計から外れるため、作成しません" in refused.message and "・経費 3行目「企業ID」" in refused.message
    assert "「案として作成」を「はい」" in refused.message
    book.sheets[excel.CONTROL_SHEET].range(excel.NAME_DRAFT).value = excel.YES
    draft = excel.make_plan(book)
    assert draft.ok, draft.message
    from docx import Document

    [docx] = [p for p in draft.paths if p.suffix == ".docx"]
    assert "【案】" in "\n".join(p.text for p in Document(docx).sections[0].header.paragraphs)


def test_make_plan_without_a_company_says_what_to_do(book):
    outcome = excel.make_plan(book)
    assert not outcome.ok
    assert "企業ID" in outcome.message and book.app.alerts
    assert book.sheets[excel.CONTROL_SHEET].range(excel.NAME_STATUS).value.startswith("計画書を作成: ")


# ---------------------------------------------------------------- what real xlwings hands over

def test_the_fake_returns_what_xlwings_returns(tmp_path):
    """The fake's conversions, pinned: numbers as float, dates as datetime, empty as None, errors as xlwings
    gives them, typed strings converted as Excel converts them, a table growing under a written row."""
    book = xw.Book(str(tmp_path / "b.xlsm"))
    sheet = book.add_sheet("x")
    sheet.range("A1").value = [["ID", "日付", "金額"]]
    table = sheet.tables.add(source=sheet.range("A1:C2"), name="T")
    sheet.range("A2").value = [[101, date(2025, 9, 1), "1,200"]]
    assert sheet.range("A2:C2").value == [101.0, datetime(2025, 9, 1), 1200.0]
    assert isinstance(sheet.range("A2").value, float)
    sheet.range("A3").value = [["'0123", "2025/9/2", None]]  # typed just below the table: it grows
    assert sheet.range("A3:C3").value == ["0123", datetime(2025, 9, 2), None]
    assert table.range.shape == (3, 3)
    sheet.set_error("C2", "#REF!")
    sheet.set_error("C3", "#SPILL!")
    assert sheet.range("C2:C3").value == [None, -2146826243]
    assert sheet.range("C2:C3").options(err_to_str=True).value == ["#REF!", -2146826243]
    assert excel.excel_value(-2146826243) == "#SPILL!" and excel.excel_value(-2146826265) == "#REF!"


def test_a_company_id_typed_as_a_number_makes_its_plan(book, monkeypatch):
    """101 typed into 企業ID and picked on 操作 reaches Python as 101.0: it must be company "101"."""
    monkeypatch.setattr(excel, "open_folder", lambda folder: None)
    correct_the_bad_row(book)
    put_rows(book, schema.COMPANIES, [{"企業ID": 101, "企業名": "数字工業株式会社"}])
    book.sheets[excel.CONTROL_SHEET].range(excel.NAME_COMPANY).value = 101
    assert book.sheets[excel.CONTROL_SHEET].range(excel.NAME_COMPANY).value == 101.0
    outcome = excel.make_plan(book)
    assert outcome.ok, outcome.message
    assert [p.name for p in outcome.paths] == ["改善活動計画書_101_数字工業株式会社.docx"]


def test_error_cells_reach_the_checks_as_error_values_not_blanks(book):
    put_rows(book, schema.SUBSCRIPTIONS, [{"導入ID": "D01", "企業ID": "C01", "サービスID": "S01", "利用領域": "経理",
                                          "開始日": datetime(2025, 9, 1), "月額費用": 3000}])
    subs, expenses = book.sheets[schema.SUBSCRIPTIONS.sheet], book.sheets[schema.EXPENSES.sheet]
    headers = subs.range("A1:Z1").value
    subs.set_error(f"{excel.col_letters(headers.index('月額費用') + 1)}2", "#SPILL!")  # Excel 365's newer error
    expenses.set_error("E2", "#REF!")  # 金額 of E01
    excel.run_check(book)
    found = {(r["シート"], r["値"]) for r in results(book)}
    assert (schema.SUBSCRIPTIONS.sheet, "#SPILL!") in found
    assert (schema.EXPENSES.sheet, "#REF!") in found


def test_appended_rows_leave_the_company_name_column_to_excel(book):
    """経費 has the template's 企業名 calculated column: appended rows get its formula from Excel, not a blank."""
    from toolkit.workbook import guide

    sheet = book.sheets[schema.EXPENSES.sheet]
    table = sheet.tables[schema.EXPENSES.name]
    at = table.header_row_range.value.index(guide.LOOKUP_HEADER) + 1
    assert table.calculated  # the fake read the calculated column from the built .xlsm
    row = dict(zip(schema.EXPENSES.headers, ("E03", datetime(2025, 10, 3), "C01", schema.COST_CLOUD, 500, "'=x", None)))
    assert excel.append_rows(book, schema.EXPENSES.sheet, [row]) == 1
    last = table.range.row + table.range.shape[0] - 1
    assert sheet.get(f"A{last}") == "E03" and sheet.get(f"{excel.col_letters(at - 1)}{last}") == "C01"
    assert sheet.get(f"{excel.col_letters(at + 1)}{last}") == schema.COST_CLOUD  # the columns after it shifted
    assert sheet.formulas[(last, at)].startswith("=IFERROR(INDEX(Companies[")
    assert (last, at) not in sheet.cells and [k for k in sheet.formulas if k[1] != at] == []


# ---------------------------------------------------------------- 集計を更新

def _styled_layout():
    from toolkit.workbook.layout import Cell, Chart, Range, Series, SheetLayout

    rows = [
        (Cell("集計", "title"),),
        (Cell("更新 2026/03/27 10:30", "note"),),
        (),
        (Cell("予算執行状況", "section"),),
        (Cell("企業ID", "header"), Cell("企業名", "header"), Cell("実績（円）", "header"),
         Cell("計画額（円）", "header"), Cell("執行率", "header"), Cell("状態", "header")),
    ]
    companies = [("C01", "株式会社あおば精機製作所", 350680, 398000, 0.88, "警告"),
                 ("C02", "みなと商店", 120000, 150000, 0.3, "正常"),
                 ("C03", "=さくら食品", 420000, 420000, 1.05, "超過")]
    for cid, name, actual, planned, rate, status in companies:
        rows.append((Cell(cid), Cell(name), Cell(actual, "yen"), Cell(planned, "yen"), Cell(rate, "pct"),
                     Cell(status, "status")))
    chart = Chart("bar", "上限に対する実績", categories=Range(6, 2, 8, 2),
                  series=(Series("実績", Range(6, 3, 8, 3)), Series("計画額", Range(6, 4, 8, 4))),
                  anchor=(10, 1), size=(6, 15))
    usage = Chart("column", "月別の利用回数", categories=Range(6, 1, 8, 1),
                  series=(Series("執行率", Range(6, 5, 8, 5)),), anchor=(10, 8), size=(6, 15))
    return SheetLayout(tuple(rows), widths={1: 9.0}, charts=(chart, usage))


def test_render_draws_values_formats_widths_and_native_charts(tmp_path):
    from toolkit import excel_render
    from toolkit.workbook.layout import LOOKS, NUMBER_FORMATS, STATUS_COLORS

    book = xw.Book(str(tmp_path / "b.xlsm"))
    sheet = book.add_sheet(schema.SUMMARY_SHEET)
    sheet.set("A30", "古い値")
    sheet.range("A30").font.bold = True
    sheet.charts.add(name="old")
    layout = _styled_layout()
    excel_render.render(sheet, layout, text=excel.cell_value)

    assert sheet.get("A30") is None and not sheet.format("A30").bold  # the last render's leftovers are gone
    assert sheet.get("A1") == "集計" and sheet.format("A1").bold and sheet.format("A1").size == LOOKS["title"]["size"]
    assert sheet.get("B6") == "株式会社あおば精機製作所" and sheet.get("C6") == 350680.0
    assert sheet.get("B8") == "=さくら食品" and not sheet.formulas  # text, never a formula
    assert all(sheet.format(f"C{r}").number_format == NUMBER_FORMATS["yen"] for r in (6, 7, 8))
    assert sheet.format("E6").number_format == NUMBER_FORMATS["pct"]
    header = sheet.format("C5")
    fill_hex = LOOKS["header"]["fill"].lstrip("#")
    assert header.bold and header.fill == tuple(int(fill_hex[i:i + 2], 16) for i in (0, 2, 4)) and header.wrap
    fill, font = STATUS_COLORS["超過"]
    assert sheet.format("F8").fill == tuple(int(fill[i:i + 2], 16) for i in (2, 4, 6))
    assert sheet.format("F8").font_color == tuple(int(font[i:i + 2], 16) for i in (2, 4, 6))
    assert sheet.format("F7").fill is None  # a word without a colour stays plain
    assert sheet.format("A6").number_format == "General"
    # Widths: the layout's where given, else wide enough for the longest name (not cut to 5 characters).
    assert sheet.column_widths[1] == 9.0
    assert sheet.column_widths[2] >= display_width("株式会社あおば精機製作所")
    assert sheet.column_widths[3] >= len("350,680")
    charts = list(sheet.charts)
    assert [c.name for c in charts] == ["toolkit_chart_1", "toolkit_chart_2"]
    bar, column = charts
    assert (bar.chart_type, bar.title, column.chart_type) == ("bar_clustered", "上限に対する実績", "column_clustered")
    assert [(s.name, s.values, s.x_values) for s in bar.series] == [
        ("実績", "$C$6:$C$8", "$B$6:$B$8"), ("計画額", "$D$6:$D$8", "$B$6:$B$8")]
    assert bar.top == sheet.range("A10").top and bar.left == 0
    assert bar.width == sheet.range("A10:F10").width and bar.height == sheet.range("A10:A24").height
    excel_render.render(sheet, layout, text=excel.cell_value)  # again: the same charts, not twice as many
    assert len(sheet.charts) == 2


def test_style_blocks_cover_every_styled_cell_once():
    from toolkit import excel_render

    layout = _styled_layout()
    covered = {}
    for key, (r1, c1, r2, c2) in excel_render.style_blocks(layout):
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                assert (r, c) not in covered
                covered[(r, c)] = key
    expected = {(r, c): (cell.style, str(cell.value) if cell.style == "status" else None)
                for r, row in enumerate(layout.rows, start=1) for c, cell in enumerate(row, start=1)
                if cell is not None and cell.style != "text"}
    assert covered == expected
    assert len(list(excel_render.style_blocks(layout))) < len(expected) / 2  # few COM calls, not one per cell


def test_refresh_summary_renders_the_summary_layout_of_the_open_book(book, monkeypatch):
    from toolkit.budget import compute_budget
    from toolkit.kpi import compute_kpis
    from toolkit.summary import summary_layout
    from toolkit.workbook.layout import NUMBER_FORMATS

    class Fixed(datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 3, 27, 10, 30)

    monkeypatch.setattr(excel, "datetime", Fixed)
    outcome = excel.refresh_summary(book)
    assert outcome.ok, outcome.message
    assert outcome.message.startswith("集計を更新しました（利用回数 ")
    _, program = excel.load_open_program(book)
    layout = summary_layout(program, compute_budget(program), compute_kpis(program), Fixed.now())
    sheet = book.sheets[schema.SUMMARY_SHEET]
    assert book.sheets.active is sheet
    for r, row in enumerate(layout.rows, start=1):
        for c, cell in enumerate(row, start=1):
            got = sheet.cells.get((r, c))
            want = None if cell is None else cell.value
            if isinstance(want, (int, float)) and not isinstance(want, bool):
                want = float(want)
            assert got == want, (r, c)
            if cell is not None and cell.style in NUMBER_FORMATS:
                assert sheet.format(f"{excel.col_letters(c)}{r}").number_format == NUMBER_FORMATS[cell.style]
    assert len(sheet.charts) == len(layout.charts)
    audit = book.sheets[schema.AUDIT_LOG.sheet].rows()
    assert audit[-1][1] == "集計（Excel）"
    status = book.sheets[excel.CONTROL_SHEET].range(excel.NAME_STATUS).value
    assert status.startswith("集計を更新: 集計を更新しました")


def test_refresh_summary_adds_the_sheet_after_the_control_sheet_when_it_is_missing(book):
    book.sheets._items.remove(book.sheets[schema.SUMMARY_SHEET])
    assert excel.refresh_summary(book).ok
    assert [s.name for s in book.sheets][:2] == [excel.CONTROL_SHEET, schema.SUMMARY_SHEET]
    assert book.sheets[schema.SUMMARY_SHEET].cells


def test_refresh_summary_refused_leaves_the_last_summary(book, monkeypatch):
    """compute_budget refuses (MissingInput) when a sheet it needs is missing: 集計 is not redrawn from it."""
    import toolkit.summary
    from toolkit.errors import MissingInput

    def refuse(program):
        raise MissingInput(f"集計に必要なシート「{schema.EXPENSES.sheet}」がありません。")

    monkeypatch.setattr(toolkit.summary, "compute_budget", refuse)  # where the one 集計 job looks it up
    book.sheets[schema.SUMMARY_SHEET].set("A1", "前回の集計")
    outcome = excel.refresh_summary(book)
    assert not outcome.ok and schema.EXPENSES.sheet in outcome.message and book.app.alerts
    assert "Traceback" not in outcome.message
    assert book.sheets[schema.SUMMARY_SHEET].get("A1") == "前回の集計"


# ---------------------------------------------------------------- the buttons count as `toolkit check` does

def test_button_error_counts_are_the_checks_counts(built, tmp_path, monkeypatch):
    """One 企業ID typo on 企業 makes every row of that company an error: the button says as many as check."""
    from toolkit.checks import counts, run_checks
    from toolkit.load import load_program
    from toolkit.workbook.write import patch_workbook

    xlsm = tmp_path / "master.xlsm"
    xlsm.write_bytes(built[1].read_bytes())
    usage = [dict(zip(schema.USAGE_DAYS.headers, ("C01", "S01", "経理", date(2025, 10, d), None, "ヒアリング", None)))
             for d in range(1, 13)]
    patch_workbook(xlsm, append={
        schema.COMPANIES.sheet: [{"企業ID": "CO1", "企業名": "テスト工業株式会社"}],  # the letter O, not zero
        schema.SERVICES.sheet: [{"サービスID": "S01", "サービス名": "クラウド会計", "業務分類": "経理"}],
        schema.USAGE_DAYS.sheet: usage})
    errors, _ = counts(run_checks(load_program(xlsm)))
    assert errors >= 12
    book = fake_book(xlsm, tmp_path)
    monkeypatch.setattr(excel, "datetime", datetime)
    summary = excel.refresh_summary(book)
    assert f"入力チェックのエラーが {errors}件" in summary.message, summary.message
    check = excel.run_check(book)
    assert check.message.startswith(f"エラー {errors}件")


# ---------------------------------------------------------------- 同期

def test_run_sync_applies_queued_rows_once(book, monkeypatch):
    from toolkit.graph.queue import queue_path, write_queue

    # What the fetch brings: one row already queued, one new.
    monkeypatch.setattr(excel, "_plan_fetch", fetching({schema.USAGE_DAYS.sheet: [
        dict(zip(schema.USAGE_DAYS.headers, ("C01", "S01", "経理", date(2025, 10, 3), None, "Forms", "U-1"))),
        dict(zip(schema.USAGE_DAYS.headers, ("C01", "S01", "経理", date(2025, 10, 6), None, "Forms", "U-2"))),
    ]}))
    path = Path(book.fullname)
    write_queue(path, queued_rows())
    outcome = excel.run_sync(book)
    assert outcome.ok, outcome.message
    assert outcome.added == 4 and not queue_path(path).exists() and book.saves == 1

    attendance = book.sheets[schema.ATTENDANCE.sheet]
    table = attendance.tables[schema.ATTENDANCE.name]
    assert table.range.shape[0] == 3  # header + the two queued rows
    rows = attendance.rows()
    assert [r[7] for r in rows[1:]] == ["F-1", "F-2"]
    assert rows[2][2].endswith("=cmd|'/c calc'!A1") and not attendance.formulas  # text, never a formula
    usage = book.sheets[schema.USAGE_DAYS.sheet].rows()
    assert [r[6] for r in usage[1:]] == ["U-1", "U-2"]
    audit = book.sheets[schema.AUDIT_LOG.sheet].rows()
    # The same 履歴 record as the scheduled sync writes, by the same function; the operation says Excel.
    assert len(audit) == 2 and audit[1][1] == "同期（Excel）" and "待ち行列から 3件" in audit[1][4]

    # The scheduled sync queues the same rows again, the fetch brings the same: nothing is added twice.
    write_queue(path, queued_rows())
    again = excel.run_sync(book)
    assert again.added == 0 and "ありませんでした" in again.message
    assert attendance.tables[schema.ATTENDANCE.name].range.shape[0] == 3
    assert not queue_path(path).exists()


def test_run_sync_applies_the_queue_even_when_the_fetch_fails(book):
    from toolkit.graph.queue import write_queue

    write_queue(Path(book.fullname), queued_rows())
    outcome = excel.run_sync(book, env={})  # no tenant set up anywhere: the fetch cannot start
    assert outcome.added == 3 and not outcome.ok
    assert "テナントID" in outcome.message and book.app.alerts


def test_run_sync_fetches_from_microsoft_365_and_updates_an_edited_response_in_the_open_book(book, tmp_path):
    from fake_graph import FORMS_HEADERS_JA, USAGE_SHARE_URL, FakeGraph

    headers = FORMS_HEADERS_JA + ("最終変更時刻", "企業名", "サービス名", "利用領域", "利用日")
    t0 = datetime(2025, 10, 1, 9, 0)
    answers = [(1, t0, t0, "anonymous", "", t0, "テスト工業", "クラウド会計", "経理", date(2025, 10, 1)),
               (2, t0, t0, "anonymous", "", t0, "テスト工業", "クラウド会計", "経理", date(2025, 10, 2))]
    settings = book.sheets[schema.SETTINGS.sheet]
    row = next(i for i, r in enumerate(settings.rows(), start=1) if r and r[0] == "利用実績フォーム結果URL")
    settings.range((row, 2)).value = USAGE_SHARE_URL
    with FakeGraph(tmp_path) as fake:
        fake.add_form(USAGE_SHARE_URL, headers, answers, item_id="01U")
        first = excel.run_sync(book, env=fake.env())
        assert first.ok and first.added == 2, first.message
        usage = book.sheets[schema.USAGE_DAYS.sheet]
        assert [(r[0], r[6]) for r in usage.rows()[1:]] == [("C01", "01U:1"), ("C01", "01U:2")]

        edited = [answers[0], answers[1][:5] + (datetime(2025, 10, 3, 8, 0),) + answers[1][6:9] + (date(2025, 10, 9),)]
        fake.update_form(USAGE_SHARE_URL, headers, edited)
        second = excel.run_sync(book, env=fake.env())
    assert second.ok and second.added == 1, second.message
    rows = usage.rows()[1:]
    assert len(rows) == 2 and rows[1][6] == "01U:2" and rows[1][3] == datetime(2025, 10, 9)  # in place
    audit = book.sheets[schema.AUDIT_LOG.sheet].rows()
    assert audit[-1][1] == "同期（Excel）（更新）" and audit[-1][3] == "01U:2" and "利用日" in audit[-1][4]


def test_excel_setup_on_a_book_with_a_broken_part_is_a_clear_refusal(tmp_path):
    import zipfile

    from toolkit.errors import SetupError
    from toolkit.excel_setup import setup_workbook
    from toolkit.workbook.template import write_template

    good = tmp_path / "good.xlsx"
    write_template(good)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, data[:len(data) // 2] if info.filename == "xl/styles.xml" else data)
    with pytest.raises(SetupError, match="壊れている"):
        setup_workbook(broken)
    assert not broken.with_suffix(".xlsm").exists()


def test_every_book_tells_xlwings_not_to_resolve_its_own_path(built):
    """Opened from SharePoint or OneDrive, a book's full name is an https URL; with xlwings' default
    (ADD_WORKBOOK_TO_PYTHONPATH true) RunPython fails resolving it before toolkit runs. Built without --python
    (as here, on Linux) the book still carries the setting in its hidden xlwings.conf sheet."""
    _, xlsm = built
    assert excel_setup.configured_settings(xlsm) == [("ADD_WORKBOOK_TO_PYTHONPATH", "False")]


def _macro_source() -> list[str]:
    """toolkit_macros.bas as its lines, without the VB_Name attribute (the module's name, not its code)."""
    from importlib import resources

    text = (resources.files("toolkit") / "workbook_templates" / excel_setup.MACRO_FILE).read_text(encoding="ascii")
    return [line for line in text.splitlines() if not line.startswith("Attribute VB_Name")]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # oletools' use of old pyparsing names
def test_two_independent_readers_find_the_macro_module_exactly_as_written(built, tmp_path):
    """olevba (MS-OVBA decompression of the dir and module streams) and LibreOffice (its own VBA import, headless)
    both read the generated .xlsm's module, and both get toolkit_macros.bas back."""
    import shutil
    import subprocess

    from oletools.olevba import VBA_Parser

    _, xlsm = built
    parser = VBA_Parser(str(xlsm))
    try:
        modules = {name: text for _, _, name, text in parser.extract_macros()}
    finally:
        parser.close()
    olevba = [line for line in modules[excel_setup.MODULE_NAME + ".bas"].splitlines()
              if not line.startswith("Attribute VB_Name")]
    assert "\n".join(olevba).rstrip() == "\n".join(_macro_source()).rstrip()  # a trailing newline aside
    # [MS-OVBA] 2.3.4.1, read with olefile: version 0xFFFF and no performance cache, so Excel compiles the source.
    import io

    import olefile

    with zipfile.ZipFile(xlsm) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("cc61ffff000000")

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "ods",
                    "--outdir", str(tmp_path), str(xlsm)], capture_output=True, timeout=180, check=True)
    with zipfile.ZipFile(tmp_path / (xlsm.stem + ".ods")) as z:
        imported = etree.fromstring(z.read(f"Basic/VBAProject/{excel_setup.MODULE_NAME}.xml"))
    # LibreOffice keeps the VBA as a StarBasic module in VBA-support mode, adding its own two header lines.
    lines = (imported.text or "").splitlines()
    assert lines[:2] == ["Rem Attribute VBA_ModuleType=VBAModule", "Option VBASupport 1"]
    assert "\n".join(lines[2:]).rstrip() == "\n".join(_macro_source()).rstrip()
