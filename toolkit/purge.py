"""`toolkit purge`: erase the personal data of rows dated before a day (seed 9: return or disposal at the end).

``plan_purge`` is pure: which cells of ``schema.PERSONAL_DATA`` change, and how (a name becomes 「（消去済）」, an
e-mail or an account is emptied; IDs, dates and counts stay, so ``kpi`` and ``budget`` give the same figures after
as before). ``run_purge`` writes it through the writer (one atomic patch, each cell checked to still hold what was
read), then deletes every other copy on this PC that holds the data (the book's backups, including the one this
write made, the sync's queue and state, downloaded masters) and lists, without deleting, the documents that print
names (deliverables already submitted).
"""
from __future__ import annotations

import os
import shutil
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from toolkit import schema
from toolkit.audit import audit_row
from toolkit.model import PROGRAM_FIELDS, Program
from toolkit.privacy import ERASED, copies
from toolkit.workbook.write import RowUpdate, patch_workbook

EMPTIED_KINDS = ("email",)
EMPTIED_KEYS = ("account",)  # a 利用実績 account is an e-mail address or a login name


def _erased_value(table: schema.Table, key: str) -> str | None:
    column = table.column(table.header(key))
    return None if column.kind in EMPTIED_KINDS or key in EMPTIED_KEYS else ERASED


def _row_day(table: schema.Table, record, event_days: dict[str, date]) -> date | None:
    """The day a row belongs to: its own date, a 出欠 row its event's; None for a row without one (企業)."""
    if table is schema.ATTENDANCE:
        return event_days.get(record.event_id)
    return getattr(record, "date", None)


def plan_purge(program: Program, before: date) -> dict:
    """The cells to erase: rows dated before ``before``; rows without a date (the 企業 contacts) once ``before`` is
    after 契約終了日 (the contract is over). {columns: [{sheet, column, rows, method}], updates: {sheet: [...]}}.
    Refused (MissingInput) when a sheet holding personal data is missing: renamed, it still holds the names, and a
    purge that skipped it would report them erased."""
    program.require(dict.fromkeys(table for table, _, _ in schema.PERSONAL_DATA), "個人情報の消去")
    contract_over = before > program.settings.contract_end
    event_days = {e.event_id: e.date for e in program.events}
    cells: dict[str, dict[int, tuple[dict, dict]]] = defaultdict(dict)  # sheet -> row -> (new values, as read)
    columns = []
    for table, key, _purpose in schema.PERSONAL_DATA:
        header, erased = table.header(key), _erased_value(table, key)
        n = 0
        # Rows left out of the figures for an error hold personal data too.
        for record in (*getattr(program, PROGRAM_FIELDS[table.sheet]), *program.rejected.get(table.sheet, ())):
            value = getattr(record, key, None)
            if value in (None, "", ERASED):
                continue
            day = _row_day(table, record, event_days)
            if (day is None and contract_over) or (day is not None and day < before):
                values, match = cells[table.sheet].setdefault(record.row, ({}, {}))
                values[header], match[header] = erased, value
                n += 1
        columns.append({"sheet": table.sheet, "column": header, "rows": n,
                        "method": "空欄にした" if erased is None else f"「{ERASED}」に置き換えた"})
    updates = {sheet: [RowUpdate(row, values, match) for row, (values, match) in sorted(rows.items())]
               for sheet, rows in cells.items()}
    return {"before": before.isoformat(), "columns": columns, "updates": updates}


def _delete(path: Path) -> bool:
    try:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        return True
    except FileNotFoundError:
        return False


def _write_cloud(url, updates: dict, audit: dict, env) -> None:
    """A master in SharePoint / OneDrive is masked in place through the workbook API (each row checked first),
    with its 履歴 row; the library's version history still holds the earlier versions (the report says so)."""
    from toolkit.workbook.cloud import CloudBook

    with CloudBook(url, env=env) as cloud, cloud.edit() as session:
        for sheet, rows in updates.items():
            session.update_rows(sheet, rows)
        session.append(schema.AUDIT_LOG.sheet, [audit], key=None)


def run_purge(program: Program, book, before: date, output_dirs, *, dry_run: bool, now: datetime,
              env=os.environ) -> dict:
    """Erase (or, ``dry_run``, only say what would be erased); returns what was done, for the report. ``book``: a
    file on this computer or the address of a master in SharePoint / OneDrive."""
    from toolkit.workbook.location import is_cloud

    plan = plan_purge(program, before)
    total = sum(c["rows"] for c in plan["columns"])
    if not dry_run and total:
        detail = "、".join(f"{c['sheet']}.{c['column']} {c['rows']}件" for c in plan["columns"] if c["rows"])
        audit = audit_row(now, "個人情報の消去", "", f"{before:%Y-%m-%d}より前", detail)
        if is_cloud(book):
            _write_cloud(book, plan["updates"], audit, env)
        else:
            patch_workbook(book, update=plan["updates"], append={schema.AUDIT_LOG.sheet: [audit]})
    found = copies(book, output_dirs, env)
    erasable = [c for c in found if c["kind"] not in ("マスターブック", "成果品")]
    deleted = [c for c in erasable if dry_run or _delete(Path(c["path"]))]
    return {"before": plan["before"], "dry_run": dry_run, "at": now.isoformat(timespec="seconds"),
            "columns": plan["columns"], "erased_cells": total,
            "deleted": [{"kind": c["kind"], "path": c["path"]} for c in deleted],
            "documents": [c["path"] for c in found if c["kind"] == "成果品"], "cloud": is_cloud(book)}
