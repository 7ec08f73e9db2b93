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
from toolkit.workbook.xlsx._cells import clean_text, col_letters, col_number, excel_serial
from toolkit.workbook.xlsx._opc import Book, Rel, SheetRef, open_book, read_rels, rels_part
from toolkit.workbook.xlsx._patch import make_plan, table_headers
from toolkit.workbook.xlsx._plan import Plan
from toolkit.workbook.xlsx._rows import RowUpdate
from toolkit.workbook.xlsx._tables import TableInfo, sheet_tables
from toolkit.workbook.xlsx._verify import verify
from toolkit.workbook.xlsx._zip import Package, PatchError, write_package

__all__ = ["Book", "Package", "PatchError", "Plan", "Rel", "RowUpdate", "SheetRef", "TableInfo", "clean_text", "col_letters",
           "col_number", "excel_serial", "make_plan", "open_book", "read_rels", "rels_part", "sheet_tables",
           "table_headers", "verify", "write_package"]
