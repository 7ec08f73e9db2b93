"""The 集計 sheet: budget status per company and KPI progress, so staff see where they stand inside Excel.

The sheet is the toolkit's own; it is rewritten through the zip-level writer, so nothing else in the workbook
changes. The template gives it conditional colours for the status words used here (超過, 超過見込, 警告, 達成, 未達).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from toolkit import schema
from toolkit.budget import BudgetReport, compute_budget
from toolkit.kpi import KpiReport, compute_kpis
from toolkit.model import Program
from toolkit.workbook.layout import Cell, SheetLayout
from toolkit.workbook.read import load_program


def _achieved(flag: bool) -> str:
    return "達成" if flag else "未達"


def summary_rows(program: Program, budget: BudgetReport, kpis: KpiReport, now: datetime) -> list[list[object]]:
    rows: list[list[object]] = [
        ["集計（toolkit summary が書き換えます。手で編集しないでください）", None, None, f"更新 {now:%Y/%m/%d %H:%M}"],
        [],
        ["予算執行状況（円）"],
        ["企業ID", "企業名", "(1)クラウドサービス経費", "(1)計画額", "上限", "執行率（%）", "(2)サポート費（設定費用）",
         "(3)サポート費（コンサル・訪問費用等）", "合計", "状態"],
    ]
    for cid, c in budget.companies.items():
        rows.append([cid, c.name, c.cloud_service, c.planned_cloud_service, c.cap, round(c.execution_rate * 100, 1),
                     c.setup_support, c.consulting_support, c.total, c.status_label])
    rows += [
        ["共通経費", None, None, None, None, None, None, None, budget.common],
        ["総合計", None, None, None, None, None, None, None, budget.grand_total],
        [],
        ["KPI", "実績", "目標", "状況"],
    ]
    u, p = kpis.usage, kpis.productivity
    rows.append(["利用回数（回）", u.total, u.target, _achieved(u.achieved)])
    average = None if p.average_change_pct is None else round(p.average_change_pct, 2)
    rows.append(["労働生産性 平均増加率（%）", average, p.target_pct, _achieved(p.achieved)])
    rows += [[], ["企業別 KPI"], ["企業ID", "企業名", "利用回数", "労働生産性 増加率（%）", "備考"]]
    for c in program.companies:
        prod = p.by_company.get(c.company_id)
        rows.append([c.company_id, c.name, u.by_company.get(c.company_id, 0),
                     None if prod is None else round(prod.change_pct, 2),
                     p.missing_reasons.get(c.company_id, "")])
    return rows


def summary_layout(program: Program, budget: BudgetReport, kpis: KpiReport, now: datetime) -> SheetLayout:
    """The 集計 sheet as a layout every writer renders (zip patcher, xlwings, workbook API)."""
    rows = summary_rows(program, budget, kpis, now)
    return SheetLayout(tuple(tuple(None if v is None else Cell(v) for v in row) for row in rows))


def write_summary(path: str | Path, *, now: datetime | None = None) -> None:
    from toolkit.workbook.write import patch_workbook

    now = now or datetime.now()
    program = load_program(path)
    budget, kpis = compute_budget(program), compute_kpis(program)
    audit = {"日時": now, "操作": "集計", "シート": schema.SUMMARY_SHEET, "キー": "",
             "内容": f"集計シートを更新（利用回数 {kpis.usage.total:,} 回、総合計 {budget.grand_total:,} 円）"}
    patch_workbook(path, append={schema.AUDIT_LOG.sheet: [audit]},
                   replace_sheets={schema.SUMMARY_SHEET: summary_rows(program, budget, kpis, now)})
