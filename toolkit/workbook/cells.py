"""Excel error values and formulas without a saved value, found in a worksheet's XML.

python-calamine reads an error cell (``#REF!``, ``#N/A`` …) or a formula whose result was never saved as an empty
string, and refuses the whole sheet on an error code it does not know (Excel 365's ``#SPILL!``, ``#CALC!`` …). The
reader needs to tell those cells from blank ones, so it looks for them in the sheet XML here: a byte search finds
whether a sheet has any at all (most have none), and only then are the few cells parsed. No library exposes this.
"""
from __future__ import annotations

import html
import re

# Every error value Excel writes (classic, and Excel 365's). A cell holding one of these strings as typed text is an
# error too: Excel itself turns a typed #N/A into the error value, and xlwings hands errors over as these strings.
ERROR_CODES = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#BUSY!", "#CONNECT!", "#UNKNOWN!", "#PYTHON!", "#EXTERNAL!",
})
# The ones python-calamine reads (as an empty cell); any other makes it refuse the sheet.
CALAMINE_KNOWN = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})


class CellError(str):
    """A cell whose value is an Excel error or a formula with no saved result. The text is the error code
    (``#REF!``) or the formula (``=A2+B2``); ``formula`` tells which."""

    __slots__ = ("formula",)

    def __new__(cls, text: str, formula: bool = False) -> "CellError":
        obj = super().__new__(cls, text)
        obj.formula = formula
        return obj

    def describe(self) -> str:
        if self.formula:
            return f"数式 {self} の計算結果が保存されていません。Excel で開いて再計算し、保存し直してください"
        return f"Excel のエラー値 {self} です。参照先が消えた数式などを直してください"


def is_error_text(value: object) -> bool:
    return isinstance(value, str) and value[:1] == "#" and value in ERROR_CODES


_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _formula_pattern(p: bytes) -> re.Pattern[bytes]:
    # A cell whose formula is followed by no value (or an empty one) before the cell closes.
    p = re.escape(p)
    return re.compile(rb"<" + p + rb"c\b([^>]*)>(?:<" + p + rb"f\b[^>]*/>|<" + p + rb"f\b[^>]*>([^<]*)</" + p
                      + rb"f>)(?:<" + p + rb"v\s*/>|<" + p + rb"v></" + p + rb"v>)?</" + p + rb"c>")


def find_error_cells(xml: bytes) -> dict[tuple[int, int], CellError]:
    """(row, column), 0-based as python-calamine indexes them from A1, of every error cell and every formula cell
    without a saved value."""
    found: dict[tuple[int, int], CellError] = {}
    m = re.search(rb"<(\w+:)?worksheet[\s>]", xml[:4096])
    p = (m.group(1) or b"") if m else b""
    if b't="e"' in xml:
        start_tag, end_tag = b"<" + p + b"c", b"</" + p + b"c>"
        at = xml.find(b't="e"')
        while at >= 0:
            start = xml.rfind(start_tag, 0, at)
            end = xml.find(end_tag, at)
            stop = xml.find(b">", at)
            if start >= 0 and stop >= 0:
                attrs = xml[start:stop]
                ref = _CELL_REF.search(attrs)
                body = xml[stop + 1:end] if end >= 0 and xml[stop - 1:stop] != b"/" else b""
                value = _VALUE.search(body)
                if ref is not None:
                    code = html.unescape(value.group(1).decode("utf-8", "replace")) if value else "#N/A"
                    found[(int(ref.group(2)) - 1, _column_index(ref.group(1)))] = CellError(code or "#N/A")
            at = xml.find(b't="e"', at + 5)
    if b"f></" + p + b"c>" in xml or b"/></" + p + b"c>" in xml or b"<" + p + b"v/>" in xml:
        for cell in _formula_pattern(p).finditer(xml):
            ref = _CELL_REF.search(cell.group(1))
            if ref is None or b't="e"' in cell.group(1):
                continue
            key = (int(ref.group(2)) - 1, _column_index(ref.group(1)))
            formula = html.unescape((cell.group(2) or b"").decode("utf-8", "replace")).strip()
            found.setdefault(key, CellError("=" + formula if formula else "=（共有数式）", formula=True))
    return found


def neutralise_unknown_errors(xml: bytes) -> bytes:
    """The sheet XML with every error cell typed as text, so python-calamine reads a sheet holding an error code it
    does not know (the reader puts the CellError back from ``find_error_cells``)."""
    return xml.replace(b't="e"', b't="str"')
