"""Build master workbooks in code for tests: headers come from the schema, rows are what a person typed."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import openpyxl

from toolkit import schema


def write_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]] | None = None, *,
                   settings: Mapping[str, object] | None = None, omit: Sequence[str] = (),
                   headers: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Every contract sheet with its headers in row 1; ``sheets`` gives data rows (values in header order, or
    under ``headers[sheet]`` when a test reorders or adds columns); ``settings`` overrides 設定 values."""
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
            continue
        for row in sheets.get(table.sheet, ()):
            ws.append(list(row))
    book.save(path)
    return path
