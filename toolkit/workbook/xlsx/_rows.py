"""Rows of a sheet's Excel Table: append new ones after the last row with data, overwrite cells of existing ones.

Both are splices into the sheet's bytes (a 50,000-row sheet is never parsed): the row XML that changes is
rebuilt, every other byte of the part stays as it was.
"""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from toolkit.workbook.xlsx._cells import CellWriter, col_letters, number_text
from toolkit.workbook.xlsx._opc import NS_MAIN, Book, SheetRef
from toolkit.workbook.xlsx._plan import Plan, SheetCheck
from toolkit.workbook.xlsx._sheet import Sheet, extend_ranges
from toolkit.workbook.xlsx._styles import StyleSheet
from toolkit.workbook.xlsx._tables import TableInfo, pick_table
from toolkit.workbook.xlsx._zip import PatchError

Rows = Sequence[Mapping[str, object]]


@dataclass(frozen=True)
class RowUpdate:
    """Overwrite cells of one existing row of a sheet's table, in place (an edited Forms response).

    ``row`` is the Excel row number, as the reader reports it; ``values`` maps table headers to new values (None
    empties the cell); ``match`` maps headers to what the row must still hold (text or numbers, compared as staff
    see them) — when it does not, the row moved or changed since it was read and the whole write is refused.
    """

    row: int
    values: Mapping[str, object]
    match: Mapping[str, object] = field(default_factory=dict)


class SharedStrings:
    """The book's shared string table, read only if a row to match holds a shared string."""

    def __init__(self, plan: Plan, book: Book):
        self._plan, self._book = plan, book
        self._texts: list[str] | None = None

    def __getitem__(self, index: int) -> str:
        if self._texts is None:
            part = self._book.related("/sharedStrings")
            self._texts = []
            if part is not None:
                m = f"{{{NS_MAIN}}}"
                for si in self._plan.view(part).iter(f"{m}si"):
                    # Visible text only: runs' text, not the phonetic guide (furigana, <rPh>) Japanese Excel adds.
                    self._texts.append("".join(si.xpath("m:t/text() | m:r/m:t/text()", namespaces={"m": NS_MAIN})))
        if not 0 <= index < len(self._texts):
            raise PatchError("ブックの共有文字列（sharedStrings.xml）が壊れています。")
        return self._texts[index]


_TYPE = re.compile(rb"\st=[\"'](\w+)[\"']")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_EXCEL_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _shown(raw: bytes, strings: SharedStrings) -> str:
    """A cell's value as text, for comparing with what the reader saw."""
    kind = _TYPE.search(raw.split(b">", 1)[0])
    kind = kind.group(1) if kind else b"n"
    if kind == b"inlineStr":
        text = "".join(html.unescape(t.decode("utf-8")) for t in _TEXT.findall(raw))
    else:
        v = _VALUE.search(raw)
        text = html.unescape(v.group(1).decode("utf-8")) if v else ""
        if kind == b"s" and text.isdigit():
            text = strings[int(text)]
        elif kind == b"n" and text:
            try:
                text = number_text(float(text))
            except ValueError:
                pass
    return _EXCEL_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _comparable(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PatchError(f"行の照合には文字か数値を使ってください（{value!r}）。")
    text = value if isinstance(value, str) else number_text(float(value))
    return unicodedata.normalize("NFKC", text).strip()


@dataclass(frozen=True)
class _Splice:
    start: int  # in the sheet's bytes as they were
    stop: int
    data: bytes
    rows: bool = False  # holds row XML the write made (the verification reads it back)


def edit_table_rows(plan: Plan, book: Book, styles: StyleSheet, ref: SheetRef, rows: Rows,
                    updates: Sequence[RowUpdate]) -> None:
    """Append ``rows`` to the sheet's table and apply ``updates`` to its existing rows, in one splice."""
    headers = {h for row in rows for h in row} | {h for u in updates for h in (*u.values, *u.match)}
    table = pick_table(book, ref, headers)
    sheet = Sheet(plan.read(ref.part), ref.name)
    writer = CellWriter(styles.style_for, book.date1904, sheet.p.decode())
    filled: list[tuple[int, int]] = []
    splices = _updates(plan, book, sheet, table, writer, updates, filled) if updates else []
    if rows:
        appended, last_new = _append(sheet, table, writer, rows, filled)
        splices += appended
        plan.put(table.part, table.with_last_row(max(last_new, table.r2)))
    out, spans, at, size = [], [], 0, 0
    for s in sorted(splices, key=lambda s: s.start):
        if s.start < at:
            raise PatchError(f"シート「{ref.name}」で書き換える行と追記する行が重なっています。")
        out += [sheet.data[at:s.start], s.data]
        size += s.start - at
        if s.rows:
            spans.append((size, size + len(s.data)))
        size += len(s.data)
        at = s.stop
    out.append(sheet.data[at:])
    plan.put(ref.part, b"".join(out), SheetCheck(ref.name, filled, spans))


def _updates(plan: Plan, book: Book, sheet: Sheet, table: TableInfo, writer: CellWriter,
             updates: Sequence[RowUpdate], filled: list[tuple[int, int]]) -> list[_Splice]:
    by_row: dict[int, RowUpdate] = {}
    for u in updates:
        if u.row in by_row:
            raise PatchError(f"シート「{sheet.label}」の {u.row} 行目への書き換えが重複しています。")
        if not table.first_data_row <= u.row <= table.r2:
            raise PatchError(f"シート「{sheet.label}」の {u.row} 行目はテーブル {table.name} の外です。")
        by_row[u.row] = u
    found = sheet.find_rows(set(by_row))
    strings = SharedStrings(plan, book)
    col_styles = sheet.col_styles()
    out = []
    for r, u in sorted(by_row.items()):
        if r not in found:
            raise PatchError(f"シート「{sheet.label}」の {r} 行目が見つかりません。")
        start, stop = found[r]
        cells = {col: (style, raw) for col, style, _, raw in sheet.cells(start, stop)}
        for header, expected in u.match.items():
            col = table.c1 + table.column_of(header)
            now = _shown(cells[col][1], strings) if col in cells else ""
            if unicodedata.normalize("NFKC", now).strip() != _comparable(expected):
                raise PatchError(f"シート「{sheet.label}」の {r} 行目が、読み込んだときから変わっています"
                                 f"（{header}: 「{now}」）。もう一度実行してください。")
        new_cells: dict[int, str | None] = {}
        for header, value in u.values.items():
            col = table.c1 + table.column_of(header)
            style = cells[col][0] if col in cells else col_styles.get(col)
            xml = writer.cell(f"{col_letters(col)}{r}", value, style)
            if xml is None and style:
                xml = f'<{writer.p}c r="{col_letters(col)}{r}" s="{style}"/>'  # emptied, its look kept
            elif xml is not None and value is not None:
                filled.append((r, col))
            new_cells[col] = xml
        out.append(_Splice(start, stop, sheet.rewrite_row(start, stop, new_cells, keep_content=True).encode(), True))
    return out


def _append(sheet: Sheet, table: TableInfo, writer: CellWriter, rows: Rows,
            filled: list[tuple[int, int]]) -> tuple[list[_Splice], int]:
    """The splices of an append — the dimension, the new rows (into empty rows below the table if there are any),
    the conditional-format and validation ranges that grow with the table — and the last new row."""
    if table.totals_rows:
        raise PatchError(f"シート「{sheet.label}」のテーブル {table.name} に集計行があるため追記できません。"
                         "集計行をオフにしてから再実行してください。")
    data, c1, c2 = sheet.data, table.c1, table.c2
    # Walk back from </sheetData> over rows below the table and empty table rows to the last row with data.
    trailing: list[tuple[int, int, int]] = []  # (row, start, stop), bottom first
    last_data: tuple[int, int, int] | None = None
    stop = sheet.body_end
    while (found := sheet.row_before(stop)) is not None:
        r, start = found
        if r < table.first_data_row:
            break
        if r > table.r2 or not sheet.has_content(start, stop, c1, c2):
            trailing.append((r, start, stop))
            stop = start
            continue
        last_data = (r, start, stop)
        break
    insert_at = stop
    first_new = last_data[0] + 1 if last_data else table.first_data_row
    last_new = first_new + len(rows) - 1

    # Formats: the last data row's cells, else the (empty) first table row's, else <col style>; the writer then
    # fits each to its value's type.
    col_styles = sheet.col_styles()
    if last_data:
        col_styles.update(sheet.cell_styles(last_data[1], last_data[2]))
    else:
        placeholder = next((t for t in trailing if t[0] == table.first_data_row), None)
        if placeholder:
            col_styles.update(sheet.cell_styles(placeholder[1], placeholder[2]))

    # Per column, in sheet order: (header given by the rows or None, column, letters, format, calculated-column
    # formula).
    headers = {h for row in rows for h in row}
    given = {table.column_of(h): h for h in headers}
    columns = [(given.get(i), c1 + i, col_letters(c1 + i), col_styles.get(c1 + i), formula)
               for i, formula in enumerate(table.formulas) if i in given or formula]
    cell = writer.cell
    existing = {r: (start, stop_) for r, start, stop_ in trailing if r <= last_new}
    out: list[str] = []
    p = writer.p
    for r, row in enumerate(rows, start=first_new):
        number = str(r)
        cells: list[tuple[int, str]] = []
        for header, c, letters, style, formula in columns:
            v = row.get(header) if header is not None else None
            if v is None:
                if formula:  # a calculated column staff added: the new row gets the column's formula
                    cells.append((c, writer.formula(letters + number, formula, style)))
                continue
            xml = cell(letters + number, v, style)
            if xml is not None:
                cells.append((c, xml))
                filled.append((r, c))
        if r in existing:
            out.append(sheet.rewrite_row(*existing[r], dict(cells), keep_content=False, c1=c1, c2=c2))
        else:
            out.append(f'<{p}row r="{number}">' + "".join(x for _, x in cells) + f"</{p}row>")
    # Rows below the new ones stay as they were.
    below = [start for r, start, _ in trailing if r > last_new]
    rest_at = min(below) if below else sheet.body_end
    splices = [_Splice(0, sheet.open_at, sheet.dimension_patched(data[:sheet.open_at], c2, last_new)),
               _Splice(insert_at, rest_at, "".join(out).encode("utf-8"), True)]
    if last_new > table.r2:
        splices.append(_Splice(sheet.body_end, len(data), extend_ranges(
            data[sheet.body_end:], c1, table.first_data_row, c2, table.r2, last_new)))
    return splices, last_new
