"""Traceability: for one company, the rows each KPI counted and the rows it left out, with why."""
from __future__ import annotations

from datetime import date

from toolkit import schema
from toolkit.kpi import classify_usage, company_productivity
from toolkit.model import Program


def _iso(value: object) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _error_messages(program: Program, sheet: str) -> dict[int, str]:
    """Row → the first error message naming it (cell errors and row rules)."""
    messages: dict[int, str] = {}
    for f in program.findings:
        if f.sheet == sheet and f.level == "error" and f.row is not None:
            messages.setdefault(f.row, f.message)
    return messages


def trace_company(program: Program, company_id: str) -> dict:
    program.require(schema.NEEDS["kpi"], "KPIの集計")
    company = program.company(company_id)
    counted, skipped = classify_usage(program)
    usage_sheet = schema.USAGE_DAYS.sheet
    errors = _error_messages(program, usage_sheet)

    def usage_row(u, reason: str | None = None) -> dict:
        row = {"row": u.row, "service_id": u.service_id, "area": u.area, "date": _iso(u.date)}
        if reason:
            row["reason"] = reason
        return row

    left_out = [usage_row(u, why) for u, why in skipped if u.company_id == company_id]
    left_out += [usage_row(u, errors.get(u.row, "エラーのある行"))
                 for u in program.rejected.get(usage_sheet, ()) if u.company_id == company_id]
    left_out.sort(key=lambda r: r["row"])
    mine = [usage_row(u) for u in counted if u.company_id == company_id]

    fin_sheet = schema.FINANCIALS.sheet
    fin_errors = _error_messages(program, fin_sheet)
    periods = {f.period: f for f in program.financials if f.company_id == company_id}
    result = company_productivity(company_id, periods.get(schema.PERIOD_BASE), periods.get(schema.PERIOD_ACTUAL))
    rows = [{"row": f.row, "period": f.period, "period_end": _iso(f.period_end), "status": "使用"}
            for f in sorted(periods.values(), key=lambda f: f.row)]
    rows += [{"row": f.row, "period": f.period, "period_end": _iso(f.period_end),
              "status": "除外: " + fin_errors.get(f.row, "エラーのある行")}
             for f in program.rejected.get(fin_sheet, ()) if f.company_id == company_id]
    if isinstance(result, str):
        summary = f"測定できません（{result}）"
        detail = None
    else:
        basis = schema.FINANCIALS.header("total_hours" if result.basis == "hours" else "workers")
        summary = (f"基準 {result.base:,.1f} → 実績 {result.actual:,.1f}（{result.change_pct:+.2f}%、"
                   f"労働投入量は{basis}）")
        detail = {"base": result.base, "actual": result.actual, "change_pct": result.change_pct,
                  "basis": result.basis, "base_value_added": result.base_value_added,
                  "actual_value_added": result.actual_value_added, "base_input": result.base_input,
                  "actual_input": result.actual_input}
    return {
        "company_id": company_id,
        "name": company.name if company else None,
        "usage": {"total": len(mine), "counted": mine, "left_out": left_out},
        "productivity": {"summary": summary, "result": detail, "rows": rows},
    }
