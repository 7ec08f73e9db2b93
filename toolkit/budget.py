"""Budget execution (seed 5(4)): per company cost lines (1)(2)(3), planned cloud cost, cap and status.

Rules from workbook.md: 実績 = Σ 金額 of the company's クラウドサービス経費; 計画額 = Σ (初期費用 + 月額費用 × 利用月数)
over its 導入 rows not 中止, 利用月数 counting calendar months from 開始日 to 終了日 (利用終了日 when empty), both
inclusive. 実績 > cap → over; 計画額 > cap → plan_over; either > 上限警告割合 × cap → warning. Pure functions.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from toolkit import schema
from toolkit.model import Program, Subscription

STATUS_LABELS = {"ok": "適正", "warning": "警告", "plan_over": "超過見込", "over": "超過"}
_LINE_FIELDS = {
    schema.COST_CLOUD: "cloud_service",
    schema.COST_SETUP: "setup_support",
    schema.COST_CONSULTING: "consulting_support",
}
NO_DESCRIPTION = "（摘要なし）"


@dataclass(frozen=True)
class CompanyBudget:
    company_id: str
    name: str
    cloud_service: int
    planned_cloud_service: int
    setup_support: int
    consulting_support: int
    total: int
    cap: int
    cap_overridden: bool
    status: str
    execution_rate: float
    by_month: dict[str, dict[str, int]]
    excluded_rows: int = 0  # its 導入 / 経費 rows left out because of an error: its figures may be short

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_json(self) -> dict:
        return {"cloud_service": self.cloud_service, "planned_cloud_service": self.planned_cloud_service,
                "setup_support": self.setup_support, "consulting_support": self.consulting_support,
                "total": self.total, "cap": self.cap, "status": self.status, "excluded_rows": self.excluded_rows}


@dataclass(frozen=True)
class BudgetReport:
    cap_default: int
    companies: dict[str, CompanyBudget]
    common: int
    common_items: list[tuple[str, int]]
    grand_total: int
    by_month: dict[str, dict[str, int]]
    excluded_rows: int = 0  # rows of the budget's sheets left out because of an error (see toolkit check)
    excluded_by_sheet: dict[str, int] = field(default_factory=dict)
    contractor_borne: list[dict[str, object]] = field(default_factory=list)  # 負担区分 受託者: listed apart

    def as_json(self) -> dict:
        return {"cap_default": self.cap_default, "contractor_borne": self.contractor_borne,
                "companies": {cid: c.as_json() for cid, c in self.companies.items()},
                "common": self.common, "grand_total": self.grand_total,
                "common_items": [{"description": d, "amount": a} for d, a in self.common_items],
                "by_month": self.by_month, "excluded_rows": self.excluded_rows,
                "excluded_by_sheet": self.excluded_by_sheet}


def usage_months(start: date, end: date) -> int:
    """Calendar months from start to end, both inclusive (2025-09-15 … 2026-02-28 → 6)."""
    return max(0, (end.year - start.year) * 12 + end.month - start.month + 1)


def planned_cost(sub: Subscription, usage_end: date) -> int:
    if sub.state == schema.STATE_STOPPED:
        return 0
    months = usage_months(sub.start, sub.end or usage_end)
    return (sub.initial_fee or 0) + (sub.monthly_fee or 0) * months


def status_of(actual: int, planned: int, cap: int, warn_ratio: float) -> str:
    if actual > cap:
        return "over"
    if planned > cap:
        return "plan_over"
    if actual > warn_ratio * cap or planned > warn_ratio * cap:
        return "warning"
    return "ok"


def excluded(program: Program, job: str) -> tuple[int, dict[str, int]]:
    """(rows left out, by sheet) of the sheets a job reads."""
    by_sheet = {t.sheet: n for t in schema.NEEDS[job] if (n := len(program.rejected.get(t.sheet, ())))}
    return sum(by_sheet.values()), by_sheet


def compute_budget(program: Program) -> BudgetReport:
    program.require(schema.NEEDS["budget"], "予算の集計")
    settings = program.settings
    lines: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_LINE_FIELDS.values(), 0))
    company_months: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    program_months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    common_items: dict[str, int] = {}
    common = 0
    contractor_borne: list[dict[str, object]] = []
    for e in program.expenses:
        if e.bearer == schema.BORNE_BY_CONTRACTOR:  # never against the 委託料 or a company's cap (workbook.md)
            contractor_borne.append({"expense_id": e.expense_id, "company": e.company_id, "line": e.line,
                                     "amount": e.amount, "meeting_id": e.meeting_id})
            continue
        month = f"{e.date:%Y-%m}"
        program_months[month][e.line] += e.amount
        if e.line == schema.COST_COMMON:
            common += e.amount
            key = e.description or NO_DESCRIPTION
            common_items[key] = common_items.get(key, 0) + e.amount
            continue
        lines[e.company_id][_LINE_FIELDS[e.line]] += e.amount
        company_months[e.company_id][month][e.line] += e.amount

    planned: dict[str, int] = defaultdict(int)
    for sub in program.subscriptions:
        planned[sub.company_id] += planned_cost(sub, settings.usage_end)

    left_out_by_company: dict[str, int] = defaultdict(int)
    for table in (schema.SUBSCRIPTIONS, schema.EXPENSES):
        for row in program.rejected.get(table.sheet, ()):
            left_out_by_company[row.company_id] += 1

    companies: dict[str, CompanyBudget] = {}
    for c in program.companies:
        amounts = lines[c.company_id]
        cap = program.cap_for(c)
        actual = amounts["cloud_service"]
        companies[c.company_id] = CompanyBudget(
            company_id=c.company_id, name=c.name, cloud_service=actual,
            planned_cloud_service=planned[c.company_id], setup_support=amounts["setup_support"],
            consulting_support=amounts["consulting_support"], total=sum(amounts.values()), cap=cap,
            cap_overridden=c.cap is not None and c.cap != settings.cap_default,
            status=status_of(actual, planned[c.company_id], cap, settings.warn_ratio),
            execution_rate=actual / cap if cap else 0.0,
            by_month={m: dict(v) for m, v in sorted(company_months[c.company_id].items())},
            excluded_rows=left_out_by_company[c.company_id],
        )
    left_out, by_sheet = excluded(program, "budget")
    return BudgetReport(
        cap_default=settings.cap_default, companies=companies, common=common,
        common_items=list(common_items.items()),
        grand_total=sum(c.total for c in companies.values()) + common,
        by_month={m: dict(v) for m, v in sorted(program_months.items())},
        excluded_rows=left_out, excluded_by_sheet=by_sheet, contractor_borne=contractor_borne,
    )
