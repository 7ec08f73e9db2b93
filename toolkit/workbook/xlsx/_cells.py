"""Cell addresses and Python values as SpreadsheetML cell XML."""
from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Callable

from toolkit.japanese import XML_FORBIDDEN
from toolkit.workbook.xlsx._zip import PatchError

MAX_TEXT = 32767  # Excel's limit for one cell's text

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")
_EXCEL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_NEEDS_CLEANING = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")


def col_letters(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'B2:D9' -> (first col, first row, last col, last row)."""
    ends = [_REF.fullmatch(p) for p in ref.split(":")]
    if not ends or any(m is None for m in ends) or len(ends) > 2:
        raise PatchError(f"セル範囲 {ref} を読めません。")
    cols = [col_number(m.group(1)) for m in ends]
    rows = [int(m.group(2)) for m in ends]
    return min(cols), min(rows), max(cols), max(rows)


def format_range(c1: int, r1: int, c2: int, r2: int) -> str:
    first, last = f"{col_letters(c1)}{r1}", f"{col_letters(c2)}{r2}"
    return first if first == last else f"{first}:{last}"


def absolute_range(sheet: str, c1: int, r1: int, c2: int, r2: int) -> str:
    """'集計'!$A$2:$A$9, as formulas and chart references spell it."""
    quoted = "'" + sheet.replace("'", "''") + "'"
    first, last = f"${col_letters(c1)}${r1}", f"${col_letters(c2)}${r2}"
    return f"{quoted}!{first}" if first == last else f"{quoted}!{first}:{last}"


def escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def attr(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def clean_text(text: str) -> str:
    """Text as Excel will show it back: no characters XML forbids, line ends as LF, literal _xHHHH_ protected
    (Excel reads _xHHHH_ as an escaped character), at most Excel's cell limit."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if _NEEDS_CLEANING.search(text) is None:  # the common case: one scan, no copies
        return text
    text = XML_FORBIDDEN.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _EXCEL_ESCAPE.sub(r"_x005F_\1", text)


def excel_serial(value: date | datetime | time, date1904: bool) -> float | None:
    """Excel's day number (None before the date system's start, which Excel cannot show)."""
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)  # wall clock time of this office
        day = value.date()
        frac = excel_serial(value.time(), date1904)
    else:
        day, frac = value, 0.0
    if date1904:
        days = (day - date(1904, 1, 1)).days
    else:
        days = (day - date(1899, 12, 31)).days
        if days >= 60:  # Excel counts the non-existent 1900-02-29
            days += 1
    if days < (0 if date1904 else 1):
        return None
    return days + frac


def number_text(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


# What a value needs from its cell's number format; the style sheet turns (style, kind) into the cell format.
TEXT, NUMBER, DATE, DATETIME = "text", "number", "date", "datetime"


def value_kind(value: object) -> str:
    if isinstance(value, datetime) or isinstance(value, time):
        return DATETIME
    if isinstance(value, date):
        return DATE
    if isinstance(value, (numbers.Real, Decimal)) and not isinstance(value, bool):
        return NUMBER
    return TEXT


class CellWriter:
    """Python values to ``<c>`` elements. ``style_for(style, kind)`` gives the cell format index for a value of
    that kind under a wanted style: a date never shows as a bare number, a number never as a date."""

    def __init__(self, style_for: Callable[[int | None, str], int | None], date1904: bool, prefix: str = ""):
        self.style_for = style_for
        self.date1904 = date1904
        self.p = prefix  # the sheet's prefix for the main namespace ("x:" in Open XML SDK files)
        self._s = _StyleAttrs(style_for)

    def cell(self, ref: str, value: object, style: int | None) -> str | None:
        """The <c> element for value, or None when the cell stays empty."""
        if value is None:
            return None
        p = self.p
        if type(value) is str or isinstance(value, str):
            text = value if len(value) <= MAX_TEXT and _NEEDS_CLEANING.search(value) is None else clean_text(value)
            if not text:
                return None
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() or "\n" in text else ""
            s = self._s[style, TEXT]
            if "&" in text or "<" in text or ">" in text:
                text = escape(text)
            return f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t{space}>{text}</{p}t></{p}is></{p}c>'
        if isinstance(value, bool):
            return f'<{p}c r="{ref}"{self._s[style, TEXT]} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
        if isinstance(value, (datetime, date, time)):
            serial = excel_serial(value, self.date1904)
            if serial is None:
                return self.cell(ref, value.isoformat(), style)
            kind = value_kind(value)
            s = self._s[style, kind]
            return f'<{p}c r="{ref}"{s}><{p}v>{number_text(serial)}</{p}v></{p}c>'
        if isinstance(value, (numbers.Real, Decimal)):
            number = float(value)
            if not math.isfinite(number):
                raise PatchError(f"セル {ref} に書く数値 {value} は Excel で扱えません。")
            text = str(value) if isinstance(value, (numbers.Integral, Decimal)) else number_text(number)
            return f'<{p}c r="{ref}"{self._s[style, NUMBER]}><{p}v>{text}</{p}v></{p}c>'
        raise PatchError(f"セル {ref} に書く値（{type(value).__name__}）は文字・数値・日付のいずれでもありません。")

    def formula(self, ref: str, formula: str, style: int | None) -> str:
        p = self.p
        # The formula comes from the table XML, already in Excel's escaped form: no _xHHHH_ protection here.
        return f'<{p}c r="{ref}"{_s(style)}><{p}f>{escape(XML_FORBIDDEN.sub("", formula))}</{p}f></{p}c>'


def _s(style: int | None) -> str:
    return f' s="{style}"' if style else ""


class _StyleAttrs(dict):
    """(style, value kind) -> the cell's ' s="n"' attribute, asked of the style sheet once per pair."""

    def __init__(self, style_for: Callable[[int | None, str], int | None]):
        super().__init__()
        self.style_for = style_for

    def __missing__(self, key: tuple[int | None, str]) -> str:
        self[key] = attr = _s(self.style_for(*key))
        return attr
