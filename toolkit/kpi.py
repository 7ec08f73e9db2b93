"""The two KPIs of seed section 7, computed exactly as the city defined them, and traceable to rows.

利用回数: usage *days* per cloud service; a service used in several areas counts per area; several accounts or
log-ins on one day count once → distinct (企業ID, サービスID, 利用領域, 利用日) inside the usage period.
労働生産性: 付加価値額 (営業利益 + 人件費 + 減価償却費) ÷ 労働投入量 (総就業時間 when both periods have it, else
労働者数); the KPI is the average of the per-company % change between 基準 and 実績.
"""
from __future__ import annotations

import math
from collections import Counter
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import date

from toolkit import schema
from toolkit.budget import excluded
from toolkit.model import Financial, Program, UsageDay


@dataclass(frozen=True)
class UsageKpi:
    total: int
    target: int
    achieved: bool
    by_company: dict[str, int]
    by_service: dict[str, int]
    by_company_service: dict[str, dict[str, int]]
    by_company_area: dict[str, dict[str, int]]
    by_month: dict[tuple[int, int], int]  # (year, month) -> usage days counted in it (集計's monthly chart)
    # service -> 利用領域 -> days: a service used in two 利用領域 counts in each (the KPI report's rows)
    by_service_area: dict[str, dict[str, int]]
    by_source: dict[str | None, int]  # 出典 (None: not filled) -> days: how the counted days were measured


@dataclass(frozen=True)
class CompanyProductivity:
    company_id: str
    base: float
    actual: float
    change_pct: float
    basis: str
    base_value_added: int
    actual_value_added: int
    base_input: float
    actual_input: float
    base_period_end: date
    actual_period_end: date


@dataclass(frozen=True)
class ProductivityKpi:
    average_change_pct: float | None
    target_pct: float
    achieved: bool
    by_company: dict[str, CompanyProductivity]
    missing: list[str]
    missing_reasons: dict[str, str]
    # Companies without a 実績 yet, measured on a 暫定 row (a 試算表 agreed with the city, status.md), and the
    # average with them: reported beside the KPI, never in its place.
    provisional: dict[str, CompanyProductivity] = field(default_factory=dict)
    average_with_provisional_pct: float | None = None


@dataclass(frozen=True)
class KpiReport:
    fiscal_year: int
    usage: UsageKpi
    productivity: ProductivityKpi
    excluded_rows: int = 0  # rows of the KPIs' sheets left out because of an error (see toolkit check)
    excluded_by_sheet: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        u, p = self.usage, self.productivity
        return {
            "fiscal_year": self.fiscal_year,
            "excluded_rows": self.excluded_rows,
            "excluded_by_sheet": self.excluded_by_sheet,
            "usage": {"total": u.total, "target": u.target, "achieved": u.achieved,
                      "by_company": u.by_company, "by_service": u.by_service},
            "productivity": {
                "average_change_pct": p.average_change_pct, "target_pct": p.target_pct, "achieved": p.achieved,
                "by_company": _measured_json(p.by_company, "確定"),
                "missing": p.missing, "missing_reasons": p.missing_reasons,
                "provisional": _measured_json(p.provisional, "暫定"),
                "average_with_provisional_pct": p.average_with_provisional_pct,
            },
        }


def _measured_json(companies: dict[str, CompanyProductivity], period_basis: str) -> dict[str, dict]:
    """Each measured company as the JSON shows it, with the 決算 it was measured on (確定, or a 暫定 試算表)."""
    return {cid: {"base": c.base, "actual": c.actual, "change_pct": c.change_pct, "basis": c.basis,
                  "period_basis": period_basis} for cid, c in companies.items()}


# ---------------------------------------------------------------- usage

# company_id, service_id, area, date: one usage day. Record fields by position, so 50,000 keys are made at C speed.
usage_key = itemgetter(1, 2, 3, 4)


def counted_usage(program: Program) -> list[UsageDay]:
    """The rows the KPI counts: inside the usage period, the first row (in sheet order) of each distinct key."""
    start, end = program.settings.usage_start, program.settings.usage_end
    inside = [u for u in program.usage if start <= u.date <= end]
    keys = list(map(usage_key, inside))
    # Reversed, each key's earliest row is assigned last and wins; fromkeys keeps the keys in first-seen order.
    earliest = dict(zip(reversed(keys), reversed(inside)))
    return [earliest[k] for k in dict.fromkeys(keys)]


def classify_usage(program: Program) -> tuple[list[UsageDay], list[tuple[UsageDay, str]]]:
    """Valid usage rows → (the rows counted, one per distinct key; the rows not counted, with why)."""
    start, end = program.settings.usage_start, program.settings.usage_end
    counted = counted_usage(program)
    first = {usage_key(u): u.row for u in counted}
    chosen = {u.row for u in counted}
    skipped: list[tuple[UsageDay, str]] = []
    for u in program.usage:
        if u.row in chosen:
            continue
        if not (start <= u.date <= end):
            skipped.append((u, f"利用期間（{start:%Y/%m/%d}〜{end:%Y/%m/%d}）の外"))
        else:
            skipped.append((u, f"同じ日の重複（{first[usage_key(u)]}行目と同じ企業・サービス・利用領域・利用日）"))
    return counted, skipped


def _nested(pairs: Counter) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (outer, inner), n in pairs.items():
        out.setdefault(outer, {})[inner] = n
    return out


def usage_kpi(program: Program) -> UsageKpi:
    counted = counted_usage(program)
    # Counted with Counter over field getters (C speed); counted rows are valid, so every ID is a known one.
    by_company = dict.fromkeys((c.company_id for c in program.companies), 0)
    by_company.update(Counter(map(itemgetter(1), counted)))
    by_service = dict.fromkeys((s.service_id for s in program.services), 0)
    by_service.update(Counter(map(itemgetter(2), counted)))
    by_company_service = {cid: {} for cid in by_company} | _nested(Counter(map(itemgetter(1, 2), counted)))
    by_company_area = {cid: {} for cid in by_company} | _nested(Counter(map(itemgetter(1, 3), counted)))
    by_service_area = {sid: {} for sid in by_service} | _nested(Counter(map(itemgetter(2, 3), counted)))
    by_source = dict(Counter(map(itemgetter(6), counted)))
    by_month: dict[tuple[int, int], int] = {}
    for day, n in sorted(Counter(map(itemgetter(4), counted)).items()):  # a few hundred days, not 50,000 rows
        by_month[(day.year, day.month)] = by_month.get((day.year, day.month), 0) + n
    total = len(counted)
    target = program.settings.usage_target
    return UsageKpi(total, target, total >= target, by_company, by_service, by_company_service, by_company_area,
                    by_month, by_service_area, by_source)


# ---------------------------------------------------------------- productivity

def value_added(f: Financial) -> int:
    return f.operating_profit + f.personnel_cost + f.depreciation


def company_productivity(company_id: str, base: Financial | None,
                         actual: Financial | None) -> CompanyProductivity | str:
    """The company's change, or a Japanese sentence saying why it cannot be measured yet."""
    if base is None and actual is None:
        return "決算（基準・実績）が入力されていません"
    if base is None:
        return "基準期（支援前）の決算がありません"
    if actual is None:
        return "実績期（支援後）の決算がまだありません"
    if base.total_hours is not None and actual.total_hours is not None:
        basis, base_input, actual_input = "hours", base.total_hours, actual.total_hours
    elif base.workers is not None and actual.workers is not None:
        basis, base_input, actual_input = "workers", base.workers, actual.workers
    else:
        return "基準期と実績期で共通の労働投入量（総就業時間または労働者数）がありません"
    base_value = value_added(base) / base_input
    actual_value = value_added(actual) / actual_input
    if base_value == 0:
        return "基準期の付加価値額が0円のため増加率を計算できません"
    # Divide by |base| so a loss that shrinks reads as an improvement.
    change = (actual_value - base_value) / abs(base_value) * 100
    if not all(map(math.isfinite, (base_value, actual_value, change))):
        return "労働投入量が極端に小さいなど、値が計算できる範囲を超えています。決算シートの値を確かめてください"
    return CompanyProductivity(company_id, base_value, actual_value, change, basis, value_added(base),
                               value_added(actual), base_input, actual_input, base.period_end, actual.period_end)


def financial_periods(program: Program) -> dict[str, dict[str, Financial]]:
    """company → 区分 (基準 / 実績 / 暫定) → its 決算 row (a doubled period is left out by the row rules)."""
    periods: dict[str, dict[str, Financial]] = {}
    for f in program.financials:
        periods.setdefault(f.company_id, {})[f.period] = f
    return periods


def productivity_kpi(program: Program) -> ProductivityKpi:
    periods = financial_periods(program)
    by_company: dict[str, CompanyProductivity] = {}
    provisional: dict[str, CompanyProductivity] = {}
    missing: list[str] = []
    reasons: dict[str, str] = {}
    for c in program.companies:
        mine = periods.get(c.company_id, {})
        base = mine.get(schema.PERIOD_BASE)
        result = company_productivity(c.company_id, base, mine.get(schema.PERIOD_ACTUAL))
        if not isinstance(result, str):
            by_company[c.company_id] = result
            continue
        missing.append(c.company_id)
        reasons[c.company_id] = result
        if schema.PERIOD_ACTUAL not in mine and schema.PERIOD_PROVISIONAL in mine:
            estimate = company_productivity(c.company_id, base, mine[schema.PERIOD_PROVISIONAL])
            if not isinstance(estimate, str):
                provisional[c.company_id] = estimate
                reasons[c.company_id] = f"{result}（試算表による暫定値あり）"
    average = _mean(p.change_pct for p in by_company.values())
    with_provisional = _mean(p.change_pct for p in (*by_company.values(), *provisional.values()))
    target = program.settings.productivity_target_pct
    return ProductivityKpi(average, target, average is not None and average >= target, by_company, missing, reasons,
                           provisional, with_provisional)


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def compute_kpis(program: Program) -> KpiReport:
    program.require(schema.NEEDS["kpi"], "KPIの集計")
    left_out, by_sheet = excluded(program, "kpi")
    return KpiReport(program.settings.fiscal_year, usage_kpi(program), productivity_kpi(program), left_out, by_sheet)
