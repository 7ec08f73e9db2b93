"""KPI実績報告書: the data of the KPI report (the wording is in KPI実績報告書.docx)."""
from __future__ import annotations

from datetime import date

from toolkit import schema
from toolkit.kpi import KpiReport
from toolkit.model import Program
from toolkit.status import productivity_status

from ..formats import DASH, free_text, pct, shares
from .base import NOT_FILLED, common, companies_count, company_name, month_end_label, productivity, times, usage_period


def usage_summary(kpi: KpiReport) -> dict:
    u = kpi.usage
    return {"total": times(u.total), "target": times(u.target), "achieved": u.achieved,
            "rate": pct(u.total / u.target * 100 if u.target else None)}


def usage_sources(kpi: KpiReport) -> str:
    """How the counted usage days were measured: 出典 by 出典, in the vocabulary's order (an empty 出典 last)."""
    by_source = kpi.usage.by_source
    order = [*schema.VOCABULARIES["出典（利用実績）"], None]
    return "、".join(f"{s or NOT_FILLED} {by_source[s]:,}回" for s in order if by_source.get(s))


def reached(change_pct: float, target_pct: float) -> bool:
    """A company reaches the KPI's per-company target at the target or above (+1.0 % by default)."""
    return change_pct >= target_pct


def productivity_caveats(program: Program, kpi: KpiReport) -> dict:
    """What the change rests on, company by company: the months of support inside the 実績 year (status.md), and
    for a company not measured, when its 実績 決算書 is expected."""
    p = kpi.productivity
    rows = {c["company"]: c for c in productivity_status(program)["companies"]}
    short = [f"{company_name(program, cid)}（{rows[cid]['support_months']}か月）" for cid in p.by_company
             if rows.get(cid, {}).get("support_months") is not None and rows[cid]["support_months"] < 6]
    n_reached = sum(1 for c in p.by_company.values() if reached(c.change_pct, p.target_pct))
    return {
        "support_months": {cid: f"{r['support_months']}か月" if r["support_months"] is not None else DASH
                           for cid, r in rows.items()},
        "short_support": "、".join(short),
        "reached": companies_count(n_reached),
        "reached_share": pct(n_reached / len(p.by_company) * 100 if p.by_company else None),
        "expected": {cid: month_end_label(r["statements_expected"]) for cid, r in rows.items()
                     if r["statements_expected"]},
    }


def productivity_summary(program: Program, kpi: KpiReport, caveats: dict | None = None) -> dict:
    """``caveats``: productivity_caveats' result when the caller has it already (the KPI report)."""
    p = kpi.productivity
    caveats = caveats or productivity_caveats(program, kpi)
    return {
        "reached": caveats["reached"], "reached_share": caveats["reached_share"],
        "short_support": caveats["short_support"],
        # 暫定: companies measured on a 試算表 (決算.区分 暫定) while their 実績 決算書 is not out; the KPI itself is
        # the average of the 確定 ones, the average with the 暫定 ones is reported beside it (status.md).
        "provisional": companies_count(len(p.provisional)),
        "has_provisional": bool(p.provisional),
        "average_with_provisional": pct(p.average_with_provisional_pct, signed=True),
        "measurable": bool(p.by_company), "target": pct(p.target_pct, signed=True),
        "average": pct(p.average_change_pct, signed=True), "achieved": p.achieved,
        "measured": companies_count(len(p.by_company)), "n_companies": companies_count(len(program.companies)),
        "missing": [{"name": company_name(program, c),
                     "reason": p.missing_reasons.get(c, "決算が入力されていません")
                     + (f"。実績期の決算書は{caveats['expected'][c]}までに提出の見込み" if caveats["expected"].get(c)
                        and "実績期" in p.missing_reasons.get(c, "") else "")}
                    for c in p.missing],
    }


def usage_by_service_area(program: Program, kpi: KpiReport) -> list[dict]:
    """One row per service and 利用領域 it was used in (the seed counts a service used in two 利用領域 in each): the
    業務分類, and the 利用領域 after a ／ where it differs; a service never used has one row with 0回."""
    services = program.service_map
    rows = []
    for sid, n in kpi.usage.by_service.items():
        service = services.get(sid)
        category = service.area if service else DASH
        by_area = kpi.usage.by_service_area.get(sid, {})
        # Its own 業務分類 first, then any other 利用領域 in the vocabulary's order.
        areas = sorted((a for a in schema.BUSINESS_AREAS if by_area.get(a)),
                       key=lambda a: (a != category, schema.BUSINESS_AREAS.index(a))) or [None]
        for area in areas:
            rows.append({"id": sid, "name": free_text(service.name) if service else sid,
                         "area": category if area in (None, category) else f"{category}／{area}",
                         "uses": times(by_area[area] if area else n)})
    return rows


def kpi_report_context(program: Program, kpi: KpiReport, issued_on: date) -> dict:
    u, p = kpi.usage, kpi.productivity
    # Each company's row names the 決算 its 実績 side is: 実績 (final) or 暫定 (a 試算表; the template's note says so).
    caveats = productivity_caveats(program, kpi)
    months = caveats["support_months"]

    def verdict(c) -> str:
        return "達成" if reached(c.change_pct, p.target_pct) else "未達"

    rows = [{"id": cid, "name": company_name(program, cid), "period": "実績", "provisional": False,
             "verdict": verdict(c), "support_months": months.get(cid, DASH), **productivity(c, None)}
            for cid, c in p.by_company.items()]
    rows += [{"id": cid, "name": company_name(program, cid), "period": "暫定", "provisional": True,
              "verdict": verdict(c), "support_months": months.get(cid, DASH), **productivity(c, None)}
             for cid, c in p.provisional.items()]
    return {
        **common(program, issued_on),
        "usage_period": usage_period(program),
        "usage": usage_summary(kpi),
        "usage_sources": usage_sources(kpi),
        "usage_companies": [{"id": cid, "name": company_name(program, cid), "uses": times(n), "share": share}
                            for (cid, n), share in zip(u.by_company.items(), shares(list(u.by_company.values())))],
        "usage_services": usage_by_service_area(program, kpi),
        "productivity": productivity_summary(program, kpi, caveats),
        "productivity_rows": rows,
        "drops": [r for r in rows if r["direction"] == "down" and not r["provisional"]],
    }
