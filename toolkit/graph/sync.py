"""`toolkit sync`: pull attendance and usage from Microsoft 365 into the master workbook.

All or nothing: everything is fetched, matched and de-duplicated first (``plan_sync``); only then is the
workbook patched, in one atomic write with one 履歴 row. Any failure before that raises ``SyncError`` and
writes nothing. When Excel has the workbook open the rows go to a queue file beside it, and the next run (or
the Excel button) applies them, de-duplicated again.
"""
from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from toolkit import schema
from toolkit.graph import rows as rowmap
from toolkit.graph.auth import (
    login_device_code,
    make_session,
    resolve_config,
    token_source,
)
from toolkit.graph.client import DEFAULT_TRIES, GraphClient, NotFound
from toolkit.errors import SyncError
from toolkit.graph.matching import CompanyMatcher, ServiceMatcher
from toolkit.graph.merge import (
    RESPONSE_ID,
    dedupe,
    existing_keys,
    key_text,
    program_keys,
    safe_row,
)
from toolkit.graph.queue import (
    SyncLock,
    clear_queue,
    read_queue,
    read_state,
    write_queue,
    write_state,
)
from toolkit.graph.sources import (
    DriveItem,
    download_item,
    fetch_attendance,
    find_meeting,
    parse_form_workbook,
    resolve_share,
)
from toolkit.model import Program

__all__ = [
    "SyncError",
    "SyncPlan",
    "SyncReport",
    "clear_queue",
    "login_device_code",
    "make_client",
    "plan_sync",
    "read_queue",
    "run_sync",
]

log = logging.getLogger("toolkit.sync")

ATTENDANCE = schema.ATTENDANCE.sheet
USAGE = schema.USAGE_DAYS.sheet
AUDIT = schema.AUDIT_LOG
# The sheets the sync reads (the others are not needed, and 支援記録 etc. would only cost time).
READ_SHEETS = (schema.SETTINGS.sheet, schema.COMPANIES.sheet, schema.SERVICES.sheet, schema.EVENTS.sheet,
               ATTENDANCE, USAGE)
PROGRAM_SHEETS = (schema.SETTINGS.sheet, schema.COMPANIES.sheet, schema.SERVICES.sheet, schema.EVENTS.sheet)
AUDIT_OPERATION = "同期"


@dataclass
class SyncPlan:
    """What a sync would append, and why."""

    appends: dict[str, list[dict[str, object]]]
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    unmatched: list[dict] = field(default_factory=list)  # rows staff should look at (company not found, …)
    skipped_unchanged: list[str] = field(default_factory=list)  # Forms workbooks unchanged since the last sync
    problems: list[str] = field(default_factory=list)  # sources that could not be read (not found, not set up)
    state: dict = field(default_factory=lambda: {"forms": {}})  # to record once the rows are in the workbook
    sources: list[dict] = field(default_factory=list)  # per source: label, fetched, new


@dataclass
class SyncReport:
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    unmatched: list[dict] = field(default_factory=list)
    queued: int = 0  # rows now waiting in the queue file (Excel had the workbook open)
    written: int = 0  # rows written into the workbook by this run (queue included)
    from_queue: int = 0  # rows of an earlier queue applied (or re-queued) by this run
    dry_run: bool = False
    by_sheet: dict[str, int] = field(default_factory=dict)
    skipped_unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "fetched": self.fetched, "new": self.new, "duplicates": self.duplicates,
            "unmatched": len(self.unmatched), "queued": self.queued, "written": self.written,
            "from_queue": self.from_queue, "dry_run": self.dry_run, "by_sheet": dict(self.by_sheet),
            "skipped_unchanged": list(self.skipped_unchanged), "problems": list(self.problems),
            "unmatched_rows": [dict(u, value=_jsonable(u.get("value"))) for u in self.unmatched],
            "sources": list(self.sources),
        }

    def summary(self) -> str:
        """One Japanese line for people and logs (counts only: no names, no addresses)."""
        parts = [f"取得 {self.fetched}件", f"新規 {self.new}件", f"重複 {self.duplicates}件",
                 f"要確認 {len(self.unmatched)}件"]
        if self.dry_run:
            parts.append("（試行のため書き込みなし）")
        elif self.queued:
            parts.append(f"ブックが開かれているため {self.queued}件を待ち行列に保存")
        else:
            parts.append(f"書き込み {self.written}件")
        if self.skipped_unchanged:
            parts.append(f"変更なし {len(self.skipped_unchanged)}件")
        return "、".join(parts)

    def details(self) -> list[str]:
        """Lines for people (not for logs: they may show a name or an address staff need to fix a row)."""
        lines = [f"注意: {p}" for p in self.problems]
        for u in self.unmatched:
            shown = "" if u.get("value") in (None, "") else f"（{_jsonable(u['value'])}）"
            lines.append(f"要確認: {u['sheet']} 回答ID {u['key']} の「{u['column']}」— {u['reason']}{shown}")
        return lines


def _jsonable(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _prefix_counts(keys: set[str]) -> Counter:
    """How many keys each source (the part before the last ':') has, to tell whether a source's rows are there."""
    return Counter(k.rpartition(":")[0] for k in keys)


# ---------------------------------------------------------------- planning (fetch, match, de-duplicate)

class _Planner:
    def __init__(self, program: Program, client: GraphClient, keys: dict[str, set[str]], state: Mapping,
                 columns: rowmap.FormColumns, now: datetime):
        self.program = program
        self.client = client
        self.keys = {sheet: set(keys.get(sheet, ())) for sheet in (ATTENDANCE, USAGE)}
        self.counts = {sheet: _prefix_counts(self.keys[sheet]) for sheet in self.keys}
        self.previous = dict(state.get("forms") or {}) if isinstance(state, Mapping) else {}
        self.columns = columns
        self.now = now
        self.companies = CompanyMatcher(program.companies)
        self.services = ServiceMatcher(program.services)
        self.built: dict[str, list[tuple[dict, rowmap.Built]]] = {ATTENDANCE: [], USAGE: []}
        self.plan = SyncPlan(appends={})
        self.fetched_items: dict[str, tuple[str, DriveItem]] = {}  # item id -> (sheet, item)

    def _unchanged(self, item: DriveItem, sheet: str) -> bool:
        """Skip a download only when the cTag is the one last written AND the workbook still has its rows."""
        before = self.previous.get(item.id)
        if not isinstance(before, Mapping) or item.ctag is None or before.get("ctag") != item.ctag:
            return False
        return self.counts[sheet].get(item.id, 0) >= int(before.get("rows") or 0) > 0

    def _form(self, url: str, sheet: str, label: str):
        try:
            item = resolve_share(self.client, url, what=label)
        except NotFound as exc:
            self.plan.problems.append(str(exc))
            return None
        if item.id in self.fetched_items:
            self.plan.problems.append(f"{label}: 同じフォーム結果ブックが別の行でも指定されています（一度だけ取り込みます）。")
            return None
        self.fetched_items[item.id] = (sheet, item)
        if self._unchanged(item, sheet):
            self.plan.skipped_unchanged.append(label)
            self.plan.state["forms"][item.id] = dict(self.previous[item.id])
            return None
        table = parse_form_workbook(download_item(self.client, item, what=label), item, what=label)
        self.plan.fetched += len(table.rows)
        return table

    def _add(self, sheet: str, built: rowmap.Built, label: str, fetched: int) -> None:
        source = {"source": label, "sheet": sheet, "fetched": fetched, "new": 0, "duplicates": 0}
        self.built[sheet].append((source, built))
        self.plan.sources.append(source)

    def run(self) -> SyncPlan:
        settings = self.program.settings
        organizer = (settings.teams_organizer or "").strip()
        for event in self.program.events:
            if event.form_url:
                label = f"イベント {event.event_id} のフォーム結果"
                table = self._form(event.form_url, ATTENDANCE, label)
                if table is not None:
                    built = rowmap.form_attendance_rows(table, event.event_id, self.companies, self.now,
                                                        self.columns, what=label)
                    self._add(ATTENDANCE, built, label, len(table.rows))
            if event.teams_url:
                label = f"イベント {event.event_id} の Teams 出席レポート"
                if not organizer:
                    self.plan.problems.append(f"{label}: 設定シートの「Teams主催者」が空のため取り込めません。")
                    continue
                try:
                    meeting = find_meeting(self.client, organizer, event.teams_url, what=label)
                except NotFound as exc:
                    self.plan.problems.append(str(exc))
                    continue
                if meeting is None:
                    self.plan.problems.append(f"{label}: Teams会議URL に一致する会議が、主催者の会議に見つかりません。")
                    continue
                records = fetch_attendance(self.client, organizer, meeting, what=label)
                self.plan.fetched += len(records)
                built = rowmap.teams_attendance_rows(records, event.event_id, self.companies, self.now)
                self._add(ATTENDANCE, built, label, len(records))
        if settings.usage_form_url:
            label = "利用実績フォームの結果"
            table = self._form(settings.usage_form_url, USAGE, label)
            if table is not None:
                built = rowmap.form_usage_rows(table, self.companies, self.services, self.columns, what=label)
                self._add(USAGE, built, label, len(table.rows))
        self._merge()
        return self.plan

    def _merge(self) -> None:
        plan = self.plan
        for sheet in (ATTENDANCE, USAGE):
            seen = self.keys[sheet]  # grows as rows are kept: a response seen twice in one run lands once
            fresh_rows: list[dict[str, object]] = []
            for source, built in self.built[sheet]:
                fresh, duplicates = dedupe(built.rows, seen)
                source["new"], source["duplicates"] = len(fresh), duplicates
                plan.duplicates += duplicates
                # Report only what this run adds: rows already in the workbook were reported when they came in.
                new_keys = {key_text(r.get(RESPONSE_ID)) for r in fresh}
                plan.unmatched.extend(i for i in built.issues if i["key"] in new_keys)
                fresh_rows.extend(fresh)
            if fresh_rows:
                plan.appends[sheet] = [safe_row(r) for r in fresh_rows]
                plan.new += len(fresh_rows)
            after = _prefix_counts(seen)
            for item_id, (item_sheet, item) in self.fetched_items.items():
                if item_sheet == sheet and item_id not in plan.state["forms"]:
                    plan.state["forms"][item_id] = {"ctag": item.ctag, "rows": after.get(item_id, 0)}


def plan_sync(program: Program, *, client: GraphClient, existing_keys: Mapping[str, set[str]] | None = None,
              state: Mapping | None = None, columns: rowmap.FormColumns | None = None,
              now: datetime | None = None) -> SyncPlan:
    """Fetch every source, build the rows, drop those already in the workbook. Writes nothing.

    ``existing_keys`` (sheet -> 回答ID values) should come from the raw sheets (``merge.existing_keys``) so that
    rows with errors count as present; without it the program's valid records are used.
    """
    keys = existing_keys if existing_keys is not None else program_keys(program)
    now = now or datetime.now().replace(microsecond=0)
    return _Planner(program, client, dict(keys), state or {}, columns or rowmap.FormColumns(), now).run()


# ---------------------------------------------------------------- running (auth, plan, write or queue)

def _tries(env: Mapping[str, str]) -> int:
    try:
        return max(1, int(env.get("TOOLKIT_GRAPH_TRIES") or DEFAULT_TRIES))
    except ValueError:
        return DEFAULT_TRIES


def make_client(program: Program, *, env: Mapping[str, str] = os.environ,
                session: requests.Session | None = None) -> GraphClient:
    """An authenticated Graph client for the program's tenant (the Excel button uses it with ``plan_sync``).

    Without ``session`` a new one is made (``trust_env = False``, ``TOOLKIT_CA_BUNDLE``); close it with
    ``client.session.close()`` when done.
    """
    config = resolve_config(program.settings, env)
    http = session if session is not None else make_session(config)
    try:
        return GraphClient(http, config.graph_url, token_source(config, http, env), tries=_tries(env))
    except BaseException:
        if session is None:
            http.close()
        raise


def _audit_row(now: datetime, counts: Mapping[str, int], report: SyncReport) -> dict[str, object]:
    headers = AUDIT.headers
    detail = ("Microsoft 365 から取り込み: " + "、".join(f"{s} {n}件" for s, n in counts.items() if n)
              + f"（取得 {report.fetched}件、重複 {report.duplicates}件、要確認 {len(report.unmatched)}件"
              + (f"、待ち行列から {report.from_queue}件" if report.from_queue else "") + "）")
    return dict(zip(headers, (now, AUDIT_OPERATION, "、".join(s for s, n in counts.items() if n), "", detail)))


def _read_workbook(path: Path):
    from toolkit.workbook.read import WorkbookError, build_program, read_raw

    try:
        raw = read_raw(path, sheets=READ_SHEETS)
    except WorkbookError as exc:
        raise SyncError(str(exc)) from None
    program = build_program({s: raw[s] for s in PROGRAM_SHEETS if s in raw})
    return raw, program


def run_sync(path: str | os.PathLike, *, dry_run: bool = False, env: Mapping[str, str] = os.environ,
             session: requests.Session | None = None, now: datetime | None = None) -> SyncReport:
    """Authenticate, plan, then write the rows (with one 履歴 row) — or queue them while Excel has the book open.

    ``session``: an explicit ``requests.Session`` for msal and Graph (tests, benchmarks, a proxy set-up);
    by default one is made with ``trust_env = False`` and ``TOOLKIT_CA_BUNDLE``.
    """
    path = Path(path)
    now = now or datetime.now().replace(microsecond=0)
    if not path.is_file():
        raise SyncError(f"ブックが見つかりません: {path}")
    with (nullcontext() if dry_run else SyncLock(path)):
        raw, program = _read_workbook(path)
        keys = existing_keys(raw)
        client: GraphClient | None = None
        try:
            # An earlier queue first: its rows count as present when the new ones are de-duplicated.
            queued: dict[str, list[dict]] = {}
            from_queue_dups = 0
            for sheet, rows in read_queue(path).items():
                if sheet not in keys:
                    continue
                fresh, dups = dedupe(rows, keys[sheet])
                queued[sheet] = [safe_row(r) for r in fresh]
                from_queue_dups += dups
            client = make_client(program, env=env, session=session)
            plan = plan_sync(program, client=client, existing_keys=keys, state=read_state(path),
                             columns=rowmap.form_columns_from_settings(raw.get(schema.SETTINGS.sheet)), now=now)
        except requests.RequestException as exc:  # anything the client did not already turn into a message
            raise SyncError(f"Microsoft 365 に接続できません（{type(exc).__name__}）。ネットワークを確認してください。") \
                from None
        finally:
            if client is not None and session is None:
                client.session.close()

        combined = {sheet: queued.get(sheet, []) + plan.appends.get(sheet, []) for sheet in (ATTENDANCE, USAGE)}
        counts = {sheet: len(rows) for sheet, rows in combined.items()}
        report = SyncReport(fetched=plan.fetched, new=plan.new, duplicates=plan.duplicates + from_queue_dups,
                            unmatched=plan.unmatched, from_queue=sum(len(r) for r in queued.values()),
                            dry_run=dry_run, by_sheet=counts, skipped_unchanged=plan.skipped_unchanged,
                            problems=plan.problems, sources=plan.sources)
        total = sum(counts.values())
        if dry_run:
            log.info("同期（試行）: %s", report.summary())
            return report
        if total == 0:
            clear_queue(path)  # whatever was queued is in the workbook already
            write_state(path, plan.state)
            log.info("同期: %s", report.summary())
            return report

        from toolkit.workbook.write import WorkbookLocked, WriteError, patch_workbook

        append = {sheet: rows for sheet, rows in combined.items() if rows}
        append[AUDIT.sheet] = [_audit_row(now, counts, report)]
        try:
            patch_workbook(path, append=append)
        except WorkbookLocked:
            report.queued = write_queue(path, {s: r for s, r in combined.items() if r})
            log.info("同期: %s", report.summary())
            return report
        except WriteError as exc:
            raise SyncError(f"ブックに書き込めませんでした（何も変更していません）: {exc}") from None
        clear_queue(path)
        write_state(path, plan.state)
        report.written = total
        log.info("同期: %s", report.summary())
        return report
