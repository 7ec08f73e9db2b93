"""The Excel adapter's test book: the real .xlsm that ``build_macro_workbook`` makes, shown through
``fake_xlwings`` as Excel would show it, with a few rows typed in as staff would type them; and the sync rows a
button run fetches. A pytest plugin (``conftest.py``), shared by the local and the cloud Excel tests."""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from tests import fake_xlwings as xw
from toolkit import excel, excel_setup, schema


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    from toolkit.workbook.template import write_template

    folder = tmp_path_factory.mktemp("excel")
    master = folder / "master.xlsx"
    write_template(master)
    return master, excel_setup.build_macro_workbook(master, folder / "master.xlsm")


def _names(xlsm: Path) -> dict[str, tuple[str, str]]:
    with zipfile.ZipFile(xlsm) as z:
        root = etree.fromstring(z.read("xl/workbook.xml"))
    found = {}
    for el in root.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}definedName"):
        m = re.fullmatch(r"'(.+)'!\$([A-Z]+)\$(\d+)", el.text or "")
        if m:
            found[el.get("name")] = (m.group(1), f"{m.group(2)}{m.group(3)}")
    return found


def fake_book(xlsm: Path, folder: Path) -> xw.Book:
    """The built workbook as Excel would show it: every sheet's values, its names, and each sheet's tables
    (with their calculated columns) and text-formatted columns as the file defines them."""
    import openpyxl
    from openpyxl.utils import range_boundaries
    from python_calamine import CalamineWorkbook

    book = xw.Book(str(folder / xlsm.name))
    wb = CalamineWorkbook.from_path(str(xlsm))
    for name in wb.sheet_names:
        book.add_sheet(name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    book.names.update(_names(xlsm))
    for ws in openpyxl.load_workbook(xlsm, keep_vba=True).worksheets:
        sheet = book.sheets[ws.title]
        for table in ws.tables.values():
            c1, r1, c2, r2 = range_boundaries(table.ref)
            fake = sheet.tables.add(source=sheet.range((r1, c1), (r2, c2)), name=table.displayName)
            fake.calculated = {i: "=" + col.calculatedColumnFormula.attr_text
                               for i, col in enumerate(table.tableColumns) if col.calculatedColumnFormula}
            for r in range(r1 + 1, r2 + 1):  # the formulas already in the file's rows
                for i, formula in fake.calculated.items():
                    sheet.formulas[(r, c1 + i)] = formula
        sheet.text_columns = {c for c in range(1, ws.max_column + 1) if ws.cell(2, c).number_format == "@"}
    book.sheets[excel.CONTROL_SHEET].activate()
    return book


def correct_the_bad_row(book: xw.Book) -> None:
    """E02's 企業ID C99 (the error the check tests look for), typed as C02: documents are refused while it is there."""
    book.sheets[schema.EXPENSES.sheet].set("C3", "C02")


def put_rows(book: xw.Book, table: schema.Table, rows: list[dict]) -> None:
    """Type rows under a table, as staff would: cell by cell, found by header; Excel converts what is typed,
    grows the table and fills its calculated columns."""
    sheet = book.sheets[table.sheet]
    t = sheet.tables[table.name]
    headers = t.header_row_range.value
    start = t.range.row + 1
    while any(sheet.cells.get((start, c)) is not None for c in range(t.range.column, t.range.column + len(headers))):
        start += 1
    for i, row in enumerate(rows):
        for header, value in row.items():
            if value is not None:
                sheet.range((start + i, t.range.column + headers.index(header))).value = value


@pytest.fixture
def book(built, tmp_path) -> xw.Book:
    book = fake_book(built[1], tmp_path)
    put_rows(book, schema.COMPANIES, [
        {"企業ID": "C01", "企業名": "テスト工業株式会社", "従業員数": 12, "取組段階": "1"},
        {"企業ID": "C02", "企業名": "'=みなと商店", "従業員数": 5, "取組段階": "2"},
    ])
    put_rows(book, schema.SERVICES, [
        {"サービスID": "S01", "サービス名": "クラウド会計", "業務分類": "経理", "単価": 3000},
    ])
    put_rows(book, schema.EXPENSES, [
        {"経費ID": "E01", "計上日": datetime(2025, 10, 1), "企業ID": "C01", "費目": schema.COST_CLOUD, "金額": 3000},
        {"経費ID": "E02", "計上日": datetime(2025, 10, 2), "企業ID": "C99", "費目": schema.COST_CLOUD, "金額": 3000},
    ])
    put_rows(book, schema.EVENTS, [
        {"イベントID": "EV1", "種別": "説明会・ワークショップ", "名称": "キックオフ説明会", "開催日": datetime(2025, 9, 10)},
    ])
    return book



# ---------------------------------------------------------------- what a sync brings

def queued_rows() -> dict[str, list[dict]]:
    a, u = schema.ATTENDANCE.headers, schema.USAGE_DAYS.headers
    return {
        schema.ATTENDANCE.sheet: [
            dict(zip(a, ("EV1", "C01", "山田 太郎", "yamada@example.jp", "出席", None, "Forms", "F-1",
                         datetime(2025, 9, 11, 9, 0)))),
            dict(zip(a, ("EV1", None, "=cmd|'/c calc'!A1", None, "申込", None, "Forms", "F-2",
                         datetime(2025, 9, 11, 9, 0)))),
        ],
        schema.USAGE_DAYS.sheet: [dict(zip(u, ("C01", "S01", "経理", date(2025, 10, 3), None, "Forms", "U-1")))],
    }


def fetching(rows_by_sheet: dict[str, list[dict]]):
    """A fetch step bringing these rows, de-duplicated against the workbook and the queue as plan_sync does."""
    from toolkit.graph.sync import SyncPlan

    def fetch(program, existing, state, columns):
        appends = {sheet: [r for r in rows if r["回答ID"] not in existing[sheet]]
                   for sheet, rows in rows_by_sheet.items()}
        return SyncPlan(appends=appends, state=dict(state))
    return lambda env: fetch
