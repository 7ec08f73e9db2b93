"""Where the program stands at an as-of date, and where it is heading (``shared/spec/status.md``).

A pure function of (Program, as-of): usage pace and projection, the budget projection with the fees not booked
yet and each company's breach month, whether each company's productivity can be measured by the contract's end,
contacts, events, meetings with the city, the issue register, workload, and the warnings that follow. Every
figure is reproducible by hand from the workbook with the definitions of status.md; the comments quote them.
The 状況報告 of the CLI, the 要注意 block of 集計 and the closing documents read the same result.
"""
from __future__ import annotations

import calendar
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from toolkit import schema
from toolkit.budget import planned_cost
from toolkit.errors import MissingInput
from toolkit.kpi import counted_usage, financial_periods
from toolkit.model import Company, Program

WINDOW_DAYS = 28  # recent pace: counted usage in (D − 28, D], per day
KICKOFF_DAYS = 30  # the 説明会・ワークショップ is held by 利用開始日 + 30 days
SHORT_SUPPORT_MONTHS = 6  # fewer months of support inside the 実績 year: the change says little
KICKOFF_KIND, SHARING_KIND, _OTHER_KIND = schema.VOCABULARIES["種別"]


def _month(day: date) -> str:
    return f"{day:%Y-%m}"


def months_between(first: date, last: date) -> list[str]:
    """Calendar months from ``first``'s to ``last``'s, both included, as YYYY-MM."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> tuple[int, int]:
    n = day.year * 12 + day.month - 1 + months
    return n // 12, n % 12 + 1


@dataclass
class Status:
    as_of: date
    usage: dict
    budget: dict
    productivity: dict
    contacts: list[dict]
    events: dict
    meetings: dict
    issues: list[dict]
    workload: list[dict]
    warnings: list[dict] = field(default_factory=list)
    changes: dict | None = None

    def as_json(self) -> dict:
        """Exactly status.md's object: dates ISO, amounts integer yen."""
        return {"as_of": self.as_of.isoformat(), "usage": self.usage, "budget": self.budget,
                "productivity": self.productivity, "contacts": self.contacts, "events": self.events,
                "meetings": self.meetings, "issues": self.issues, "workload": self.workload,
                "warnings": [{"area": w["area"], "message": w["message"]} for w in self.warnings],
                "changes": self.changes}


# ---------------------------------------------------------------- usage

def usage_status(program: Program, as_of: date) -> dict:
    s = program.settings
    counted = counted_usage(program)  # the KPI's own rows: inside the usage period, one per distinct day
    to_date = sum(1 for u in counted if u.date <= as_of)
    window = as_of - timedelta(days=WINDOW_DAYS)
    recent = [u for u in counted if window < u.date <= as_of]
    pace = len(recent) / WINDOW_DAYS
    remaining = max(0, (s.usage_end - as_of).days)
    projected = to_date if as_of >= s.usage_end else math.floor(to_date + pace * remaining)
    target = s.usage_target
    required = (target - to_date) / remaining if target - to_date > 0 and remaining > 0 else 0.0
    if as_of < s.usage_start:
        state = "開始前"
    elif projected >= target:
        state = "順調"
    elif projected >= 0.9 * target:
        state = "注意"
    else:
        state = "遅れ"
    idle: list[str] = []
    if s.usage_start <= as_of <= s.usage_end:
        used = {u.company_id for u in recent}
        idle = [c.company_id for c in program.companies
                if _active(program, c.company_id, as_of) and c.company_id not in used]
    return {"to_date": to_date, "recent_pace": round(pace, 2), "remaining_days": remaining, "projected": projected,
            "required_pace": round(required, 2), "status": state, "idle_companies": idle}


# ---------------------------------------------------------------- budget

def _contract_borne(bearer: str | None) -> bool:
    return bearer != schema.BORNE_BY_CONTRACTOR  # empty = 委託料


def breach_month(program: Program, company: Company) -> str | None:
    """The first month whose running total of the planned schedule (初期費用 in the start month, 月額費用 every
    month from the start month to the end month, 終了日 empty = 利用終了日) exceeds the company's cap."""
    by_month: dict[str, int] = defaultdict(int)
    for sub in program.subscriptions:
        if sub.company_id != company.company_id or sub.state == schema.STATE_STOPPED:
            continue
        by_month[_month(sub.start)] += sub.initial_fee or 0
        for month in months_between(sub.start, sub.end or program.settings.usage_end):
            by_month[month] += sub.monthly_fee or 0
    cap, running = program.cap_for(company), 0
    for month in sorted(by_month):
        running += by_month[month]
        if running > cap:
            return month
    return None


def budget_status(program: Program, as_of: date) -> dict:
    s = program.settings
    companies = []
    for c in program.companies:
        cloud = [e for e in program.expenses if e.company_id == c.company_id and e.line == schema.COST_CLOUD
                 and e.date <= as_of]
        booked = sum(e.amount for e in cloud if _contract_borne(e.bearer))
        entered = sum(e.amount for e in cloud)  # a 受託者 row is entered, not missing
        planned = sum(planned_cost(sub, s.usage_end) for sub in program.subscriptions
                      if sub.company_id == c.company_id)
        unbooked = max(0, planned - entered)
        companies.append({"company": c.company_id, "booked": booked, "planned": planned, "unbooked": unbooked,
                          "projected": booked + unbooked, "cap": program.cap_for(c),
                          "breach_month": breach_month(program, c)})
    booked_total = sum(e.amount for e in program.expenses if e.date <= as_of and _contract_borne(e.bearer))
    projected_total = booked_total + sum(c["unbooked"] for c in companies)
    contract = s.contract_sum
    return {"companies": companies, "booked_total": booked_total, "projected_total": projected_total,
            "contract": contract, "projected_balance": None if contract is None else contract - projected_total}


# ---------------------------------------------------------------- productivity

def productivity_status(program: Program) -> dict:
    """Per company, independent of the as-of date: planned support counts too (status.md)."""
    s = program.settings
    by_period = financial_periods(program)
    first_visit: dict[str, date] = {}
    for r in program.support:  # planned ones included
        if r.company_id not in first_visit or r.date < first_visit[r.company_id]:
            first_visit[r.company_id] = r.date
    companies = []
    for c in program.companies:
        starts = [sub.start for sub in program.subscriptions if sub.company_id == c.company_id]
        start = first_visit.get(c.company_id) or (min(starts) if starts else None)
        fy_end = months = expected = measurable = None
        if start is not None and c.closing_month and 1 <= c.closing_month <= 12:
            year = start.year if start.month <= c.closing_month else start.year + 1
            fy_end = _month_end(year, c.closing_month)  # the first fiscal year end on or after support_start
            months = min(12, (fy_end.year - start.year) * 12 + fy_end.month - start.month + 1)
            expected = _month_end(*add_months(fy_end, 2))  # filed by the end of the second month after
            measurable = expected <= s.contract_end
        periods = by_period.get(c.company_id, {})
        basis = ("確定" if schema.PERIOD_ACTUAL in periods else
                 "暫定" if schema.PERIOD_PROVISIONAL in periods else "なし")
        companies.append({"company": c.company_id, "support_start": _iso(start), "fy_end": _iso(fy_end),
                          "support_months": months, "statements_expected": _iso(expected),
                          "measurable_by_contract_end": measurable, "basis": basis})
    return {"companies": companies}


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


# ---------------------------------------------------------------- contacts, events, meetings, issues, workload

def contact_status(program: Program, as_of: date) -> list[dict]:
    by_company = defaultdict(list)
    for r in program.support:
        if r.date <= as_of:
            by_company[r.company_id].append(r)
    out = []
    for c in program.companies:
        mine = sorted(by_company.get(c.company_id, ()), key=lambda r: (r.date, r.row))
        last = mine[-1].date if mine else None
        with_next = [r for r in mine if r.next_date is not None]
        planned = with_next[-1].next_date if with_next else None
        overdue = planned is not None and planned < as_of and not any(planned < r.date <= as_of for r in mine)
        out.append({"company": c.company_id, "last_contact": _iso(last),
                    "days_since": None if last is None else (as_of - last).days, "next_planned": _iso(planned),
                    "overdue": overdue})
    return out


def _active(program: Program, company_id: str, as_of: date) -> bool:
    """A subscription running on ``as_of`` (開始日 ≤ D, 終了日 ≥ D, 終了日 empty meaning 利用終了日 as the budget
    reads it), not 中止."""
    end = program.settings.usage_end
    return any(sub.company_id == company_id and sub.start <= as_of <= (sub.end or end)
               and sub.state != schema.STATE_STOPPED for sub in program.subscriptions)


def event_status(program: Program, as_of: date) -> dict:
    s = program.settings
    kickoff = min((e.date for e in program.events if e.kind == KICKOFF_KIND), default=None)
    held = kickoff is not None and kickoff <= as_of and kickoff <= s.usage_start + timedelta(days=KICKOFF_DAYS)
    year = s.fiscal_year + 1  # the calendar year the fiscal year ends in
    sharing = min((e.date for e in program.events if e.kind == SHARING_KIND), default=None)
    in_window = sharing is not None and date(year, 2, 11) <= sharing <= date(year, 3, 10)
    return {"kickoff": {"held": held, "date": _iso(kickoff)}, "sharing": {"date": _iso(sharing), "in_window": in_window}}


def meeting_status(program: Program, as_of: date) -> dict:
    s = program.settings
    held = [m for m in program.meetings if m.date <= as_of]
    first = s.contract_start or (min(m.date for m in program.meetings) if program.meetings else None)
    months_without = []
    if first is not None and first <= as_of:
        met = {_month(m.date) for m in held}
        # The duty to meet the city ends with the contract: no month after 契約終了日 is "without a meeting".
        months_without = [m for m in months_between(first, min(as_of, s.contract_end)) if m not in met]
    limit = s.minutes_due_days
    late = [m.meeting_id for m in sorted(held, key=lambda m: (m.date, m.row))
            if (m.written_on is not None and (m.written_on - m.date).days > limit)
            or (m.written_on is None and (as_of - m.date).days > limit)]
    return {"months_without": months_without, "late_minutes": late}


def issue_status(program: Program, as_of: date) -> list[dict]:
    return [{"id": i.issue_id, "title": i.content, "due": _iso(i.due), "state": i.state,
             "overdue": i.due is not None and i.due < as_of}
            for i in sorted(program.issues, key=lambda i: (i.due or date.max, i.row)) if i.state != schema.ISSUE_DONE]


def workload_status(program: Program, as_of: date) -> list[dict]:
    hours: dict[tuple[str, int, int], float] = defaultdict(float)
    for r in program.support:  # keyed by (year, month) numbers: formatting 5,000 dates would cost more than the sum
        if r.date <= as_of and r.hours is not None:
            hours[(r.staff or "（未記入）", r.date.year, r.date.month)] += r.hours
    return [{"staff": staff, "month": f"{y:04d}-{m:02d}", "hours": round(h, 2)}
            for (staff, y, m), h in sorted(hours.items())]


# ---------------------------------------------------------------- the whole status, and its warnings

def compute_status(program: Program, as_of: date, previous: dict | None = None) -> Status:
    program.require(schema.NEEDS["status"], "状況の集計")
    status = Status(as_of, usage_status(program, as_of), budget_status(program, as_of),
                    productivity_status(program), contact_status(program, as_of),
                    event_status(program, as_of), meeting_status(program, as_of), issue_status(program, as_of),
                    workload_status(program, as_of))
    status.warnings = _warnings(program, status)
    status.changes = changes_since(previous, status.as_json()) if previous else None
    return status


def status_warnings(program: Program, as_of: date) -> list[dict] | None:
    """The warnings of ``toolkit status`` as of ``as_of`` (for check and the 集計 sheet); None where the book
    lacks a sheet the status reads (that sheet's own finding says so)."""
    try:
        return compute_status(program, as_of).warnings
    except MissingInput:
        return None


def _warnings(program: Program, st: Status) -> list[dict]:
    """status.md's warnings, area by area (a company not measurable by the contract's end, or with fewer than six
    months of support in its 実績 year, is warned of from the program's start: the 協議 happens in autumn). Each
    names the company it concerns (None for the program as a whole): the 状況報告書 groups them by company."""
    return [{"area": area, "message": message, "company": company} for area, rule in _WARNING_RULES
            for company, message in rule(program, st)]


def _usage_warnings(program: Program, st: Status):
    u, target = st.usage, program.settings.usage_target
    if u["status"] in ("注意", "遅れ"):
        yield None, (f"利用回数は {u['to_date']:,} 回で、今のペース（1日 {u['recent_pace']} 回）では利用終了日までに "
               f"{u['projected']:,} 回の見込みです（目標 {target:,} 回。必要なペースは1日 {u['required_pace']} 回）")
    for cid in u["idle_companies"]:
        yield cid, f"{cid}は利用中のサービスがあるのに、直近{WINDOW_DAYS}日の利用がありません"


def _budget_warnings(program: Program, st: Status):
    for c in st.budget["companies"]:
        if c["breach_month"]:
            yield c["company"], f"{c['company']}は計画どおりに払うと{c['breach_month']}に上限{c['cap']:,}円を超えます"
    if st.budget["projected_balance"] is not None and st.budget["projected_balance"] < 0:
        yield None, f"執行見込総額が委託料を{-st.budget['projected_balance']:,}円超えます"


def _productivity_warnings(program: Program, st: Status):
    short = []
    for c in st.productivity["companies"]:
        if c["measurable_by_contract_end"] is False:
            yield c["company"], (f"{c['company']}は実績期の決算書が{c['statements_expected']}の見込みで、契約終了日"
                   f"（{program.settings.contract_end.isoformat()}）までに労働生産性を測れません。試算表による暫定の"
                   "算定を委託者と協議してください")
        elif c["support_months"] is not None and c["support_months"] < SHORT_SUPPORT_MONTHS:
            short.append(f"{c['company']}（{c['support_months']}か月）")
    if short:  # one line: it is one proposal to the city, not twenty
        yield None, (f"実績期に含まれる支援が{SHORT_SUPPORT_MONTHS}か月に満たない企業があります（変化を測るには短い期間です）："
               + "、".join(short))


def _contact_warnings(program: Program, st: Status):
    limit = program.settings.contact_interval_days
    for c in st.contacts:
        if c["days_since"] is not None and c["days_since"] > limit and _active(program, c["company"], st.as_of):
            yield c["company"], f"{c['company']}に{c['days_since']}日連絡していません（上限{limit}日）"
        if c["overdue"]:
            yield c["company"], f"{c['company']}の次回予定日{c['next_planned']}を過ぎても支援の記録がありません"


def _event_warnings(program: Program, st: Status):
    if not st.events["kickoff"]["held"] and st.as_of > program.settings.usage_start + timedelta(days=KICKOFF_DAYS):
        yield None, f"説明会・ワークショップが利用開始日から{KICKOFF_DAYS}日以内に開かれていません"


def _meeting_warnings(program: Program, st: Status):
    for month in st.meetings["months_without"]:
        yield None, f"{month}に委託者との会議の記録がありません"
    for meeting_id in st.meetings["late_minutes"]:
        yield None, f"会議{meeting_id}の会議記録が開催から{program.settings.minutes_due_days}日以内に作成されていません"


def _issue_warnings(program: Program, st: Status):
    for issue in st.issues:
        if issue["overdue"]:
            yield None, f"課題{issue['id']}が期限{issue['due']}を過ぎています（{issue['state'] or '状態未記入'}）"


_WARNING_RULES = (("usage", _usage_warnings), ("budget", _budget_warnings), ("productivity", _productivity_warnings),
                  ("contacts", _contact_warnings), ("events", _event_warnings), ("meetings", _meeting_warnings),
                  ("issues", _issue_warnings))


# ---------------------------------------------------------------- what the screen and the 状況報告書 show

AREAS = {"usage": "利用回数", "budget": "予算", "productivity": "労働生産性", "contacts": "連絡",
         "events": "説明会・成果共有会", "meetings": "委託者との会議", "issues": "課題"}


def lights(st: Status) -> dict[str, str]:
    """area -> green / yellow / red: yellow where a warning is, red where the target or a deadline is already
    missed or will be (usage 遅れ, a breach month or a negative balance ahead, a company not measurable by the
    contract's end, an overdue issue)."""
    warned = {w["area"] for w in st.warnings}
    out = {area: "yellow" if area in warned else "green" for area in AREAS}
    if st.usage["status"] == "遅れ":
        out["usage"] = "red"
    if any(c["breach_month"] for c in st.budget["companies"]) or (st.budget["projected_balance"] or 0) < 0:
        out["budget"] = "red"
    if any(c["measurable_by_contract_end"] is False for c in st.productivity["companies"]):
        out["productivity"] = "red"
    if any(i["overdue"] for i in st.issues):
        out["issues"] = "red"
    return out


def headlines(st: Status) -> dict[str, str]:
    """area -> the one line the terminal and the 状況報告書's summary show beside its light."""
    u, b, p = st.usage, st.budget, st.productivity["companies"]
    balance = b["projected_balance"]
    return {
        "usage": f"{u['to_date']:,}回、見込み{u['projected']:,}回（{u['status']}）",
        "budget": f"計上{b['booked_total']:,}円、見込み{b['projected_total']:,}円"
                  + ("" if balance is None else f"、残額見込み{balance:,}円"),
        "productivity": f"契約期間内に測れない企業{sum(c['measurable_by_contract_end'] is False for c in p)}社",
        "contacts": f"次回予定日を過ぎた企業{sum(c['overdue'] for c in st.contacts)}社",
        "events": "説明会・ワークショップ" + ("開催済" if st.events["kickoff"]["held"] else "未開催"),
        "meetings": f"会議のない月{len(st.meetings['months_without'])}、記録の遅れ{len(st.meetings['late_minutes'])}件",
        "issues": f"未完了{len(st.issues)}件（期限切れ{sum(i['overdue'] for i in st.issues)}件）",
    }


def usage_curve(program: Program, as_of: date) -> list[tuple[date, int]]:
    """The cumulative counted usage (the KPI's rows) at the end of each day from 利用開始日 to the as-of date
    (利用終了日 at the latest): the line the 状況報告書 draws against the straight line to the target."""
    s = program.settings
    last = min(as_of, s.usage_end)
    per_day: dict[date, int] = defaultdict(int)
    for u in counted_usage(program):
        per_day[u.date] += 1
    out, running, day = [], 0, s.usage_start
    while day <= last:
        running += per_day.get(day, 0)
        out.append((day, running))
        day += timedelta(days=1)
    return out


def changes_since(previous: dict, current: dict) -> dict:
    """What moved since the previous 状況報告 (its JSON, kept beside the report)."""
    def number(report: dict, *path: str):
        for key in path:
            report = report.get(key) if isinstance(report, dict) else None
        return report

    figures = {"usage_to_date": ("usage", "to_date"), "usage_projected": ("usage", "projected"),
               "booked_total": ("budget", "booked_total"), "projected_total": ("budget", "projected_total")}
    moved = {name: {"from": number(previous, *path), "to": number(current, *path)} for name, path in figures.items()
             if number(previous, *path) != number(current, *path)}
    before = {w["message"] for w in previous.get("warnings") or [] if isinstance(w, dict)}
    now = {w["message"] for w in current.get("warnings") or []}
    return {"since": previous.get("as_of"), "figures": moved, "new_warnings": sorted(now - before),
            "resolved_warnings": sorted(before - now)}
