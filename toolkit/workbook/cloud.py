"""A master workbook kept in SharePoint / OneDrive, co-authored in Excel for the web or desktop Excel.

Reading is a download (``/shares/{id}/driveItem`` then ``/content``), cached by cTag under the user's cache
folder, parsed by the same reader as a local file. Writing never replaces the file (a whole-file PUT would undo
what co-authors typed meanwhile, or fork the book): it goes through the Excel workbook API in one persistent
session (``WorkbookSession``), whose edits Excel merges with the co-authors' own:

- ``createSession {"persistChanges": true}`` (a 202 is polled at its ``Location``), ``closeSession`` always,
  also after a failure; a session that expired (``invalidSessionReCreatable``) is replaced by a new one;
- ``tables/{name}/rows/add`` with all of a table's rows in as few calls as the request size allows;
- rows rewritten and the 集計 sheet rendered through range calls (values and number formats);
- 429/503 are retried by the session's urllib3 ``Retry`` (``Retry-After`` honoured, ``toolkit.graph.http``); a
  504 or a lost answer after ``rows/add`` is not repeated blindly: the 回答ID column (or the table's last rows)
  is read again first, so a row is never added twice;
- a book locked for editing (423, ``EditModeCannotAcquireLock``) raises ``WorkbookLocked``, as a local book
  open in Excel does: the sync queues its rows and the next run applies them.

The workbook API takes delegated tokens only (Files.ReadWrite.All): writes run as the account signed in with
`toolkit login`. Reading may use an app credential (Sites.Selected on the master's site) when no one signed in.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Self
from urllib.parse import quote

import requests
from openpyxl.utils.datetime import to_excel

from toolkit import schema
from toolkit.errors import AuthError, GraphError, ToolkitError, WorkbookError, WorkbookLocked
from toolkit.graph.auth import make_session, resolve_config, token_source, user_tokens
from toolkit.private import write_private_file
from toolkit.graph.client import GraphClient, NotFound, OutcomeUnknown, error_codes
from toolkit.graph.forms import DriveItem, download_item, resolve_share
from toolkit.graph.http import BACKOFF, tries_from_env
from toolkit.graph.merge import RESPONSE_ID, key_text
from toolkit.workbook.layout import NUMBER_FORMATS, Chart, SheetLayout, look_of, runs
from toolkit.workbook.location import CloudUrl, cloud_files
from toolkit.workbook.template import column_format
from toolkit.workbook.xlsx import col_letters

SESSION_HEADER = "workbook-session-id"
# Bytes of JSON per rows/add: Graph refuses request bodies over about 4 MB; half that leaves room for the
# envelope and for text that grows when the service re-encodes it.
MAX_BODY = 2_000_000
SESSION_RENEWALS = 3  # sessions replaced in one run before giving up (each expiry means ~5 idle minutes)
UNSURE_TRIES = 3  # attempts of one rows/add whose outcome was unknown (504, lost answer)
POLL_WAIT = 5.0  # seconds between polls of a createSession answered 202 (unless Retry-After says otherwise)
POLL_LIMIT = 36  # polls (about three minutes) before the session is given up
_LOCK_CODES = frozenset({"editmodecannotacquirelock", "accessconflict", "invalidsessionaccessconflict",
                         "resourcelocked", "locked"})
_EXPIRED_CODES = frozenset({"invalidsessionrecreatable", "sessionnotfound"})
_TEXT_FORMAT = "General"
# Points per character of column width (Calibri 11: 7 px a character, 5 px padding, 0.75 pt a pixel).
_PX_PER_CHAR, _PX_PADDING, _PT_PER_PX = 7, 5, 0.75


def cache_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The user's cache folder for downloaded masters (``TOOLKIT_CACHE_DIR`` wins; tests and servers set it)."""
    override = (env.get("TOOLKIT_CACHE_DIR") or "").strip()
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path("toolkit", appauthor=False)


# ---------------------------------------------------------------- values as the workbook API takes them

def cell_json(value: object, *, blank: object = None) -> object:
    """A value for ``values`` in the workbook API. Text gets Excel's text prefix (an apostrophe, stored as a flag,
    not a character), so a form answer starting with = never becomes a formula and '0123' or '1-2' stay text;
    dates and times go as Excel serial numbers (the column's number format shows them), never as text a
    locale would parse. ``blank``: what an empty cell is sent as (``None`` in rows/add, ``""`` to clear)."""
    if value.__class__ is str:  # most cells of a sync: 70,000 of them for 10,000 responses
        return "'" + value if value else blank
    if value is None:
        return blank
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else blank
    if isinstance(value, (datetime, date)):
        return to_excel(value)
    return "'" + str(value)


def _unprefixed(sent: object) -> object:
    """What Excel stores for a value ``cell_json`` made (the text prefix is a flag, not a character)."""
    return sent[1:] if isinstance(sent, str) else sent


def _same(sent: object, read: object) -> bool:
    """A cell the API reads back equals what we sent (the text prefix is not part of the value)."""
    if isinstance(sent, str):
        return str(read) == sent[1:]
    if sent is None:
        return read in (None, "")
    if isinstance(sent, (int, float)) and isinstance(read, (int, float)):
        return abs(sent - read) < 1e-6
    return sent == read


def _chunks(matrix: list[list[object]], limit: int = MAX_BODY) -> Iterator[list[list[object]]]:
    """Consecutive rows whose JSON stays under ``limit`` bytes (one row alone may exceed it: sent alone)."""
    chunk: list[list[object]] = []
    size = 0
    for row in matrix:
        n = len(json.dumps(row, ensure_ascii=False).encode("utf-8")) + 1
        if chunk and size + n > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(row)
        size += n
    if chunk:
        yield chunk


def _address(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    return f"{col_letters(first_col)}{first_row}:{col_letters(last_col)}{last_row}"


def _bounds(address: str) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of "出欠!A1:J1" or "集計!A1" (a quoted sheet name may
    itself hold "!")."""
    from openpyxl.utils.cell import range_boundaries

    min_col, min_row, max_col, max_row = range_boundaries(address.rsplit("!", 1)[-1].replace("$", ""))
    return min_row, min_col, max_row or min_row, max_col or min_col


def _top_left(address: str) -> tuple[int, int]:
    first_row, first_col, _, _ = _bounds(address)
    return first_row, first_col


# ---------------------------------------------------------------- the location

class CloudBook:
    """One master in SharePoint / OneDrive: resolve its address, download it, open a workbook-API session."""

    def __init__(self, url: str, *, env: Mapping[str, str] = os.environ, session: requests.Session | None = None):
        self.url = CloudUrl(url)
        self.env = env
        self.config = resolve_config(None, env)
        self.tries = tries_from_env(env)
        self._own_session = session is None
        self.session = session if session is not None else make_session(self.config, tries=self.tries)
        self._reader: GraphClient | None = None
        self._writer: GraphClient | None = None
        self._item: DriveItem | None = None

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def what(self) -> str:
        return f"ブック「{self._item.name if self._item else self.url.name}」"

    def _client(self, tokens) -> GraphClient:
        return GraphClient(self.session, self.config.graph_url, tokens, tries=self.tries)

    @property
    def reader(self) -> GraphClient:
        """The signed-in account where there is one (it can read what it writes), else the app credential."""
        if self._reader is None:
            try:
                tokens = user_tokens(self.config, self.session, self.env)
            except AuthError:
                tokens = token_source(self.config, self.session, self.env)
            self._reader = self._client(tokens)
        return self._reader

    @property
    def writer(self) -> GraphClient:
        if self._writer is None:
            self._writer = self._client(user_tokens(self.config, self.session, self.env))
        return self._writer

    @property
    def item(self) -> DriveItem:
        if self._item is None:
            self._item = resolve_share(self.reader, self.url, what=f"ブック「{self.url.name}」")
        return self._item

    def download(self) -> Path:
        """The workbook as a local file, downloaded again only when its cTag moved (0600: it holds personal data)."""
        item = self.item
        folder = cache_dir(self.env) / "workbooks" / hashlib.sha256(
            f"{item.drive_id}/{item.id}".encode()).hexdigest()[:24]
        name = Path(item.name).name or "workbook.xlsx"
        target, meta = folder / name, folder / "cache.json"
        try:
            cached = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cached = {}
        if item.ctag and cached.get("ctag") == item.ctag and cached.get("name") == name and target.is_file():
            return target
        data = download_item(self.reader, item, what=self.what)
        write_private_file(target, data)
        write_private_file(meta, json.dumps({"ctag": item.ctag, "name": name}, ensure_ascii=False))
        return target

    def read_raw(self, sheets: Sequence[str] | None = None):
        from toolkit.workbook.read import read_raw

        return read_raw(self.download(), sheets)

    def sync_path(self) -> Path:
        """Where the sync keeps this workbook's queue, state and lock (``location.cloud_files``)."""
        item = self.item
        return cloud_files(f"{item.drive_id}/{item.id}", Path(item.name).name, self.env)

    def edit(self) -> WorkbookSession:
        item = self.item
        base = f"drives/{quote(item.drive_id, safe='')}/items/{quote(item.id, safe='')}/workbook"
        return WorkbookSession(self.writer, base, self.what)


# ---------------------------------------------------------------- the workbook API in a session

@dataclass
class _Table:
    sheet: str
    name: str
    headers: list[str]  # as the live header row has them (staff may have added columns)
    top: int  # worksheet row of the header
    left: int  # worksheet column of the first column

    def index(self, header: str) -> int | None:
        want = schema.fold(header)
        return next((i for i, h in enumerate(self.headers) if schema.fold(h) == want), None)

    def path(self) -> str:
        return f"tables/{quote(self.name, safe='')}"


class WorkbookSession:
    """Calls to one workbook in one persistent session, sequential (as Microsoft advises for writes)."""

    def __init__(self, client: GraphClient, base: str, what: str):
        self.client = client
        self.base = base
        self.what = what
        self.id: str | None = None
        self.renewals = 0
        self.written: dict[str, int] = {}  # sheet -> rows added or rewritten in this session (for messages)
        self._tables: dict[str, _Table] = {}

    def __enter__(self) -> Self:
        return self  # the session opens with the first call (a refresh refused before writing opens none)

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ the session

    def open(self) -> None:
        for attempt in range(self.client.tries):
            if attempt:
                self.client.sleep(BACKOFF * 2 ** (attempt - 1))
            response = self.client.request("POST", f"{self.base}/createSession", what=self.what,
                                           body={"persistChanges": True}, headers={"Prefer": "respond-async"})
            if response.status_code == 504:  # Microsoft: "the appropriate response is to repeat the request"
                continue
            self._check(response)
            if response.status_code == 202:
                self.id = self._poll(response.headers.get("Location") or "")
            else:
                self.id = _session_id(_body(response, self.what), self.what)
            return
        raise GraphError(f"{self.what}: 編集用のセッションを開始できません（HTTP 504）。しばらくしてから再実行してください。")

    def _poll(self, location: str) -> str:
        """A createSession answered 202: its operation, polled until it succeeds or fails."""
        if not location:
            raise GraphError(f"{self.what}: 編集用のセッションの作成状況を確認できません（Location がありません）。")
        for _ in range(POLL_LIMIT):
            response = self.client.request("GET", location, what=self.what)
            self.client.raise_for_status(response, self.what)
            body = _body(response, self.what)
            status = str(body.get("status") or "").casefold()
            if status in ("succeeded", "completed"):
                resource = body.get("resourceLocation")
                if not resource:
                    raise GraphError(f"{self.what}: 編集用のセッションの作成結果がありません。")
                result = self.client.request("GET", resource, what=self.what)
                self.client.raise_for_status(result, self.what)
                return _session_id(_body(result, self.what), self.what)
            if status == "failed":
                codes = {c.casefold() for c in _operation_codes(body)}
                if codes & _LOCK_CODES:
                    raise WorkbookLocked(_locked_message(self.what))
                raise GraphError(f"{self.what}: 編集用のセッションを開始できませんでした"
                                f"（{'、'.join(_operation_codes(body)) or '不明なエラー'}）。")
            wait = response.headers.get("Retry-After")
            self.client.sleep(float(wait) if wait and wait.isdigit() else POLL_WAIT)
        raise GraphError(f"{self.what}: 編集用のセッションの作成が終わりません。しばらくしてから再実行してください。")

    def close(self) -> None:
        """Always called (``with``): an open session would hold the workbook on the service for minutes."""
        if self.id is None:
            return
        session, self.id = self.id, None
        try:
            self.client.request("POST", f"{self.base}/closeSession", what=self.what, body={},
                                headers={SESSION_HEADER: session})
        except GraphError:
            pass  # the session expires by itself; what was written is saved already (persistChanges)

    def _check(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return
        codes = {c.casefold() for c in error_codes(response)}
        if response.status_code == 423 or codes & _LOCK_CODES:
            raise WorkbookLocked(_locked_message(self.what))
        if response.status_code == 403:
            raise GraphError(f"{self.what}: 同期用アカウントにこのブックを編集する権限がありません（HTTP 403）。"
                            "ブックの共有設定で、`toolkit login` でサインインしたアカウントに編集を許可してください。")
        if any(c.startswith("invalidsession") for c in codes):
            raise GraphError(f"{self.what}: Excel がこのブックの編集用セッションを開けません（"
                            f"{'、'.join(error_codes(response))}）。ブックが大きすぎるか、Excel for the web が扱えない"
                            "機能を含んでいないか確認してください。")
        self.client.raise_for_status(response, self.what)

    def call(self, method: str, path: str, body: object = None) -> dict:
        """One call in the session; an expired session is replaced by a new one and the call repeated (it was
        refused, so it did nothing). A POST sent but never answered raises ``OutcomeUnknown``."""
        if self.id is None:
            self.open()
        while True:
            response = self.client.request(method, f"{self.base}/{path}", what=self.what, body=body,
                                           headers={SESSION_HEADER: self.id or ""})
            codes = {c.casefold() for c in error_codes(response)} if response.status_code >= 400 else set()
            if codes & _EXPIRED_CODES:
                if self.renewals >= SESSION_RENEWALS:
                    raise GraphError(f"{self.what}: 編集用のセッションが繰り返し切れました。しばらくしてから再実行してください。")
                self.renewals += 1
                self.id = None
                self.open()
                continue
            if response.status_code == 504 and method == "POST":
                raise OutcomeUnknown(f"{self.what}: 応答がタイムアウトしました（HTTP 504）。")
            self._check(response)
            return _body(response, self.what) if response.content else {}

    # ------------------------------------------------------------ tables

    def table(self, sheet: str) -> _Table:
        """The sheet's Excel table (the contract's name, else the sheet's only table), with its live header row."""
        if sheet in self._tables:
            return self._tables[sheet]
        wanted = schema.TABLES_BY_SHEET[sheet].name
        listed = self.call("GET", f"worksheets/{quote(sheet, safe='')}/tables?$select=name").get("value") or []
        names = [str(t.get("name")) for t in listed if isinstance(t, dict) and t.get("name")]
        name = next((n for n in names if n.casefold() == wanted.casefold()), names[0] if len(names) == 1 else None)
        if name is None:
            raise WorkbookError(f"{self.what}: シート「{sheet}」にテーブル（{wanted}）がありません。行を追加できません。")
        header = self.call("GET", f"tables/{quote(name, safe='')}/headerRowRange?$select=address,values")
        values = (header.get("values") or [[]])[0]
        top, left = _top_left(str(header.get("address") or "A1"))
        table = _Table(sheet, name, ["" if v is None else str(v) for v in values], top, left)
        self._tables[sheet] = table
        return table

    def column_values(self, table: _Table, header: str) -> list[object]:
        index = table.index(header)
        if index is None:
            return []
        body = self.call("GET", f"{table.path()}/columns/{quote(table.headers[index], safe='')}"
                                "/dataBodyRange?$select=values")
        return [row[0] if row else None for row in body.get("values") or []]

    def keys(self, table: _Table, header: str = RESPONSE_ID) -> dict[str, int]:
        """回答ID -> worksheet row, read now (co-authors may have inserted or deleted rows since the download)."""
        found: dict[str, int] = {}
        for i, value in enumerate(self.column_values(table, header)):
            key = key_text(value)
            if key is not None:
                found.setdefault(key, table.top + 1 + i)
        return found

    def append(self, sheet: str, rows: Sequence[Mapping[str, object]], *, key: str | None = RESPONSE_ID) -> int:
        """Add rows ({header: value}) at the end of the sheet's table; rows whose ``key`` the table already holds
        are left out. Returns how many were added."""
        if not rows:
            return 0
        table = self.table(sheet)
        keyed = key is not None and table.index(key) is not None
        if keyed:
            present = self.keys(table, key)
            rows = [r for r in rows if key_text(r.get(key)) not in present]
        # Each live header's key in the rows, folded once (staff may have moved, added or retyped columns).
        given = {schema.fold(k): k for k in set().union(*rows)}
        wanted = [given.get(schema.fold(h)) for h in table.headers]
        matrix = [[None if k is None else cell_json(row.get(k)) for k in wanted] for row in rows]
        added = 0
        for chunk in _chunks(matrix):
            first = self._add(table, chunk, key if keyed else None)
            self.written[sheet] = self.written.get(sheet, 0) + len(chunk)
            self._format_dates(table, chunk, first)
            added += len(chunk)
        return added

    def _add(self, table: _Table, chunk: list[list[object]], key: str | None) -> int:
        """One rows/add; the worksheet row of its first row. After a 504 or a lost answer the table is read again:
        rows that landed are not sent twice."""
        remaining = chunk
        for _ in range(UNSURE_TRIES):
            try:
                body = self.call("POST", f"{table.path()}/rows/add", {"values": remaining})
            except OutcomeUnknown:
                remaining, first = self._not_landed(table, chunk, remaining, key)
                if not remaining:
                    return first
                continue
            index = body.get("index")
            if remaining is chunk and isinstance(index, int):
                return table.top + 1 + index
            return self._not_landed(table, chunk, [], key)[1]  # a retry added the rest: find the chunk's start
        raise GraphError(f"{self.what}: 行の追加がタイムアウトを繰り返しました（追加済みの行は二重になりません）。"
                        "しばらくしてから再実行してください。")

    def _not_landed(self, table: _Table, chunk: list[list[object]], remaining: list[list[object]],
                    key: str | None) -> tuple[list[list[object]], int]:
        """The rows of ``remaining`` the table does not hold yet, and the worksheet row where ``chunk`` starts."""
        if key is not None:
            present = self.keys(table, key)
            k = table.index(key)
            left = [row for row in remaining if key_text(_unprefixed(row[k])) not in present]
            first = present.get(key_text(_unprefixed(chunk[0][k])) or "")
            return left, first if first is not None else table.top + 1
        # No key column (履歴): the chunk landed if the table now ends with exactly these rows.
        body = self.call("GET", f"{table.path()}/dataBodyRange?$select=values").get("values") or []
        tail = body[-len(chunk):] if len(body) >= len(chunk) else []
        landed = len(tail) == len(chunk) and all(
            all(_same(s, r) for s, r in zip(sent, read)) for sent, read in zip(chunk, tail))
        return ([] if landed else remaining), table.top + 1 + len(body) - len(chunk)

    def _format_dates(self, table: _Table, chunk: list[list[object]], first: int) -> None:
        """Date and time columns get the template's number format on the rows just added (their values went
        as serial numbers)."""
        contract = schema.TABLES_BY_SHEET[table.sheet]
        by_header = {schema.fold(c.header): c for c in contract.columns}
        for i, header in enumerate(table.headers):
            column = by_header.get(schema.fold(header))
            if column is None or column.kind not in ("date", "datetime"):
                continue
            if not any(type(row[i]) in (int, float) for row in chunk):  # a serial date
                continue
            col = table.left + i
            self.call("PATCH", f"worksheets/{quote(table.sheet, safe='')}/range(address='"
                               f"{_address(first, col, first + len(chunk) - 1, col)}')",
                      {"numberFormat": [[column_format(contract, column)]] * len(chunk)})

    def update(self, sheet: str, rows: Mapping[str, Mapping[str, object]]) -> list[str]:
        """Rewrite cells of rows found by 回答ID ({key: {header: value}}); the other cells of the row stay as they
        are. Returns the keys whose rows are gone (deleted by someone since the download)."""
        if not rows:
            return []
        table = self.table(sheet)
        where = self.keys(table)
        gone = []
        for key, values in rows.items():
            number = where.get(key)
            if number is None:
                gone.append(key)
                continue
            self._patch_row(table, number, values)
        return gone

    def _patch_row(self, table: _Table, number: int, values: Mapping[str, object]) -> None:
        """Write ``values`` ({header: value}) into worksheet row ``number`` of the table, one PATCH per run of
        adjacent columns (the other cells of the row stay as they are)."""
        contract = schema.TABLES_BY_SHEET[table.sheet]
        cells = {i: v for h, v in values.items() if (i := table.index(h)) is not None}
        for start, stop in runs(cells):
            line = [cells[i] for i in range(start, stop)]
            formats = [_column_number_format(contract, table.headers[i]) for i in range(start, stop)]
            address = _address(number, table.left + start, number, table.left + stop - 1)
            self.call("PATCH", f"worksheets/{quote(table.sheet, safe='')}/range(address='{address}')",
                      {"values": [[cell_json(v, blank="") for v in line]], "numberFormat": [formats]})
        self.written[table.sheet] = self.written.get(table.sheet, 0) + 1

    def update_rows(self, sheet: str, updates: Sequence) -> int:
        """Rewrite cells of rows found by their worksheet row (``write.RowUpdate``: the row as the download had
        it, header -> new value, and what the row must still hold). Each row is read first: a co-author may have
        inserted or deleted rows since the download, and a row that no longer holds what was read is refused
        (WriteError) rather than written over someone else's data."""
        from toolkit.errors import WriteError

        table = self.table(sheet)
        width = len(table.headers)
        for u in updates:
            address = _address(u.row, table.left, u.row, table.left + width - 1)
            now = (self.call("GET", f"worksheets/{quote(sheet, safe='')}/range(address='{address}')?$select=values")
                   .get("values") or [[]])[0]
            for header, expected in (u.match or {}).items():
                i = table.index(header)
                if i is None or str(now[i] if i < len(now) else "").strip() != str(expected).strip():
                    raise WriteError(f"{self.what}: シート「{sheet}」の {u.row}行目が読み込んだ後に変わっています"
                                     f"（{header}）。もう一度実行してください（何も書き換えていない行はそのままです）。")
            self._patch_row(table, u.row, u.values)
        return len(updates)

    # ------------------------------------------------------------ a sheet the toolkit owns (集計)

    def rewrite_sheet(self, sheet: str, layout: SheetLayout) -> None:
        """Render ``layout`` on ``sheet``: the old content cleared, values and number formats in one call, then
        styles, widths and native charts (only calls Graph v1.0 documents: ``tests/fake_workbook.py`` lists them)."""
        path = f"worksheets/{quote(sheet, safe='')}"
        try:
            self.call("GET", f"{path}?$select=name")
        except NotFound:
            self.call("POST", "worksheets/add", {"name": sheet})
        rows = [list(r) for r in layout.rows]
        width = max((len(r) for r in rows), default=0)
        # What the old content covered (formats and merges included) and what the new one covers: cleared of
        # values, merges, bold and fills, so nothing of an older, longer 集計 stays in sight. Contents only:
        # the template's conditional colours for the status words are formats and stay.
        used = self.call("GET", f"{path}/usedRange?$select=address").get("address")
        last_row, last_col = len(rows), width
        if used:
            _, _, used_row, used_col = _bounds(str(used))
            last_row, last_col = max(last_row, used_row), max(last_col, used_col)
        if last_row and last_col:
            area = f"{path}/range(address='{_address(1, 1, last_row, last_col)}')"
            self.call("POST", f"{area}/unmerge", {})  # first: Excel refuses to change part of a merged cell
            self.call("POST", f"{area}/clear", {"applyTo": "Contents"})
            self.call("PATCH", f"{area}/format/font", {"bold": False, "color": "#000000", "size": 11})
            self.call("POST", f"{area}/format/fill/clear", {})
            self.call("PATCH", f"{area}/format", {"wrapText": False})
        if rows and width:
            values, formats = [], []
            for row in rows:
                row = row + [None] * (width - len(row))
                values.append([cell_json(None if c is None else c.value, blank="") for c in row])
                formats.append([NUMBER_FORMATS.get(c.style, _TEXT_FORMAT) if c is not None else _TEXT_FORMAT
                                for c in row])
            self.call("PATCH", f"{path}/range(address='{_address(1, 1, len(rows), width)}')",
                      {"values": values, "numberFormat": formats})
            for address, look in _looks(rows):
                font = {k: look[src] for k, src in (("bold", "bold"), ("size", "size"), ("color", "font"))
                        if src in look}
                if font:
                    self.call("PATCH", f"{path}/range(address='{address}')/format/font", font)
                if look.get("fill"):
                    self.call("PATCH", f"{path}/range(address='{address}')/format/fill", {"color": look["fill"]})
                if look.get("wrap"):
                    self.call("PATCH", f"{path}/range(address='{address}')/format", {"wrapText": True})
        for column, chars in sorted(layout.widths.items()):
            points = round((chars * _PX_PER_CHAR + _PX_PADDING) * _PT_PER_PX, 2)
            letter = col_letters(column)
            self.call("PATCH", f"{path}/range(address='{letter}:{letter}')/format", {"columnWidth": points})
        # No panes here: Graph v1.0's worksheet has no freezePanes (the template's 集計 freezes its top rows, and
        # a pane staff set stays theirs).
        self._charts(path, layout.charts)

    def _charts(self, path: str, charts: Sequence[Chart]) -> None:
        """The sheet's charts replaced by the layout's (``charts/add`` on the data, then title and position)."""
        for old in self.call("GET", f"{path}/charts?$select=name").get("value") or []:
            if isinstance(old, dict) and old.get("name"):
                self.call("DELETE", f"{path}/charts/{quote(str(old['name']), safe='')}")
        for chart in charts:
            source = chart.source  # one range with its header row: the series are named from it
            made = self.call("POST", f"{path}/charts/add", {"type": _chart_type(chart), "sourceData": _address(
                source.first_row, source.first_col, source.last_row, source.last_col), "seriesBy": "Columns"})
            name = quote(str(made.get("name") or made.get("id") or ""), safe="")
            if not name:
                continue
            self.call("PATCH", f"{path}/charts/{name}/title", {"text": chart.title, "visible": True})
            row, col = chart.anchor
            cols, nrows = chart.size
            self.call("POST", f"{path}/charts/{name}/setPosition", {
                "startCell": f"{col_letters(col)}{row}", "endCell": f"{col_letters(col + cols - 1)}{row + nrows - 1}"})


def _looks(rows: Sequence[Sequence[object]]) -> list[tuple[str, dict[str, object]]]:
    """(address, look) for the runs of cells, row by row, that look alike (fonts, fills and wrapping: what the
    workbook API sets here)."""
    found = []
    for r, row in enumerate(rows, start=1):
        keyed: dict[object, list[int]] = {}
        for c, cell in enumerate(row):
            style = getattr(cell, "style", None)
            if style is None:
                continue
            look = look_of(style, cell.value)
            if any(k in look for k in ("bold", "size", "font", "fill", "wrap")):
                keyed.setdefault((style, cell.value if style == "status" else None), []).append(c)
        for (style, word), columns in keyed.items():
            found += [(_address(r, start + 1, r, stop), look_of(style, word)) for start, stop in runs(columns)]
    return found


def _chart_type(chart: Chart) -> str:
    kind = "Bar" if chart.kind == "bar" else "Column"
    return kind + ("Stacked" if chart.stacked else "Clustered")


def _column_number_format(contract: schema.Table, header: str) -> str:
    """The template's number format of a contract column (dates as dates, IDs as text), else General."""
    column = next((c for c in contract.columns if schema.fold(c.header) == schema.fold(header)), None)
    return (column_format(contract, column) if column is not None else None) or _TEXT_FORMAT


def _body(response: requests.Response, what: str) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise GraphError(f"{what}: Excel の応答が壊れています（JSON として読めません）。") from None
    return data if isinstance(data, dict) else {}


def _session_id(body: object, what: str) -> str:
    session = body.get("id") if isinstance(body, dict) else None
    if not isinstance(session, str) or not session or any(ord(ch) < 32 for ch in session):
        raise GraphError(f"{what}: 編集用のセッションの応答に ID がありません（形式が想定と違います）。")
    return session


def _operation_codes(body: Mapping) -> list[str]:
    error, codes = body.get("error"), []
    while isinstance(error, dict) and len(codes) < 5:
        if error.get("code"):
            codes.append(str(error["code"]))
        error = error.get("innerError") or error.get("innererror")
    return codes


def _locked_message(what: str) -> str:
    return (f"{what} は編集のためロックされています（共同編集に対応していない Excel で開かれているか、"
            "チェックアウトされています）。その Excel を閉じるとロックが外れます。")


# ---------------------------------------------------------------- failures under the job's title

@contextmanager
def graph_failures_as(error: type[ToolkitError]) -> Iterator[None]:
    """Graph failures (not found, no access, no connection) under the title of the job that met them: a command
    reading the master says the book cannot be read, not that a sync failed. A sign-in failure keeps its own."""
    try:
        yield
    except AuthError:
        raise
    except GraphError as exc:
        raise error(str(exc)) from None
