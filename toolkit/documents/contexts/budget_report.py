"""予算執行状況報告書: the data of the budget report (the wording is in 予算執行状況報告書.docx)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from toolkit import schema
from toolkit.budget import STATUS_LABELS, BudgetReport
from toolkit.model import Program
from toolkit.status import budget_status

from ..formats import free_text, or_dash, ratio_pct, reiwa, reiwa_month, shares, yen
from .base import common, company_name, month_label

COST_LINES = (schema.COST_CLOUD, schema.COST_SETUP, schema.COST_CONSULTING, schema.COST_COMMON)


def lines(budget: BudgetReport) -> list[dict]:
    """Executed amount and share per cost line, then the total."""
    companies = budget.companies.values()
    amounts = [
        (f"（1）{schema.COST_CLOUD}", sum(c.cloud_service for c in companies)),
        (f"（2）{schema.COST_SETUP}", sum(c.setup_support for c in companies)),
        (f"（3）{schema.COST_CONSULTING}", sum(c.consulting_support for c in companies)),
        (schema.COST_COMMON, budget.common),
    ]
    total = budget.grand_total
    rows = [{"label": name, "amount": yen(v), "share": share}
            for (name, v), share in zip(amounts, shares([v for _, v in amounts]))]
    rows.append({"label": "合計", "amount": yen(total), "share": ratio_pct(1.0 if total else None)})
    return rows


def execution(program: Program, budget: BudgetReport, issued_on: date) -> dict:
    """委託料, executed total, 残額 and rate as of the document date (委託料 empty: the sum is not stated)."""
    contract = program.settings.contract_sum
    return {
        "as_of": reiwa(issued_on), "executed": yen(budget.grand_total),
        "has_contract_sum": contract is not None,
        "contract_sum": yen(contract) if contract is not None else "",
        "remaining": yen(contract - budget.grand_total) if contract is not None else "",
        "over_contract": contract is not None and budget.grand_total > contract,
        "rate": ratio_pct(budget.grand_total / contract) if contract else "",
    }


BUDGET_SETTINGS = (("budget_cloud", schema.COST_CLOUD, "（1）"), ("budget_setup", schema.COST_SETUP, "（2）"),
                   ("budget_consulting", schema.COST_CONSULTING, "（3）"), ("budget_common", schema.COST_COMMON, ""))


def cloud_annex(program: Program) -> list[dict]:
    """別紙: each company's (1) クラウドサービス経費 on the 委託料, row by row in date order — the month, what it is
    (摘要: the service and the month it pays for), the amount and its 証憑番号 — so the city can check the figures of
    the report against the vouchers. Contractor-borne rows are in section 5, not here."""
    rows: dict[str, list] = {}
    for e in sorted(program.expenses, key=lambda e: (e.date, e.row)):
        if e.line == schema.COST_CLOUD and e.company_id and e.bearer != schema.BORNE_BY_CONTRACTOR:
            rows.setdefault(e.company_id, []).append(e)
    return [{"id": c.company_id, "name": free_text(c.name), "total": yen(sum(e.amount for e in rows[c.company_id])),
             "rows": [{"date": reiwa(e.date), "description": or_dash(e.description), "amount": yen(e.amount),
                       "voucher": or_dash(e.voucher)} for e in rows[c.company_id]]}
            for c in program.companies if c.company_id in rows]


def budget_lines(program: Program, budget: BudgetReport) -> list[dict]:
    """予算額, 執行額, 残額 and 執行率 (執行額 ÷ 予算額) per 費目 whose 予算額 is set in 設定; [] when none is."""
    executed = {line: sum(m.get(line, 0) for m in budget.by_month.values()) for _, line, _ in BUDGET_SETTINGS}
    rows = []
    for key, line, mark in BUDGET_SETTINGS:
        amount = getattr(program.settings, key)
        if amount is not None:
            rows.append({"label": f"{mark}{line}", "budget": yen(amount), "executed": yen(executed[line]),
                         "remaining": yen(amount - executed[line]), "rate": ratio_pct(executed[line] / amount)})
    return rows


def closing(program: Program, budget: BudgetReport, issued_on: date) -> dict:
    """What a closing statement states beside the executed total: the fees planned but not booked yet (status.md's
    projection as of the document date), the total they lead to, and the last month with (1) クラウドサービス経費
    booked when it is before the usage period's last month (the invoices of the last months come late)."""
    unbooked = sum(c["unbooked"] for c in budget_status(program, issued_on)["companies"])
    last = max((m for m, amounts in budget.by_month.items() if amounts.get(schema.COST_CLOUD)), default=None)
    end = program.settings.usage_end
    short = last is not None and last < f"{end:%Y-%m}"
    return {"unbooked": yen(unbooked), "has_unbooked": unbooked > 0, "projected": yen(budget.grand_total + unbooked),
            "booked_through": month_label(last) if short else "",
            "usage_end_month": reiwa_month(end.year, end.month)}


def contractor_borne(program: Program, budget: BudgetReport) -> dict:
    """Amounts the contractor bears (経費.負担区分 受託者): listed, never in the 執行額 or against a cap."""
    rows = [{"id": r["expense_id"], "company": company_name(program, r["company"]), "line": r["line"],
             "amount": yen(r["amount"]), "meeting": r["meeting_id"] or "—"} for r in budget.contractor_borne]
    return {"rows": rows, "total": yen(sum(r["amount"] for r in budget.contractor_borne))}


def budget_report_context(program: Program, budget: BudgetReport, issued_on: date) -> dict:
    companies = list(budget.companies.values())
    cloud = sum(b.cloud_service for b in companies)
    caps = sum(b.cap for b in companies)
    by_status = defaultdict(list)
    for b in companies:
        by_status[b.status].append(free_text(b.name))
    months, sums = [], dict.fromkeys(COST_LINES, 0)
    for key, amounts in budget.by_month.items():
        values = [amounts.get(line, 0) for line in COST_LINES]
        for line, v in zip(COST_LINES, values):
            sums[line] += v
        months.append({"label": month_label(key), "cloud": yen(values[0]), "setup": yen(values[1]),
                       "consulting": yen(values[2]), "common": yen(values[3]), "total": yen(sum(values))})
    return {
        **common(program, issued_on),
        **execution(program, budget, issued_on),
        **closing(program, budget, issued_on),
        "tax": program.settings.tax_basis,
        "budget_lines": budget_lines(program, budget),
        "borne": contractor_borne(program, budget),  # not "contractor": that is the contractor's name (common)
        "n_companies": len(companies),
        "company_sum": yen(sum(b.total for b in companies)),
        "common_total": yen(budget.common),
        "cap_default": yen(budget.cap_default),
        "warn_pct": f"{program.settings.warn_ratio * 100:g}%",
        "totals": lines(budget),
        "companies": [{
            "id": b.company_id, "name": free_text(b.name), "cloud": yen(b.cloud_service),
            "setup": yen(b.setup_support), "consulting": yen(b.consulting_support), "total": yen(b.total),
            "cap": yen(b.cap) + ("＊" if b.cap_overridden else ""), "rate": ratio_pct(b.execution_rate),
            "planned": yen(b.planned_cloud_service), "status": STATUS_LABELS[b.status],
        } for b in companies],
        "company_total": {"cloud": yen(cloud), "setup": yen(sum(b.setup_support for b in companies)),
                          "consulting": yen(sum(b.consulting_support for b in companies)),
                          "total": yen(sum(b.total for b in companies)), "cap": yen(caps),
                          "rate": ratio_pct(cloud / caps if caps else None)},
        "any_cap_overridden": any(b.cap_overridden for b in companies),
        "over": by_status["over"], "plan_over": by_status["plan_over"], "warning": by_status["warning"],
        "common_items": [{"description": free_text(d), "amount": yen(a)} for d, a in budget.common_items],
        "months": months,
        "annex": cloud_annex(program),
        "months_total": {"cloud": yen(sums[COST_LINES[0]]), "setup": yen(sums[COST_LINES[1]]),
                         "consulting": yen(sums[COST_LINES[2]]), "common": yen(sums[COST_LINES[3]]),
                         "total": yen(sum(sums.values()))},
    }
