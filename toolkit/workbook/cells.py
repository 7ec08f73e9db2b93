"""Excel error values and formulas without a saved value, found in a worksheet's XML.

python-calamine reads an error cell (``#REF!``, ``#N/A`` …) or a formula whose result was never saved as an empty
string, and refuses the whole sheet on an error code it does not know (Excel 365's ``#SPILL!``, ``#CALC!`` …). The
reader needs to tell those cells from blank ones, so it looks for them in the sheet XML here: a byte search finds
whether a sheet has any at all (most have none), and only then are the few cells parsed. No library exposes this.
"""
from __future__ import annotations

import io
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


# Fast negative tests (most sheets hold no error and no formula without a value): a byte search, then, only where
# one may be, an XML parser finds the exact cells, whatever the quoting, attribute order or a missing r=.
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*(["'])e\1""")


def _may_hold_errors(xml: bytes) -> bool:
    if b't="e"' in xml or b"t='e'" in xml:
        return True
    if (b"t =" in xml or b"t= " in xml) and _ERROR_TYPE.search(xml):
        return True
    # A formula whose value is missing or empty: …</f></c>, <f …/></c>, <v/>, <v></v> (in the sheet's prefix).
    m = re.search(rb"<(\w+:)?worksheet[\s>]", xml[:4096])
    p = (m.group(1) or b"") if m else b""
    return any(h in xml for h in (b"f></" + p + b"c>", b"/></" + p + b"c>", b"<" + p + b"v/>",
                                  b"<" + p + b"v></" + p + b"v>"))


_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def find_error_cells(xml: bytes) -> dict[tuple[int, int], CellError]:
    """(row, column), 0-based as python-calamine indexes them from A1, of every error cell and every formula cell
    without a saved value."""
    if not _may_hold_errors(xml):
        return {}
    from lxml import etree

    found: dict[tuple[int, int], CellError] = {}
    row, col = -1, -1
    try:
        for event, el in etree.iterparse(io.BytesIO(xml), events=("start", "end"), huge_tree=True,
                                         resolve_entities=False, no_network=True):
            tag = el.tag.rpartition("}")[2]
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    row = int(r) - 1 if r and r.isdigit() else row + 1
                    col = -1
                elif tag == "c":
                    m = _REF.match(el.get("r") or "")
                    if m:
                        row, col = int(m.group(2)) - 1, _column_index(m.group(1))
                    else:
                        col += 1  # a cell without r= follows the one before it (ECMA-376, 18.3.1.4)
                continue
            if tag != "c":
                if tag == "row":
                    el.clear()
                continue
            value = formula = None
            has_formula = False
            for child in el:
                name = child.tag.rpartition("}")[2]
                if name == "v":
                    value = child.text or ""
                elif name == "f":
                    has_formula, formula = True, (child.text or "").strip()
            if el.get("t") == "e":
                found[(row, col)] = CellError(value or "#N/A")
            elif has_formula and not value:
                found[(row, col)] = CellError("=" + formula if formula else "=（共有数式）", formula=True)
            el.clear()
    except etree.XMLSyntaxError:
        return found  # the reader's own parse reports a broken sheet
    return found


def neutralise_unknown_errors(xml: bytes) -> bytes:
    """The sheet XML with every error cell typed as text, so python-calamine reads a sheet holding an error code it
    does not know (the reader puts the CellError back from ``find_error_cells``)."""
    return _ERROR_TYPE.sub(lambda m: b" t=" + m.group(1) + b"str" + m.group(1), xml)
