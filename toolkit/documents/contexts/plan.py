"""改善活動計画書: one company's data for its three-year plan (the wording is in 改善活動計画書.docx)."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date

from toolkit import schema
from toolkit.budget import BudgetReport
from toolkit.kpi import KpiReport
from toolkit.model import Program, SupportRecord

from ..formats import DASH, fiscal_year_label, free_text, or_dash, reiwa, yen
from .base import (FORMS, IN_PERSON, annual_fee, common, decision_label, hours, plan_years, productivity,
                   records_of, stage, staff_words, times, usage_period)

HIGHLIGHTS = 5  # support acts listed in a plan's summary


def _services(program: Program, kpi: KpiReport, company_id: str) -> list[dict]:
    """One row per service the company took up (its 導入 rows grouped), plus any used without a 導入 row."""
    services = program.service_map
    used = kpi.usage.by_company_service.get(company_id, {})
    grouped: dict[str, list] = {}
    for sub in program.subscriptions:
        if sub.company_id == company_id:
            grouped.setdefault(sub.service_id, []).append(sub)
    rows = []
    for service_id, subs in grouped.items():
        service = services.get(service_id)
        areas = list(dict.fromkeys(s.area for s in subs))
        category = service.area if service else None
        area_text = "・".join(areas) if areas == [category] or category is None else f"{category}／{'・'.join(areas)}"
        states = list(dict.fromkeys(s.state for s in subs if s.state))
        decision = decision_label(subs)
        fee = annual_fee(subs) if decision == schema.KEEP else None
        rows.append({"name": free_text(service.name) if service else service_id, "areas": area_text,
                     "start": reiwa(min(s.start for s in subs)), "state": "・".join(states) if states else DASH,
                     "uses": times(used.get(service_id, 0)), "recorded": True, "decision": decision,
                     "annual": yen(fee) if fee is not None else DASH})
    for service_id, n in used.items():
        if service_id not in grouped:
            service = services.get(service_id)
            rows.append({"name": free_text(service.name) if service else service_id,
                         "areas": service.area if service else DASH, "start": DASH, "state": DASH,
                         "uses": times(n), "recorded": False, "decision": DASH, "annual": DASH})
    return rows


def _keep_total(program: Program, company_id: str) -> str:
    """The year's fees of every service the company keeps (継続), or — when none is kept or a fee is missing."""
    kept = [s for s in program.subscriptions if s.company_id == company_id and s.decision == schema.KEEP]
    fee = annual_fee(kept) if kept else None
    return yen(fee) if fee is not None else DASH


def _plan_years(program: Program, company_id: str) -> list[dict]:
    out = []
    for i, year in enumerate(plan_years(program)):
        items = [{"area": p.area, "action": free_text(p.action), "target": or_dash(p.target),
                  "timing": or_dash(p.timing), "review": or_dash(p.review), "owner": or_dash(p.owner)}
                 for p in program.plan_items if p.company_id == company_id and p.fiscal_year == year]
        out.append({"number": i + 1, "label": fiscal_year_label(year), "year": year, "entries": items})
    return out


def _highlights(records: Sequence[SupportRecord]) -> list[dict]:
    """Up to HIGHLIGHTS support acts spread over the period (first and last included), in full."""
    with_content = [r for r in records if free_text(r.content)]
    if len(with_content) > HIGHLIGHTS:
        step = (len(with_content) - 1) / (HIGHLIGHTS - 1)
        with_content = [with_content[round(i * step)] for i in range(HIGHLIGHTS)]
    return [{"date": reiwa(r.date), "form": r.form, "content": free_text(r.content)} for r in with_content]


def _support(records: Sequence[SupportRecord]) -> dict:
    if not records:
        return {"has_records": False, "forms": [], "highlights": []}
    counts = Counter(r.form for r in records)
    hours_by_form: dict[str, float] = defaultdict(float)
    for r in records:
        hours_by_form[r.form] += r.hours or 0
    first, last = records[0], records[-1]
    return {
        "has_records": True, "first_date": reiwa(first.date), "last_date": reiwa(last.date),
        "first_form": first.form, "first_in_person": first.form == IN_PERSON,
        "count": times(len(records)), "hours": hours(sum(r.hours or 0 for r in records)),
        "forms": [{"form": f, "count": times(counts[f]), "hours": hours(hours_by_form[f])} for f in FORMS],
        "highlights": _highlights(records),
    }


def plan_context(program: Program, budget: BudgetReport, kpi: KpiReport, company_id: str, issued_on: date) -> dict:
    company = program.company_map[company_id]
    years = plan_years(program)
    used = kpi.usage.by_company.get(company_id, 0)
    return {
        **common(program, issued_on),
        "plan_period": f"{fiscal_year_label(years[0])}〜{fiscal_year_label(years[-1])}",
        "company": {
            "id": company.company_id, "name": free_text(company.name), "industry": or_dash(company.industry),
            "address": or_dash(company.address),
            "employees": f"{company.employees:,}名" if company.employees is not None else DASH,
            "consultant": or_dash(company.consultant),
            "stage_before": stage(company.stage), "stage_after": stage(company.stage_after),
            "challenges": free_text(company.challenges), **staff_words(company),
        },
        "services": _services(program, kpi, company_id),
        "keep_total": _keep_total(program, company_id),
        "usage": {"period": usage_period(program), "total": times(used), "count": used,
                  "services": sum(1 for n in kpi.usage.by_company_service.get(company_id, {}).values() if n),
                  "areas": len(kpi.usage.by_company_area.get(company_id, {}))},
        "plan_years": _plan_years(program, company_id),
        "productivity": productivity(kpi.productivity.by_company.get(company_id),
                                     kpi.productivity.missing_reasons.get(company_id)),
        "support": _support(records_of(program, company_id)),
    }
