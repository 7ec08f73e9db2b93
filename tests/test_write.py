"""The workbook writer: appends and sheet replacements that leave every part it does not own byte-identical,
land with the right types, and never leave a broken master behind."""
from __future__ import annotations

import io
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
import pytest
import python_calamine
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image as XLImage
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableFormula, TableStyleInfo

from toolkit import schema
from toolkit.workbook.write import (BACKUP_DIR, WorkbookLocked, WriteError, is_locked, patch_workbook,
                                    read_table_headers, transaction)

REPO = Path(__file__).resolve().parents[1]
EXP = schema.EXPENSES
USAGE = schema.USAGE_DAYS
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TAX = "税込金額"  # a column staff added themselves, computed by a table formula
TAX_FORMULA = f"{EXP.name}[[#This Row],[金額]]*1.1"
TAX_COL = get_column_letter(len(EXP.headers) + 1)  # the staff's calculated column, right of the contract's
STAFF_SHEET = "スタッフメモ"
CUSTOM_PART = "customXml/item1.xml"


# ---------------------------------------------------------------------------------------------------------------
# Fixtures built in code

def _png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _add_table(ws, name: str, headers: list[str], last_row: int, formulas: dict[str, str] | None = None) -> None:
    ref = f"A1:{openpyxl.utils.get_column_letter(len(headers))}{last_row}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    table.autoFilter = AutoFilter(ref=ref)
    table.tableColumns = [
        TableColumn(id=i, name=h, calculatedColumnFormula=TableFormula(attr_text=(formulas or {})[h])
                    if h in (formulas or {}) else None)
        for i, h in enumerate(headers, start=1)]
    ws.add_table(table)


def _inject_custom_part(path: Path) -> None:
    """Add a part openpyxl knows nothing about (and its relationship), as other Office tools do."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    rels = "xl/_rels/workbook.xml.rels"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == rels:
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rId900" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/customXml" Target="../customXml/item1.xml"/></Relationships>'))
            z.writestr(info, data)
        z.writestr(CUSTOM_PART, '<?xml version="1.0" encoding="UTF-8"?><staff xmlns="urn:x-staff">手作業の設定</staff>')


def staff_workbook(path: Path) -> Path:
    """The 経費 table as staff keep it: an extra formula column, formats, a drop-down, a conditional format, a
    comment, a chart, an image, a sheet of their own, and an unknown custom part."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = EXP.sheet
    headers = list(EXP.headers) + [TAX]
    ws.append(headers)
    data = [("E001", date(2025, 5, 1), "C01", schema.COST_CLOUD, 120000, "月額利用料", "V-1"),
            ("E002", date(2025, 6, 2), "C02", schema.COST_SETUP, 80000, "初期設定", "V-2"),
            ("E003", date(2025, 7, 3), None, schema.COST_COMMON, 30000, "説明会会場", "V-3")]
    for r, values in enumerate(data, start=2):
        ws.append(list(values) + [f"={TAX_FORMULA}"])
        ws.cell(r, 2).number_format = "yyyy/m/d"
        ws.cell(r, 5).number_format = "#,##0"
        ws.cell(r, 8).number_format = "#,##0"
    _add_table(ws, EXP.name, headers, 4, {TAX: TAX_FORMULA})
    ws.column_dimensions["F"].width = 40
    ws.conditional_formatting.add("E2:E4", CellIsRule(operator="greaterThan", formula=["100000"],
                                                      fill=PatternFill(bgColor="FFC7CE")))
    dv = DataValidation(type="list", formula1='"' + ",".join(schema.VOCABULARIES["費目"]) + '"')
    dv.add("D2:D4")
    ws.add_data_validation(dv)
    ws["A2"].comment = Comment("証憑を確認済み", "事務局")
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=5, min_row=1, max_row=4), titles_from_data=True)
    ws.add_chart(chart, "K2")
    ws.add_image(XLImage(io.BytesIO(_png())), "K20")
    memo = wb.create_sheet(STAFF_SHEET)
    memo["A1"] = "スタッフの覚え書き"
    memo["B2"] = "=SUM(1,2)"
    wb.save(path)
    _inject_custom_part(path)
    return path


def usage_workbook(path: Path, rows: int = 0, *, epoch1904: bool = False) -> Path:
    """A 利用実績 table; with rows=0 the table has only its empty first data row, as a fresh template has."""
    wb = openpyxl.Workbook()
    if epoch1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = USAGE.sheet
    ws.append(list(USAGE.headers))
    for i in range(rows):
        ws.append([f"C{i % 20:02d}", "S01", "人事", date(2025, 9, 1), f"u{i}@example.jp", "Forms", f"R{i}"])
        ws.cell(i + 2, 4).number_format = "yyyy/m/d"
    _add_table(ws, USAGE.name, list(USAGE.headers), max(rows + 1, 2))
    other = wb.create_sheet(schema.SUPPORT_LOG.sheet)
    other["A1"] = "開始"
    other["B1"] = date(2025, 4, 1)
    other["B1"].number_format = "yyyy/m/d"  # the only date format in the book: the writer must find it
    wb.save(path)
    return path


def usage_row(i: int, day: date = date(2025, 10, 1)) -> dict:
    return {"企業ID": "C01", "サービスID": "S02", "利用領域": "経理", "利用日": day, "アカウント": f"a{i}@example.jp",
            "出典": "Forms", "回答ID": f"N{i}"}


def raw_members(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """name -> (method, CRC, compressed bytes as stored)."""
    out = {}
    with open(path, "rb") as fp, zipfile.ZipFile(fp) as z:
        for info in z.infolist():
            fp.seek(info.header_offset)
            head = fp.read(30)
            name_len, extra_len = struct.unpack("<HH", head[26:30])
            fp.seek(info.header_offset + 30 + name_len + extra_len)
            out[info.filename] = (info.compress_type, info.CRC, fp.read(info.compress_size))
    return out


def calamine_rows(path: Path, sheet: str) -> list[list]:
    with python_calamine.CalamineWorkbook.from_path(str(path)) as wb:
        return wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def no_leftovers(folder: Path) -> bool:
    return not list(folder.glob(".~*")) and not list((folder / BACKUP_DIR).glob("*.partial"))


# ---------------------------------------------------------------------------------------------------------------
# 1. Staff work survives an append

def test_append_keeps_every_other_part_byte_identical(tmp_path):
    book = staff_workbook(tmp_path / "master.xlsx")
    before = raw_members(book)
    new_rows = [
        {"経費ID": "E004", "計上日": date(2025, 8, 4), "企業ID": "C03", "費目": schema.COST_CLOUD, "金額": 45000,
         "摘要": "追加 & <確認>", "証憑番号": "V-4"},
        {"経費ID": "E005", "計上日": datetime(2025, 8, 5, 9, 30), "費目": schema.COST_COMMON, "金額": 1234.5},
    ]
    patch_workbook(book, append={EXP.sheet: new_rows})

    after = raw_members(book)
    assert set(after) == set(before)
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml"}
    assert CUSTOM_PART in after and after[CUSTOM_PART] == before[CUSTOM_PART]

    rows = calamine_rows(book, EXP.sheet)
    assert len(rows) == 6
    assert rows[4][:7] == ["E004", date(2025, 8, 4), "C03", schema.COST_CLOUD, 45000, "追加 & <確認>", "V-4"]
    assert rows[5][0] == "E005" and rows[5][1] == datetime(2025, 8, 5, 9, 30) and rows[5][4] == 1234.5
    assert rows[5][2] == "" and rows[5][5] == ""  # headers the row did not give stay empty

    wb = openpyxl.load_workbook(book)
    ws = wb[EXP.sheet]
    assert ws.tables[EXP.name].ref == f"A1:{TAX_COL}6"
    assert ws["B5"].value == datetime(2025, 8, 4) and ws["B5"].number_format == "yyyy/m/d"
    assert ws["E5"].value == 45000 and ws["E5"].data_type == "n" and ws["E5"].number_format == "#,##0"
    assert ws["F5"].value == "追加 & <確認>" and ws["F5"].data_type == "s"
    assert ws[f"{TAX_COL}5"].value == f"={TAX_FORMULA}" and ws[f"{TAX_COL}6"].value == f"={TAX_FORMULA}"
    assert ws["C6"].value is None
    # Excel grows a column's drop-down and highlight with the table; so does the writer.
    assert "E2:E6" in {str(r.sqref) for r in ws.conditional_formatting}
    assert any("D2:D6" in str(dv.sqref) for dv in ws.data_validations.dataValidation)
    assert ws["A2"].comment.text == "証憑を確認済み"
    assert len(ws._images) == 1 and len(ws._charts) == 1
    assert wb[STAFF_SHEET]["B2"].value == "=SUM(1,2)"
    assert read_table_headers(book, EXP.sheet) == list(EXP.headers) + [TAX]
    assert no_leftovers(tmp_path)


def test_formula_looking_text_is_written_as_text(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=2)
    risky = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "_x0041_ as typed", "tab\tand\r\nnew line\x07"]
    patch_workbook(book, append={USAGE.sheet: [{"アカウント": text, "企業ID": "C01"} for text in risky]})
    ws = openpyxl.load_workbook(book)[USAGE.sheet]
    for offset, text in enumerate(risky[:4]):
        cell = ws.cell(4 + offset, 5)
        assert cell.value == text and cell.data_type == "s"
    with zipfile.ZipFile(book) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>HYPERLINK" not in sheet and "<f>" not in sheet
    values = [row[4] for row in calamine_rows(book, USAGE.sheet)[3:]]
    # Excel reads _xHHHH_ as an escaped character, so a literal one is protected; control characters go.
    assert values == risky[:4] + ["_x0041_ as typed", "tab\tand\nnew line"]


def test_appends_into_the_empty_first_row_of_a_fresh_table_and_finds_a_date_style(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=0)
    patch_workbook(book, append={USAGE.sheet: [usage_row(1), usage_row(2)]})
    ws = openpyxl.load_workbook(book)[USAGE.sheet]
    assert ws.tables[USAGE.name].ref == "A1:G3"
    assert ws["A2"].value == "C01" and ws["D2"].value == datetime(2025, 10, 1) and ws["D3"].is_date
    assert calamine_rows(book, USAGE.sheet)[2][3] == date(2025, 10, 1)


def test_1904_date_system_is_respected(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=1, epoch1904=True)
    patch_workbook(book, append={USAGE.sheet: [usage_row(1, date(2026, 2, 27))]})
    assert openpyxl.load_workbook(book)[USAGE.sheet]["D3"].value == datetime(2026, 2, 27)


def test_styled_empty_rows_below_the_table_are_filled_and_cells_beside_it_kept(tmp_path):
    book = tmp_path / "m.xlsx"
    usage_workbook(book, rows=2)
    wb = openpyxl.load_workbook(book)
    ws = wb[USAGE.sheet]
    for col in range(1, 8):
        ws.cell(5, col).fill = PatternFill("solid", fgColor="FFFF00")  # formatted, nothing typed
    ws["J5"] = "表の外のメモ"
    ws["K9"].font = Font(bold=True)
    wb.save(book)
    patch_workbook(book, append={USAGE.sheet: [usage_row(i) for i in range(4)]})
    rows = calamine_rows(book, USAGE.sheet)
    assert [r[6] for r in rows[3:7]] == ["N0", "N1", "N2", "N3"]
    assert rows[4][9] == "表の外のメモ"
    ws = openpyxl.load_workbook(book)[USAGE.sheet]
    assert ws.tables[USAGE.name].ref == "A1:G7" and ws["K9"].font.b


def test_something_typed_right_under_the_table_stops_the_write(tmp_path):
    book = tmp_path / "m.xlsx"
    usage_workbook(book, rows=2)
    wb = openpyxl.load_workbook(book)
    wb[USAGE.sheet]["B6"] = "下に書いたメモ"
    wb.save(book)
    original = book.read_bytes()
    with pytest.raises(WriteError, match="6行目"):
        patch_workbook(book, append={USAGE.sheet: [usage_row(i) for i in range(5)]})
    assert book.read_bytes() == original and no_leftovers(tmp_path)
    patch_workbook(book, append={USAGE.sheet: [usage_row(1)]})  # one row still fits above it
    assert calamine_rows(book, USAGE.sheet)[3][6] == "N1"


def test_sheet_xml_with_a_namespace_prefix(tmp_path):
    """Files from the Open XML SDK spell every element as <x:row>, <x:c>…"""
    book = usage_workbook(tmp_path / "m.xlsx", rows=2)
    with zipfile.ZipFile(book) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<(/?)(?!\?)([A-Za-z]+)\b", rb"<\1x:\2", data)
                data = data.replace(b"<x:worksheet xmlns=", b"<x:worksheet xmlns:x=")
            z.writestr(info, data)
    patch_workbook(book, append={USAGE.sheet: [usage_row(7)]})
    ws = openpyxl.load_workbook(book)[USAGE.sheet]
    assert ws["G4"].value == "N7" and ws.tables[USAGE.name].ref == "A1:G4"


# ---------------------------------------------------------------------------------------------------------------
# 3–5. Backups, locks, owned sheets

def test_backups_are_kept_and_bounded(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=1)
    previous = None
    for i in range(4):
        previous = book.read_bytes()
        patch_workbook(book, append={USAGE.sheet: [usage_row(i)]}, backups=2)
    backups = sorted((tmp_path / BACKUP_DIR).glob("m-*.xlsx"))
    assert len(backups) == 2
    assert all(re.fullmatch(r"m-\d{8}-\d{6}-\d{6}\.xlsx", b.name) for b in backups)
    assert backups[-1].read_bytes() == previous
    assert len(calamine_rows(book, USAGE.sheet)) == 6


def test_an_excel_owner_file_means_locked_and_nothing_is_written(tmp_path):
    book = usage_workbook(tmp_path / "master.xlsx", rows=1)
    original = book.read_bytes()
    assert not is_locked(book)
    owner = tmp_path / "~$master.xlsx"
    owner.write_bytes(b"owner")
    assert is_locked(book)
    with pytest.raises(WorkbookLocked, match="master.xlsx"):
        patch_workbook(book, append={USAGE.sheet: [usage_row(1)]})
    assert book.read_bytes() == original and not (tmp_path / BACKUP_DIR).exists()


@pytest.mark.skipif(os.name != "nt" and os.geteuid() == 0, reason="root may write read-only files")
def test_a_file_that_cannot_be_opened_for_writing_is_locked(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=1)
    book.chmod(0o444)
    try:
        assert is_locked(book)
        with pytest.raises(WorkbookLocked):
            patch_workbook(book, append={USAGE.sheet: [usage_row(1)]})
    finally:
        book.chmod(0o644)


def test_replace_sheets_rewrites_an_owned_sheet_cleanly_and_adds_two_sheets(tmp_path):
    book = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = schema.SUMMARY_SHEET
    ws.append(["企業", "金額", "更新"])
    ws.append(["旧", 1, date(2025, 4, 1)])
    ws["C2"].number_format = "yyyy/mm/dd"  # a date format in the book that new date cells can reuse
    ws["A1"].font = Font(bold=True)
    ws.merge_cells("A1:C1")  # a staff merge over the owned sheet hid what the toolkit wrote there
    ws.conditional_formatting.add("B2:B50", CellIsRule(operator="lessThan", formula=["0"],
                                                       fill=PatternFill(bgColor="FFC7CE")))
    ws.column_dimensions["A"].width = 30
    wb.create_sheet(STAFF_SHEET)["A1"] = "残す"
    wb.save(book)
    before = raw_members(book)

    summary = [["企業", "金額", "件数"], ["C01", 120000, 3], ["C02", -5000, 4]]
    findings = [["シート", "行", "内容", "日付"], ["経費", 3, "金額が読めません", date(2025, 9, 1)]]
    patch_workbook(book, replace_sheets={schema.SUMMARY_SHEET: summary, "検査結果": findings, "検査結果2": [["二つ目"]]})

    after = raw_members(book)
    changed = {n for n in before if after.get(n) != before[n]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                       "[Content_Types].xml"}
    assert len(set(after) - set(before)) == 2  # two new sheet parts, not one written twice
    wb = openpyxl.load_workbook(book)
    ws = wb[schema.SUMMARY_SHEET]
    assert [[c.value for c in r] for r in ws.iter_rows()] == summary
    # Old cell formats do not stay behind: a number where a date was is a number, the old bold header is gone,
    # the merge is gone; the sheet's column widths and conditional formats stay.
    assert ws["C2"].value == 3 and not ws["C2"].is_date and ws["C2"].number_format == "General"
    assert not ws["A1"].font.b and not ws.merged_cells.ranges
    assert ws.column_dimensions["A"].width == 30
    assert "B2:B50" in {str(r.sqref) for r in ws.conditional_formatting}
    assert wb.sheetnames == [schema.SUMMARY_SHEET, STAFF_SHEET, "検査結果", "検査結果2"]
    assert [[c.value for c in r] for r in wb["検査結果"].iter_rows()][1] == ["経費", 3, "金額が読めません",
                                                                           datetime(2025, 9, 1)]
    assert calamine_rows(book, "検査結果")[1] == ["経費", 3, "金額が読めません", date(2025, 9, 1)]
    assert calamine_rows(book, "検査結果2") == [["二つ目"]]
    assert calamine_rows(book, schema.SUMMARY_SHEET)[2] == ["C02", -5000, 4]

    # A second replace of the now existing sheet works on the part the first one created.
    patch_workbook(book, replace_sheets={"検査結果": [["シート", "行"]]})
    assert calamine_rows(book, "検査結果") == [["シート", "行"]]


def _rewrite_zip(path: Path, change, extra: dict[str, bytes] | None = None, stream: bool = False) -> None:
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()

    class Unseekable:  # zipfile then writes data descriptors, as streaming zip writers do
        def write(self, b):
            return buf.write(b)

        def flush(self):
            pass

    with zipfile.ZipFile(Unseekable() if stream else buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info.filename, change(info.filename, data))
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    path.write_bytes(buf.getvalue())


def test_replacing_a_sheet_that_held_formulas_drops_the_stale_calc_chain(tmp_path):
    book = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = schema.SUMMARY_SHEET
    wb.active["A1"] = "=1+1"
    wb.save(book)
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
    rel_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"

    def add_chain(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            override = f'<Override PartName="/xl/calcChain.xml" ContentType="{content_type}"/>'
            return data.replace(b"</Types>", override.encode() + b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            rel = f'<Relationship Id="rId77" Type="{rel_type}" Target="calcChain.xml"/>'
            return data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        return data

    chain = f'<calcChain xmlns="{NS_MAIN}"><c r="A1" i="1"/></calcChain>'.encode()
    _rewrite_zip(book, add_chain, {"xl/calcChain.xml": chain})
    patch_workbook(book, replace_sheets={schema.SUMMARY_SHEET: [["集計", 1]]})
    with zipfile.ZipFile(book) as z:
        assert "xl/calcChain.xml" not in z.namelist()
        assert b"calcChain" not in z.read("[Content_Types].xml") + z.read("xl/_rels/workbook.xml.rels")
    assert openpyxl.load_workbook(book)[schema.SUMMARY_SHEET]["B1"].value == 1


def test_a_package_streamed_with_data_descriptors_is_copied_exactly(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=2)
    _rewrite_zip(book, lambda name, data: data, stream=True)
    before = raw_members(book)
    patch_workbook(book, append={USAGE.sheet: [usage_row(5)]})
    after = raw_members(book)
    assert {n for n in before if before[n] != after[n]} == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml"}
    with zipfile.ZipFile(book) as z:
        assert z.testzip() is None
    assert calamine_rows(book, USAGE.sheet)[3][6] == "N5"


def _set_staff_cell(book: Path, cell_xml: bytes) -> None:
    """Put a cell python-calamine cannot read (an Excel 365 error value) on the staff sheet."""
    _rewrite_zip(book, lambda name, data: re.sub(rb'<c r="A1".*?</c>', cell_xml, data, count=1)
                 if name == "xl/worksheets/sheet2.xml" else data)


def test_a_staff_sheet_the_reader_cannot_parse_never_blocks_a_write(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=2)
    _set_staff_cell(book, b'<c r="A1" t="e"><v>#SPILL!</v></c>')
    with pytest.raises(python_calamine.CalamineError):  # the reader cannot read that sheet …
        calamine_rows(book, schema.SUPPORT_LOG.sheet)
    before = raw_members(book)
    patch_workbook(book, append={USAGE.sheet: [usage_row(1)]},
                   replace_sheets={schema.SUMMARY_SHEET: [["集計", 1]]})  # … and the write does not need it
    after = raw_members(book)
    assert after["xl/worksheets/sheet2.xml"] == before["xl/worksheets/sheet2.xml"]
    assert calamine_rows(book, USAGE.sheet)[3][6] == "N1"
    assert calamine_rows(book, schema.SUMMARY_SHEET) == [["集計", 1]]


def test_formats_follow_the_value_type(tmp_path):
    """A number under a date-formatted column is shown as a number, a date where no date format is is a date."""
    book = usage_workbook(tmp_path / "m.xlsx", rows=2)
    before = raw_members(book)
    patch_workbook(book, append={USAGE.sheet: [{"企業ID": "C01", "利用日": 45000, "アカウント": date(2025, 9, 1)}]})
    ws = openpyxl.load_workbook(book)[USAGE.sheet]
    assert ws["D4"].value == 45000 and not ws["D4"].is_date
    assert ws["E4"].value == datetime(2025, 9, 1) and ws["E4"].is_date
    assert ws["D3"].is_date  # the rows above keep theirs
    changed = {n for n in before if raw_members(book)[n] != before[n]}
    assert changed == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml"}  # formats the book has are reused
    assert calamine_rows(book, USAGE.sheet)[3][3:5] == [45000, date(2025, 9, 1)]


def test_a_folder_that_cannot_be_written_is_a_write_error_not_a_traceback(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=1)
    (tmp_path / BACKUP_DIR).write_text("a file where the toolkit keeps its backups")
    with pytest.raises(WriteError, match="m.xlsx"):
        patch_workbook(book, append={USAGE.sheet: [usage_row(1)]})


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="root may write read-only folders")
def test_a_read_only_folder_is_a_write_error_in_japanese(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    book = usage_workbook(folder / "m.xlsx", rows=1)
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteError, match="権限"):
            patch_workbook(book, append={USAGE.sheet: [usage_row(1)]})
    finally:
        folder.chmod(0o755)


def test_a_folder_it_may_not_write_is_a_japanese_write_error_and_the_book_is_unchanged(tmp_path, monkeypatch):
    """The same as a read-only folder, for a test run as root (who may write one): the temp file is refused."""
    book = usage_workbook(tmp_path / "m.xlsx", rows=1)
    before = book.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr("toolkit.workbook.write.tempfile.mkstemp", refuse)
    with pytest.raises(WriteError, match="権限"):
        patch_workbook(book, append={USAGE.sheet: [usage_row(1)]})
    assert book.read_bytes() == before


def test_a_transaction_refuses_to_write_a_book_saved_elsewhere_since_it_was_read(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=1)
    with transaction(book) as tx:
        patch_workbook(book, append={USAGE.sheet: [usage_row(1)]})  # nested: shares the lock, no deadlock
        tx.patch(append={USAGE.sheet: [usage_row(2)]})  # the transaction's own writes are not "elsewhere"
        saved = book.read_bytes()
        book.write_bytes(saved)  # as Excel saving the file would
        os.utime(book, ns=(1, 1))
        with pytest.raises(WriteError, match="別のプログラムで保存"):
            tx.patch(append={USAGE.sheet: [usage_row(3)]})
    assert [r[6] for r in calamine_rows(book, USAGE.sheet)[2:]] == ["N1", "N2"]


def shared_string_workbook(path: Path) -> Path:
    """利用実績 as Excel itself stores text: in the shared string table (XlsxWriter does the same); one 回答ID
    typed as a number."""
    import xlsxwriter
    book = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy/mm/dd"})
    ws = book.add_worksheet(USAGE.sheet)
    rows = [["C01", "S01", "人事", date(2025, 9, 1), "a@example.jp", "Forms", "R1"],
            ["C02", "S02", "経理", date(2025, 9, 2), "b@example.jp", "Forms", 101],
            ["C03", "S03", "人事", date(2025, 9, 3), "c@example.jp", "Forms", "R3"]]
    ws.add_table(0, 0, len(rows), len(USAGE.headers) - 1, {
        "name": USAGE.name, "data": rows, "columns": [{"header": h} for h in USAGE.headers]})
    book.close()
    return path


def test_update_overwrites_cells_of_rows_in_place_and_appends_in_the_same_write(tmp_path):
    from toolkit.workbook.write import RowUpdate
    book = shared_string_workbook(tmp_path / "m.xlsx")
    before = raw_members(book)
    patch_workbook(book, update={USAGE.sheet: [
        RowUpdate(2, {"利用日": date(2025, 9, 15), "アカウント": None}, match={"回答ID": "R1"}),
        RowUpdate(3, {"出典": "ログ"}, match={"回答ID": 101, "企業ID": "Ｃ０２"})]},
        append={USAGE.sheet: [usage_row(9)]})
    patch_workbook(book, update={USAGE.sheet: {4: {"出典": "ヒアリング"}}})  # row -> values, as the sync passes
    after = raw_members(book)
    assert {n for n in before if after[n] != before[n]} == {"xl/worksheets/sheet1.xml", "xl/tables/table1.xml"}
    rows = calamine_rows(book, USAGE.sheet)
    assert rows[1] == ["C01", "S01", "人事", date(2025, 9, 15), "", "Forms", "R1"]
    assert rows[2] == ["C02", "S02", "経理", date(2025, 9, 2), "b@example.jp", "ログ", 101]
    assert rows[3][5:] == ["ヒアリング", "R3"] and rows[4][6] == "N9"
    assert openpyxl.load_workbook(book)[USAGE.sheet].tables[USAGE.name].ref == "A1:G5"


@pytest.mark.parametrize("update, message", [
    ({"row": 2, "values": {"出典": "ログ"}, "match": {"回答ID": "R3"}}, "変わっています"),
    ({"row": 9, "values": {"出典": "ログ"}}, "テーブル"),
])
def test_an_update_whose_row_changed_since_it_was_read_is_refused(tmp_path, update, message):
    from toolkit.workbook.write import RowUpdate
    book = shared_string_workbook(tmp_path / "m.xlsx")
    original = book.read_bytes()
    with pytest.raises(WriteError, match=message):
        patch_workbook(book, update={USAGE.sheet: [RowUpdate(**update)]})
    assert book.read_bytes() == original


# ---------------------------------------------------------------------------------------------------------------
# 8. Refusals leave the master untouched

@pytest.mark.parametrize("append, message", [
    ({"存在しないシート": [{"企業ID": "C01"}]}, "存在しないシート"),
    ({USAGE.sheet: [{"企業ID": "C01", "知らない列": 1}]}, "知らない列"),
    ({schema.SUPPORT_LOG.sheet: [{"企業ID": "C01"}]}, "テーブルがありません"),
])
def test_unknown_sheet_or_header_is_refused(tmp_path, append, message):
    book = usage_workbook(tmp_path / "m.xlsx", rows=1)
    original = book.read_bytes()
    with pytest.raises(WriteError, match=message):
        patch_workbook(book, append=append)
    assert book.read_bytes() == original and no_leftovers(tmp_path)
    assert not list((tmp_path / BACKUP_DIR).glob("*.xlsx"))


def _zip_of(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("content, message", [
    (b"not a workbook at all", "zip"),
    (_zip_of({"[Content_Types].xml": b"<Types/>"}), "workbook.xml"),
    (_zip_of({"xl/workbook.xml": b"<workbook><sheets"}), "壊れて"),
])
def test_a_file_that_is_not_a_workbook_is_a_write_error(tmp_path, content, message):
    book = tmp_path / "m.xlsx"
    book.write_bytes(content)
    for write in (lambda: patch_workbook(book, append={USAGE.sheet: [usage_row(1)]}),
                  lambda: patch_workbook(book, replace_sheets={schema.SUMMARY_SHEET: [["集計"]]})):
        with pytest.raises(WriteError, match=message):
            write()
    assert book.read_bytes() == content


def test_headers_match_in_full_width_form(tmp_path):
    book = usage_workbook(tmp_path / "m.xlsx", rows=1)
    patch_workbook(book, append={USAGE.sheet: [{"企業ＩＤ ": "C09"}]})
    assert calamine_rows(book, USAGE.sheet)[2][0] == "C09"


# ---------------------------------------------------------------------------------------------------------------
# 6. Killed at any moment: the master is the old or the new workbook, never a broken one

CHILD = """
import sys, datetime
from toolkit.workbook.write import patch_workbook
rows = [{"企業ID": "C01", "サービスID": "S02", "利用領域": "経理", "利用日": datetime.date(2025, 10, 1),
         "アカウント": f"k{i}@example.jp", "出典": "Forms", "回答ID": f"K{i}"} for i in range(int(sys.argv[2]))]
print("go", flush=True)
patch_workbook(sys.argv[1], append={sys.argv[3]: rows}, backups=2)
print("done", flush=True)
"""


def _run_child(book: Path, n: int, kill_after: float | None) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(book), str(n), USAGE.sheet], stdout=subprocess.PIPE,
                            env=env, text=True)
    assert proc.stdout.readline().strip() == "go"
    start = time.perf_counter()
    if kill_after is None:
        proc.stdout.read()
        assert proc.wait() == 0
    else:
        time.sleep(kill_after)
        proc.kill()
        proc.wait()
    proc.stdout.close()
    return time.perf_counter() - start


def test_a_killed_write_leaves_the_old_or_the_new_workbook(tmp_path):
    book = usage_workbook(tmp_path / "big.xlsx", rows=1)
    patch_workbook(book, append={USAGE.sheet: [usage_row(i) for i in range(30000)]}, backups=0)
    n = 1500
    duration = _run_child(book, n, None)  # scales the kill moments to this machine; nothing is asserted on it
    rng = random.Random(20250901)
    for _ in range(10):
        height = len(calamine_rows(book, USAGE.sheet))
        _run_child(book, n, rng.uniform(0, duration * 1.1))
        with zipfile.ZipFile(book) as z:
            assert z.testzip() is None
        new_height = len(calamine_rows(book, USAGE.sheet))
        assert new_height in (height, height + n)
    patch_workbook(book, append={USAGE.sheet: [usage_row(0)]}, backups=2)  # the next write tidies up
    assert no_leftovers(tmp_path)
    assert len(list((tmp_path / BACKUP_DIR).glob("big-*.xlsx"))) == 2


# ---------------------------------------------------------------------------------------------------------------
# 7. LibreOffice opens the patched file

def _soffice_to_xlsx(soffice: str, profile: Path, book: Path, out: Path) -> Path | None:
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out), str(book)], capture_output=True, timeout=120)
    converted = out / book.name
    return converted if converted.exists() else None


def test_libreoffice_opens_the_patched_workbook(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    plain = usage_workbook(tmp_path / "plain.xlsx", rows=1)  # control: can this LibreOffice open any .xlsx?
    if _soffice_to_xlsx(soffice, tmp_path / "lo-profile", plain, tmp_path / "control") is None:
        pytest.skip("LibreOffice Calc is not installed (soffice cannot open an .xlsx)")
    book = staff_workbook(tmp_path / "master.xlsx")
    patch_workbook(book, append={EXP.sheet: [
        {"経費ID": "E004", "計上日": date(2025, 8, 4), "企業ID": "C03", "費目": schema.COST_CLOUD, "金額": 45000}]},
        replace_sheets={"検査結果": [["シート", "件数"], ["経費", 1]]})
    converted = _soffice_to_xlsx(soffice, tmp_path / "lo-profile", book, tmp_path / "out")
    assert converted is not None, "LibreOffice could not open the patched workbook"
    rows = calamine_rows(converted, EXP.sheet)
    assert rows[4][:5] == ["E004", date(2025, 8, 4), "C03", schema.COST_CLOUD, 45000]
    assert rows[4][len(EXP.headers)] == pytest.approx(49500)  # LibreOffice computed the staff's table formula
    assert calamine_rows(converted, "検査結果") == [["シート", "件数"], ["経費", 1]]
