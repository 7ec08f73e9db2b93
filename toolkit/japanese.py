"""Japanese conventions shared by the reader, the documents and the workbook: the era table and display width.

One table of eras serves both directions: reading what staff type (``R7.9.15``, ``令和元年5月1日``) and writing
the 令和 dates of the deliverables. It is written by hand because the eras that matter here are three rows, and the
date grammar staff type is looser than what era libraries parse.
"""
from __future__ import annotations

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


def printable(text: str) -> str:
    """One line of text without control or format characters (a vertical tab pasted from Word, a zero-width
    joiner): nothing a chart, a label or XML cannot hold."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()
