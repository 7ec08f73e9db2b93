"""A small stand-in for exactly the xlwings objects ``toolkit.excel`` uses, backed by Python dicts.

Why: xlwings drives a running Excel (COM on Windows); there is none on Linux and its remote engines need a
licence. This fake mirrors the xlwings API surface the adapter touches — and only that — so a test can tell
what the adapter wrote where:

- ``Book``: ``sheets``, ``app``, ``fullname``, ``selection``, ``save()``; workbook-level defined names
- ``Sheets``: iteration, ``len``, ``[name or index]``, ``add(name, after=)``, ``active``
- ``Sheet``: ``name``, ``range(...)`` (an address, a defined name, ``(row, col)`` or two corners), ``used_range``,
  ``tables``, ``activate()``, ``clear_contents()``
- ``Range``: ``row``, ``column``, ``shape``, ``value`` (get/set as xlwings converts), ``options(ndim=2)``
- ``Tables``/``Table``: ``[name]``, iteration, ``add(source=, name=)``, ``range``, ``header_row_range``,
  ``data_body_range``, ``resize(range)``
- ``App``: ``status_bar``, ``alert(prompt, title=, mode=)``

Cells behave as Excel stores what COM hands it: a string starting with ``'`` is text without the apostrophe
(Excel keeps it as a prefix flag), a string starting with ``=`` becomes a formula (recorded in ``formulas``).
"""
from __future__ import annotations

import re
from typing import Any

_ADDRESS = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _parse_address(text: str) -> tuple[int, int, int, int]:
    first, _, last = text.partition(":")
    m1 = _ADDRESS.match(first)
    if not m1:
        raise ValueError(f"not an address: {text}")
    r1, c1 = int(m1.group(2)), _col_number(m1.group(1))
    if not last:
        return r1, c1, r1, c1
    m2 = _ADDRESS.match(last)
    if not m2:
        raise ValueError(f"not an address: {text}")
    return r1, c1, int(m2.group(2)), _col_number(m2.group(1))


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
        sheet = Sheet(self, name)
        self.sheets._items.append(sheet)
        for r, row in enumerate(rows or [], start=1):
            for c, value in enumerate(row, start=1):
                if value not in (None, ""):
                    sheet.cells[(r, c)] = value
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


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], object] = {}
        self.formulas: set[tuple[int, int]] = set()
        self.tables = Tables(self)

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
        r1, c1, r2, c2 = _parse_address(first)
        return Range(self, r1, c1, r2 - r1 + 1, c2 - c1 + 1)

    @property
    def used_range(self) -> "Range":
        if not self.cells:
            return Range(self, 1, 1, 1, 1)
        rows = [r for r, _ in self.cells]
        cols = [c for _, c in self.cells]
        return Range(self, min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1)

    def activate(self) -> None:
        self.book.sheets._active = self

    def clear_contents(self) -> None:
        self.cells.clear()
        self.formulas.clear()

    # --- test helpers (not xlwings API)
    def get(self, address: str) -> object:
        r, c, _, _ = _parse_address(address)
        return self.cells.get((r, c))

    def set(self, address: str, value: object) -> None:
        self.range(address).value = value

    def rows(self) -> list[list[object]]:
        return self.used_range.options(ndim=2).value


class Range:
    def __init__(self, sheet: Sheet, row: int, column: int, nrows: int, ncols: int, ndim: int | None = None) -> None:
        self.sheet = sheet
        self.row = row
        self.column = column
        self._nrows = nrows
        self._ncols = ncols
        self._ndim = ndim

    def __repr__(self) -> str:
        return f"<Range {self.sheet.name}!R{self.row}C{self.column} {self.shape}>"

    @property
    def shape(self) -> tuple[int, int]:
        return self._nrows, self._ncols

    def options(self, ndim: int | None = None, **_: Any) -> "Range":
        return Range(self.sheet, self.row, self.column, self._nrows, self._ncols, ndim)

    @property
    def value(self) -> Any:
        grid = [[self.sheet.cells.get((r, c)) for c in range(self.column, self.column + self._ncols)]
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
                    self._store(self.row + i, self.column + j, value)
        elif isinstance(data, (list, tuple)):
            for j, value in enumerate(data):
                self._store(self.row, self.column + j, value)
        else:
            for r in range(self.row, self.row + self._nrows):
                for c in range(self.column, self.column + self._ncols):
                    self._store(r, c, data)

    def _store(self, r: int, c: int, value: object) -> None:
        key = (r, c)
        self.sheet.formulas.discard(key)
        if value is None or value == "":
            self.sheet.cells.pop(key, None)
            return
        if isinstance(value, str) and value.startswith("'"):
            value = value[1:]  # Excel's text prefix: stored as text, the apostrophe is not part of it
        elif isinstance(value, str) and value.startswith("="):
            self.sheet.formulas.add(key)
        self.sheet.cells[key] = value


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
        self._ref = (range.row, range.column, *range.shape)
        self.resizes += 1
