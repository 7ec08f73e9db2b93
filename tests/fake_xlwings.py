"""A stand-in for exactly the xlwings objects ``toolkit.excel`` uses, behaving as xlwings on Windows does.

Why: xlwings drives a running Excel (COM on Windows); there is none on Linux and its remote engines need a
licence. This fake mirrors the xlwings API surface the adapter touches — and only that — and returns what real
xlwings returns, because the adapter's bugs live in that difference (a 企業ID typed as 101 reaches Python as
``101.0``). What it reproduces, from xlwings' own conversion code (``_xlwindows._clean_value_data_element``,
``Engine.prepare_xl_data_element``) and Excel's behaviour:

- **Reading** ``Range.value``: every number comes back as ``float`` (COM hands Excel's doubles over as they are),
  dates and date-times as ``datetime``, an empty cell as ``None``, a formula cell as its last computed value.
  An error cell is ``None`` by default; with ``options(err_to_str=True)`` the seven classic errors come back as
  ``"#REF!"`` and so on, while the newer ones (``#SPILL!``, ``#CALC!`` …), which xlwings' table does not know,
  come back as the raw COM error code (an ``int`` such as ``-2146826243``) with or without the option.
- **Writing**: ``None`` and ``""`` clear a cell; ``int``/``float`` become numbers; ``date`` becomes a date-time;
  a string is *typed* as Excel types it — ``"=…"`` is a formula, ``"'…"`` is text without the apostrophe (Excel
  keeps it as a prefix flag), and otherwise a string that looks like a number, a date or TRUE/FALSE becomes
  one, unless the cell is formatted as text (``@``).
- **Tables** (ListObjects) grow as Excel grows them: a block written into the row just below a table extends the
  table over it (Excel's AutoExpansion), and new rows of a calculated column get the column's formula.
- **Formats** the adapter sets (number format, font, fill, column width, wrap) are kept per cell, and
  ``Range.clear()`` / ``clear_formats()`` drop them, so a test can see what the renderer made.
- **Charts**: ``sheet.charts.add(...)`` with ``chart_type``, ``source`` (a one- or multi-area range),
  ``set_x_axis_values``, ``title``, ``series[i].name``, ``delete()``.

Objects: ``Book`` (``sheets``, ``app``, ``fullname``, ``selection``, ``save()``, workbook-level names),
``Sheets``, ``Sheet``, ``Range``, ``Tables``/``Table``, ``Charts``/``Chart``, ``App`` (``status_bar``,
``alert``). Methods marked "test helper" are not xlwings API.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from toolkit.workbook.xlsx import col_letters, col_number

_ADDRESS = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
MAX_ROW = 1_048_576

# xlwings' own table of the classic errors (_xlwindows.cell_errors): COM error code -> text.
CLASSIC_ERRORS = {
    -2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
    -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!",
}
# Excel's XlCVError numbers; COM hands an error over as 0x800A0000 | number.
ERROR_NUMBERS = {
    "#NULL!": 2000, "#DIV/0!": 2007, "#VALUE!": 2015, "#REF!": 2023, "#NAME?": 2029, "#NUM!": 2036, "#N/A": 2042,
    "#GETTING_DATA": 2043, "#SPILL!": 2045, "#CONNECT!": 2046, "#BLOCKED!": 2047, "#UNKNOWN!": 2048,
    "#FIELD!": 2049, "#CALC!": 2050,
}

DEFAULT_COLUMN_WIDTH = 8.43  # characters
DEFAULT_ROW_HEIGHT = 18.75  # points (游ゴシック 11)


@dataclass(frozen=True)
class ExcelError:
    """An error value in a cell (what a formula shows as #REF! …)."""

    text: str

    @property
    def com_code(self) -> int:
        return (0x800A0000 | ERROR_NUMBERS[self.text]) - (1 << 32)


def _parse_area(text: str) -> tuple[int, int, int, int]:
    first, _, last = text.strip().partition(":")
    m1 = _ADDRESS.match(first)
    if not m1:
        raise ValueError(f"not an address: {text}")
    r1, c1 = int(m1.group(2)), col_number(m1.group(1))
    if not last:
        return r1, c1, r1, c1
    m2 = _ADDRESS.match(last)
    if not m2:
        raise ValueError(f"not an address: {text}")
    return r1, c1, int(m2.group(2)), col_number(m2.group(1))


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$")


def typed(text: str) -> object:
    """What Excel stores when a string is typed into a General cell: numbers, dates and TRUE/FALSE convert."""
    stripped = text.strip()
    if _NUMBER.match(stripped.replace(",", "")) and (stripped.count(",") == 0 or re.match(r"^\d{1,3}(,\d{3})+$",
                                                                                         stripped)):
        return float(stripped.replace(",", ""))
    if stripped.endswith("%") and _NUMBER.match(stripped[:-1]):
        return float(stripped[:-1]) / 100
    m = _DATE.match(stripped)
    if m:
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return text
    if stripped.upper() in ("TRUE", "FALSE"):
        return stripped.upper() == "TRUE"
    return text


class App:
    def __init__(self) -> None:
        self.status_bar: str | bool = False
        self.status_history: list[str | bool] = []
        self.alerts: list[dict] = []

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "status_bar" and "status_history" in self.__dict__:
            self.status_history.append(value)
        super().__setattr__(key, value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "mode": mode})
        return "ok"


class Book:
    def __init__(self, fullname: str, app: App | None = None) -> None:
        self.fullname = fullname
        self.app = app or App()
        self.sheets = Sheets(self)
        self.names: dict[str, tuple[str, str]] = {}  # defined name -> (sheet, address)
        self.selection: Range | None = None
        self.saves = 0

    def save(self, path: str | None = None) -> None:
        self.saves += 1

    # --- test helpers (not xlwings API)
    def add_sheet(self, name: str, rows: list[list[object]] | None = None) -> "Sheet":
        """A sheet holding ``rows`` as a file holds them (text stays text, numbers become floats, "" is empty)."""
        sheet = Sheet(self, name)
        self.sheets._items.append(sheet)
        for r, row in enumerate(rows or [], start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, (str, ExcelError)):
                    if value != "":
                        sheet.cells[(r, c)] = value
                elif value is not None:
                    sheet._store(r, c, value)
        if self.sheets._active is None:
            self.sheets._active = sheet
        return sheet

    def select(self, sheet: str, address: str) -> None:
        target = self.sheets[sheet]
        self.sheets._active = target
        self.selection = target.range(address)


class Sheets:
    def __init__(self, book: Book) -> None:
        self.book = book
        self._items: list[Sheet] = []
        self._active: Sheet | None = None

    def __iter__(self):
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, key: str | int) -> "Sheet":
        if isinstance(key, int):
            return self._items[key]
        for sheet in self._items:
            if sheet.name.lower() == key.lower():
                return sheet
        raise KeyError(key)

    @property
    def active(self) -> "Sheet":
        return self._active

    def add(self, name: str | None = None, before: "Sheet | None" = None, after: "Sheet | None" = None) -> "Sheet":
        if name is not None and any(s.name.lower() == name.lower() for s in self._items):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        sheet = Sheet(self.book, name or f"Sheet{len(self._items) + 1}")
        index = len(self._items)
        if after is not None:
            index = self._items.index(after) + 1
        elif before is not None:
            index = self._items.index(before)
        self._items.insert(index, sheet)
        self._active = sheet  # xlwings: the new sheet becomes the active one
        return sheet


@dataclass
class CellFormat:
    number_format: str = "General"
    bold: bool = False
    italic: bool = False
    size: float = 11.0
    font_color: tuple[int, int, int] | None = None
    fill: tuple[int, int, int] | None = None
    wrap: bool = False


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], object] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.formats: dict[tuple[int, int], CellFormat] = {}
        self.column_widths: dict[int, float] = {}
        self.text_columns: set[int] = set()  # columns formatted as text (@) in the file: typing stays text
        self.tables = Tables(self)
        self.charts = Charts(self)

    def __repr__(self) -> str:
        return f"<Sheet {self.name}>"

    def range(self, first: Any, second: Any = None) -> "Range":
        if second is not None:
            (r1, c1), (r2, c2) = first, second
            return Range(self, min(r1, r2), min(c1, c2), abs(r2 - r1) + 1, abs(c2 - c1) + 1)
        if isinstance(first, tuple):
            return Range(self, first[0], first[1], 1, 1)
        if first in self.book.names:
            sheet, address = self.book.names[first]
            if sheet != self.name:
                raise ValueError(f"name {first} is on sheet {sheet}, not {self.name}")  # as Excel's Range(name)
            first = address
        areas = [_parse_area(part) for part in first.split(",")]  # Excel takes "A1:A5,C1:C5" (a union)
        r1, c1, r2, c2 = areas[0]
        return Range(self, r1, c1, r2 - r1 + 1, c2 - c1 + 1, areas=tuple(areas))

    @property
    def used_range(self) -> "Range":
        keys = list(self.cells) + list(self.formulas) + list(self.formats)
        for t in self.tables:
            row, column, nrows, ncols = t._ref
            keys += [(row, column), (row + nrows - 1, column + ncols - 1)]
        if not keys:
            return Range(self, 1, 1, 1, 1)
        rows = [r for r, _ in keys]
        cols = [c for _, c in keys]
        return Range(self, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)

    def activate(self) -> None:
        self.book.sheets._active = self

    def clear_contents(self) -> None:
        self.cells.clear()
        self.formulas.clear()

    def clear(self) -> None:
        self.clear_contents()
        self.formats.clear()

    def _store(self, r: int, c: int, value: object) -> None:
        """One cell written through COM, as Excel keeps it."""
        key = (r, c)
        self.formulas.pop(key, None)
        if isinstance(value, float) and value != value:  # NaN: xlwings writes "" (prepare_xl_data_element)
            value = None
        if value is None or value == "":
            self.cells.pop(key, None)
            return
        if isinstance(value, str):
            if value.startswith("'"):
                value = value[1:]  # the text prefix: stored as text, the apostrophe is not part of it
            elif value.startswith("="):
                self.formulas[key] = value
                self.cells.pop(key, None)  # no calculation engine here: a formula's value is unknown (None)
                return
            elif c not in self.text_columns and self.formats.get(key, CellFormat()).number_format != "@":
                value = typed(value)
        elif isinstance(value, bool):
            pass
        elif isinstance(value, (int, float)):
            value = float(value)
        elif isinstance(value, datetime):
            pass
        elif isinstance(value, date):
            value = datetime(value.year, value.month, value.day)
        self.cells[key] = value

    def _read(self, r: int, c: int, err_to_str: bool) -> object:
        value = self.cells.get((r, c))
        if isinstance(value, ExcelError):
            code = value.com_code
            if code in CLASSIC_ERRORS:
                return CLASSIC_ERRORS[code] if err_to_str else None
            return code  # xlwings passes error codes it does not know through as the int COM gave it
        return value

    def _grow_tables(self, r1: int, c1: int, r2: int, c2: int) -> None:
        """Excel's AutoExpansion: a block written into the row just below a table makes it part of the table."""
        for table in self.tables:
            row, column, nrows, ncols = table._ref
            below = row + nrows
            if r1 <= below <= r2 and c1 <= column + ncols - 1 and c2 >= column:
                table._grow_to(r2)

    # --- test helpers (not xlwings API)
    def get(self, address: str) -> object:
        r, c, _, _ = _parse_area(address)
        return self.cells.get((r, c))

    def set(self, address: str, value: object) -> None:
        self.range(address).value = value

    def set_error(self, address: str, text: str) -> None:
        r, c, _, _ = _parse_area(address)
        self.formulas.pop((r, c), None)
        self.cells[(r, c)] = ExcelError(text)

    def rows(self) -> list[list[object]]:
        return self.used_range.options(ndim=2).value

    def format(self, address: str) -> CellFormat:
        r, c, _, _ = _parse_area(address)
        return self.formats.get((r, c), CellFormat())


class Font:
    def __init__(self, rng: "Range") -> None:
        self._rng = rng

    def _set(self, **changes: Any) -> None:
        for key in self._rng._keys():
            fmt = self._rng.sheet.formats.setdefault(key, CellFormat())
            for name, value in changes.items():
                setattr(fmt, name, value)

    def _get(self, name: str) -> Any:
        return getattr(self._rng.sheet.formats.get((self._rng.row, self._rng.column), CellFormat()), name)

    bold = property(lambda self: self._get("bold"), lambda self, v: self._set(bold=bool(v)))
    italic = property(lambda self: self._get("italic"), lambda self, v: self._set(italic=bool(v)))
    size = property(lambda self: self._get("size"), lambda self, v: self._set(size=float(v)))
    color = property(lambda self: self._get("font_color"), lambda self, v: self._set(font_color=_rgb(v)))


def _rgb(value: Any) -> tuple[int, int, int] | None:
    """xlwings accepts (r, g, b), "#RRGGBB" or None for colours."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.lstrip("#")
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    r, g, b = value
    return int(r), int(g), int(b)


class Range:
    def __init__(self, sheet: Sheet, row: int, column: int, nrows: int, ncols: int, ndim: int | None = None,
                 err_to_str: bool = False, areas: tuple[tuple[int, int, int, int], ...] | None = None) -> None:
        self.sheet = sheet
        self.row = row
        self.column = column
        self._nrows = nrows
        self._ncols = ncols
        self._ndim = ndim
        self._err_to_str = err_to_str
        self.areas = areas or ((row, column, row + nrows - 1, column + ncols - 1),)

    def __repr__(self) -> str:
        return f"<Range {self.sheet.name}!{self.address}>"

    @property
    def shape(self) -> tuple[int, int]:
        return self._nrows, self._ncols

    @property
    def address(self) -> str:
        def one(r1: int, c1: int, r2: int, c2: int) -> str:
            first = f"${col_letters(c1)}${r1}"
            return first if (r1, c1) == (r2, c2) else f"{first}:${col_letters(c2)}${r2}"
        return ",".join(one(*a) for a in self.areas)

    def _keys(self):
        for r1, c1, r2, c2 in self.areas:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    yield r, c

    def options(self, ndim: int | None = None, err_to_str: bool = False, **_: Any) -> "Range":
        return Range(self.sheet, self.row, self.column, self._nrows, self._ncols, ndim, err_to_str, self.areas)

    @property
    def value(self) -> Any:
        grid = [[self.sheet._read(r, c, self._err_to_str) for c in range(self.column, self.column + self._ncols)]
                for r in range(self.row, self.row + self._nrows)]
        if self._ndim == 2:
            return grid
        if self._nrows == 1 and self._ncols == 1:
            return grid[0][0]
        if self._nrows == 1:
            return grid[0]
        if self._ncols == 1:
            return [row[0] for row in grid]
        return grid

    @value.setter
    def value(self, data: Any) -> None:
        # As xlwings: a nested list is written from the top-left cell whatever the range's size; a flat list
        # is one row; a scalar fills the range.
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
            for i, row in enumerate(data):
                for j, value in enumerate(row):
                    self.sheet._store(self.row + i, self.column + j, value)
            last_row, last_col = self.row + len(data) - 1, self.column + max(len(r) for r in data) - 1
        elif isinstance(data, (list, tuple)):
            for j, value in enumerate(data):
                self.sheet._store(self.row, self.column + j, value)
            last_row, last_col = self.row, self.column + max(len(data), 1) - 1
        else:
            for r, c in self._keys():
                self.sheet._store(r, c, data)
            last_row, last_col = self.row + self._nrows - 1, self.column + self._ncols - 1
        self.sheet._grow_tables(self.row, self.column, last_row, last_col)

    @property
    def formula(self) -> str | None:
        key = (self.row, self.column)
        return self.sheet.formulas.get(key) or (None if key not in self.sheet.cells else str(self.sheet.cells[key]))

    # ---- formats
    @property
    def number_format(self) -> str:
        return self.sheet.formats.get((self.row, self.column), CellFormat()).number_format

    @number_format.setter
    def number_format(self, value: str) -> None:
        for key in self._keys():
            self.sheet.formats.setdefault(key, CellFormat()).number_format = value

    @property
    def font(self) -> Font:
        return Font(self)

    @property
    def color(self) -> tuple[int, int, int] | None:
        return self.sheet.formats.get((self.row, self.column), CellFormat()).fill

    @color.setter
    def color(self, value: Any) -> None:
        for key in self._keys():
            self.sheet.formats.setdefault(key, CellFormat()).fill = _rgb(value)

    @property
    def wrap_text(self) -> bool:
        return self.sheet.formats.get((self.row, self.column), CellFormat()).wrap

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        for key in self._keys():
            self.sheet.formats.setdefault(key, CellFormat()).wrap = bool(value)

    @property
    def column_width(self) -> float:
        return self.sheet.column_widths.get(self.column, DEFAULT_COLUMN_WIDTH)

    @column_width.setter
    def column_width(self, value: float) -> None:
        for c in range(self.column, self.column + self._ncols):
            self.sheet.column_widths[c] = float(value)

    def clear_contents(self) -> None:
        for key in list(self._keys()):
            self.sheet.cells.pop(key, None)
            self.sheet.formulas.pop(key, None)

    def clear_formats(self) -> None:
        for key in list(self._keys()):
            self.sheet.formats.pop(key, None)

    def clear(self) -> None:
        self.clear_contents()
        self.clear_formats()

    # ---- geometry, in points, as Excel reports it
    @property
    def left(self) -> float:
        return sum(_points(self.sheet.column_widths.get(c, DEFAULT_COLUMN_WIDTH)) for c in range(1, self.column))

    @property
    def top(self) -> float:
        return (self.row - 1) * DEFAULT_ROW_HEIGHT

    @property
    def width(self) -> float:
        return sum(_points(self.sheet.column_widths.get(c, DEFAULT_COLUMN_WIDTH))
                   for c in range(self.column, self.column + self._ncols))

    @property
    def height(self) -> float:
        return self._nrows * DEFAULT_ROW_HEIGHT


def _points(chars: float) -> float:
    return (chars * 7 + 5) * 0.75  # Excel: 7 px per character plus 5 px padding, 0.75 pt per pixel


class Tables:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self._items: list[Table] = []

    def __iter__(self):
        return iter(list(self._items))

    def __getitem__(self, name: str) -> "Table":
        for table in self._items:
            if table.name.lower() == name.lower():
                return table
        raise KeyError(name)

    def add(self, source: Range | None = None, name: str | None = None, **_: Any) -> "Table":
        table = Table(self.sheet, name or f"Table{len(self._items) + 1}", source.row, source.column,
                      *source.shape)
        self._items.append(table)
        return table


class Table:
    def __init__(self, sheet: Sheet, name: str, row: int, column: int, nrows: int, ncols: int) -> None:
        self.sheet = sheet
        self.name = name
        self._ref = (row, column, nrows, ncols)
        self.resizes = 0
        self.calculated: dict[int, str] = {}  # 0-based column in the table -> formula of a calculated column

    @property
    def range(self) -> Range:
        return Range(self.sheet, *self._ref)

    @property
    def header_row_range(self) -> Range:
        row, column, _, ncols = self._ref
        return Range(self.sheet, row, column, 1, ncols)

    @property
    def data_body_range(self) -> Range | None:
        row, column, nrows, ncols = self._ref
        return Range(self.sheet, row + 1, column, nrows - 1, ncols) if nrows > 1 else None

    def resize(self, range: Range) -> None:
        old_last = self._ref[0] + self._ref[2] - 1
        self._ref = (range.row, range.column, *range.shape)
        self.resizes += 1
        self._fill_calculated(old_last + 1)

    def _grow_to(self, last_row: int) -> None:
        row, column, nrows, ncols = self._ref
        old_last = row + nrows - 1
        if last_row > old_last:
            self._ref = (row, column, last_row - row + 1, ncols)
            self._fill_calculated(old_last + 1)

    def _fill_calculated(self, first_new_row: int) -> None:
        """Excel fills a calculated column's formula into every row a table gains (unless a value is there)."""
        row, column, nrows, _ = self._ref
        for offset, formula in self.calculated.items():
            for r in range(max(first_new_row, row + 1), row + nrows):
                key = (r, column + offset)
                if key not in self.sheet.cells:
                    self.sheet.formulas[key] = formula


class Charts:
    def __init__(self, sheet: Sheet) -> None:
        self.sheet = sheet
        self._items: list[Chart] = []

    def __iter__(self):
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211,
            chart_type: str | None = None, source: Range | None = None, plot_by: str | None = None,
            name: str | None = None, anchor: Range | None = None, style: int | None = 227) -> "Chart":
        if anchor is not None:
            if top or left:
                raise ValueError("You must either provide 'anchor' or 'top'/'left', but not both.")
            top, left = anchor.top, anchor.left
        if plot_by is not None and source is None:
            raise ValueError("'plot_by' requires 'source'.")
        if name and any(c.name == name for c in self._items):
            raise ValueError(f"'{name}' is already present on {self.sheet.name}.")
        chart = Chart(self, name or f"Chart {len(self._items) + 1}", left, top, width, height)
        if source is not None:
            chart.set_source_data(source, plot_by)
        chart.chart_type = chart_type or "column_clustered"
        self._items.append(chart)
        return chart


@dataclass
class ChartSeries:
    values: str  # the address of its values
    name: str | None = None
    x_values: str | None = None


@dataclass
class Chart:
    parent: Charts
    name: str
    left: float
    top: float
    width: float
    height: float
    chart_type: str = "column_clustered"
    title: str | None = None
    series: list[ChartSeries] = field(default_factory=list)

    def set_source_data(self, source: Range, plot_by: str | None = None) -> None:
        """One series per column of each area (plot_by="columns"), as Excel's SetSourceData."""
        if plot_by not in (None, "columns"):
            raise NotImplementedError("the fake plots by columns only")
        self.series = [ChartSeries(f"${col_letters(c)}${r1}:${col_letters(c)}${r2}")
                       for r1, c1, r2, c2 in source.areas for c in range(c1, c2 + 1)]

    def set_x_axis_values(self, source: Range) -> None:
        for s in self.series:
            s.x_values = source.address

    def delete(self) -> None:
        self.parent._items.remove(self)
