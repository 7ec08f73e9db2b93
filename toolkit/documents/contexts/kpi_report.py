"""KPI実績報告書: the data of the KPI report (the wording is in KPI実績報告書.docx)."""
from __future__ import annotations

from datetime import date

from toolkit.kpi import KpiReport
from toolkit.model import Program

from ..formats import DASH, free_text, pct, shares
from .base import common, company_name, companies_count, productivity, times, usage_period


def usage_summary(kpi: KpiReport) -> dict:
    u = kpi.usage
    return {"total": times(u.total), "target": times(u.target), "achieved": u.achieved,
            "rate": pct(u.total / u.target * 100 if u.target else None)}


def productivity_summary(program: Program, kpi: KpiReport) -> dict:
    p = kpi.productivity
    return {
        # 暫定: companies measured on a 試算表 (決算.区分 暫定) while their 実績 決算書 is not out; the KPI itself is
        # the average of the 確定 ones, the average with the 暫定 ones is reported beside it (status.md).
        "provisional": companies_count(len(p.provisional)),
        "has_provisional": bool(p.provisional),
        "average_with_provisional": pct(p.average_with_provisional_pct, signed=True),
        "measurable": bool(p.by_company), "target": pct(p.target_pct, signed=True),
        "average": pct(p.average_change_pct, signed=True), "achieved": p.achieved,
        "measured": companies_count(len(p.by_company)), "n_companies": companies_count(len(program.companies)),
        "missing": [{"name": company_name(program, c), "reason": p.missing_reasons.get(c, "決算が入力されていません")}
                    for c in p.missing],
    }


def kpi_report_context(program: Program, kpi: KpiReport, issued_on: date) -> dict:
    u, p = kpi.usage, kpi.productivity
    services = program.service_map
    # Each company's row names the 決算 its 実績 side is: 実績（確定） or 暫定（試算表）.
    rows = [{"id": cid, "name": company_name(program, cid), "period": "実績（確定）", "provisional": False,
             **productivity(c, None)} for cid, c in p.by_company.items()]
    rows += [{"id": cid, "name": company_name(program, cid), "period": "暫定（試算表）", "provisional": True,
              **productivity(c, None)} for cid, c in p.provisional.items()]
    return {
        **common(program, issued_on),
        "usage_period": usage_period(program),
        "usage": usage_summary(kpi),
        "usage_companies": [{"id": cid, "name": company_name(program, cid), "uses": times(n), "share": share}
                            for (cid, n), share in zip(u.by_company.items(), shares(list(u.by_company.values())))],
        "usage_services": [{"id": sid, "name": free_text(services[sid].name) if sid in services else sid,
                            "area": services[sid].area if sid in services else DASH, "uses": times(n)}
                           for sid, n in u.by_service.items()],
        "productivity": productivity_summary(program, kpi),
        "productivity_rows": rows,
        "drops": [r for r in rows if r["direction"] == "down" and not r["provisional"]],
    }
