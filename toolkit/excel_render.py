"""Render a :class:`~toolkit.workbook.layout.SheetLayout` (the 集計 sheet) into a sheet of the book open in Excel.

The same layout the file writer turns into sheet XML is drawn here through xlwings: values, the number format of
each style (``layout.NUMBER_FORMATS``), bold and shaded headers, status colours, column widths and the layout's
native charts (xlwings' chart API, so Excel draws them as its own charts).

Excel is driven over COM, one call per property per range: the styles are applied to rectangles of cells that
share a look (a header row, a column of amounts), not cell by cell, so a 20-company sheet costs a few dozen calls.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from toolkit.workbook import layout as L
from toolkit.workbook.xlsx import col_letters

CHART_TYPES = {("bar", False): "bar_clustered", ("bar", True): "bar_stacked",
               ("column", False): "column_clustered", ("column", True): "column_stacked"}


def render(sheet: Any, layout: L.SheetLayout, *, text: Any = None) -> None:
    """Replace the sheet's cells, formats and charts with ``layout``.

    ``text``: how a string must be handed to xlwings so Excel keeps it as text (``excel.cell_value``).
    """
    keep = text or (lambda v: v)
    for chart in list(sheet.charts):
        chart.delete()
    sheet.used_range.clear()  # values, formats and staff merges left by the last render
    width = max((len(row) for row in layout.rows), default=0)
    if width:
        sheet.range((1, 1)).value = [[keep(None if c is None else c.value) for c in row] + [None] * (width - len(row))
                                     for row in layout.rows]
    for (style, word), (r1, c1, r2, c2) in style_blocks(layout):
        _apply(sheet.range((r1, c1), (r2, c2)), style, word)
    for column, chars in sorted({**L.fit_widths(layout.rows), **layout.widths}.items()):
        sheet.range((1, column)).column_width = chars
    for n, chart in enumerate(layout.charts, start=1):
        _chart(sheet, chart, n)


def _apply(rng: Any, style: str, word: str | None) -> None:
    fmt = L.NUMBER_FORMATS.get(style)
    if fmt:
        rng.number_format = fmt
    look = L.look_of(style, word)
    if look.get("bold"):
        rng.font.bold = True
    if "size" in look:
        rng.font.size = look["size"]
    if "font" in look:
        rng.font.color = look["font"]
    if "fill" in look:
        rng.color = look["fill"]
    if look.get("wrap"):
        rng.wrap_text = True


def style_blocks(layout: L.SheetLayout) -> Iterator[tuple[tuple[str, str | None], tuple[int, int, int, int]]]:
    """Rectangles (first row, first column, last row, last column) of cells that look alike, 1-based.

    A status cell's look depends on its word, so the key is (style, word) for those and (style, None) otherwise.
    Runs in a row are found first, then identical runs in consecutive rows are stacked.
    """
    open_blocks: dict[tuple[int, int, tuple], int] = {}  # (c1, c2, key) -> first row; the block reaches row r - 1
    done: list[tuple[tuple, tuple[int, int, int, int]]] = []
    for r, row in enumerate(list(layout.rows) + [()], start=1):  # an empty row at the end closes every block
        runs = set(_runs(row))
        for spec in [s for s in open_blocks if s not in runs]:
            done.append((spec[2], (open_blocks.pop(spec), spec[0], r - 1, spec[1])))
        for spec in runs:
            open_blocks.setdefault(spec, r)
    return iter(sorted(done, key=lambda item: item[1]))


def _runs(row: Sequence[L.Cell | None]) -> Iterator[tuple[int, int, tuple[str, str | None]]]:
    """(first column, last column, key) of each run of alike cells in a row; plain text cells need no look."""
    start, key = 0, None
    for c, cell in enumerate(list(row) + [None], start=1):
        this = None if cell is None or cell.style == "text" else (
            cell.style, str(cell.value) if cell.style == "status" else None)
        if this != key:
            if key is not None:
                yield start, c - 1, key
            start, key = c, this


def address(rng: L.Range) -> str:
    return f"{col_letters(rng.first_col)}{rng.first_row}:{col_letters(rng.last_col)}{rng.last_row}"


def _chart(sheet: Any, chart: L.Chart, n: int) -> None:
    row, column = chart.anchor
    columns, rows = chart.size
    span = sheet.range((row, column), (row + rows - 1, column + columns - 1))
    # One union range ("C5:C24,E5:E24") gives one series per column, as Excel's SetSourceData does.
    source = sheet.range(",".join(address(s.values) for s in chart.series))
    made = sheet.charts.add(left=span.left, top=span.top, width=span.width, height=span.height,
                            chart_type=CHART_TYPES[(chart.kind, chart.stacked)], source=source, plot_by="columns",
                            name=f"toolkit_chart_{n}")
    made.set_x_axis_values(sheet.range(address(chart.categories)))
    made.title = chart.title
    for series, spec in zip(made.series, chart.series):
        series.name = spec.name
