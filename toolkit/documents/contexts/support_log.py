"""支援記録簿: every support act per company, by date (the wording is in 支援記録簿.docx)."""
from __future__ import annotations

from datetime import date

from toolkit.model import Program

from ..formats import DASH, free_text, or_dash, reiwa
from .base import common, form_counts, hours, records_of


def support_log_context(program: Program, issued_on: date) -> dict:
    sections, totals = [], []
    for i, c in enumerate(program.companies):
        records = records_of(program, c.company_id)
        counts = form_counts(records)
        sections.append({
            "number": i + 1, "id": c.company_id, "name": free_text(c.name),
            "records": [{"date": reiwa(r.date), "form": r.form, "staff": or_dash(r.staff),
                         "hours": hours(r.hours) if r.hours is not None else DASH,
                         "content": or_dash(r.content), "materials": or_dash(r.materials)} for r in records],
            "count": counts["total"], "hours": counts["hours"],
        })
        totals.append({"name": free_text(c.name), **counts})
    grand = form_counts([r for r in program.support if r.company_id in program.company_map])
    return {**common(program, issued_on), "n_companies": len(program.companies), "companies": sections,
            "totals": totals, "grand": grand}
