"""Excel error values and formulas without a saved value, found in a worksheet's XML.

python-calamine reads an error cell (``#REF!``, ``#N/A`` …) or a formula whose result was never saved as an empty
string, and refuses the whole sheet on an error code it does not know (Excel 365's ``#SPILL!``, ``#CALC!`` …). The
reader needs to tell those cells from blank ones, so it looks for them in the sheet XML here: a byte search finds
whether a sheet has any at all (most have none), and only then are the few cells parsed. No library exposes this.
"""
from __future__ import annotations

import io
import re

from toolkit.workbook.xlsx import col_letters, col_number

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


def _prefix(xml: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?worksheet[\s>]", xml[:4096])
    return (m.group(1) or b"") if m else b""


def _candidates(xml: bytes, p: bytes) -> list[int]:
    """Offsets inside the cells that may be an error or a formula without a value: a byte search (most sheets have
    none; each search costs ~12 ms on a 50,000-row sheet), never the verdict itself."""
    at: list[int] = []
    for needle in (b't="e"', b"t='e'", b"f></" + p + b"c>", b"/></" + p + b"c>", b"<" + p + b"v></" + p + b"v>"):
        i = xml.find(needle)
        while i >= 0:
            at.append(i)
            i = xml.find(needle, i + 1)
    return at


_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")


def find_error_cells(xml: bytes) -> dict[tuple[int, int], CellError]:
    """(row, column), 0-based as python-calamine indexes them from A1, of every error cell and every formula cell
    without a saved value. Each candidate cell is read by an XML parser (any quoting or attribute order); a cell
    without r= (it follows the one before it, ECMA-376 18.3.1.4) sends the whole sheet through the parser."""
    p = _prefix(xml)
    offsets = _candidates(xml, p)
    if not offsets:
        return {}
    from lxml import etree

    open_tag, close_tag = b"<" + p + b"c", b"</" + p + b"c>"
    declare = b' xmlns:' + p[:-1] + b'="urn:x"' if p else b""
    found: dict[tuple[int, int], CellError] = {}
    seen: set[int] = set()
    for at in offsets:
        start = xml.rfind(open_tag, 0, at + 1)
        while start >= 0 and xml[start + len(open_tag):start + len(open_tag) + 1] not in (b" ", b">", b"/", b"\t",
                                                                                            b"\n", b"\r"):
            start = xml.rfind(open_tag, 0, start)  # <cols>, <col …>: not a cell
        if start < 0 or start in seen:
            continue
        seen.add(start)
        head_end = xml.find(b">", start)
        end = head_end + 1 if xml[head_end - 1:head_end] == b"/" else xml.find(close_tag, start) + len(close_tag)
        if head_end < 0 or end < len(close_tag):
            continue
        fragment = xml[start:end]
        if declare:
            fragment = fragment.replace(open_tag, open_tag + declare, 1)
        try:
            cell = etree.fromstring(fragment)
        except etree.XMLSyntaxError:
            continue
        m = _REF.match(cell.get("r") or "")
        if m is None:
            return _parse_sheet(xml)
        error = _cell_error(cell)
        if error is not None:
            found[(int(m.group(2)) - 1, col_number(m.group(1)) - 1)] = error
    return found


def _cell_error(cell) -> CellError | None:
    value, formula, has_formula = None, None, False
    for child in cell:
        name = child.tag.rpartition("}")[2] if isinstance(child.tag, str) else ""
        if name == "v":
            value = child.text or ""
        elif name == "f":
            has_formula, formula = True, (child.text or "").strip()
    if cell.get("t") == "e":
        return CellError(value or "#N/A")
    if has_formula and not value:
        return CellError("=" + formula if formula else "=（共有数式）", formula=True)
    return None


def _parse_sheet(xml: bytes) -> dict[tuple[int, int], CellError]:
    """Every cell of the sheet in order, positions counted as Excel does where r= is missing."""
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
                    row, col = (int(r) - 1 if r and r.isdigit() else row + 1), -1
                elif tag == "c":
                    m = _REF.match(el.get("r") or "")
                    row, col = (int(m.group(2)) - 1, col_number(m.group(1)) - 1) if m else (row, col + 1)
            elif tag == "c":
                error = _cell_error(el)
                if error is not None:
                    found[(row, col)] = error
                el.clear()
    except etree.XMLSyntaxError:
        pass  # the reader's own parse reports a broken sheet
    return found


def neutralise_unknown_errors(xml: bytes) -> bytes:
    """The sheet XML with every error cell typed as text, so python-calamine reads a sheet holding an error code it
    does not know (the reader puts the CellError back from ``find_error_cells``)."""
    return xml.replace(b't="e"', b't="str"').replace(b"t='e'", b"t='str'")


# ---------------------------------------------------------------- values outside the sheet's table

ROW_SLACK = 1000  # rows below a table python-calamine may read as they are (staff notes): found after the parse


def outside_table(xml: bytes, last_col: int, last_row: int) -> tuple[bytes | None, list[str]]:
    """A sheet holding cells far beyond its table (a keystroke in XFD1048576): the XML without them, and the
    references of those holding a value. (None, []) when there are none, which two byte searches tell for a
    50,000-row sheet in ~15 ms. Far cells would make python-calamine build the whole rectangle up to them
    (XFD1048576: 549 GB, an abort; XFD1: 1.3 GB): memory follows the table, not a stray cell."""
    p = _prefix(xml)
    row_open = b"<" + p + b"row"
    tail = xml.rfind(row_open)
    last_seen = re.match(rb"""<(?:\w+:)?row\b[^>]*?\sr=["'](\d+)""", xml[tail:tail + 200]) if tail >= 0 else None
    rows_beyond = last_seen is None or int(last_seen.group(1)) > last_row + ROW_SLACK
    wide = re.compile(rb""" r=["'][A-Z]{%d,}[0-9]""" % (len(col_letters(last_col)) + 1))
    if not rows_beyond and not wide.search(xml):
        return None, []
    strays: list[str] = []
    cell = re.compile(rb"<" + re.escape(p) + rb"""c\b[^>]*?\sr=["']([A-Z]+)([0-9]+)["'][^>]*?(?:/>|>(.*?)</"""
                      + re.escape(p) + rb"c>)", re.S)

    def keep(m: re.Match) -> bytes:
        col, row = col_number(m.group(1).decode()), int(m.group(2))
        if col <= last_col and row <= last_row:
            return m.group(0)
        if m.group(3) and (b"<" + p + b"v>" in m.group(3) or b"<" + p + b"is>" in m.group(3)):
            strays.append(f"{m.group(1).decode()}{row}")
        return b""

    data_end = xml.rfind(b"</" + p + b"sheetData>")
    start = xml.find(b"<" + p + b"sheetData")
    if start < 0 or data_end < 0:
        return None, []
    body = cell.sub(keep, xml[start:data_end])
    # Rows left empty below the table go too (a row element costs nothing, but 1,048,576 of them do).
    body = re.sub(rb"<" + re.escape(p) + rb"""row\b[^>]*?\sr=["']([0-9]+)["'][^>]*?(?:/>|>\s*</"""
                  + re.escape(p) + rb"row>)", lambda m: b"" if int(m.group(1)) > last_row else m.group(0), body)
    return xml[:start] + body + xml[data_end:], strays
