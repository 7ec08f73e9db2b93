"""支援記録簿: every support act per company, by date (the wording is in 支援記録簿.docx)."""
from __future__ import annotations

from datetime import date

from toolkit.model import Program, SupportRecord

from ..formats import DASH, free_text, or_dash, reiwa
from .base import common, form_counts, hours, records_of


def when(record: SupportRecord) -> str:
    """The day, and on a second line the visit's times when they are recorded (開始時刻〜終了時刻)."""
    times = "〜".join(free_text(t) for t in (record.start_time, record.end_time) if t)
    return reiwa(record.date) + (f"\n{times}" if times else "")


def materials(record: SupportRecord) -> str:
    """The materials provided, and on a line of its own who at the company confirmed the record (企業確認)."""
    confirmed = free_text(record.confirmed_by)
    return or_dash(record.materials) + (f"\n{CONFIRMED}{confirmed}" if confirmed else "")


CONFIRMED = "企業確認："


def support_log_context(program: Program, issued_on: date) -> dict:
    sections, totals = [], []
    for i, c in enumerate(program.companies):
        records = records_of(program, c.company_id)
        counts = form_counts(records)
        sections.append({
            "number": i + 1, "id": c.company_id, "name": free_text(c.name),
            "records": [{"date": when(r), "form": r.form, "staff": or_dash(r.staff),
                         "hours": hours(r.hours) if r.hours is not None else DASH,
                         "content": or_dash(r.content), "materials": materials(r)} for r in records],
            "count": counts["total"], "hours": counts["hours"],
        })
        totals.append({"name": free_text(c.name), **counts})
    grand = form_counts([r for r in program.support if r.company_id in program.company_map])
    return {**common(program, issued_on), "n_companies": len(program.companies), "companies": sections,
            "totals": totals, "grand": grand}
