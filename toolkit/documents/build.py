"""The deliverables, end to end: Program → figures → contexts → .docx (→ .pdf). Called by the CLI and Excel."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit import schema
from toolkit.budget import BudgetReport, compute_budget
from toolkit.errors import UnknownCompany
from toolkit.kpi import KpiReport, compute_kpis
from toolkit.model import Program
from toolkit.validity import usable

from . import catalog, contexts
from .chart_data import CHART_NAMES, chart_jobs, draw
from .names import UniqueNames, inside
from .pdf import Converter
from .render import Chart, render_docx
from .toc import heading_pages

Progress = Callable[[str], None] | None
CHART_WIDTH_MM = 160
# The job names of schema.NEEDS, and what staff read when a sheet is missing.
JOBS = {"plan": "計画書の作成", "report": "報告書の作成", "booklet": "成果品冊子の作成"}


def say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)


@dataclass(frozen=True)
class Figures:
    """The program as the documents read it (valid rows only), its budget and its KPIs, and the document date."""

    program: Program
    budget: BudgetReport
    kpi: KpiReport
    issued_on: date


def prepare(program: Program, job: str, issued_on: date | None) -> Figures:
    """Refuse (MissingInput) when a sheet or column the job needs is missing; never a document from an absent sheet."""
    program.require(schema.NEEDS["report" if job == "booklet" else job], JOBS[job])
    # Documents list what the figures count: valid rows only (a row with an error is out of both).
    return Figures(usable(program), compute_budget(program), compute_kpis(program),
                   contexts.document_date(program, issued_on))


@dataclass(frozen=True)
class Job:
    """One document to write: its template, the parts of its file name and its context."""

    document: str
    parts: tuple[str, ...]
    context: dict


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


def plan_jobs(f: Figures, company_ids: Sequence[str]) -> list[Job]:
    companies = f.program.company_map
    return [Job(catalog.PLAN, (cid, companies[cid].name),
                contexts.plan_context(f.program, f.budget, f.kpi, cid, f.issued_on)) for cid in company_ids]


def charts(f: Figures) -> dict[str, Chart | str]:
    """Every chart the reports show, drawn once and shared ("" for a chart with no data)."""
    pngs = draw(chart_jobs(f.program, f.budget, f.kpi))
    return {name: Chart(pngs[name], CHART_WIDTH_MM) if name in pngs else "" for name in CHART_NAMES}


def report_jobs(f: Figures, figures: dict[str, Chart | str], toc: list[dict] | None = None) -> list[Job]:
    """Every report, in the order they are written and bound."""
    p, b, k, d = f.program, f.budget, f.kpi, f.issued_on
    jobs = [
        Job(catalog.BUSINESS_REPORT, (), {**contexts.business_report_context(p, b, k, d, toc), **figures}),
        Job(catalog.BUDGET_REPORT, (), {**contexts.budget_report_context(p, b, d), **figures}),
        Job(catalog.KPI_REPORT, (), {**contexts.kpi_report_context(p, k, d), **figures}),
        Job(catalog.SUPPORT_LOG, (), contexts.support_log_context(p, d)),
    ]
    for number, meeting in enumerate(contexts.minutes.ordered(p), 1):
        jobs.append(Job(catalog.MINUTES, (meeting.meeting_id, f"{meeting.date:%Y%m%d}"),
                        contexts.meeting_context(p, meeting, d, number)))
    return jobs


def render(jobs: Sequence[Job], out_dir: Path, templates_dir: Path | None, progress: Progress,
           names: UniqueNames | None = None) -> list[Path]:
    """Write every job's .docx into ``out_dir`` under a name no other file of this run has."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = names or UniqueNames()
    written = []
    for job in jobs:
        target = inside(out_dir, names(job.document, *job.parts))
        render_docx(catalog.template_path(job.document, templates_dir), job.context, target)
        written.append(target)
        say(progress, f"{target.name} を作成しました")
    return written


def fill_report_toc(f: Figures, figures: dict, business_docx: Path, business_pdf: Path,
                    templates_dir: Path | None, offset: int = 0) -> None:
    """Re-render the business report with its 目次 page numbers, read from where the headings fell in its PDF."""
    pages = heading_pages(business_pdf, [title for _, title in contexts.business_report.TOC])
    toc = contexts.toc_entries(pages, offset)
    job = report_jobs(f, figures, toc)[0]
    render_docx(catalog.template_path(job.document, templates_dir), job.context, business_docx)


def build_plans(program: Program, company_ids: Sequence[str] | None, out_dir: Path, *, pdf: bool = False,
                progress: Progress = None, issued_on: date | None = None,
                templates_dir: Path | None = None) -> list[Path]:
    """One 改善活動計画書 per company (all when ``company_ids`` is None); every file written, .docx then .pdf."""
    f = prepare(program, "plan", issued_on)
    ids = select_companies(f.program, company_ids)
    with Converter(enabled=pdf) as converter:
        docx = render(plan_jobs(f, ids), out_dir, templates_dir, progress)
        if not pdf:
            return docx
        say(progress, f"PDF に変換しています（{len(docx)}件）…")
        return docx + converter.convert(docx, Path(out_dir))


def build_reports(program: Program, out_dir: Path, *, pdf: bool = False, progress: Progress = None,
                  issued_on: date | None = None, templates_dir: Path | None = None) -> list[Path]:
    """委託業務報告書, 予算執行状況報告書, KPI実績報告書, 支援記録簿 and one 会議記録 per meeting."""
    f = prepare(program, "report", issued_on)
    with Converter(enabled=pdf) as converter:
        say(progress, "グラフを作成しています…")
        figures = charts(f)
        docx = render(report_jobs(f, figures), out_dir, templates_dir, progress)
        if not pdf:
            return docx
        say(progress, f"PDF に変換しています（{len(docx)}件）…")
        pdfs = converter.convert(docx, Path(out_dir), again=1)
        say(progress, "目次のページ番号を入れています…")
        fill_report_toc(f, figures, docx[0], pdfs[0], templates_dir)
        converter.convert(docx[:1], Path(out_dir))
        return docx + pdfs
