"""A sheet the toolkit owns (集計), as data: cells with a style name, column widths and native charts.

The content is computed once (``toolkit.summary``); each place the workbook lives renders the same layout: the
zip-level patcher for a local file, xlwings for the book open in Excel, the Excel workbook API for a book in
SharePoint. Styles are named here, not as cell formats, so every writer maps them to its own means.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from toolkit.japanese import display_width

Style = Literal[
    "title",  # the sheet's title line
    "note",  # small grey explanatory text
    "alert",  # a line staff must not miss (rows left out of the figures): bold red
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

SUMMARY_FROZEN_ROWS = 2  # 集計's title and update time stay in view (the template freezes them too)

# Excel number formats of the styles that have one (Japanese conventions: △ for negatives).
NUMBER_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "yen": "#,##0;[Red]\\-#,##0",
    "pct": "0.0%",
    "change": '+0.00;[Red]"△"0.00;0.00',
    "datetime": "yyyy/mm/dd hh:mm",
}


# How the styles look, the same wherever 集計 is rendered (the zip patcher, xlwings, the workbook API): bold, font
# size, font colour, fill and thin border colour as #RRGGBB, alignment, wrap. Each renderer applies what its means
# allow. Status cells also take their colours from STATUS_COLORS by their word (``look_of``).
_GRID, _NAVY = "#BFBFBF", "#1F3864"
LOOKS: dict[str, dict[str, object]] = {
    "title": {"bold": True, "size": 16, "font": _NAVY, "vertical": "center"},
    "note": {"size": 9, "font": "#595959", "vertical": "center"},
    "alert": {"bold": True, "font": "#C00000", "vertical": "center"},
    "section": {"bold": True, "size": 12, "font": _NAVY, "vertical": "bottom"},
    "header": {"bold": True, "font": "#FFFFFF", "fill": "#305496", "border": _GRID, "horizontal": "center",
               "vertical": "center", "wrap": True},
    "text": {"border": _GRID, "vertical": "center"},
    "status": {"bold": True, "border": _GRID, "horizontal": "center", "vertical": "center"},
    "datetime": {"horizontal": "left", "vertical": "center"},
    **{name: {"border": _GRID, "vertical": "center"} for name in ("int", "yen", "pct", "change")},
}

# Colours of the status words (fill, font; ARGB), the same wherever 集計 is rendered or a template colours them.
STATUS_COLORS: dict[str, tuple[str, str]] = {
    "超過": ("FFFF7C80", "FF7F0000"),
    "超過見込": ("FFF4B183", "FF843C0C"),
    "警告": ("FFFFEB9C", "FF7F6000"),
    "達成": ("FFC6EFCE", "FF006100"),
    "未達": ("FFFCE4EC", "FF9C0006"),
}


def look_of(style: str, value: object = None) -> dict[str, object]:
    """The look of a cell: its style's, with a status word's fill and font colour."""
    look = LOOKS.get(style, {})
    colours = STATUS_COLORS.get(value) if style == "status" and isinstance(value, str) else None
    if colours is None:
        return look
    return {**look, "fill": "#" + colours[0][-6:], "font": "#" + colours[1][-6:]}


def runs(indexes: Iterable[int]) -> list[tuple[int, int]]:
    """[0, 1, 2, 5, 6] -> [(0, 3), (5, 7)]: consecutive indexes, for a writer that writes a block per call."""
    out: list[tuple[int, int]] = []
    for i in sorted(indexes):
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


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

    @property
    def source(self) -> Range:
        """The chart's data as one block: the header row above the categories, then the categories column with
        each series in the next columns. The Excel workbook API's ``charts/add`` takes exactly one range (it
        names the series from that header row), so every layout lays its chart data out this way."""
        cat = self.categories
        for i, s in enumerate(self.series, start=1):
            v = s.values
            if (v.first_row, v.last_row, v.first_col, v.last_col) != (cat.first_row, cat.last_row,
                                                                       cat.first_col + i, cat.first_col + i):
                raise ValueError(f"chart {self.title!r}: series {s.name!r} is not the column after the previous one")
        return Range(cat.first_row - 1, cat.first_col, cat.last_row, cat.first_col + len(self.series))


@dataclass(frozen=True)
class SheetLayout:
    rows: tuple[tuple[Cell | None, ...], ...]  # row 1 first; None = an empty cell
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> width in characters
    charts: tuple[Chart, ...] = ()
    freeze_rows: int = 0  # rows kept in view when scrolling (0 = none)

    def values(self) -> list[list[Value]]:
        """The plain values, row by row (for writers and tests that do not style)."""
        return [[None if c is None else c.value for c in row] for row in self.rows]


_MIN_WIDTH, _MAX_WIDTH, _HEADER_WIDTH = 8, 40, 14  # characters


def shown(cell: Cell) -> str:
    """The text Excel shows for a cell (for widths)."""
    v = cell.value
    if v is None:
        return ""
    if isinstance(v, datetime):
        return f"{v:%Y/%m/%d %H:%M}"
    if isinstance(v, date):
        return f"{v:%Y/%m/%d}"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        formats: dict[str, Callable[[float], str]] = {"pct": lambda x: f"{x:.1%}", "change": lambda x: f"{x:+.2f}",
                                                      "yen": lambda x: f"{x:,.0f}", "int": lambda x: f"{x:,.0f}"}
        return formats.get(cell.style, str)(v)
    return str(v)


def fit_widths(rows: tuple[tuple[Cell | None, ...], ...] | list) -> dict[int, float]:
    """Column widths that fit what the tables show: names and amounts in full, headers on at most three lines.
    Titles, notes and section headings are left to run across the empty cells beside them. The one width rule
    of a layout: every renderer (zip patcher, xlwings, workbook API) sizes its columns by it."""
    widths: dict[int, float] = {}
    for row in rows:
        for c, cell in enumerate(row, start=1):
            if cell is None or cell.style in ("title", "note", "section"):
                continue
            width = max(display_width(line) for line in shown(cell).split("\n"))
            if cell.style == "header":
                width = min(width, max(_HEADER_WIDTH, math.ceil(width / 3)))
            widths[c] = max(widths.get(c, _MIN_WIDTH), min(width + 2, _MAX_WIDTH))
    return widths
