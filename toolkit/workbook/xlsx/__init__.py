"""Byte-level patching of an .xlsx package: the engine under ``toolkit.workbook.write``.

Why hand-written: no library appends rows to an .xlsx without re-saving the whole package, and re-saving loses
what the library does not understand (openpyxl drops shapes, form controls, images, some charts, VBA, unknown
custom XML). So a write here rewrites only the parts it owns — the target sheet XML and its table XML, a sheet the
toolkit owns with its charts, styles.xml when a new cell format is needed — and every other zip member is copied
with its original compressed bytes, untouched.

This module is the public face; the private modules each do one job: ``_zip`` (members raw in, raw out), ``_opc``
(relationships, which part is which sheet), ``_plan`` (the package as the write will leave it), ``_rows`` (a table's
rows: append, update in place), ``_cells`` (values as cell XML), ``_styles`` (cell formats), ``_sheet`` (worksheet XML), ``_tables``, ``_render`` (a layout as cells),
``_chart`` (DrawingML charts), ``_patch`` (the patches) and ``_verify`` (reading back what was written).
"""
from __future__ import annotations

import importlib

# Public name -> the private module that holds it. Loaded on first use (PEP 562): a command that only reads a book
# needs the package's structure (``_zip``, ``_opc``, ``_tables``), not the writer, whose import is a good part of
# a short command's start-up.
_EXPORTS = {
    "clean_text": "_cells", "col_letters": "_cells", "col_number": "_cells", "excel_serial": "_cells",
    "Book": "_opc", "Rel": "_opc", "SheetRef": "_opc", "open_book": "_opc", "read_rels": "_opc",
    "rels_part": "_opc",
    "make_plan": "_patch", "table_headers": "_patch",
    "Plan": "_plan",
    "RowUpdate": "_rows",
    "TableInfo": "_tables", "sheet_tables": "_tables",
    "verify": "_verify",
    "Package": "_zip", "PatchError": "_zip", "check_sizes": "_zip", "write_package": "_zip",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
