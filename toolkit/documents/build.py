"""The deliverables, end to end: Program → figures → contexts → .docx (→ .pdf). Called by the CLI and Excel."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from toolkit import schema
from toolkit.budget import BudgetReport, compute_budget
from toolkit.errors import UnknownCompany
from toolkit.kpi import KpiReport, compute_kpis
from toolkit.model import Program

from . import catalog, context
from .names import file_name, inside
from .pdf import convert_to_pdf
from .render import Chart, render_docx

Progress = Callable[[str], None] | None
CHART_WIDTH_MM = 160
CHART_NAMES = ("chart_usage_company", "chart_usage_service", "chart_productivity", "chart_budget_cap",
               "chart_budget_month")
COST_LINES = (schema.COST_CLOUD, schema.COST_SETUP, schema.COST_CONSULTING, schema.COST_COMMON)
# One colour per 業務分類 (matplotlib's tab10), so a service's bar shows its area at a glance.
AREA_PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22",
                "#17BECF")
CHART_LINE_NAMES = ("(1)クラウドサービス経費", "(2)設定費用", "(3)コンサル・訪問費用等", "共通経費")


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


def _prepare(program: Program) -> tuple[Program, BudgetReport, KpiReport]:
    # Documents list what the figures count: valid rows only (a row with an error is out of both).
    return program, compute_budget(program), compute_kpis(program)


def _with_pdfs(docx: list[Path], out_dir: Path, pdf: bool, progress: Progress) -> list[Path]:
    if not pdf or not docx:
        return docx
    _say(progress, f"PDF に変換しています（{len(docx)}件）…")
    pdfs = convert_to_pdf(docx, out_dir)
    _say(progress, f"PDF を {len(pdfs)}件作成しました")
    return docx + pdfs


def select_companies(program: Program, company_ids: Sequence[str] | None) -> list[str]:
    known = [c.company_id for c in program.companies]
    if company_ids is None:
        return known
    wanted = list(dict.fromkeys(str(c).strip() for c in company_ids))
    unknown = [c for c in wanted if c not in set(known)]
    if unknown:
        sample = "、".join(known[:5]) + ("…" if len(known) > 5 else "")
        raise UnknownCompany(f"企業ID {'、'.join(unknown)} は企業シートにありません"
                             f"（登録されている企業ID: {sample or 'なし'}）")
    return wanted


def build_plans(program: Program, company_ids: Sequence[str] | None, out_dir: Path, *, pdf: bool = False,
                progress: Progress = None, issued_on: date | None = None,
                templates_dir: Path | None = None) -> list[Path]:
    """One 改善活動計画書 per company (all when ``company_ids`` is None); every file written, .docx then .pdf."""
    valid, budget, kpi = _prepare(program)
    ids = select_companies(valid, company_ids)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    issued_on = issued_on or date.today()
    template = catalog.template_path(catalog.PLAN, templates_dir)
    written = []
    companies = valid.company_map
    for company_id in ids:
        target = inside(out_dir, file_name(catalog.PLAN, company_id, companies[company_id].name))
        render_docx(template, context.plan_context(valid, budget, kpi, company_id, issued_on), target)
        written.append(target)
        _say(progress, f"{target.name} を作成しました")
    return _with_pdfs(written, out_dir, pdf, progress)


def chart_jobs(program: Program, budget: BudgetReport, kpi: KpiReport) -> dict[str, tuple[str, tuple, dict]]:
    """Every chart the reports show, as (function of charts.py, args, kwargs): plain data a worker can draw."""
    labels = {cid: context.chart_label(c) for cid, c in program.company_map.items()}
    jobs: dict[str, tuple[str, tuple, dict]] = {}
    u = kpi.usage
    jobs["chart_usage_company"] = ("horizontal_bars", ([labels.get(c, c) for c in u.by_company],
                                                       list(u.by_company.values())), {"xlabel": "利用日数（日）"})
    services = program.service_map
    service_labels = [f"{context.shorten(services[s].name, 14)}（{services[s].area}）" if s in services else s
                      for s in u.by_service]
    colours = [AREA_PALETTE[schema.BUSINESS_AREAS.index(services[s].area) % len(AREA_PALETTE)]
               if s in services and services[s].area in schema.BUSINESS_AREAS else AREA_PALETTE[-1]
               for s in u.by_service]
    jobs["chart_usage_service"] = ("horizontal_bars", (service_labels, list(u.by_service.values())),
                                   {"xlabel": "利用日数（日）", "colours": colours})
    p = kpi.productivity
    if p.by_company:
        jobs["chart_productivity"] = ("change_bars", ([labels.get(c, c) for c in p.by_company],
                                                      [x.change_pct for x in p.by_company.values()]),
                                      {"target": p.target_pct, "average": p.average_change_pct})
    b = list(budget.companies.values())
    if b:
        jobs["chart_budget_cap"] = ("cap_bars", ([labels.get(x.company_id, x.company_id) for x in b],
                                                 [x.cloud_service for x in b], [x.planned_cloud_service for x in b],
                                                 [x.cap for x in b], [x.status for x in b]), {})
    if budget.by_month:
        months = list(budget.by_month)
        series = [(name, [budget.by_month[m].get(line, 0) for m in months])
                  for name, line in zip(CHART_LINE_NAMES, COST_LINES)]
        jobs["chart_budget_month"] = ("stacked_months", ([f"{int(m[5:])}月" for m in months], series), {})
    return jobs


def draw(jobs: dict[str, tuple[str, tuple, dict]]) -> dict[str, bytes]:
    from . import charts  # matplotlib is imported only when a report needs it

    return {name: getattr(charts, fn)(*args, **kwargs) for name, (fn, args, kwargs) in jobs.items()}


def report_contexts(program: Program, budget: BudgetReport, kpi: KpiReport, issued_on: date,
                    figures: dict[str, Chart | str]) -> list[tuple[str, tuple[str, ...], dict]]:
    """(document, file name parts, context) for every report, in the order they are written."""
    jobs = [
        (catalog.BUSINESS_REPORT, (), {**context.business_report_context(program, budget, kpi, issued_on),
                                       **figures}),
        (catalog.BUDGET_REPORT, (), {**context.budget_report_context(program, budget, issued_on), **figures}),
        (catalog.KPI_REPORT, (), {**context.kpi_report_context(program, kpi, issued_on), **figures}),
        (catalog.SUPPORT_LOG, (), context.support_log_context(program, issued_on)),
    ]
    for meeting in sorted(program.meetings, key=lambda m: (m.date, m.row)):
        jobs.append((catalog.MINUTES, (meeting.meeting_id, f"{meeting.date:%Y%m%d}"),
                     context.meeting_context(program, meeting, issued_on)))
    return jobs


def build_reports(program: Program, out_dir: Path, *, pdf: bool = False, progress: Progress = None,
                  issued_on: date | None = None, templates_dir: Path | None = None) -> list[Path]:
    """委託業務報告書, 予算執行状況報告書, KPI実績報告書, 支援記録簿 and one 会議記録 per meeting."""
    valid, budget, kpi = _prepare(program)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    issued_on = issued_on or date.today()

    _say(progress, "グラフを作成しています…")
    # Each chart is drawn once and shared by every report that shows it.
    pngs = draw(chart_jobs(valid, budget, kpi))
    figures = {name: Chart(pngs[name], CHART_WIDTH_MM) if name in pngs else "" for name in CHART_NAMES}

    jobs = report_contexts(valid, budget, kpi, issued_on, figures)
    written = []
    for document, parts, ctx in jobs:
        target = inside(out_dir, file_name(document, *parts))
        render_docx(catalog.template_path(document, templates_dir), ctx, target)
        written.append(target)
        _say(progress, f"{target.name} を作成しました")
    return _with_pdfs(written, out_dir, pdf, progress)
