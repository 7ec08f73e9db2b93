"""Japanese conventions shared by the reader, the documents and the workbook: the era table and display width.

One table of eras serves both directions: reading what staff type (``R7.9.15``, ``令和元年5月1日``) and writing
the 令和 dates of the deliverables. It is written by hand because the eras that matter here are three rows, and the
date grammar staff type is looser than what era libraries parse.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import NamedTuple


class Era(NamedTuple):
    name: str  # 令和
    initial: str  # R
    start: date  # first day of the era; its first year is 元年
    end: date | None  # first day of the next era, None for the current one


ERAS: tuple[Era, ...] = (
    Era("令和", "R", date(2019, 5, 1), None),
    Era("平成", "H", date(1989, 1, 8), date(2019, 5, 1)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 8)),
)
# Era name or Latin initial (upper case) -> era.
ERA_BY_KEY: dict[str, Era] = {key: era for era in ERAS for key in (era.name, era.initial)}


def era_year_text(year: int, era: Era) -> str:
    """The year within the era as written: 元 for the first, else the number."""
    n = year - era.start.year + 1
    return "元" if n == 1 else str(n)


def western_year(era: Era, era_year: int) -> int:
    """令和7 -> 2025."""
    return era.start.year + era_year - 1


def era_of_day(day: date) -> Era | None:
    """The era a day falls in (None before 昭和)."""
    return next((era for era in ERAS if day >= era.start), None)


def era_of_fiscal_year(year: int) -> Era | None:
    """The era a fiscal year (1 April ``year`` – 31 March) is named in: the era its first year mostly lies in,
    so FY2019 is 令和元年度."""
    return next((era for era in ERAS if year >= era.start.year), None)


def char_width(ch: str) -> int:
    """A full-width character takes two half-width cells (Excel column units, terminal cells), any other one."""
    return 2 if unicodedata.east_asian_width(ch) in "FW" else 1


def display_width(text: str) -> int:
    """Width in half-width cells."""
    return sum(map(char_width, text))


def shorten(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` half-width cells with an ellipsis (…, two cells) when it is wider."""
    if display_width(text) <= cells:
        return text
    out, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > cells - 2:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


# The legal-form words of a company name (株式会社 …), before or after the name: the matching of names typed in
# forms strips them, and a document breaks a long name after one.
COMPANY_FORMS = ("株式会社", "有限会社", "合同会社", "合資会社", "合名会社")

# Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; lone surrogates; U+FFFE/U+FFFF): a cell or a document
# holding one is unreadable, so both the workbook writer and the documents drop them.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def printable(text: str) -> str:
    """One line of text without control or format characters (a vertical tab pasted from Word, a zero-width
    joiner): nothing a chart, a label or XML cannot hold."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


# Characters a line may not start with (行頭禁則): closing brackets and punctuation stay on the line before.
_NO_LINE_START = set("、。，．,.）」』】〕〉》)]}！？!?ー・：；:;ぁぃぅぇぉっゃゅょァィゥェォッャュョ")
_NO_LINE_END = set("（「『【〔〈《([{")  # and may not end with an opening one (行末禁則)
_WORD = re.compile(r"\s+|[!-~]+|.", re.DOTALL)  # a run of spaces, an ASCII word, or one other character


def wrap_cells(text: str, width: int, first_indent: str = "", next_indent: str = "") -> list[str]:
    """``text`` on lines of at most ``width`` half-width cells: an ASCII word is never cut, Japanese breaks between
    any two characters, but no line starts with closing punctuation (行頭禁則) or ends with an opening bracket
    (行末禁則): the units around the break go down together (追い出し)."""
    lines: list[str] = []
    indent, units = first_indent, []  # the current line: its indent and its units (words, characters, spaces)

    def used(extra: list[str]) -> int:
        return display_width(indent) + sum(map(display_width, units + extra))

    for unit in _WORD.findall(text):
        if unit.isspace():
            if units:
                units.append(" ")
            continue
        if units and used([unit]) > width:
            carried = [unit]
            # Keep at least one unit on the line; move units down while the break would split a pair.
            while len(units) > 1 and (carried[0][0] in _NO_LINE_START or units[-1][-1] in _NO_LINE_END
                                      or units[-1] == " "):
                carried.insert(0, units.pop())
            lines.append((indent + "".join(units)).rstrip())
            while carried[0] == " ":
                carried.pop(0)
            indent, units = next_indent, carried
            continue
        units.append(unit)
    lines.append((indent + "".join(units)).rstrip())
    return lines


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as one text: a space between two lines only where a Latin word meets one (Japanese
    is written without spaces)."""
    out = ""
    for line in (x.strip() for x in lines):
        if out and line and (out[-1].isascii() and out[-1].isalnum() or line[0].isascii() and line[0].isalnum()):
            out += " "
        out += line
    return out
