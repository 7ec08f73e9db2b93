"""`toolkit sync` and the Excel 同期 button: pull attendance and usage from Microsoft 365 into the master.

Each source — an event's form, an event's Teams meeting or webinar, the usage form — is read and turned into
rows on its own (``plan_sync``): one that fails (deleted workbook, no ID column, meeting not found, a page
that stays broken) is named with its reason and contributes nothing, the others go on. ``synchronize`` is the
one orchestration both entry points share: queue → de-duplicate → append / update → one 履歴 record, through
a ``Destination`` (the file on disk, the book open in Excel, or a master in SharePoint / OneDrive written through
the Excel workbook API), or into the queue while Excel holds the file.
A failed source makes the run exit 2 (``SyncReport.failed_sources``) even though the others were written.
"""
from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import requests

from toolkit import schema
from toolkit.errors import AuthError, GraphError, SyncError, ToolkitError, WorkbookError, WorkbookLocked
from toolkit.graph import rows as rowmap
from toolkit.graph import teams
from toolkit.graph.auth import make_session, resolve_config, token_source
from toolkit.graph.client import GraphClient
from toolkit.graph.forms import DriveItem, FormTable, download_item, parse_form_workbook, resolve_share
from toolkit.graph.http import tries_from_env
from toolkit.graph.matching import CompanyMatcher, ServiceMatcher
from toolkit.graph.merge import RESPONSE_ID, existing_index, key_text, safe_row
from toolkit.graph.queue import (
    clear_queue,
    read_queue,
    read_queued_updates,
    read_state,
    write_queue,
    write_state,
)
from toolkit.model import Program

__all__ = ["SyncError", "SyncPlan", "SyncReport", "make_client", "plan_sync", "run_sync", "synchronize"]

log = logging.getLogger("toolkit.sync")

ATTENDANCE = schema.ATTENDANCE.sheet
USAGE = schema.USAGE_DAYS.sheet
SHEETS = (ATTENDANCE, USAGE)
AUDIT = schema.AUDIT_LOG
READ_SHEETS = schema.sheets_needed("sync")
# The records the matching needs; 出欠 and 利用実績 are read raw only, for their 回答ID (50,000 rows are not
# built into records just to be compared by key).
PROGRAM_SHEETS = tuple(s for s in READ_SHEETS if s not in SHEETS)
AUDIT_OPERATION = "同期"
# Columns a changed response rewrites in its row (the others — 出典, 回答ID — are the row's identity).
UPDATED_COLUMNS = {
    ATTENDANCE: tuple(map(schema.ATTENDANCE.header, ("company_id", "name", "email", "status", "minutes",
                                                    "imported_at"))),
    USAGE: tuple(map(schema.USAGE_DAYS.header, ("company_id", "service_id", "area", "date", "account"))),
}
_IMPORTED_AT, _USED_ON = schema.ATTENDANCE.header("imported_at"), schema.USAGE_DAYS.header("date")
_SAMPLE = 20  # responses remembered per form to recognise it when its result workbook is re-created


# ---------------------------------------------------------------- plan (fetch, build, de-duplicate)

@dataclass
class Source:
    """One source's outcome: its rows, or the reason it could not be read."""

    label: str
    sheet: str
    built: rowmap.Built | None = None
    error: str | None = None
    skipped: bool = False  # a Forms workbook unchanged since the last sync, or a Teams event settled
    slot: str | None = None  # the state entry of a Forms source ("event:E01", "usage"), or "teams:E01" when settled
    settled: tuple[str, str] | None = None  # (event ID, join URL) of a Teams event read after its 7 days
    form_state: dict | None = None  # what to remember for the slot once its rows are in the workbook
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    updated: int = 0

    def as_json(self) -> dict:
        return {"source": self.label, "sheet": self.sheet, "fetched": self.fetched, "new": self.new,
                "duplicates": self.duplicates, "updated": self.updated, "skipped_unchanged": self.skipped,
                "error": self.error}


@dataclass
class SyncPlan:
    """What a sync would append and update, source by source."""

    appends: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    updates: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)  # sheet -> 回答ID -> row
    sources: list[Source] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)
    requests: int = 0  # Graph requests made to read the sources (virtual events are rationed per app and month)
    stale: list[dict] = field(default_factory=list)  # Forms result workbooks not modified when they should be

    @property
    def new(self) -> int:
        return sum(len(r) for r in self.appends.values())


def _prefix_counts(keys) -> Counter:
    return Counter(k.rpartition(":")[0] for k in keys)


def _sample(table: FormTable) -> dict[str, str]:
    """Response ID -> completion time of the first responses: the same form's re-created workbook repeats them."""
    id_i, done_i = table.own["id"], table.own.get("completion")
    if done_i is None:
        return {}
    sample = {}
    for row in table.rows[:_SAMPLE]:
        rid, done = key_text(row[id_i]), row[done_i] if done_i < len(row) else None
        if rid and done not in (None, ""):
            sample[rid] = done.isoformat() if isinstance(done, datetime) else str(done)
    return sample


def _event_day(event) -> date | None:
    """The event's 開催日 as a date (a date and time typed in the cell counts by its day)."""
    day = event.date.date() if isinstance(event.date, datetime) else event.date
    return day if isinstance(day, date) else None


# Days after its 開催日 an event's Teams attendance may still change (late reports, a re-run meeting): the first
# read after them is the last, unless `toolkit sync --full`.
SETTLE_DAYS = 7


class _Planner:
    def __init__(self, program: Program, client: GraphClient, existing: Mapping[str, Mapping[str, object]],
                 state: Mapping, columns: rowmap.FormColumns, now: datetime, full: bool = False):
        self.program, self.client, self.columns, self.now, self.full = program, client, columns, now, full
        self.existing = existing
        self.previous_forms = dict(state.get("forms") or {})
        self.registrations = dict(state.get("registrations") or {})
        self.organizers = dict(state.get("organizers") or {})
        # join URL -> [kind, event id, session id] of a webinar or town hall found once: never listed again
        self.sessions = {k: v for k, v in dict(state.get("sessions") or {}).items()
                         if isinstance(v, list) and len(v) == 3}
        # event ID -> {"url", "keys"}: a Teams event read after its 7 days, and the 回答IDs it gave
        self.settled = {k: v for k, v in dict(state.get("teams_settled") or {}).items() if isinstance(v, Mapping)}
        self.counts = {sheet: _prefix_counts(existing.get(sheet, {})) for sheet in SHEETS}
        self.companies = CompanyMatcher(program.companies)
        self.services = ServiceMatcher(program.services)
        self.plan = SyncPlan()
        self.items_seen: dict[str, str] = {}  # drive item id -> label, to catch one workbook named twice
        self._virtual: teams.VirtualEvents | None = None

    # ------------------------------------------------------------ each source, all or nothing

    def _read(self, label: str, sheet: str, read: Callable[[Source], None]) -> None:
        source = Source(label, sheet)
        try:
            read(source)
        except (GraphError, SyncError) as exc:  # Graph refused, or the source's content cannot be used
            if isinstance(exc, AuthError):
                raise  # the credential itself: every other source would fail the same way
            source.built, source.error = None, str(exc).removeprefix(f"{label}: ")
        except requests.RequestException as exc:  # anything the client did not turn into a message
            source.built, source.error = None, f"Microsoft 365 に接続できません（{type(exc).__name__}）"
        self.plan.sources.append(source)

    def _form(self, source: Source, url: str, slot: str,
              build: Callable[[FormTable, str, rowmap.Known], rowmap.Built], fresh_since: date | None) -> None:
        """A Forms result workbook. ``fresh_since``: the day by which it must have taken a response (the event's
        day, or a week ago for the usage form during the usage period); older, it is named 要確認."""
        label = source.label
        item = resolve_share(self.client, url, what=label)
        self._check_fresh(label, item, fresh_since)
        if item.id in self.items_seen:
            self.plan.notes.append(f"{label}: {self.items_seen[item.id]} と同じフォーム結果ブックです（一度だけ取り込みます）。")
            source.skipped = True
            return
        self.items_seen[item.id] = label
        source.slot = slot
        before = self.previous_forms.get(slot) if isinstance(self.previous_forms.get(slot), Mapping) else {}
        prefix = before.get("prefix") or item.id
        if before and before.get("item") == item.id and item.ctag and before.get("ctag") == item.ctag \
                and self.counts[source.sheet].get(prefix, 0) >= int(before.get("rows") or 0) > 0:
            source.skipped = True  # same file as last time, and its rows are still in the workbook
            source.form_state = dict(before)
            return
        table = parse_form_workbook(download_item(self.client, item, what=label), item, what=label)
        if before and before.get("item") != item.id:
            prefix = self._recreated_prefix(before, table, item)
        keys, versions = self.existing.get(source.sheet, {}), before.get("versions") or {}

        def known(key: str, version: str | None) -> bool:
            return key in keys and (version is None or versions.get(key) in (None, version))

        source.built = build(table, prefix, known)
        source.fetched = len(table.rows)
        source.form_state = {"item": item.id, "prefix": prefix, "ctag": item.ctag, "sample": _sample(table),
                             "versions": dict(source.built.versions)}

    def _check_fresh(self, label: str, item: DriveItem, fresh_since: date | None) -> None:
        """Forms result workbooks made with "Excel で開く" are reported (not documented by Microsoft) to stop
        taking new responses until someone opens them in Excel: a file not modified since ``fresh_since`` is
        read as it is, and named so that staff look before a KPI undercounts."""
        if fresh_since is None or item.modified is None:
            return
        modified = item.modified.astimezone(teams.JAPAN).date()
        if modified < fresh_since:
            self.plan.stale.append({"source": label, "last_modified": modified.isoformat(), "message": (
                f"結果ブックの最終更新が {modified:%Y/%m/%d} のままです（{fresh_since:%Y/%m/%d} 以降の回答が入って"
                "いません）。Forms の結果ブックは新しい回答が入らなくなることがあります。Excel for the web で"
                "結果ブックを一度開いてから同期し直すか、docs/sync.md の Power Automate の手順に切り替えて"
                "ください。")})

    @staticmethod
    def _recreated_prefix(before: Mapping, table: FormTable, item: DriveItem) -> str:
        """The key prefix for a slot whose share link now names another file: the old one when the new file is
        the same form's re-created result workbook (the remembered responses are there, with the same
        completion times), else the new file's id (another form: its response IDs start again at 1)."""
        old = before.get("sample") if isinstance(before.get("sample"), Mapping) else {}
        new = _sample(table)
        common = set(old) & set(new)
        if common and all(old[k] == new[k] for k in common):
            return str(before.get("prefix"))
        return item.id

    def _teams(self, source: Source, event) -> None:
        """An event's Teams attendance: a plain meeting first (one call), a webinar or town hall only when no
        meeting has the link (virtual events cost a listing, rationed per app and month); a session found once
        is remembered. An event read after its SETTLE_DAYS is not asked again (``--full`` asks)."""
        settings = self.program.settings
        organizer = (settings.teams_organizer or "").strip()
        label = source.label
        day = _event_day(event)
        settled = day is not None and (self.now.date() - day).days > SETTLE_DAYS
        before = self.settled.get(event.event_id) or {}
        if not self.full and settled and before.get("url") == event.teams_url and \
                all(key in self.existing.get(source.sheet, {}) for key in before.get("keys") or ()):
            source.skipped, source.slot = True, f"teams:{event.event_id}"  # its rows are still in the workbook
            return
        organizer_id = None
        if not self.client.delegated:
            if not organizer:
                raise SyncError("設定シートの「Teams主催者」が空のため取り込めません。")
            organizer_id = teams.resolve_organizer(self.client, organizer, self.organizers, what=label)
        if settled:
            source.settled = (event.event_id, event.teams_url)
        known = self.sessions.get(event.teams_url)
        if known is None:
            base = teams.meetings_base(self.client, organizer_id)
            meeting = teams.find_meeting(self.client, base, event.teams_url, what=label)
            if meeting is not None:
                records = teams.meeting_attendance(self.client, base, meeting, day, what=label)
                source.built = rowmap.teams_attendance_rows(records, event.event_id, self.companies, self.now)
                source.fetched = len(records)
                return
        ref = teams.SessionRef(*known) if known is not None else self._virtual_session(event.teams_url, organizer_id,
                                                                                        label)
        if ref is None:
            raise SyncError("Teams会議URL に一致する会議（またはウェビナー）が、主催者の会議に見つかりません。"
                            "URL と「Teams主催者」を確認してください。")
        self.sessions[event.teams_url] = list(ref)
        regs = teams.registrations(self.client, ref, what=label)
        records = teams.session_attendance(self.client, ref, day, what=label)
        built = rowmap.registration_rows(regs, ref.event_id, event.event_id, self.companies, self.now)
        attended = rowmap.teams_attendance_rows(records, event.event_id, self.companies, self.now)
        built.rows += attended.rows
        built.issues += attended.issues
        built.aliases.update(attended.aliases)
        source.built, source.fetched = built, len(regs) + len(records)

    def _virtual_session(self, url: str, organizer_id: str | None, label: str):
        if self._virtual is None:
            self._virtual = teams.VirtualEvents(self.client, organizer_id)
        return self._virtual.find(url, what=label)

    def _event_fresh_since(self, event) -> date | None:
        """An event more than a day past should have its day's responses in its result workbook."""
        day = _event_day(event)
        return day if day is not None and (self.now.date() - day).days > 1 else None

    def _usage_fresh_since(self) -> date | None:
        """During the usage period the usage form takes responses every week."""
        settings, today = self.program.settings, self.now.date()
        return today - timedelta(days=7) if settings.usage_start + timedelta(days=7) <= today <= settings.usage_end \
            else None

    def _unreadable_urls(self) -> None:
        """A source whose URL cell cannot be read is named as failed, never left out in silence."""
        events = {e.row: e for e in self.program.events}
        url_columns = {schema.EVENTS.header("form_url"): "フォーム結果", schema.EVENTS.header("teams_url"): "Teams 出席"}
        usage_item = schema.SETTINGS_BY_ITEM_KEY["usage_form_url"].item
        for f in self.program.findings:
            if f.code == "invalid-value" and f.sheet == schema.EVENTS.sheet and f.column in url_columns:
                event = events.get(f.row)
                name = f"イベント {event.event_id}" if event else f"イベント（{f.row}行目）"
                label, sheet = f"{name} の{url_columns[f.column]}", ATTENDANCE
            elif f.code == "invalid-setting" and f.sheet == schema.SETTINGS.sheet and f"「{usage_item}」" in f.message:
                label, sheet = "利用実績フォームの結果", USAGE
            else:
                continue
            self.plan.sources.append(Source(label, sheet, error=f"{f.sheet}シート {f.row}行目の「{f.column}」"
                                            f"（{f.value}）を URL として読めません。https:// で始まるアドレスを"
                                            "入れ直してください。"))

    def run(self) -> SyncPlan:
        if self.program.settings is None:
            raise SyncError("設定シートが読めないため同期できません。")
        self._unreadable_urls()
        for event in self.program.events:
            if event.form_url:
                self._read(f"イベント {event.event_id} のフォーム結果", ATTENDANCE, lambda s, e=event: self._form(
                    s, e.form_url, f"event:{e.event_id}",
                    lambda t, p, k, e=e, s=s: rowmap.form_attendance_rows(
                        t, p, e.event_id, self.companies, self.now, self.columns, what=s.label, known=k),
                    self._event_fresh_since(e)))
            if event.teams_url:
                self._read(f"イベント {event.event_id} の Teams 出席", ATTENDANCE,
                           lambda s, e=event: self._teams(s, e))
        if self.program.settings.usage_form_url:
            self._read("利用実績フォームの結果", USAGE, lambda s: self._form(
                s, self.program.settings.usage_form_url, "usage",
                lambda t, p, k, s=s: rowmap.form_usage_rows(t, p, self.companies, self.services, self.columns,
                                                            what=s.label, known=k), self._usage_fresh_since()))
        self._merge()
        return self.plan

    # ------------------------------------------------------------ merge

    def _merge(self) -> None:
        plan = self.plan
        seen = {sheet: dict(self.existing.get(sheet, {})) for sheet in SHEETS}  # 回答ID -> row number (None: queued)
        for source in plan.sources:
            built = source.built
            if built is None:
                continue
            keys = seen[source.sheet]
            source.duplicates += built.present
            known_versions = {}
            if source.slot:
                before = self.previous_forms.get(source.slot) or {}
                known_versions = before.get("versions") or {}
            appended: set[str] = set()
            for row in built.rows:
                key = key_text(row.get(RESPONSE_ID))
                alias = built.aliases.get(key)
                present = key in keys or (alias is not None and alias in keys)
                if not present:
                    keys[key] = None
                    appended.add(key)
                    plan.appends.setdefault(source.sheet, []).append(safe_row(row))
                    source.new += 1
                    continue
                version = built.versions.get(key)
                previous = known_versions.get(key) if source.slot else self._registration_version(key)
                if version is not None and previous is not None and version != previous:
                    plan.updates.setdefault(source.sheet, {})[key] = safe_row(row)
                    source.updated += 1
                else:
                    source.duplicates += 1
            # Report only what this run adds: rows already in the workbook were reported when they came in.
            plan.unmatched.extend(i for i in built.issues if i["key"] in appended)
        self._record_state()

    def _registration_version(self, key: str) -> str | None:
        return self.registrations.get(key)

    def _record_state(self) -> None:
        """The state to keep once the rows are in the workbook (a failed source keeps what it had)."""
        plan = self.plan
        forms = {k: v for k, v in self.previous_forms.items() if isinstance(v, Mapping) and "prefix" in v}
        registrations = dict(self.registrations)
        for source in plan.sources:
            if source.error:
                continue
            if source.slot and source.form_state is not None:
                entry = dict(source.form_state)
                entry["rows"] = self.counts[source.sheet].get(entry.get("prefix"), 0) + source.new
                forms[source.slot] = entry
            elif source.built is not None:
                registrations.update(source.built.versions)
            if source.settled is not None and source.built is not None:
                keys = [k for row in source.built.rows if (k := key_text(row.get(RESPONSE_ID)))]
                self.settled[source.settled[0]] = {"url": source.settled[1], "keys": keys}
        plan.state = {"forms": forms, "registrations": registrations, "organizers": self.organizers,
                      "sessions": self.sessions, "teams_settled": self.settled}


def plan_sync(program: Program, *, client: GraphClient, existing: Mapping[str, Mapping[str, object]] | None = None,
              state: Mapping | None = None, columns: rowmap.FormColumns | None = None,
              now: datetime | None = None, full: bool = False) -> SyncPlan:
    """Read every source, build its rows, drop those already in the workbook. Writes nothing.

    ``existing``: sheet -> {回答ID: worksheet row} from the raw sheets (``merge.existing_index``), so rows with
    errors count as present and a changed response knows its row.
    """
    now = now or datetime.now().replace(microsecond=0)
    client.tokens.token()  # a wrong secret or certificate fails the run here, before any source
    plan = _Planner(program, client, existing or {}, state or {}, columns or rowmap.FormColumns(), now, full).run()
    plan.requests = client.requests_made
    return plan


# ---------------------------------------------------------------- the report

@dataclass
class SyncReport:
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    updated: int = 0
    unmatched: list[dict] = field(default_factory=list)
    queued: int = 0  # rows now waiting in the queue file (Excel had the workbook open)
    written: int = 0  # rows appended or updated in the workbook by this run (queue included)
    from_queue: int = 0  # rows of an earlier queue applied (or re-queued) by this run
    dry_run: bool = False
    by_sheet: dict[str, int] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    requests: int = 0  # Graph requests made to read the sources
    stale: list[dict] = field(default_factory=list)  # 要確認: result workbooks that took no recent response

    @property
    def failed_sources(self) -> list[Source]:
        """Sources that could not be read: the run exits 2 although the others were written."""
        return [s for s in self.sources if s.error]

    @property
    def skipped_unchanged(self) -> list[str]:
        return [s.label for s in self.sources if s.skipped and s.slot]

    @property
    def problems(self) -> list[str]:
        """Failed sources and notes as lines (counts and reasons only): what a log shows."""
        return self.failures() + [f"注意: {n}" for n in self.notes] + \
            [f"要確認: {s['source']} — 結果ブックの最終更新 {s['last_modified']}" for s in self.stale]

    @property
    def exit_code(self) -> int:
        return 2 if self.failed_sources else 0

    def as_json(self) -> dict:
        return {
            "fetched": self.fetched, "new": self.new, "duplicates": self.duplicates, "updated": self.updated,
            "unmatched": len(self.unmatched), "queued": self.queued, "written": self.written,
            "from_queue": self.from_queue, "dry_run": self.dry_run, "by_sheet": dict(self.by_sheet),
            "requests": self.requests, "stale_forms": list(self.stale),
            "skipped_unchanged": self.skipped_unchanged,
            "failed_sources": [{"source": s.label, "reason": s.error} for s in self.failed_sources],
            "notes": list(self.notes),
            "unmatched_rows": [dict(u, value=_jsonable(u.get("value"))) for u in self.unmatched],
            "sources": [s.as_json() for s in self.sources],
        }

    def summary(self) -> str:
        """One Japanese line for people and logs (counts only: no names, no addresses)."""
        parts = [f"取得 {self.fetched}件", f"新規 {self.new}件", f"更新 {self.updated}件", f"重複 {self.duplicates}件",
                 f"要確認 {len(self.unmatched)}件"]
        if self.dry_run:
            parts.append("（試行のため書き込みなし）")
        elif self.queued:
            parts.append(f"ブックが開かれているため {self.queued}件を待ち行列に保存")
        else:
            parts.append(f"書き込み {self.written}件")
        if self.skipped_unchanged:
            parts.append(f"変更なし {len(self.skipped_unchanged)}件")
        if self.failed_sources:
            parts.append(f"取得できなかった取得元 {len(self.failed_sources)}件")
        if self.stale:
            parts.append(f"更新の止まった結果ブック {len(self.stale)}件")
        return "、".join(parts)

    def failures(self) -> list[str]:
        """One line per failed source: its name and the reason (no personal data)."""
        return [f"取得できませんでした: {s.label} — {s.error}" for s in self.failed_sources]

    def details(self) -> list[str]:
        """Notes and rows to look at, for people (not for logs: they may show a name or an address staff need
        to fix a row). The failed sources are in ``failures()``."""
        lines = [f"注意: {n}" for n in self.notes]
        lines += [f"要確認: {s['source']} — {s['message']}" for s in self.stale]
        for u in self.unmatched:
            shown = "" if u.get("value") in (None, "") else f"（{_jsonable(u['value'])}）"
            lines.append(f"要確認: {u['sheet']} 回答ID {u['key']} の「{u['column']}」— {u['reason']}{shown}")
        return lines


def _jsonable(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---------------------------------------------------------------- one orchestration, two destinations

class Destination(Protocol):
    """Where a sync's rows go: the master file on disk, the book open in Excel, a master in SharePoint."""

    def write(self, appends: Mapping[str, Sequence[Mapping[str, object]]],
              updates: Mapping[str, Mapping[int, Mapping[str, object]]],
              audit: Sequence[Mapping[str, object]]) -> None:
        """Append rows, rewrite rows in place (worksheet row -> values), add the 履歴 rows; all or nothing.
        Raises ``WorkbookLocked`` when the workbook cannot be written now (the rows are then queued)."""


class FileDestination:
    """The master .xlsx on disk, patched in one atomic write (``toolkit.workbook.write``). An update names its row
    by number and must still find its 回答ID there: if staff sorted the sheet since the read, the write is refused
    (and the next run reads again) rather than overwriting another response."""

    def __init__(self, path: Path, raw: Mapping[str, Sequence[Sequence[object]]]):
        self.path = path
        self.raw = raw

    @cached_property  # only a run with updates needs it: the first run of 10,000 new rows does not
    def keys(self) -> dict[str, dict[int, str]]:
        return {sheet: {row: key for key, row in rows.items()} for sheet, rows in existing_index(self.raw).items()}

    def write(self, appends, updates, audit) -> None:
        from toolkit.workbook.write import patch_workbook
        from toolkit.workbook.xlsx import RowUpdate

        append = {sheet: list(rows) for sheet, rows in appends.items() if rows}
        append[AUDIT.sheet] = list(audit)
        update = {sheet: [RowUpdate(n, values, {RESPONSE_ID: self.keys[sheet][n]}
                                    if n in self.keys.get(sheet, {}) else {})
                          for n, values in by_row.items()] for sheet, by_row in updates.items() if by_row}
        patch_workbook(self.path, append=append, update=update)


class CloudDestination:
    """A master in SharePoint / OneDrive: the rows go in through the Excel workbook API in one session, so they
    merge with what co-authors type meanwhile (``toolkit.workbook.cloud``). Updates find their rows again by
    回答ID, read in the session: rows inserted or deleted by someone since the download do not shift them."""

    def __init__(self, book, raw: Mapping[str, Sequence[Sequence[object]]]):
        self.book = book
        self.keys = {sheet: {row: key for key, row in rows.items()} for sheet, rows in existing_index(raw).items()}

    def write(self, appends, updates, audit) -> None:
        with self.book.edit() as session:
            try:
                for sheet, rows in appends.items():
                    session.append(sheet, rows)
                for sheet, by_row in updates.items():
                    # A row deleted since the download is not rewritten: the next run fetches it as a new row.
                    session.update(sheet, {self.keys[sheet][n]: values for n, values in by_row.items()
                                           if n in self.keys.get(sheet, {})})
                session.append(AUDIT.sheet, audit, key=None)
            except WorkbookLocked:
                raise  # everything is queued; what went in already is recognised by 回答ID next time
            except ToolkitError as exc:  # a connection, a permission, a table renamed half-way through
                if not session.written:
                    raise
                # Calls to a shared workbook cannot be rolled back: say what went in (it stays, and is not added
                # again: the next run recognises those rows by 回答ID and writes the rest).
                done = "、".join(f"{sheet} {n}件" for sheet, n in session.written.items())
                raise type(exc)(f"{exc} 途中まで書き込みました（{done}）。書き込んだ行はそのまま残り、次回の同期で"
                                "残りを書き込みます（同じ行が二重になることはありません）。") from None


def audit_rows(now: datetime, operation: str, report: SyncReport,
               changes: Sequence[tuple[str, str, str]] = ()) -> list[dict[str, object]]:
    """The 履歴 rows of a sync: one summary row, then one per response updated in place (sheet, key, what)."""
    counts = {s: n for s, n in report.by_sheet.items() if n}
    detail = ("Microsoft 365 から取り込み: " + ("、".join(f"{s} {n}件" for s, n in counts.items()) or "なし")
              + f"（取得 {report.fetched}件、新規 {report.new}件、更新 {report.updated}件、重複 {report.duplicates}件、"
              + f"要確認 {len(report.unmatched)}件"
              + (f"、待ち行列から {report.from_queue}件" if report.from_queue else "")
              + (f"、取得できなかった取得元 {len(report.failed_sources)}件" if report.failed_sources else "") + "）")
    rows = [dict(zip(AUDIT.headers, (now, operation, "、".join(counts), "", detail)))]
    rows += [dict(zip(AUDIT.headers, (now, operation + "（更新）", sheet, key, what))) for sheet, key, what in changes]
    return rows


def _change_text(sheet: str, before: Sequence[object] | None, header: Sequence[object],
                 after: Mapping[str, object]) -> str:
    """What an update changes, for 履歴: "出欠: 申込 → 欠席"."""
    if before is None:
        return "回答の変更を反映"
    old = dict(zip((str(h) for h in header), before))
    parts = []
    for column in UPDATED_COLUMNS[sheet]:
        if column == _IMPORTED_AT or column not in after:
            continue
        a, b = old.get(column), after.get(column)
        a = "" if a is None else (a.isoformat() if hasattr(a, "isoformat") else str(a))
        b = "" if b is None else (b.isoformat() if hasattr(b, "isoformat") else str(b))
        if a[:10] != b[:10] if column == _USED_ON else a != b:
            parts.append(f"{column}: {a or '（空）'} → {b or '（空）'}")
    return "回答が編集されたため更新: " + ("、".join(parts) if parts else "値の変更なし")


FetchPlan = Callable[[Program, Mapping[str, Mapping[str, object]], Mapping, rowmap.FormColumns], SyncPlan]


def synchronize(destination: Destination, raw: Mapping[str, Sequence[Sequence[object]]], path: Path, *,
                fetch: FetchPlan, now: datetime, operation: str = AUDIT_OPERATION,
                dry_run: bool = False) -> SyncReport:
    """Queue → de-duplicate → fetch → append / update → 履歴, the same for the CLI and the Excel button.

    ``raw``: the master's sheets as read (file or open book); ``fetch(program, existing, state, columns)``
    reads the sources (``plan_sync`` with a client). Staff's workbook is written once, through ``destination``.
    """
    from toolkit.workbook.read import build_records

    # The records the matching needs (companies, services, events, settings), as read: a sync adds what it
    # fetched whatever the row rules say of other rows.
    program = build_records({s: raw[s] for s in PROGRAM_SHEETS if s in raw})
    index = existing_index(raw)
    existing = {sheet: dict(index.get(sheet, {})) for sheet in SHEETS}

    # An earlier queue first: its rows count as present when the fetched ones are de-duplicated.
    queued: dict[str, dict[str, dict]] = {sheet: {} for sheet in SHEETS}
    queue_dups = 0
    for sheet, rows in read_queue(path).items():
        if sheet not in existing:
            continue
        for row in rows:
            key = key_text(row.get(RESPONSE_ID))
            if key is not None and key in existing[sheet]:
                queue_dups += 1
                continue
            if key is not None:
                existing[sheet][key] = None
            queued[sheet][key or f"#{len(queued[sheet])}"] = safe_row(row)
    queued_updates = read_queued_updates(path)
    state = read_state(path)
    plan = fetch(program, existing, state, rowmap.form_columns_from_settings(raw.get(schema.SETTINGS.sheet)))

    # A queued row whose response changed again is replaced, not doubled.
    updates: dict[str, dict[str, dict]] = {sheet: dict(queued_updates.get(sheet, {})) for sheet in SHEETS}
    for sheet, changed in plan.updates.items():
        for key, row in changed.items():
            if key in queued[sheet]:
                queued[sheet][key] = row
            else:
                updates[sheet][key] = row
    appends = {sheet: list(queued[sheet].values()) + plan.appends.get(sheet, []) for sheet in SHEETS}
    from_queue = sum(len(v) for v in queued.values())
    report = SyncReport(
        fetched=sum(s.fetched for s in plan.sources), new=plan.new,
        duplicates=sum(s.duplicates for s in plan.sources) + queue_dups,
        updated=sum(len(u) for u in updates.values()), unmatched=plan.unmatched, from_queue=from_queue,
        dry_run=dry_run, by_sheet={s: len(appends[s]) + len(updates[s]) for s in SHEETS},
        sources=plan.sources, notes=plan.notes, requests=plan.requests, stale=plan.stale)
    total = sum(report.by_sheet.values())
    if dry_run:
        return report
    if total == 0:
        clear_queue(path)  # whatever was queued is in the workbook already
        write_state(path, plan.state)
        return report

    by_row: dict[str, dict[int, dict]] = {}
    changes: list[tuple[str, str, str]] = []
    for sheet, changed in updates.items():
        rows = raw.get(sheet) or [[]]
        for key, row in changed.items():
            number = index.get(sheet, {}).get(key)
            if number is None:  # the row was deleted by staff meanwhile: it comes back as a new row
                appends[sheet].append(row)
                continue
            by_row.setdefault(sheet, {})[number] = {h: row[h] for h in UPDATED_COLUMNS[sheet] if h in row}
            before = rows[number - 1] if number - 1 < len(rows) else None
            changes.append((sheet, key, _change_text(sheet, before, rows[0], row)))
    try:
        destination.write({s: r for s, r in appends.items() if r}, by_row,
                          audit_rows(now, operation, report, changes))
    except WorkbookLocked:
        report.queued = write_queue(path, {s: r for s, r in appends.items() if r},
                                    {s: u for s, u in updates.items() if u})
        return report
    clear_queue(path)
    write_state(path, plan.state)
    report.written = total
    return report


# ---------------------------------------------------------------- the CLI / scheduled entry point

def make_client(program: Program, *, env: Mapping[str, str] = os.environ,
                session: requests.Session | None = None) -> GraphClient:
    """An authenticated Graph client for the program's tenant. Without ``session`` a new one is made
    (close it with ``client.session.close()``)."""
    config = resolve_config(program.settings, env)
    http = session if session is not None else make_session(config, tries=tries_from_env(env))
    try:
        return GraphClient(http, config.graph_url, token_source(config, http, env), tries=tries_from_env(env))
    except BaseException:
        if session is None:
            http.close()
        raise


def graph_fetch(env: Mapping[str, str], session: requests.Session | None, now: datetime,
                full: bool = False) -> FetchPlan:
    """The fetch step of ``synchronize``: a client for the program's tenant, then ``plan_sync``."""
    def fetch(program: Program, existing, state, columns) -> SyncPlan:
        client = make_client(program, env=env, session=session)
        try:
            return plan_sync(program, client=client, existing=existing, state=state, columns=columns, now=now,
                             full=full)
        finally:
            if session is None:
                client.session.close()
    return fetch


def run_sync(workbook: str | os.PathLike, *, dry_run: bool = False, env: Mapping[str, str] = os.environ,
             session: requests.Session | None = None, now: datetime | None = None, full: bool = False) -> SyncReport:
    """`toolkit sync`: read the master (a file, or a SharePoint / OneDrive address), sync, write it (or queue
    while it cannot be written).

    ``session``: an explicit ``requests.Session`` for msal and Graph (tests, benchmarks, a proxy set-up).
    ``full``: read again the Teams events settled more than a week ago (``SETTLE_DAYS``).
    """
    from toolkit.workbook.location import is_cloud, parse_workbook
    from toolkit.workbook.read import read_raw

    location = parse_workbook(workbook)
    now = now or datetime.now().replace(microsecond=0)
    if is_cloud(location):
        return _run_cloud_sync(location, dry_run=dry_run, env=env, session=session, now=now, full=full)
    path = Path(location)
    if not path.is_file():
        raise WorkbookError(f"ブックが見つかりません: {path}")
    from toolkit.workbook.write import transaction

    # The writer lock from the read to the write (also while Excel has the book: the rows are queued then), so a
    # 集計 refresh started meanwhile waits and reads the rows this run adds, and a second sync runs after it.
    with (nullcontext() if dry_run else transaction(path, while_open=True)):
        raw = read_raw(path, sheets=READ_SHEETS)
        report = synchronize(FileDestination(path, raw), raw, path, fetch=graph_fetch(env, session, now, full),
                             now=now, dry_run=dry_run)
    log.info("同期%s: %s", "（試行）" if dry_run else "", report.summary())
    return report


def _run_cloud_sync(url: str, *, dry_run: bool, env: Mapping[str, str], session: requests.Session | None,
                    now: datetime, full: bool = False) -> SyncReport:
    """The sync of a master in SharePoint / OneDrive: its queue, state and lock live in the user's folder."""
    from toolkit.workbook.cloud import CloudBook
    from toolkit.workbook.write import writer_lock

    with CloudBook(url, env=env, session=session) as book:
        path = book.sync_path()
        with (nullcontext() if dry_run else writer_lock(path)):
            raw = book.read_raw(READ_SHEETS)
            report = synchronize(CloudDestination(book, raw), raw, path,
                                 fetch=graph_fetch(env, book.session, now, full), now=now, dry_run=dry_run)
    log.info("同期%s: %s", "（試行）" if dry_run else "", report.summary())
    return report
