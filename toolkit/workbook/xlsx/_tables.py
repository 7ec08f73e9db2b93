"""Excel Tables (ListObjects): where a sheet's table is, its columns and calculated-column formulas."""
from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from toolkit.schema import fold
from toolkit.workbook.xlsx._cells import format_range, parse_range
from toolkit.workbook.xlsx._opc import NS_MAIN, Book, SheetRef, parse_xml, read_rels, serialise
from toolkit.workbook.xlsx._zip import PatchError

_M = f"{{{NS_MAIN}}}"


@dataclass
class TableInfo:
    part: str
    root: etree._Element
    name: str
    c1: int
    r1: int
    c2: int
    r2: int
    header_rows: int
    totals_rows: int
    columns: list[str]
    formulas: list[str | None]

    @property
    def first_data_row(self) -> int:
        return self.r1 + self.header_rows

    def column_of(self, header: str) -> int | None:
        """0-based index of a header: exact, else the folded form (full-width, spaces)."""
        if header in self.columns:
            return self.columns.index(header)
        folded = [fold(c) for c in self.columns]
        key = fold(str(header))
        return folded.index(key) if key in folded else None

    def with_last_row(self, last: int) -> bytes:
        """The table part with its range (and its filter's, and a sort range that ended with it) ending at last."""
        old = self.r2
        ref = format_range(self.c1, self.r1, self.c2, last)
        self.root.set("ref", ref)
        for el in self.root.iter(f"{_M}autoFilter"):
            el.set("ref", ref)
        for el in self.root.iter(f"{_M}sortState"):
            try:
                a, b, c, d = parse_range(el.get("ref", ""))
            except PatchError:
                continue
            if d == old:
                el.set("ref", format_range(a, b, c, last))
        return serialise(self.root)


def _unescape_excel(text: str) -> str:
    """Excel stores a header's line break as _x000a_ in the table XML."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def sheet_tables(book: Book, sheet: SheetRef) -> list[TableInfo]:
    out = []
    for rel in read_rels(book.pkg, sheet.part):
        if not rel.type.endswith("/table") or book.pkg.name(rel.target) is None:
            continue
        part = book.pkg.name(rel.target)
        root = parse_xml(book.pkg.read(part), part)
        c1, r1, c2, r2 = parse_range(root.get("ref", ""))
        cols = root.findall(f"{_M}tableColumns/{_M}tableColumn")
        formulas = []
        for col in cols:
            f = col.find(f"{_M}calculatedColumnFormula")
            formulas.append(f.text if f is not None and f.text else None)
        out.append(TableInfo(part, root, root.get("displayName") or root.get("name", ""), c1, r1, c2, r2,
                             _int(root.get("headerRowCount"), 1), _int(root.get("totalsRowCount"), 0),
                             [_unescape_excel(c.get("name", "")) for c in cols], formulas))
    return out


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def pick_table(book: Book, sheet: SheetRef, headers: set[str]) -> TableInfo:
    """The sheet's table (the contract has one per sheet; with several, the one that has every header)."""
    tables = sheet_tables(book, sheet)
    if not tables:
        raise PatchError(f"シート「{sheet.name}」にテーブルがありません"
                         "（Excel の「テーブルとして書式設定」が必要です）。")
    if len(tables) > 1:
        fitting = [t for t in tables if all(t.column_of(h) is not None for h in headers)]
        if len(fitting) != 1:
            raise PatchError(f"シート「{sheet.name}」にはテーブルが {len(tables)} 個あり、"
                             "どれに書くか決められません。")
        return fitting[0]
    missing = sorted(h for h in headers if tables[0].column_of(h) is None)
    if missing:
        raise PatchError(f"シート「{sheet.name}」のテーブルに列「{'」「'.join(missing)}」がありません。")
    return tables[0]
