"""A sheet the toolkit owns (集計), as data: cells with a style name, column widths and native charts.

The content is computed once (``toolkit.summary``); each place the workbook lives renders the same layout: the
zip-level patcher for a local file, xlwings for the book open in Excel, the Excel workbook API for a book in
SharePoint. Styles are named here, not as cell formats, so every writer maps them to its own means.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Style = Literal[
    "title",  # the sheet's title line
    "note",  # small grey explanatory text
    "section",  # a block heading
    "header",  # a table's header cell (bold, shaded)
    "text",
    "int",  # 1,234
    "yen",  # 1,234 (yen; the header says 円)
    "pct",  # a ratio shown as 12.3%
    "change",  # a signed percentage already in per cent: +1.2 / △0.4
    "status",  # a status word the template colours (超過, 警告, 達成, …)
    "datetime",  # 2026/03/27 10:30
]

Value = str | int | float | date | datetime | None

# Excel number formats of the styles that have one (Japanese conventions: △ for negatives).
NUMBER_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "yen": "#,##0;[Red]\\-#,##0",
    "pct": "0.0%",
    "change": '+0.00;[Red]"△"0.00;0.00',
    "datetime": "yyyy/mm/dd hh:mm",
}


# How the styles look (bold, font size, font colour and fill as RGB hex, wrap), the same wherever 集計 is rendered;
# styles not listed are plain. Status cells take their colours from STATUS_COLORS by their word.
LOOKS: dict[str, dict[str, object]] = {
    "title": {"bold": True, "size": 14, "font": "#1F4E79"},
    "note": {"size": 9, "font": "#595959"},
    "section": {"bold": True, "size": 12, "font": "#1F4E79"},
    "header": {"bold": True, "fill": "#DDEBF7", "wrap": True},
}

# Colours of the status words (fill, font; ARGB), the same wherever 集計 is rendered or a template colours them.
STATUS_COLORS: dict[str, tuple[str, str]] = {
    "超過": ("FFFF7C80", "FF7F0000"),
    "超過見込": ("FFF4B183", "FF843C0C"),
    "警告": ("FFFFEB9C", "FF7F6000"),
    "達成": ("FFC6EFCE", "FF006100"),
    "未達": ("FFFCE4EC", "FF9C0006"),
}


@dataclass(frozen=True)
class Cell:
    value: Value
    style: Style = "text"


@dataclass(frozen=True)
class Range:
    """A block of the sheet, 1-based and inclusive."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(frozen=True)
class Series:
    name: str
    values: Range  # one column of numbers


@dataclass(frozen=True)
class Chart:
    kind: Literal["bar", "column"]  # bar: horizontal bars (long category names); column: vertical
    title: str
    categories: Range  # one column of labels
    series: tuple[Series, ...]
    anchor: tuple[int, int]  # (row, column) of the top-left cell the chart sits on, 1-based
    size: tuple[int, int]  # (columns, rows) it spans
    stacked: bool = False


@dataclass(frozen=True)
class SheetLayout:
    rows: tuple[tuple[Cell | None, ...], ...]  # row 1 first; None = an empty cell
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width in characters
    charts: tuple[Chart, ...] = ()
    freeze_rows: int = 0  # rows kept in view when scrolling (0 = none)

    def values(self) -> list[list[Value]]:
        """The plain values, row by row (for writers and tests that do not style)."""
        return [[None if c is None else c.value for c in row] for row in self.rows]
