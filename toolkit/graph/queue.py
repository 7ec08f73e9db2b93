"""Files the sync keeps beside the workbook: the queue and the state (the run holds the writer lock of
``toolkit.workbook.write``, as every toolkit writer does).

- ``{book}.toolkit-queue.json``: rows fetched while Excel had the workbook open (new rows, and changed
  responses by 回答ID). The next run, or the Excel button, applies them, de-duplicated again.
- ``{book}.toolkit-sync-state.json``: per Forms source (an event's form, the usage form) the result workbook
  last written (item id, cTag, how many of its rows the workbook held, its 回答ID prefix, a sample of its
  responses, each response's last-modified time); the webinar registrations' states; the organizer's object
  ID. A source is skipped only when its cTag and its rows both still hold. Losing the file costs a re-download.

The queue holds personal data (names, e-mail addresses) just like the workbook: it is written 0600, never
holds a secret, and is deleted once applied.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from toolkit.private import write_private_file
from toolkit.errors import SyncError

QUEUE_SUFFIX = ".toolkit-queue.json"
STATE_SUFFIX = ".toolkit-sync-state.json"
_FORMAT = 1
_STATE_FORMAT = 2  # slots by source (format 1 keyed forms by drive item id)


def queue_path(workbook: str | os.PathLike) -> Path:
    path = Path(workbook)
    return path.with_name(path.name + QUEUE_SUFFIX)


def state_path(workbook: str | os.PathLike) -> Path:
    path = Path(workbook)
    return path.with_name(path.name + STATE_SUFFIX)


# ---------------------------------------------------------------- JSON with dates

def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    return value


def _decode(value: object) -> object:
    if isinstance(value, dict):
        if "$datetime" in value:
            return datetime.fromisoformat(value["$datetime"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
    return value


# ---------------------------------------------------------------- the queue

def read_queue(workbook_path: str | os.PathLike) -> dict[str, list[dict]]:
    """sheet -> rows ({header: value}) waiting to be written; empty when there is no queue."""
    path = queue_path(workbook_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise SyncError(f"同期の待ち行列ファイルを読めません: {path.name}。内容を確認し、不要なら削除してください。") \
            from None
    sheets = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(sheets, dict):
        raise SyncError(f"同期の待ち行列ファイルの形式が正しくありません: {path.name}")
    return {sheet: [{k: _decode(v) for k, v in row.items()} for row in rows if isinstance(row, dict)]
            for sheet, rows in sheets.items() if isinstance(rows, list)}


def read_queued_updates(workbook_path: str | os.PathLike) -> dict[str, dict[str, dict]]:
    """sheet -> {回答ID: row} of changed responses waiting to be written into their rows."""
    try:
        data = json.loads(queue_path(workbook_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # read_queue, called first, reports a broken queue
    sheets = data.get("updates") if isinstance(data, dict) else None
    if not isinstance(sheets, dict):
        return {}
    return {sheet: {key: {k: _decode(v) for k, v in row.items()} for key, row in rows.items() if isinstance(row, dict)}
            for sheet, rows in sheets.items() if isinstance(rows, dict)}


def write_queue(workbook_path: str | os.PathLike, rows: Mapping[str, list[Mapping[str, object]]],
                updates: Mapping[str, Mapping[str, Mapping[str, object]]] | None = None) -> int:
    """Replace the queue with ``rows`` (and ``updates``); returns how many rows it holds. Empty removes the file."""
    rows = {sheet: list(r) for sheet, r in rows.items() if r}
    updates = {sheet: dict(u) for sheet, u in (updates or {}).items() if u}
    count = sum(len(r) for r in rows.values()) + sum(len(u) for u in updates.values())
    if not count:
        clear_queue(workbook_path)
        return 0
    payload = {"format": _FORMAT, "written_at": datetime.now().replace(microsecond=0).isoformat(),
               "rows": {sheet: [{k: _encode(v) for k, v in row.items()} for row in r] for sheet, r in rows.items()},
               "updates": {sheet: {key: {k: _encode(v) for k, v in row.items()} for key, row in u.items()}
                           for sheet, u in updates.items()}}
    write_private_file(queue_path(workbook_path), json.dumps(payload, ensure_ascii=False, indent=1))
    return count


def clear_queue(workbook_path: str | os.PathLike) -> None:
    try:
        queue_path(workbook_path).unlink()
    except FileNotFoundError:
        pass


# ---------------------------------------------------------------- the state

def read_state(workbook_path: str | os.PathLike) -> dict:
    """{"forms": {slot: {...}}, "registrations", "organizers", "sessions" (join URL -> webinar session),
    "teams_settled" (event ID -> join URL)}; missing or unreadable: empty."""
    try:
        data = json.loads(state_path(workbook_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: data[k] for k in ("forms", "registrations", "organizers", "sessions", "teams_settled")
            if isinstance(data.get(k), dict)}


def write_state(workbook_path: str | os.PathLike, state: Mapping[str, object]) -> None:
    # Compact: the versions of 10,000 responses are read back on every run.
    write_private_file(state_path(workbook_path), json.dumps({"format": _STATE_FORMAT, **state}, ensure_ascii=False,
                                                             separators=(",", ":")))
