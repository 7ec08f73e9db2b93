"""Build master workbooks in code for tests: headers come from the schema, rows are what a person typed."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table

from toolkit import schema


def write_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]] | None = None, *,
                   settings: Mapping[str, object] | None = None, omit: Sequence[str] = (),
                   headers: Mapping[str, Sequence[str]] | None = None, tables: bool = True) -> Path:
    """Every contract sheet with its headers in row 1, as an Excel table (``tables=False``: plain cells);
    ``sheets`` gives data rows (values in header order, or under ``headers[sheet]`` when a test reorders or adds
    columns); ``settings`` overrides 設定 values."""
    sheets = sheets or {}
    headers = headers or {}
    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in schema.TABLES:
        if table.sheet in omit:
            continue
        ws = book.create_sheet(table.sheet)
        ws.append(list(headers.get(table.sheet, table.headers)))
        if table is schema.SETTINGS:
            values = {s.item: s.default for s in schema.SETTING_ITEMS}
            values.update(settings or {})
            for item, value in values.items():
                ws.append([item, value if value != "" else None])
        else:
            for row in sheets.get(table.sheet, ()):
                ws.append(list(row))
        if tables:
            _add_table(ws, table.name)
    book.save(path)
    return path


def _add_table(ws, name: str) -> None:
    """The sheet's header row and data as an Excel table (at least one data row, as Excel requires)."""
    width = max(1, ws.max_column)
    for c in range(1, width + 1):  # a table's headers are unique, non-empty text
        cell = ws.cell(row=1, column=c)
        if not isinstance(cell.value, str) or not cell.value.strip():
            cell.value = f"列{c}"
    ws.add_table(Table(displayName=name, ref=f"A1:{get_column_letter(width)}{max(2, ws.max_row)}"))
