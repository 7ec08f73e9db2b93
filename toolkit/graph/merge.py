"""The 回答ID index of the workbook (for de-duplication and in-place updates), and Excel-safe form text.

The de-duplication key is the 回答ID column of 出欠 and 利用実績. The keys are taken from the *raw* rows of
those sheets (``existing_index``), not from the program's records: a row the toolkit wrote with an empty 企業ID
(an unmatched company) is an invalid row the reader leaves out of the records, yet it must still count as
already imported, or every run would append it again.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence

from toolkit import schema

# 出欠 and 利用実績 name their key column the same.
RESPONSE_ID = schema.ATTENDANCE.header("response_id")

# Sheets the sync appends to, in the order they are written.
TARGETS = (schema.ATTENDANCE, schema.USAGE_DAYS)

# Characters that make Excel (or a CSV import of the sheet) treat the text as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: object) -> object:
    """Form text that would start a formula gets a leading apostrophe (the usual CSV-injection defence).

    The writer stores text as text cells anyway; the apostrophe keeps the value harmless where it is copied
    from there (CSV export, paste into another book). Staff see it as the first character of the cell.
    Full-width ＝ is folded first, since Japanese input methods type it and Excel accepts it as =.
    """
    if not isinstance(value, str) or not value:
        return value
    head = unicodedata.normalize("NFKC", value[0])
    if head.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_row(row: Mapping[str, object]) -> dict[str, object]:
    return {header: safe_text(value) if value.__class__ is str else value for header, value in row.items()}


def key_text(value: object) -> str | None:
    """A 回答ID cell as the comparison key (a number typed by hand reads back as 12.0)."""
    if value.__class__ is str:  # the usual case, 100,000 times a run: no more work than needed
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def index_rows(rows: Sequence[Sequence[object]] | None) -> dict[str, int]:
    """回答ID -> worksheet row number (row 0 of ``rows`` is worksheet row 1, the header), valid rows or not."""
    if not rows:
        return {}
    header = rows[0]
    index = next((i for i, cell in enumerate(header)
                  if isinstance(cell, str) and schema.fold(cell) == schema.fold(RESPONSE_ID)), None)
    if index is None:
        return {}
    found: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if index < len(row):
            key = key_text(row[index])
            if key is not None:
                found.setdefault(key, number)
    return found


def existing_index(raw: Mapping[str, Sequence[Sequence[object]]]) -> dict[str, dict[str, int]]:
    """sheet -> {回答ID: worksheet row} already in the workbook (raw rows, so rows with errors count too)."""
    return {table.sheet: index_rows(raw.get(table.sheet)) for table in TARGETS}
