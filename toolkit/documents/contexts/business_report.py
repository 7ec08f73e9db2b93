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
from .base import (IN_PERSON, NOT_FILLED, annual_fee, common, companies_count, company_name, form_counts, hours,
                   label, plan_years, productivity, records_of, staff_words, stage, times, usage_period)
from .budget_report import execution, lines
from .kpi_report import productivity_summary, usage_summary

# The 目次: level-1 and level-2 headings of the template, in order (the TOC field's cached entries are filled
# with their page numbers once the PDF shows where they fall; see booklet.py).
TOC = (
    (1, "要約"),
    (1, "1　業務概要"), (2, "（1）目的"), (2, "（2）委託期間"), (2, "（3）支援企業"), (2, "（4）業務内容"),
    (2, "（5）実施体制"),
    (1, "2　実施内容"), (2, "（1）クラウドサービス利用環境"), (2, "（2）導入サポート"), (2, "（3）改善活動計画の策定"),
    (2, "（4）説明会・ワークショップ、成果共有会"), (2, "（5）プロジェクト管理"), (2, "（6）実施スケジュール（計画と実績）"),
    (1, "3　実績と効果"), (2, "（1）クラウドサービス利用回数"), (2, "（2）労働生産性"),
    (1, "4　検証"), (2, "（1）支援企業全体の分析"), (2, "（2）支援企業ごとの検証"), (1, "5　予算執行状況の概要"),
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
        "register": [{"id": i.issue_id, "kind": or_dash(i.kind), "content": free_text(i.content),
                      "response": or_dash(i.response), "state": or_dash(i.state)}
                     for i in sorted(program.issues, key=lambda i: (i.raised_on, i.row))],
        "meetings": _meeting_issues(program),
    }


# What staff write in 課題・対応 when a meeting raised nothing: not an issue for section 6.
NO_ISSUE = {schema.fold(t) for t in ("なし", "特になし", "該当なし", "特記事項なし", "—", "-", "－")}


def _meeting_issues(program: Program) -> list[dict]:
    """Each meeting's 課題・対応 once (a text repeated at a later meeting is its first meeting's), without
    "特になし" and the like."""
    seen: set[str] = set()
    out = []
    for i, m in enumerate(sorted(program.meetings, key=lambda m: (m.date, m.row))):
        text = free_text(m.issues)
        key = schema.fold(text)
        if text and key not in NO_ISSUE and key not in seen:
            seen.add(key)
            out.append({"date": reiwa(m.date), "number": f"第{i + 1}回", "issues": text})
    return out


def _analysis(program: Program, budget: BudgetReport, kpi: KpiReport) -> dict:
    """Across the companies: adoption and abandonment, services no company used, trials still open, what each
    company keeps after the free period and what that costs, and cloud cost against use."""
    services = program.service_map
    subs = program.subscriptions
    live = [s for s in subs if s.state != schema.STATE_STOPPED]
    adopted = dict.fromkeys(s.service_id for s in live)  # in the order first taken up
    used = {sid for sid, n in kpi.usage.by_service.items() if n}

    def name(service_id: str) -> str:
        return free_text(services[service_id].name) if service_id in services else service_id

    by_company: dict[str, list] = defaultdict(list)
    for sub in subs:
        by_company[sub.company_id].append(sub)
    decisions = Counter(sub.decision or NOT_FILLED for sub in subs)
    rows, keep_fees, fee_missing = [], 0, False
    for c in program.companies:
        mine = by_company.get(c.company_id, [])
        kept = [s for s in mine if s.decision == schema.KEEP]
        fee = annual_fee(kept)
        fee_missing |= fee is None
        keep_fees += fee or 0
        cloud = budget.companies[c.company_id].cloud_service if c.company_id in budget.companies else None
        uses = kpi.usage.by_company.get(c.company_id, 0)
        rows.append({
            "name": free_text(c.name),
            # One service a line: a name never breaks in the middle of a narrow cell.
            "keep": "\n".join(dict.fromkeys(name(s.service_id) for s in kept)) or DASH,
            "cancel": "\n".join(dict.fromkeys(name(s.service_id) for s in mine if s.decision == schema.CANCEL)) or DASH,
            "open": "\n".join(dict.fromkeys(name(s.service_id) for s in mine
                                            if s.decision not in schema.DECIDED)) or DASH,
            "annual": yen(fee) if fee is not None else "不明（月額費用の記入なし）" if kept else DASH,
            "per_use": yen(round(cloud / uses)) if cloud is not None and uses else DASH,
        })
    cloud_total = sum(b.cloud_service for b in budget.companies.values())
    return {
        "subscriptions": f"{len(live)}件", "adopting": companies_count(len({s.company_id for s in live})),
        "adopted_services": f"{len(adopted)}種類",
        "stopped": [{"company": company_name(program, s.company_id), "service": name(s.service_id)}
                    for s in subs if s.state == schema.STATE_STOPPED],
        "not_adopted": [{"name": free_text(s.name), "area": s.area, "note": or_dash(s.note)}
                        for s in program.services if s.service_id not in adopted],
        "unused": [name(sid) for sid in adopted if sid not in used],
        "trials": [{"company": company_name(program, s.company_id), "service": name(s.service_id),
                    "end": reiwa(s.end) if s.end else DASH, "decision": s.decision or NOT_FILLED}
                   for s in subs if s.state == schema.STATE_TRIAL],
        "keep": f"{decisions[schema.KEEP]}件", "cancel": f"{decisions[schema.CANCEL]}件",
        "undecided": f"{decisions[schema.UNDECIDED]}件", "unrecorded": decisions[NOT_FILLED],
        "keep_fees": yen(keep_fees), "keep_fees_partial": fee_missing,
        "rows": rows,
        "per_use": yen(round(cloud_total / kpi.usage.total)) if kpi.usage.total else DASH,
    }


def _team(program: Program) -> list[dict]:
    """Who did the support (実施体制): each consultant's companies, acts and hours."""
    assigned = Counter(c.consultant for c in program.companies if c.consultant)
    acts: dict[str, list] = defaultdict(list)
    for r in program.support:
        if r.staff:
            acts[r.staff].append(r)
    names = list(dict.fromkeys([*assigned, *acts]))
    return [{"name": free_text(n), "companies": companies_count(assigned[n]) if assigned[n] else DASH,
             "acts": times(len(acts[n])), "hours": hours(sum(r.hours or 0 for r in acts[n]))} for n in names]


def _schedule(program: Program, kpi: KpiReport) -> list[dict]:
    """Each work item of 5(2)–(3): when it was planned (設定, the contract) and when it was done (the records)."""
    s = program.settings
    start = s.contract_start
    term = f"{reiwa(start) if start else '契約日'}〜{reiwa(s.contract_end)}"

    def span(days: list) -> str:
        return f"{reiwa(min(days))}〜{reiwa(max(days))}" if days else "実績なし"

    events = sorted(program.events, key=lambda e: (e.date, e.row))
    meetings = sorted(m.date for m in program.meetings)
    plans_done = {p.company_id for p in program.plan_items}
    return [
        {"item": "クラウドサービス利用環境の提供", "plan": usage_period(program),
         "actual": (f"{reiwa(min(x.start for x in program.subscriptions))}から順次利用を開始"
                    if program.subscriptions else "実績なし") + f"（利用回数 {times(kpi.usage.total)}）"},
        {"item": "導入サポート", "plan": term,
         "actual": span([r.date for r in program.support]) + f"（{times(len(program.support))}）"},
        {"item": "改善活動計画の策定", "plan": f"{reiwa(s.contract_end)}まで",
         "actual": f"{companies_count(len(plans_done & set(program.company_map)))}で策定"},
        {"item": "説明会・ワークショップ、成果共有会", "plan": "事業開始時・事業終了前",
         "actual": "、".join(f"{free_text(e.name)}（{reiwa(e.date)}）" for e in events) or "実績なし"},
        {"item": "委託者との会議（月1〜2回）", "plan": term,
         "actual": span(meetings) + f"（{len(meetings)}回）"},
    ]


def _summary_rows(program: Program, kpi: KpiReport, usage: dict, productivity_: dict, execution_: dict,
                  analysis: dict) -> list[dict]:
    """The 要約's table: each headline figure with its target or the note a reader in a hurry needs."""
    support = form_counts([r for r in program.support if r.company_id in program.company_map])
    planned = {p.company_id for p in program.plan_items} & set(program.company_map)
    rows = [
        {"item": "支援企業", "result": companies_count(len(program.companies)), "note": DASH},
        {"item": "導入サポート", "result": f"延べ{support['total']}", "note": f"計{support['hours']}"},
        {"item": "クラウドサービス利用回数", "result": usage["total"],
         "note": f"目標{usage['target']}（達成率{usage['rate']}、{'達成' if usage['achieved'] else '未達'}）"},
    ]
    if productivity_["measurable"]:
        rows.append({"item": "労働生産性の変化率（平均）", "result": productivity_["average"],
                     "note": f"目標{productivity_['target']}（{productivity_['measured']}で算定、"
                             f"{'達成' if productivity_['achieved'] else '未達'}）"})
    else:
        rows.append({"item": "労働生産性の変化率（平均）", "result": "算定前",
                     "note": f"目標{productivity_['target']}（決算の確定後に算定）"})
    rows += [
        {"item": "改善活動計画の策定", "result": companies_count(len(planned)), "note": "3年間の計画"},
        {"item": "予算の執行", "result": execution_["executed"],
         "note": f"委託料{execution_['contract_sum']}の{execution_['rate']}" if execution_["has_contract_sum"]
         else DASH},
        {"item": "利用期間後も継続するサービス", "result": analysis["keep"],
         "note": f"年間費用 計{analysis['keep_fees']}（各社の負担）"},
    ]
    return rows


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
    usage, productivity_ = usage_summary(kpi), productivity_summary(program, kpi)
    analysis = _analysis(program, budget, kpi)
    execution_ = execution(program, budget, issued_on)
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
        "usage": usage,
        "productivity": productivity_,
        "summary_rows": _summary_rows(program, kpi, usage, productivity_, execution_, analysis),
        "verification": verification,
        "drops": [v for v in verification if v["productivity"]["measurable"]
                  and v["productivity"]["direction"] == "down"],
        "stage_up": companies_count(sum(1 for v in verification if v["stage_moved"] == "up")),
        "budget": {**execution_, "lines": lines(budget),
                   "over": [free_text(b.name) for b in budget.companies.values() if b.status == "over"],
                   "cloud": yen(sum(b.cloud_service for b in budget.companies.values())),
                   "caps": yen(sum(b.cap for b in budget.companies.values())),
                   "cloud_rate": ratio_pct(sum(b.cloud_service for b in budget.companies.values())
                                           / (sum(b.cap for b in budget.companies.values()) or 1)
                                           if budget.companies else None)},
        "issues": _program_issues(program, budget, kpi),
        "analysis": analysis,
        "team": _team(program),
        "schedule": _schedule(program, kpi),
        "open_issues": sum(1 for i in program.issues if i.state != schema.ISSUE_DONE),
        "future_count": companies_count(sum(1 for v in verification if v["future_issues"])),
        "deliverables": deliverables(program),
    }
