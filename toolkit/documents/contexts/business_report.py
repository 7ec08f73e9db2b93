"""委託業務報告書: the data of the business report (the wording is in 委託業務報告書.docx)."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from toolkit import schema
from toolkit.budget import BudgetReport
from toolkit.kpi import KpiReport
from toolkit.model import Program

from .. import catalog
from ..formats import DASH, fiscal_year_label, free_text, or_dash, ratio_pct, reiwa, yen
from .base import (IN_PERSON, common, companies_count, form_counts, label, plan_years, productivity,
                   records_of, staff_words, stage, times, usage_period)
from .budget_report import execution, lines
from .kpi_report import productivity_summary, usage_summary

# The 目次: level-1 and level-2 headings of the template, in order (the TOC field's cached entries are filled
# with their page numbers once the PDF shows where they fall; see booklet.py).
TOC = (
    (1, "1　業務概要"), (2, "（1）目的"), (2, "（2）委託期間"), (2, "（3）支援企業"), (2, "（4）業務内容"),
    (1, "2　実施内容"), (2, "（1）クラウドサービス利用環境"), (2, "（2）導入サポート"), (2, "（3）改善活動計画の策定"),
    (2, "（4）説明会・ワークショップ、成果共有会"), (2, "（5）プロジェクト管理"),
    (1, "3　実績と効果"), (2, "（1）クラウドサービス利用回数"), (2, "（2）労働生産性"),
    (1, "4　検証"), (1, "5　予算執行状況の概要"),
    (1, "6　課題と今後の展開"), (2, "（1）事業の運営で見えた課題"), (2, "（2）支援企業の今後の課題と展開"),
    (1, "7　総括"), (1, "付録　成果品一覧"),
)


def toc_entries(pages: dict[str, int] | None = None, offset: int = 0) -> list[dict]:
    """The 目次 lines; ``pages`` maps a heading to its page in the report, shifted by ``offset`` in a booklet."""
    return [{"level": level, "title": title,
             "page": str(pages[title] + offset) if pages and title in pages else ""} for level, title in TOC]


def _catalogue(program: Program) -> list[dict]:
    adopters: dict[str, set[str]] = defaultdict(set)
    for sub in program.subscriptions:
        if sub.state != schema.STATE_STOPPED:
            adopters[sub.service_id].add(sub.company_id)
    rows = []
    for area in schema.BUSINESS_AREAS:
        services = [s for s in program.services if s.area == area]
        if not services:
            rows.append({"area": area, "name": "（未整備）", "vendor": DASH, "price": DASH, "adopters": DASH})
        for s in services:
            price = DASH
            if s.unit_price is not None:
                price = yen(s.unit_price) + (f"／{free_text(s.price_unit)}" if s.price_unit else "")
            rows.append({"area": area, "name": free_text(s.name), "vendor": or_dash(s.vendor), "price": price,
                         "adopters": companies_count(len(adopters[s.service_id]))})
    return rows


def _support(program: Program) -> dict:
    rows, first_in_person, first_other, no_records = [], 0, [], []
    for c in program.companies:
        records = records_of(program, c.company_id)
        row = {"name": free_text(c.name), **form_counts(records), "first": DASH}
        if records:
            row["first"] = f"{records[0].date.month}月{records[0].date.day}日（{records[0].form}）"
            if records[0].form == IN_PERSON:
                first_in_person += 1
            else:
                first_other.append(free_text(c.name))
        else:
            no_records.append(free_text(c.name))
        rows.append(row)
    return {"rows": rows, "total": form_counts([r for r in program.support if r.company_id in program.company_map]),
            "first_in_person": first_in_person, "first_other": first_other, "no_records": no_records}


def _plans(program: Program) -> dict:
    years = plan_years(program)
    planned = Counter((p.company_id, p.fiscal_year) for p in program.plan_items)
    rows, complete = [], 0
    for c in program.companies:
        counts = [planned[(c.company_id, y)] for y in years]
        status = "策定済" if all(counts) else ("未策定" if not any(counts) else "一部未策定")
        complete += status == "策定済"
        rows.append({"name": free_text(c.name), "years": [f"{n}件" if n else "未策定" for n in counts],
                     "status": status})
    return {"rows": rows, "complete": complete, "year_labels": [fiscal_year_label(y) for y in years],
            "first_year": fiscal_year_label(years[0]), "last_year": fiscal_year_label(years[-1]),
            "next_years": f"{fiscal_year_label(years[1])}及び{fiscal_year_label(years[2])}"}


def _events(program: Program) -> list[dict]:
    present: dict[str, list] = defaultdict(list)
    for a in program.attendance:
        if a.status == schema.STATUS_PRESENT:
            present[a.event_id].append(a)
    out = []
    for e in sorted(program.events, key=lambda e: (e.date, e.row)):
        people = present[e.event_id]
        out.append({"kind": e.kind, "name": free_text(e.name), "date": reiwa(e.date),
                    "place": "・".join(x for x in (free_text(e.style), free_text(e.venue)) if x) or DASH,
                    "people": f"{len(people)}名", "firms": companies_count(len({a.company_id for a in people
                                                                                if a.company_id})),
                    "content": free_text(e.content), "outcomes": free_text(e.outcomes)})
    return out


def _verification(program: Program, kpi: KpiReport) -> list[dict]:
    services = program.service_map
    rows = []
    for i, c in enumerate(program.companies):
        names = list(dict.fromkeys(
            free_text(services[s.service_id].name) if s.service_id in services else s.service_id
            for s in program.subscriptions if s.company_id == c.company_id and s.state != schema.STATE_STOPPED))
        stopped = list(dict.fromkeys(
            free_text(services[s.service_id].name) if s.service_id in services else s.service_id
            for s in program.subscriptions if s.company_id == c.company_id and s.state == schema.STATE_STOPPED))
        before, after = stage(c.stage), stage(c.stage_after)
        p = productivity(kpi.productivity.by_company.get(c.company_id),
                         kpi.productivity.missing_reasons.get(c.company_id))
        rows.append({
            "label": label(i), "id": c.company_id, "name": free_text(c.name), "services": names,
            "services_text": "、".join(names) or DASH, "stopped": stopped,
            "areas": list(kpi.usage.by_company_area.get(c.company_id, {})),
            "uses": times(kpi.usage.by_company.get(c.company_id, 0)),
            "used": kpi.usage.by_company.get(c.company_id, 0) > 0,
            "productivity": p, "change": p["change"] if p["measurable"] else "算定前",
            "stage_before": before, "stage_after": after,
            "stage": f"{c.stage or DASH}→{c.stage_after or '未評価'}",
            "stage_moved": "up" if before and after and after["number"] > before["number"] else (
                "same" if before and after and after["number"] == before["number"] else (
                    "down" if before and after else "")),
            **staff_words(c),
        })
    return rows


def _program_issues(program: Program, budget: BudgetReport, kpi: KpiReport) -> dict:
    """What the figures show needs attention (names per finding), and every meeting's 課題・対応."""
    names = program.company_map
    years = plan_years(program)
    planned = {(p.company_id, p.fiscal_year) for p in program.plan_items}
    return {
        "not_measured": [free_text(names[c].name) for c in kpi.productivity.missing if c in names],
        "idle": [free_text(c.name) for c in program.companies if not kpi.usage.by_company.get(c.company_id)],
        "usage_short": not kpi.usage.achieved,
        "over_cap": [free_text(b.name) for b in budget.companies.values() if b.status in ("over", "plan_over")],
        "plans_incomplete": [free_text(c.name) for c in program.companies
                             if any((c.company_id, y) not in planned for y in years)],
        "meetings": [{"date": reiwa(m.date), "number": f"第{i + 1}回", "issues": free_text(m.issues)}
                     for i, m in enumerate(sorted(program.meetings, key=lambda m: (m.date, m.row)))
                     if free_text(m.issues)],
    }


def deliverables(program: Program) -> list[dict]:
    """The 成果品 the toolkit makes (seed 8), for the business report's appendix."""
    n = len(program.companies)
    return [
        {"name": catalog.BUSINESS_REPORT, "count": "1部", "note": "本書。業務の内容、実績、効果、検証"},
        {"name": catalog.BUDGET_REPORT, "count": "1部", "note": "支援企業ごとの経費（1）〜（3）と共通経費"},
        {"name": catalog.KPI_REPORT, "count": "1部", "note": f"{fiscal_year_label(program.settings.fiscal_year)}"
                                                         "のKPIの結果（支援企業ごと）"},
        {"name": catalog.PLAN, "count": f"{n}部", "note": "支援企業ごと（3年間の改善活動計画）"},
        {"name": catalog.SUPPORT_LOG, "count": "1部", "note": "支援企業別・日別の支援内容と提供資料"},
        {"name": catalog.MINUTES, "count": f"{len(program.meetings)}部", "note": "委託者との会議ごと"},
        {"name": catalog.BOOKLET, "count": "1部", "note": "上記をA4判で1冊にまとめたもの（簡易製本）"},
        {"name": "電子データ", "count": "一式", "note": "上記のWord文書（.docx）及びPDF"},
    ]


def business_report_context(program: Program, budget: BudgetReport, kpi: KpiReport, issued_on: date,
                            toc: list[dict] | None = None) -> dict:
    companies = program.companies
    stages = Counter(c.stage for c in companies if c.stage)
    verification = _verification(program, kpi)
    meetings = sorted(program.meetings, key=lambda m: (m.date, m.row))
    return {
        **common(program, issued_on),
        "toc": toc if toc is not None else toc_entries(),
        "contract_end": reiwa(program.settings.contract_end),
        "usage_period": usage_period(program),
        "n_companies": companies_count(len(companies)),
        "stage_counts": [{"stage": s, "count": companies_count(n)} for s, n in sorted(stages.items())],
        "companies": [{"id": c.company_id, "name": free_text(c.name), "industry": or_dash(c.industry),
                       "stage": f"段階{c.stage}" if c.stage else DASH, "consultant": or_dash(c.consultant)}
                      for c in companies],
        "catalogue": _catalogue(program),
        "n_services": f"{len(program.services)}種類",
        "n_areas": len(schema.BUSINESS_AREAS),
        "missing_areas": [a for a in schema.BUSINESS_AREAS if not any(s.area == a for s in program.services)],
        "support": _support(program),
        "plans": _plans(program),
        "events": _events(program),
        "meetings": [{"number": f"第{i + 1}回", "date": reiwa(m.date), "style": or_dash(m.style),
                      "agenda": free_text(m.agenda)} for i, m in enumerate(meetings)],
        "usage": usage_summary(kpi),
        "productivity": productivity_summary(program, kpi),
        "verification": verification,
        "drops": [v for v in verification if v["productivity"]["measurable"]
                  and v["productivity"]["direction"] == "down"],
        "stage_up": companies_count(sum(1 for v in verification if v["stage_moved"] == "up")),
        "budget": {**execution(program, budget, issued_on), "lines": lines(budget),
                   "over": [free_text(b.name) for b in budget.companies.values() if b.status == "over"],
                   "cloud": yen(sum(b.cloud_service for b in budget.companies.values())),
                   "caps": yen(sum(b.cap for b in budget.companies.values())),
                   "cloud_rate": ratio_pct(sum(b.cloud_service for b in budget.companies.values())
                                           / (sum(b.cap for b in budget.companies.values()) or 1)
                                           if budget.companies else None)},
        "issues": _program_issues(program, budget, kpi),
        "future": [{"name": v["name"], "text": v["future_issues"]} for v in verification if v["future_issues"]],
        "future_missing": [v["name"] for v in verification if not v["future_issues"]],
        "deliverables": deliverables(program),
    }
