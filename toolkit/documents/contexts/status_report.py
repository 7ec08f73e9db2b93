"""状況報告書: the data of the status report for a meeting with the city (the wording is in 状況報告書.docx).

Every figure comes from the one Status (``toolkit status``'s computation, ``shared/spec/status.md``), so the
document, the terminal and ``--json`` never disagree.
"""
from __future__ import annotations

import re
from datetime import date

from toolkit import schema
from toolkit.model import Program
from toolkit.status import AREAS, Status, add_months, headlines, lights, months_between

from ..formats import DASH, free_text, reiwa, reiwa_text, yen
from .base import NOT_FILLED, common, company_name, month_end_label, month_label

# A light in print: a shape as well as a colour word, so a greyscale copy still reads.
LIGHT_MARKS = {"green": "○ 順調", "yellow": "△ 注意", "red": "× 要対応"}
WORKLOAD_MONTHS = 3  # the as-of month and the two before it
CHANGE_LABELS = {"usage_to_date": "利用回数（累計）", "usage_projected": "利用回数（見込み）",
                 "booked_total": "執行額（計上済）", "projected_total": "執行見込総額"}
MONEY_CHANGES = {"booked_total", "projected_total"}


def _day(iso: str | None) -> str:
    return reiwa(date.fromisoformat(iso)) if iso else DASH


_ISO_MONTH = re.compile(r"(?<![0-9])(20[0-9]{2})-([01][0-9])(?![0-9-])")


def _prose(message: str) -> str:
    """A warning of ``toolkit status`` as the document prints it: its ISO dates and months in 令和."""
    return _ISO_MONTH.sub(lambda m: month_label(m.group(0)), reiwa_text(message))


def _changes(st: Status) -> dict | None:
    if not st.changes:
        return None
    ch = st.changes

    def shown(name: str, value) -> str:
        if value is None:
            return DASH
        return yen(value) if name in MONEY_CHANGES else f"{value:,}回"

    return {"since": _day(ch.get("since")),
            "figures": [{"label": CHANGE_LABELS.get(k, k), "before": shown(k, v["from"]), "now": shown(k, v["to"])}
                        for k, v in ch["figures"].items()],
            "new": [_prose(w) for w in ch["new_warnings"]], "resolved": [_prose(w) for w in ch["resolved_warnings"]]}


def _workload(st: Status) -> dict:
    """Hours per 担当者 in the as-of month and the two before it, and in total to the as-of date."""
    months = months_between(date(*add_months(st.as_of, 1 - WORKLOAD_MONTHS), 1), st.as_of)
    staff: dict[str, dict[str, float]] = {}
    for w in st.workload:
        staff.setdefault(w["staff"], {})[w["month"]] = w["hours"]

    def hours(value: float) -> str:
        return f"{value:,.1f}" if value else DASH

    rows = [{"staff": free_text(name), "months": [hours(by.get(k, 0)) for k in months],
             "total": hours(sum(by.values()))} for name, by in staff.items()]
    return {"labels": [month_label(k) for k in months], "rows": rows}


def _agenda(program: Program, st: Status, light: dict[str, str]) -> list[str]:
    """A draft agenda: the standing items, then one item for each area that needs the city's view."""
    items = ["事業の進捗状況（利用回数と今後の見込み）", "予算の執行状況と見込み"]
    if light["productivity"] == "red" or any(c["basis"] == "暫定" for c in st.productivity["companies"]):
        items.append("労働生産性の算定基礎（決算書が契約期間内に出ない企業の試算表による暫定算定）について")
    breaches = [c["company"] for c in st.budget["companies"] if c["breach_month"]]
    if breaches:
        items.append("上限を超える見込みの企業（" + "、".join(company_name(program, c) for c in breaches)
                     + "）の取扱いについて")
    overdue = [i for i in st.issues if i["overdue"]]
    if overdue:
        items.append("期限を過ぎた課題（" + "、".join(i["id"] for i in overdue) + "）の対応について")
    sharing = st.events["sharing"]
    if sharing["date"] is None or not sharing["in_window"]:
        items.append("成果共有会の日程について")
    items.append("次回会議の日程")
    return items


def status_report_context(program: Program, st: Status, issued_on: date) -> dict:
    s = program.settings
    light, headline = lights(st), headlines(st)
    u, b = st.usage, st.budget
    by_company: dict[str, list[str]] = {}
    for w in st.warnings:
        if w["company"]:
            by_company.setdefault(w["company"], []).append(_prose(w["message"]))
    whole = [_prose(w["message"]) for w in st.warnings if not w["company"]]
    unbooked = sum(c["unbooked"] for c in b["companies"])
    return {
        **common(program, issued_on),
        "as_of": reiwa(st.as_of),
        "areas": [{"name": AREAS[a], "light": LIGHT_MARKS[light[a]], "headline": headline[a]} for a in AREAS],
        "n_warnings": len(st.warnings),
        "usage": {"to_date": f"{u['to_date']:,}回", "target": f"{s.usage_target:,}回",
                  "projected": f"{u['projected']:,}回", "pace": f"{u['recent_pace']:.2f}回",
                  "required": f"{u['required_pace']:.2f}回", "remaining": f"{u['remaining_days']:,}日",
                  "status": u["status"], "before_start": u["status"] == "開始前",
                  "ended": st.as_of >= s.usage_end, "start": reiwa(s.usage_start), "end": reiwa(s.usage_end),
                  "idle": [company_name(program, c) for c in u["idle_companies"]]},
        "budget": {"booked": yen(b["booked_total"]), "unbooked": yen(unbooked), "projected": yen(b["projected_total"]),
                   "has_contract": b["contract"] is not None, "contract": yen(b["contract"]),
                   "balance": yen(b["projected_balance"]),
                   "over": b["projected_balance"] is not None and b["projected_balance"] < 0,
                   "companies": [{"name": company_name(program, c["company"]), "booked": yen(c["booked"]),
                                  "unbooked": yen(c["unbooked"]), "projected": yen(c["projected"]),
                                  "cap": yen(c["cap"]),
                                  "breach": month_label(c["breach_month"]) if c["breach_month"] else DASH}
                                 for c in b["companies"]]},
        "attention": [{"name": company_name(program, c.company_id), "reasons": by_company[c.company_id]}
                      for c in program.companies if c.company_id in by_company],
        "program_warnings": whole,
        "productivity": {
            "companies": [{"name": company_name(program, c["company"]), "start": _day(c["support_start"]),
                           "fy_end": month_end_label(c["fy_end"]), "months": DASH if c["support_months"] is None
                           else f"{c['support_months']}か月", "expected": month_end_label(c["statements_expected"]),
                           "measurable": {True: "可", False: "不可", None: DASH}[c["measurable_by_contract_end"]],
                           "basis": c["basis"]} for c in st.productivity["companies"]],
            "not_measurable": [company_name(program, c["company"]) for c in st.productivity["companies"]
                               if c["measurable_by_contract_end"] is False],
            "contract_end": reiwa(s.contract_end), "provisional": schema.PERIOD_PROVISIONAL},
        "meetings": {"months_without": [month_label(m) for m in st.meetings["months_without"]],
                     "late": st.meetings["late_minutes"], "due_days": s.minutes_due_days},
        "events": {"kickoff_held": st.events["kickoff"]["held"], "kickoff": _day(st.events["kickoff"]["date"]),
                   "sharing": _day(st.events["sharing"]["date"]), "sharing_in_window": st.events["sharing"]["in_window"]},
        "issues": [{"id": i["id"], "title": free_text(i["title"]), "due": _day(i["due"]), "state": i["state"] or NOT_FILLED,
                    "overdue": "期限切れ" if i["overdue"] else ""} for i in st.issues],
        "workload": _workload(st),
        "changes": _changes(st),
        "agenda": _agenda(program, st, light),
    }
