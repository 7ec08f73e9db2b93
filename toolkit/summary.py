"""The 集計 sheet: where the program stands, as a dashboard staff open in Excel.

KPI progress at the top, two native charts (usage by month, cap use by company), one row per company with its
budget lines and KPIs, and the monthly usage the chart draws. The content is a ``SheetLayout`` computed once; the
zip-level writer renders it into the master file, the Excel helper renders the same layout into the open book.
The sheet is the toolkit's own: 「集計を更新」 (or ``toolkit summary``) rewrites it, nothing else in the book
changes. The template colours the status words used here (超過, 超過見込, 警告, 達成, 未達).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from toolkit import schema
from toolkit.audit import audit_row
from toolkit.budget import BudgetReport, compute_budget, excluded
from toolkit.kpi import KpiReport, compute_kpis
from toolkit.model import Program
from toolkit.status import status_warnings
from toolkit.workbook.layout import SUMMARY_FROZEN_ROWS, Cell, Chart, Range, Series, SheetLayout, Style, fit_widths

TITLE = "集計（予算の執行状況と KPI の進み具合）"
NOTE = ("このシートは「集計を更新」ボタン（コマンドでは toolkit summary）で書き換わります。"
        "手で書き込んだ内容は次の更新で消えます。")
# Line breaks where a reader expects them (Excel would otherwise wrap a Japanese header at any character).
COMPANY_HEADERS = ("企業ID", "企業名", "(1) クラウド\nサービス経費", "(1) の\n計画額", "上限", "執行率", "計画の\n上限比",
                   "(2) 設定費用", "(3) コンサル・\n訪問費用等", "合計（円）", "予算の状態", "利用回数",
                   "労働生産性\n増加率（%）", "備考")
KPI_HEADERS = ("指標", "実績", "目標", "達成率", "状況")
MONTH_HEADERS = ("月", "利用回数", "累計", "目標に対する累計")
CAP_USE_HEADERS = ("企業名", "実績", "計画額")  # the bar chart's categories and series (named by this header row)
CHART_ROWS = 22  # rows the two charts take, side by side
MAX_ATTENTION = 15  # lines of the 要注意 block (the rest: toolkit status)


def _achieved(flag: bool) -> str:
    return "達成" if flag else "未達"


def usage_by_month(program: Program, kpis: KpiReport) -> list[tuple[str, int]]:
    """Counted usage days (the KPI's own count) per calendar month of the usage period, in order."""
    start, end = program.settings.usage_start, program.settings.usage_end
    months = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month) and len(months) < 120:
        months.append((f"{y}年{m}月", kpis.usage.by_month.get((y, m), 0)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


class _Sheet:
    """Rows being laid out; remembers where each block went so charts can point at it."""

    def __init__(self) -> None:
        self.rows: list[tuple[Cell | None, ...]] = []

    @property
    def next_row(self) -> int:
        return len(self.rows) + 1

    def add(self, *cells: Cell | None) -> int:
        self.rows.append(tuple(cells))
        return len(self.rows)

    def blank(self, count: int = 1) -> None:
        for _ in range(count):
            self.rows.append(())


def _cells(values: tuple[object, ...], styles: tuple[Style, ...]) -> tuple[Cell, ...]:
    return tuple(Cell(v, s) for v, s in zip(values, styles))


def summary_layout(program: Program, budget: BudgetReport, kpis: KpiReport, now: datetime) -> SheetLayout:
    """The 集計 sheet as a layout every writer renders (zip patcher, xlwings, workbook API)."""
    u, p = kpis.usage, kpis.productivity
    settings = program.settings
    sheet = _Sheet()
    sheet.add(Cell(TITLE, "title"))
    sheet.add(Cell("更新日時", "note"), Cell(now, "datetime"))
    sheet.add(Cell(NOTE, "note"))
    left_out, by_sheet = excluded(program, "summary")
    if left_out:  # never a silent exclusion: the figures below lack these rows
        detail = "、".join(f"{name} {n}行" for name, n in by_sheet.items())
        sheet.add(Cell(f"入力エラーのある {left_out}行（{detail}）を集計から除外しています。"
                       "「入力チェック」で確認してください。", "alert"))
    sheet.blank()

    sheet.add(Cell("KPI の進み具合", "section"))
    sheet.add(*_cells(KPI_HEADERS, ("header",) * 5))
    rate = u.total / u.target if u.target else None
    sheet.add(*_cells(("利用回数（回）", u.total, u.target, rate, _achieved(u.achieved)),
                      ("text", "int", "int", "pct", "status")))
    average = None if p.average_change_pct is None else round(p.average_change_pct, 2)
    sheet.add(*_cells(("労働生産性（%）", average, p.target_pct, None, _achieved(p.achieved)),
                      ("text", "change", "change", "text", "status")))
    measured = len(p.by_company)
    sheet.add(Cell(f"利用回数は利用期間（{settings.usage_start:%Y/%m/%d}〜{settings.usage_end:%Y/%m/%d}）の利用日数"
                   "（同じ日・同じサービス・同じ利用領域は1回）。労働生産性は基準期から実績期への増加率の平均"
                   f"（{measured}社で算出、{len(p.missing)}社は決算が揃っていません）。", "note"))
    sheet.blank()

    attention = status_warnings(program, now.date())
    if attention is not None:  # a book lacking a sheet the status reads gets no block (its check says why)
        sheet.add(Cell(f"要注意（{now:%Y/%m/%d} 時点。toolkit status と同じ判定）", "section"))
        for warning in attention[:MAX_ATTENTION] or [{"message": "要注意の項目はありません。"}]:
            sheet.add(Cell("・" + warning["message"], "note"))
        if len(attention) > MAX_ATTENTION:
            sheet.add(Cell(f"ほか {len(attention) - MAX_ATTENTION} 件（toolkit status で一覧）", "note"))
        sheet.blank()

    sheet.add(Cell("グラフ", "section"))
    charts_row = sheet.next_row
    sheet.blank(CHART_ROWS)
    sheet.blank()

    sheet.add(Cell("企業別の状況（金額は円）", "section"))
    sheet.add(*_cells(COMPANY_HEADERS, ("header",) * len(COMPANY_HEADERS)))
    money: tuple[Style, ...] = ("text", "text", "yen", "yen", "yen", "pct", "pct", "yen", "yen", "yen", "status",
                                "int", "change", "text")
    for cid, c in budget.companies.items():
        prod = p.by_company.get(cid)
        notes = [reason for reason in (p.missing_reasons.get(cid),) if reason]
        if c.cap_overridden:
            notes.insert(0, "上限は個別設定")
        sheet.add(*_cells((cid, c.name, c.cloud_service, c.planned_cloud_service, c.cap, c.execution_rate,
                           c.planned_cloud_service / c.cap if c.cap else None, c.setup_support,
                           c.consulting_support, c.total, c.status_label, u.by_company.get(cid, 0),
                           None if prod is None else round(prod.change_pct, 2), "・".join(notes) or None), money))
    sheet.add(*_cells(("共通経費", None, None, None, None, None, None, None, None, budget.common), ("text",) * 9 +
                      ("yen",)))
    sheet.add(*_cells(("総合計", None, None, None, None, None, None, None, None, budget.grand_total,
                       None, u.total), ("header",) * 9 + ("yen", "text", "int")))
    sheet.blank()

    sheet.add(Cell("月別の利用回数", "section"))
    sheet.add(*_cells(MONTH_HEADERS, ("header",) * 4))
    first_month = sheet.next_row
    running = 0
    for label, count in usage_by_month(program, kpis):
        running += count
        sheet.add(*_cells((label, count, running, running / u.target if u.target else None),
                          ("text", "int", "int", "pct")))
    last_month = sheet.next_row - 1
    sheet.blank()

    # The bar chart's data as its own block (name, then the two ratios beside it): every chart reads one
    # contiguous range with its header row, the only source the Excel workbook API's charts/add takes.
    sheet.add(Cell("企業別 上限の使用状況（上限に対する割合）", "section"))
    sheet.add(*_cells(CAP_USE_HEADERS, ("header",) * len(CAP_USE_HEADERS)))
    first_use = sheet.next_row
    for c in budget.companies.values():
        sheet.add(*_cells((c.name, c.execution_rate, c.planned_cloud_service / c.cap if c.cap else None),
                          ("text", "pct", "pct")))
    last_use = sheet.next_row - 1

    charts = []
    if last_month >= first_month:
        charts.append(Chart("column", "月別の利用回数", Range(first_month, 1, last_month, 1),
                            (Series(MONTH_HEADERS[1], Range(first_month, 2, last_month, 2)),),
                            anchor=(charts_row, 1), size=(3, CHART_ROWS)))
    if last_use >= first_use:
        charts.append(Chart("bar", "企業別 上限の使用状況（上限に対する割合）", Range(first_use, 1, last_use, 1),
                            tuple(Series(name, Range(first_use, col, last_use, col))
                                  for col, name in enumerate(CAP_USE_HEADERS[1:], start=2)),
                            anchor=(charts_row, 4), size=(8, CHART_ROWS)))
    return SheetLayout(tuple(sheet.rows), fit_widths(sheet.rows), tuple(charts), freeze_rows=SUMMARY_FROZEN_ROWS)


def summary_audit(now: datetime, operation: str, budget: BudgetReport, kpis: KpiReport) -> dict[str, object]:
    """The 履歴 row of a 集計 rewrite."""
    return audit_row(now, operation, schema.SUMMARY_SHEET, "",
                     f"集計シートを更新（利用回数 {kpis.usage.total:,} 回、総合計 {budget.grand_total:,} 円）")


class Destination(Protocol):
    """Where 集計 is written: the file on disk (``Edits``, one atomic patch), a book in SharePoint (the workbook
    API session), the book open in Excel (``toolkit.excel``). It knows I/O, never rules."""

    def rewrite_sheet(self, sheet: str, layout: SheetLayout) -> None: ...

    def append(self, sheet: str, rows: Sequence[Mapping[str, object]]) -> None: ...


def refresh_summary(program: Program, destination: Destination, now: datetime,
                    operation: str = "集計") -> tuple[BudgetReport, KpiReport]:
    """The 集計 job, written once for the command, the button, the demo and a book in SharePoint: compute (a
    figure whose input is missing refuses here, before anything is written), rewrite 集計, add the 履歴 row."""
    budget, kpis = compute_budget(program), compute_kpis(program)
    destination.rewrite_sheet(schema.SUMMARY_SHEET, summary_layout(program, budget, kpis, now))
    destination.append(schema.AUDIT_LOG.sheet, [summary_audit(now, operation, budget, kpis)])
    return budget, kpis


def refresh_book(location: object, *, now: datetime | None = None, env: Mapping[str, str] = os.environ,
                 on_wait: Callable[[], None] | None = None) -> tuple[BudgetReport, KpiReport]:
    """`toolkit summary`: read → compute → write under the writer lock, so a sync of the same book is either
    wholly before this read or waits until this write is done (``on_wait``: told once when it waits)."""
    from toolkit.load import build_program, load_program
    from toolkit.workbook.location import is_cloud, parse_workbook
    from toolkit.workbook.write import SYNC_WAIT, Edits, transaction, writer_lock

    location = parse_workbook(location)
    now = now or datetime.now().replace(microsecond=0)
    if is_cloud(location):
        from toolkit.errors import WriteError
        from toolkit.workbook.cloud import CloudBook, graph_failures_as

        with graph_failures_as(WriteError), CloudBook(location, env=env) as book, \
                writer_lock(book.sync_path(), wait=SYNC_WAIT, on_wait=on_wait), book.edit() as session:
            program = _readable(lambda sheets: build_program(book.read_raw(sheets)))
            return refresh_summary(program, session, now)
    with transaction(location, on_wait=on_wait, wait=SYNC_WAIT) as tx:
        edits = Edits()
        result = refresh_summary(_readable(lambda sheets: load_program(location, sheets)), edits, now)
        tx.patch(append=edits.rows, replace_sheets=edits.sheets)
        return result


def _readable(load: Callable[[Sequence[str]], Program]) -> Program:
    """The sheets the 要注意 block reads as well, when they can be read; else only 集計's own: a broken staff
    sheet (支援記録 cut off by a crashed save) never blocks the figures, the block is left out instead."""
    from toolkit.errors import WorkbookError

    try:
        return load(schema.sheets_needed("status"))
    except WorkbookError:
        return load(schema.sheets_needed("summary"))
