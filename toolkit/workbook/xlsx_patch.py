"""Transitional name for ``toolkit.workbook.xlsx`` (the zip-level patcher's public face): modules written before
the split import from here. New code imports ``toolkit.workbook.xlsx``; remove this file once nothing imports it."""
from toolkit.workbook.xlsx import (Book, Package, PatchError, Rel, SheetRef, col_letters, col_number,  # noqa: F401
                                   open_book, read_rels, rels_part, sheet_tables, write_package)
