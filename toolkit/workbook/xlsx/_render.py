"""A sheet's content as the zip patcher writes it: a ``SheetLayout`` (named styles, widths, charts, a frozen
title) or a plain matrix of values (formats chosen by value type)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Sequence

from toolkit.japanese import display_width
from toolkit.workbook.layout import LOOKS, NUMBER_FORMATS, Chart, SheetLayout
from toolkit.workbook.xlsx._cells import CellWriter, col_letters
from toolkit.workbook.xlsx._styles import Look, StyleSheet

def _rgb(value: object) -> str | None:
    return str(value).lstrip("#") if value else None


def _look(style: str) -> Look:
    """The layout's look of a style as the style sheet writes it (status colours come from the template's
    conditional formats on the sheet)."""
    look = LOOKS.get(style, {})
    return Look(NUMBER_FORMATS.get(style, "General"), bool(look.get("bold")), look.get("size"),
                _rgb(look.get("font")), _rgb(look.get("fill")), _rgb(look.get("border")), look.get("horizontal"),
                look.get("vertical"), bool(look.get("wrap")))


_LOOKS: dict[str, Look] = {style: _look(style) for style in (*LOOKS, *NUMBER_FORMATS)}
_ROW_POINTS = 18.0  # height of one line of 11 pt text


@dataclass
class Content:
    """What goes into an owned sheet. ``None`` for widths / freeze / charts: keep what the sheet has."""

    rows: list[list[tuple[object, int | None]]]  # (value, cell format) per cell, row 1 first
    widths: dict[int, float] | None = None
    freeze: int | None = None
    charts: tuple[Chart, ...] | None = None
    heights: dict[int, float] = field(default_factory=dict)
    number_formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> format, for charts
    styled: bool = False  # a layout: page set-up and merges are the toolkit's too


def from_layout(layout: SheetLayout, styles: StyleSheet) -> Content:
    rows: list[list[tuple[object, int | None]]] = []
    formats: dict[tuple[int, int], str] = {}
    heights: dict[int, float] = {}
    for r, row in enumerate(layout.rows, start=1):
        out = []
        lines = 1.0
        for c, cell in enumerate(row, start=1):
            if cell is None:
                out.append((None, None))
                continue
            look = _LOOKS.get(cell.style) or _look(cell.style)
            out.append((cell.value, styles.look(look)))
            formats[(r, c)] = look.number_format
            if look.size:
                lines = max(lines, look.size / 11 * 1.15)
            if look.wrap and cell.value is not None and layout.widths.get(c):
                room = max(layout.widths[c] - 1, 1)
                lines = max(lines, sum(math.ceil(max(display_width(line), 1) / room)
                                       for line in str(cell.value).split("\n")))
        rows.append(out)
        if lines > 1:
            heights[r] = round(_ROW_POINTS * lines, 1)
    return Content(rows, dict(layout.widths), layout.freeze_rows, tuple(layout.charts), heights, formats, True)


def from_matrix(matrix: Sequence[Sequence[object]], new_sheet: bool) -> Content:
    """Plain values: formats by value type (the writer picks date formats); a new sheet gets widths that fit and
    its first row frozen, an existing one keeps its widths and view."""
    rows = [[(v, None) for v in row] for row in matrix]
    if not new_sheet:
        return Content(rows)
    widths: dict[int, float] = {}
    for row in matrix:
        for c, v in enumerate(row, start=1):
            if v is not None:
                text = f"{v:%Y/%m/%d}" if isinstance(v, (date, datetime)) else str(v)
                widths[c] = max(widths.get(c, 0), display_width(text[:80]))
    return Content(rows, {c: min(max(w + 2, 8), 60) for c, w in widths.items()}, 1 if len(matrix) > 1 else 0)


def rows_xml(content: Content, writer: CellWriter) -> tuple[str, list[tuple[int, int]], int, int]:
    """(the rows' XML, the cells holding a value, last column, last row)."""
    p = writer.p
    out: list[str] = []
    filled: list[tuple[int, int]] = []
    letters: list[str] = []
    width = height = 0
    for r, row in enumerate(content.rows, start=1):
        cells = []
        for c, (value, style) in enumerate(row, start=1):
            while len(letters) < c:
                letters.append(col_letters(len(letters) + 1))
            ref = f"{letters[c - 1]}{r}"
            xml = writer.cell(ref, value, style)
            if xml is None and style:  # an empty cell keeps its look (a header's fill, a table's grid)
                xml = f'<{p}c r="{ref}" s="{style}"/>'
            elif xml is not None:
                filled.append((r, c))
            if xml is not None:
                cells.append(xml)
                width = max(width, c)
        ht = content.heights.get(r)
        if cells or ht:
            attrs = f' ht="{ht:g}" customHeight="1"' if ht else ""
            out.append(f'<{p}row r="{r}"{attrs}>' + "".join(cells) + f"</{p}row>")
            height = r
    return "".join(out), filled, width, height
