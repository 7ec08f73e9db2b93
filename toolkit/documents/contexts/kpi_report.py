"""KPI実績報告書: the data of the KPI report (the wording is in KPI実績報告書.docx)."""
from __future__ import annotations

from datetime import date

from toolkit.kpi import KpiReport
from toolkit.model import Program

from ..formats import DASH, free_text, pct, ratio_pct
from .base import common, company_name, companies_count, productivity, times, usage_period


def usage_summary(kpi: KpiReport) -> dict:
    u = kpi.usage
    return {"total": times(u.total), "target": times(u.target), "achieved": u.achieved,
            "rate": pct(u.total / u.target * 100 if u.target else None)}


def productivity_summary(program: Program, kpi: KpiReport) -> dict:
    p = kpi.productivity
    return {
        "measurable": bool(p.by_company), "target": pct(p.target_pct, signed=True),
        "average": pct(p.average_change_pct, signed=True), "achieved": p.achieved,
        "measured": companies_count(len(p.by_company)), "n_companies": companies_count(len(program.companies)),
        "missing": [{"name": company_name(program, c), "reason": p.missing_reasons.get(c, "決算が入力されていません")}
                    for c in p.missing],
    }


def kpi_report_context(program: Program, kpi: KpiReport, issued_on: date) -> dict:
    u, p = kpi.usage, kpi.productivity
    services = program.service_map
    rows = []
    for cid, c in p.by_company.items():
        rows.append({"id": cid, "name": company_name(program, cid),
                     **productivity(c, None)})
    return {
        **common(program, issued_on),
        "usage_period": usage_period(program),
        "usage": usage_summary(kpi),
        "usage_companies": [{"id": cid, "name": company_name(program, cid), "uses": times(n),
                             "share": ratio_pct(n / u.total if u.total else None)} for cid, n in u.by_company.items()],
        "usage_services": [{"id": sid, "name": free_text(services[sid].name) if sid in services else sid,
                            "area": services[sid].area if sid in services else DASH, "uses": times(n)}
                           for sid, n in u.by_service.items()],
        "productivity": productivity_summary(program, kpi),
        "productivity_rows": rows,
        "drops": [r for r in rows if r["direction"] == "down"],
    }
