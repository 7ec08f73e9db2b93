"""The Excel workbook API of the loopback fake (``fake_graph.py``): a drive item that holds a real .xlsx.

The workbook is an openpyxl ``Workbook`` held in memory and changed as calls arrive; a download serialises it
(so a test reads back, with the product's own reader, exactly what the calls left). Shapes follow Microsoft's
documentation of the workbook API (v1.0):

- ``createSession`` (201 with ``id``; or 202 + ``Location`` to poll ``operations/{id}`` until ``succeeded`` and
  then ``sessionInfoResource(key=…)``), ``closeSession``; sessions expire after ``lifetime`` idle seconds or on
  demand (``expire_sessions``): a call with an expired one gets ``invalidSessionReCreatable``;
- only the calls of ``DOCUMENTED`` (v1.0's pages); any other is refused with 400 ``BadRequest``;
- ``worksheets``, ``worksheets/add``, ``worksheets/{name}/tables``, ``tables/{name}/headerRowRange``,
  ``…/dataBodyRange``, ``tables/{name}/columns/{name}/dataBodyRange``, ``tables/{name}/rows/add``;
- ``worksheets/{name}/range(address=…)`` GET / PATCH (``values``, ``numberFormat``), ``…/clear``,
  ``…/unmerge``, ``…/format`` (``columnWidth``), ``…/format/font``, ``…/format/fill`` (and ``/clear``),
  ``usedRange(valuesOnly=true)``;
- ``worksheets/{name}/charts``, ``charts/add``, ``charts/{name}`` DELETE, ``charts/{name}/title``,
  ``charts/{name}/setPosition`` (charts are kept as records: openpyxl does not keep charts it did not make).

Values are taken as Excel takes typed input: a leading apostrophe makes text (the apostrophe is not stored), a
string starting with ``=`` is a formula, a string that reads as a number becomes a number and an ISO date a
date; ``null`` in ``rows/add`` is an empty cell and in a range PATCH leaves the cell as it is. Only a
delegated token may call the workbook API (application permissions are not supported, as documented).
"""
from __future__ import annotations

import io
import re
import secrets
import time
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel, to_excel

_RANGE = re.compile(r"^range\(address='([^']*)'\)$")
_USED = re.compile(r"^usedRange(\(valuesOnly=(true|false)\))?$")
_SESSION_INFO = re.compile(r"^sessionInfoResource\(key='([^']*)'\)$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ISO_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


# Every call the fake answers, as Microsoft Graph v1.0 documents it (learn.microsoft.com/graph/api/<page>), and
# nothing else: a call outside this table is refused with the 400 Graph gives for a path segment its metadata
# does not have ("Resource not found for the segment …"), as v1.0 answers ``worksheets/{name}/freezePanes``
# (workbookWorksheet's navigation properties are charts, names, pivotTables, protection and tables only).
_NAME = r"[^/]+"
DOCUMENTED: tuple[tuple[str, str, str], ...] = (
    ("POST", r"createSession", "workbook-createsession"),
    ("POST", r"closeSession", "workbook-closesession"),
    ("GET", r"operations/" + _NAME, "workbookoperation-get (long-running createSession)"),
    ("GET", r"sessionInfoResource\(key='[^']*'\)", "workbook-sessioninforesource"),
    ("GET", r"worksheets", "worksheet-list"),
    ("POST", r"worksheets/add", "worksheetcollection-add"),
    ("GET", r"worksheets/" + _NAME, "worksheet-get"),
    ("GET", r"worksheets/" + _NAME + r"/tables", "worksheet-list-tables"),
    ("GET", r"worksheets/" + _NAME + r"/usedRange(\(valuesOnly=(true|false)\))?", "worksheet-usedrange"),
    ("GET", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)", "worksheet-range"),
    ("PATCH", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)", "range-update"),
    ("POST", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)/clear", "range-clear"),
    ("POST", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)/unmerge", "range-unmerge"),
    ("PATCH", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)/format", "rangeformat-update"),
    ("PATCH", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)/format/font", "rangefont-update"),
    ("PATCH", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)/format/fill", "rangefill-update"),
    ("POST", r"worksheets/" + _NAME + r"/range\(address='[^']*'\)/format/fill/clear", "rangefill-clear"),
    ("GET", r"worksheets/" + _NAME + r"/charts", "worksheet-list-charts"),
    ("POST", r"worksheets/" + _NAME + r"/charts/add", "chartcollection-add"),
    ("DELETE", r"worksheets/" + _NAME + r"/charts/" + _NAME, "chart-delete"),
    ("PATCH", r"worksheets/" + _NAME + r"/charts/" + _NAME + r"/title", "charttitle-update"),
    ("POST", r"worksheets/" + _NAME + r"/charts/" + _NAME + r"/setPosition", "chart-setposition"),
    ("GET", r"tables/" + _NAME + r"/headerRowRange", "table-headerrowrange"),
    ("GET", r"tables/" + _NAME + r"/dataBodyRange", "table-databodyrange"),
    ("GET", r"tables/" + _NAME + r"/columns/" + _NAME + r"/dataBodyRange", "tablecolumn-databodyrange"),
    ("POST", r"tables/" + _NAME + r"/rows/add", "tablerowcollection-add"),
)
_DOCUMENTED = tuple((method, re.compile(pattern + "$"), page) for method, pattern, page in DOCUMENTED)


def documented(method: str, rest: list[str]) -> str | None:
    """The documentation page of a workbook call (the path after ``/workbook/``), None for an undocumented one."""
    path = "/".join(rest)
    return next((page for m, pattern, page in _DOCUMENTED if m == method and pattern.match(path)), None)


def _error(status: int, code: str, message: str, inner: str | None = None) -> tuple[int, dict, dict]:
    error: dict = {"code": code, "message": message}
    if inner:
        error["innerError"] = {"code": inner, "message": message}
    return status, {"error": error}, {}


def _not_found(what: str) -> tuple[int, dict, dict]:
    return _error(404, "itemNotFound", f"{what} not found")


@dataclass
class WorkbookFile:
    share_url: str
    item_id: str
    drive_id: str
    name: str
    ctag: str
    book: openpyxl.Workbook
    downloads: int = 0
    charts: dict[str, dict[str, dict]] = field(default_factory=dict)  # sheet -> chart name -> record
    formulas: list[str] = field(default_factory=list)  # every value the API turned into a formula
    serialise_seconds: float = 0.0  # time spent turning the book into bytes for downloads
    _bytes: bytes | None = None

    @property
    def content(self) -> bytes:
        if self._bytes is None:
            started = time.perf_counter()
            buffer = io.BytesIO()
            self.book.save(buffer)
            self._bytes = buffer.getvalue()
            self.serialise_seconds += time.perf_counter() - started
        return self._bytes

    def touch(self) -> None:
        """A change was saved: new bytes, new cTag (as the service does when a session persists an edit)."""
        self._bytes = None
        self.ctag = f'"c:{{{secrets.token_hex(8)}}},{secrets.randbelow(1000)}"'

    def table(self, name: str):
        for ws in self.book.worksheets:
            for table in ws.tables.values():  # (TableList.items() gives references, not tables)
                if table.displayName.casefold() == name.casefold():
                    return ws, table
        return None, None

    def sheet(self, name: str):
        return next((ws for ws in self.book.worksheets if ws.title == name), None)

    def rows(self, sheet: str) -> list[list[object]]:
        """The sheet's values as a test reads them (no serialisation)."""
        ws = self.sheet(sheet)
        return [list(r) for r in ws.iter_rows(values_only=True)] if ws is not None else []


def load_workbook_file(share_url: str, content: bytes, *, name: str, item_id: str | None = None) -> WorkbookFile:
    book = openpyxl.load_workbook(io.BytesIO(content))
    file = WorkbookFile(share_url, item_id or "01BOOK" + secrets.token_hex(6).upper(), "b!drive-" + secrets.token_hex(4),
                        name, f'"c:{{{secrets.token_hex(8)}}},1"', book)
    file._bytes = content  # served as uploaded until the first change
    return file


@dataclass
class Session:
    id: str
    item_id: str
    persist: bool
    last_used: float
    closed: bool = False
    expired: bool = False


# ---------------------------------------------------------------- values

def typed_value(value: object) -> tuple[object, bool]:
    """A value from a request as Excel stores it: (value, is_text). Strings are parsed like typed input."""
    if not isinstance(value, str):
        return value, False
    if value.startswith("'"):
        return value[1:], True
    if value == "":
        return None, False
    if value.startswith("="):
        return value, False  # a formula
    if _NUMBER.match(value.strip()):
        number = float(value)
        return (int(number) if number.is_integer() and "." not in value else number), False
    m = _ISO_DATE.match(value.strip())
    if m:
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3))), False
        except ValueError:
            pass
    return value, True


def _store(cell, value: object, file: WorkbookFile) -> None:
    stored, text = typed_value(value)
    cell.value = stored
    if text and isinstance(stored, str) and stored.startswith("="):
        cell.data_type = "s"  # text that only looks like a formula stays text
    elif isinstance(stored, str) and stored.startswith("="):
        file.formulas.append(stored)


def _read(value: object) -> object:
    """A cell as the API returns it: dates as serial numbers, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return to_excel(value)
    return value


def _address(ws, min_col: int, min_row: int, max_col: int, max_row: int) -> str:
    return f"{ws.title}!{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"


def _bounds(address: str) -> tuple[int, int, int, int]:
    """(min_col, min_row, max_col, max_row) of "A1:C3", "B2" or "A:A" (a whole column: rows 1–1048576)."""
    cells = address.rsplit("!", 1)[-1].replace("$", "")
    min_col, min_row, max_col, max_row = range_boundaries(cells)
    return min_col, min_row or 1, max_col, max_row or 1048576


# ---------------------------------------------------------------- the service

class WorkbookService:
    """What Excel Online does behind ``/drives/{d}/items/{i}/workbook/…`` for the fake's workbook files."""

    def __init__(self, lifetime: float = 300.0):
        self.lifetime = lifetime
        self.sessions: dict[str, Session] = {}
        self.created: list[str] = []
        self.closed: list[str] = []
        self.sessionless: list[str] = []  # calls that named no session (the toolkit always uses one)
        self.refused: list[str] = []  # calls v1.0 does not document (answered 400, as the service does)
        self.async_creates = 0  # createSession calls still to answer 202 (long-running operation pattern)
        self.running_polls = 1  # polls that still say "running" before "succeeded"
        self.on_session: list[Callable[[WorkbookFile], None]] = []  # run once at the next createSession
        self._operations: dict[str, dict] = {}

    def expire_sessions(self) -> None:
        for session in self.sessions.values():
            session.expired = True

    def open_sessions(self, item_id: str | None = None) -> list[Session]:
        """Sessions neither closed nor expired (of one drive item, when given)."""
        return [s for s in self.sessions.values() if not s.closed and not s.expired
                and (item_id is None or s.item_id == item_id)]

    # ------------------------------------------------------------ dispatch

    def handle(self, method: str, file: WorkbookFile, rest: list[str], body: object, session_id: str | None,
               base_url: str, base_path: str) -> tuple[int, object, dict]:
        if documented(method, rest) is None:
            self.refused.append(f"{method} {'/'.join(rest)}")
            return _error(400, "BadRequest", f"Resource not found for the segment '{rest[-1] if rest else ''}'.")
        if rest == ["createSession"] and method == "POST":
            return self._create(file, body, base_url, base_path)
        if rest[:1] == ["operations"] and len(rest) == 2 and method == "GET":
            return self._operation(rest[1], base_url, base_path)
        if len(rest) == 1 and _SESSION_INFO.match(rest[0]) and method == "GET":
            info = self._operations.get("key:" + _SESSION_INFO.match(rest[0]).group(1))
            return (200, {"id": info["session"], "persistChanges": True}, {}) if info else _not_found("session")
        if session_id:
            session = self.sessions.get(session_id)
            if session is None or session.closed or session.expired or session.item_id != file.item_id or \
                    time.monotonic() - session.last_used > self.lifetime:
                if session is not None:
                    session.expired = True
                return _error(404, "InvalidSession", "The session specified in the request does not exist or is "
                              "invalid due to a transient error.", "invalidSessionReCreatable")
            session.last_used = time.monotonic()
        else:
            self.sessionless.append(f"{method} {'/'.join(rest)}")
        if rest == ["closeSession"] and method == "POST":
            if session_id:
                self.sessions[session_id].closed = True
                self.closed.append(session_id)
            return 204, None, {}
        return self._call(method, file, rest, body)

    def _create(self, file: WorkbookFile, body: object, base_url: str, base_path: str):
        persist = bool(isinstance(body, dict) and body.get("persistChanges"))
        session = Session("sess-" + secrets.token_hex(8), file.item_id, persist, time.monotonic())
        self.sessions[session.id] = session
        self.created.append(session.id)
        hooks, self.on_session = self.on_session, []
        for hook in hooks:  # a co-author edits the book between the toolkit's read and its write
            hook(file)
            file.touch()
        if self.async_creates > 0:
            self.async_creates -= 1
            op = "op-" + secrets.token_hex(6)
            self._operations[op] = {"session": session.id, "polls": self.running_polls}
            return 202, {}, {"Location": f"{base_url}{base_path}/operations/{op}"}
        return 201, {"id": session.id, "persistChanges": persist}, {}

    def _operation(self, op: str, base_url: str, base_path: str):
        info = self._operations.get(op)
        if info is None:
            return _not_found("operation")
        if info["polls"] > 0:
            info["polls"] -= 1
            return 200, {"id": op, "status": "running"}, {"Retry-After": "1"}
        key = secrets.token_hex(6)
        self._operations["key:" + key] = info
        return 200, {"id": op, "status": "succeeded",
                     "resourceLocation": f"{base_url}{base_path}/sessionInfoResource(key='{key}')"}, {}

    # ------------------------------------------------------------ workbook calls

    def _call(self, method: str, file: WorkbookFile, rest: list[str], body: object):
        body = body if isinstance(body, dict) else {}
        if rest[0] == "worksheets":
            if rest == ["worksheets"] and method == "GET":
                return 200, {"value": [{"id": ws.title, "name": ws.title, "position": i}
                                       for i, ws in enumerate(file.book.worksheets)]}, {}
            if rest == ["worksheets", "add"] and method == "POST":
                name = str(body.get("name") or f"Sheet{len(file.book.worksheets) + 1}")
                if file.sheet(name) is not None:
                    return _error(409, "ItemAlreadyExists", "sheet exists")
                file.book.create_sheet(name)
                file.touch()
                return 201, {"id": name, "name": name}, {}
            ws = file.sheet(rest[1]) if len(rest) > 1 else None
            if ws is None:
                return _not_found("worksheet")
            return self._worksheet(method, file, ws, rest[2:], body)
        if rest[0] == "tables" and len(rest) >= 3:
            ws, table = file.table(rest[1])
            if table is None:
                return _not_found("table")
            return self._table(method, file, ws, table, rest[2:], body)
        return _not_found("workbook resource")

    def _worksheet(self, method: str, file: WorkbookFile, ws, rest: list[str], body: dict):
        if not rest:
            return (200, {"id": ws.title, "name": ws.title}, {}) if method == "GET" else _not_found("operation")
        if rest == ["tables"] and method == "GET":
            return 200, {"value": [{"id": name, "name": name} for name in ws.tables]}, {}
        m = _USED.match(rest[0])
        if m and len(rest) == 1 and method == "GET":
            if m.group(2) == "true":  # cells holding a value
                cells = [(c.row, c.column) for row in ws.iter_rows() for c in row if c.value not in (None, "")]
            else:  # every cell with a value or a format, and merged areas
                cells = list(ws._cells) + [(r.max_row, r.max_col) for r in ws.merged_cells.ranges]
            if not cells:
                return 200, {"address": f"{ws.title}!A1"}, {}
            rows, cols = [r for r, _ in cells], [c for _, c in cells]
            return 200, {"address": _address(ws, min(cols), min(rows), max(cols), max(rows))}, {}
        if rest[0] == "charts":
            return self._charts(method, file, ws, rest[1:], body)
        m = _RANGE.match(rest[0])
        if m:
            return self._range(method, file, ws, m.group(1), rest[1:], body)
        return _not_found("worksheet resource")

    def _range(self, method: str, file: WorkbookFile, ws, address: str, rest: list[str], body: dict):
        min_col, min_row, max_col, max_row = _bounds(address)
        if not rest and method == "GET":
            values = [[_read(ws.cell(r, c).value) for c in range(min_col, max_col + 1)]
                      for r in range(min_row, max_row + 1)]
            return 200, {"address": _address(ws, min_col, min_row, max_col, max_row), "values": values}, {}
        if not rest and method == "PATCH":
            height, width = max_row - min_row + 1, max_col - min_col + 1
            for key in ("values", "numberFormat"):
                grid = body.get(key)
                if grid is not None and (len(grid) != height or any(len(row) != width for row in grid)):
                    return _error(400, "InvalidArgument", f"{key} does not match the range {address}",
                                  "invalidArgument")
            for r, row in enumerate(body.get("values") or []):
                for c, value in enumerate(row):
                    if value is not None:  # null leaves the cell as it is
                        _store(ws.cell(min_row + r, min_col + c), value, file)
            for r, row in enumerate(body.get("numberFormat") or []):
                for c, fmt in enumerate(row):
                    if fmt is not None:
                        ws.cell(min_row + r, min_col + c).number_format = fmt
            file.touch()
            return 200, {"address": _address(ws, min_col, min_row, max_col, max_row)}, {}
        if rest == ["clear"] and method == "POST":
            for row in ws.iter_rows(min_row=min_row, max_row=min(max_row, ws.max_row), min_col=min_col,
                                    max_col=min(max_col, ws.max_column)):
                for cell in row:
                    if not isinstance(cell, MergedCell):  # the merged area's value is its first cell's
                        cell.value = None
            file.touch()
            return 200, {}, {}
        if rest == ["unmerge"] and method == "POST":
            for merged in list(ws.merged_cells.ranges):
                if merged.min_row <= max_row and merged.max_row >= min_row and merged.min_col <= max_col \
                        and merged.max_col >= min_col:
                    ws.unmerge_cells(str(merged))
            file.touch()
            return 200, {}, {}
        if rest == ["format"] and method == "PATCH":
            if "columnWidth" in body:
                for col in range(min_col, max_col + 1):
                    ws.column_dimensions[get_column_letter(col)].width = (float(body["columnWidth"]) / 0.75 - 5) / 7
            if "wrapText" in body:
                for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
                    for cell in row:
                        if not isinstance(cell, MergedCell):
                            cell.alignment = Alignment(wrap_text=bool(body["wrapText"]))
            file.touch()
            return 200, {}, {}
        if rest == ["format", "font"] and method == "PATCH":
            for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
                for cell in row:
                    if isinstance(cell, MergedCell):
                        continue
                    font = copy(cell.font)
                    cell.font = Font(name=font.name, size=body.get("size", font.size), bold=body.get("bold", font.b),
                                     italic=font.i, color=str(body["color"]).lstrip("#") if "color" in body
                                     else font.color)
            file.touch()
            return 200, {}, {}
        if rest[:2] == ["format", "fill"]:
            clear = rest[2:] == ["clear"]
            for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
                for cell in row:
                    if isinstance(cell, MergedCell):
                        continue
                    cell.fill = PatternFill(fill_type=None) if clear else PatternFill(
                        "solid", fgColor=str(body.get("color") or "FFFFFF").lstrip("#"))
            file.touch()
            return 200, {}, {}
        return _not_found("range resource")

    def _charts(self, method: str, file: WorkbookFile, ws, rest: list[str], body: dict):
        charts = file.charts.setdefault(ws.title, {})
        if not rest and method == "GET":
            return 200, {"value": [{"id": name, "name": name} for name in charts]}, {}
        if rest == ["add"] and method == "POST":
            # chartcollection-add: sourceData is "the Range object corresponding to the source data", one A1
            # address; a multi-area "A1:A5,C1:C5" is not a range the service takes.
            source = str(body.get("sourceData") or "")
            if not re.fullmatch(r"(?:[^!]+!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?", source) or \
                    body.get("seriesBy") not in (None, "Auto", "Columns", "Rows") or not body.get("type"):
                return _error(400, "InvalidArgument", "The argument is invalid or missing or has an incorrect format.",
                              "invalidArgument")
            name = f"Chart {len(charts) + 1}"
            while name in charts:
                name += "+"
            charts[name] = {"type": body.get("type"), "sourceData": source, "seriesBy": body.get("seriesBy"),
                            "series": _series_names(ws, source, body.get("seriesBy")), "title": None,
                            "position": None}
            file.touch()
            return 201, {"id": name, "name": name}, {}
        chart = charts.get(rest[0]) if rest else None
        if chart is None:
            return _not_found("chart")
        if len(rest) == 1 and method == "DELETE":
            del charts[rest[0]]
            file.touch()
            return 204, None, {}
        if rest[1:] == ["title"] and method == "PATCH":
            chart["title"] = body.get("text")
            file.touch()
            return 200, {"text": chart["title"]}, {}
        if rest[1:] == ["setPosition"] and method == "POST":
            chart["position"] = (body.get("startCell"), body.get("endCell"))
            file.touch()
            return 200, {}, {}
        return _not_found("chart resource")

    def _table(self, method: str, file: WorkbookFile, ws, table, rest: list[str], body: dict):
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        if rest == ["headerRowRange"] and method == "GET":
            values = [[ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]]
            return 200, {"address": _address(ws, min_col, min_row, max_col, min_row), "values": values}, {}
        if rest == ["dataBodyRange"] and method == "GET":
            values = [[_read(ws.cell(r, c).value) for c in range(min_col, max_col + 1)]
                      for r in range(min_row + 1, max_row + 1)]
            return 200, {"address": _address(ws, min_col, min_row + 1, max_col, max_row), "values": values}, {}
        if len(rest) == 3 and rest[0] == "columns" and rest[2] == "dataBodyRange" and method == "GET":
            headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
            if rest[1] not in headers:
                return _not_found("column")
            col = min_col + headers.index(rest[1])
            values = [[_read(ws.cell(r, col).value)] for r in range(min_row + 1, max_row + 1)]
            return 200, {"address": _address(ws, col, min_row + 1, col, max_row), "values": values}, {}
        if rest == ["rows", "add"] and method == "POST":
            values = body.get("values") or []
            width = max_col - min_col + 1
            if not values or any(len(row) != width for row in values):
                return _error(400, "InvalidArgument", "each row needs one value per table column", "invalidArgument")
            first = max_row + 1
            for r, row in enumerate(values):
                for c, value in enumerate(row):
                    cell = ws.cell(first + r, min_col + c)
                    if value is None:
                        cell.value = None
                    else:
                        _store(cell, value, file)
            new_ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row + len(values)}"
            table.ref = new_ref
            if table.autoFilter is not None:
                table.autoFilter.ref = new_ref
            file.touch()
            return 200, {"index": first - min_row - 1, "values": values}, {}
        return _not_found("table resource")


def _series_names(ws, source: str, series_by: object) -> list[str | None]:
    """The series Excel makes of a chart's source range by columns: one per column after the first (the
    categories), named by the range's first row when it holds text there (else unnamed: "Series1" …)."""
    min_col, min_row, max_col, max_row = _bounds(source)
    if series_by == "Rows":
        return [None] * (max_row - min_row)
    names = [ws.cell(min_row, c).value for c in range(min_col + 1, max_col + 1)]
    return [n if isinstance(n, str) else None for n in names]


def serial_date(value: object) -> object:
    """A serial number the API returned, as the date it stands for (tests compare dates)."""
    return from_excel(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
