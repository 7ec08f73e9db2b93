"""The deliverables, end to end: Program → figures → contexts → .docx (→ .pdf). Called by the CLI and Excel."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from toolkit import schema
from toolkit.budget import BudgetReport, compute_budget
from toolkit.errors import DocumentError, RowErrors, UnknownCompany, describe_os_error
from toolkit.kpi import KpiReport, compute_kpis
from toolkit.model import Finding, Program
from toolkit.outputs import claim, remembered
from toolkit.status import Status, usage_curve

from . import catalog, contexts
from .chart_data import CHART_NAMES, PART, chart_jobs, draw, status_chart_jobs
from .names import UniqueNames, inside
from .paging import bind, number_sheet, page_count, replace_pages, split_docx, toc_only
from .pdf import INSTANCES, Converter, LibreOfficeMissing
from .render import DRAFT, Chart, render_docx
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
    draft: tuple[Finding, ...] | None = None  # a draft (--draft): the errors of the rows left out; None: final

    def context(self, context: dict) -> dict:
        """A document's context, marked as a draft when this is one (render.py adds 【案】 and the annex)."""
        return context if self.draft is None else {**context, DRAFT: self.draft}


def prepare(program: Program, job: str, issued_on: date | None, draft: bool = False) -> Figures:
    """Refuse (MissingInput) when a sheet or column the job needs is missing; never a document from an absent sheet.
    Refuse (RowErrors) when rows with an error would be left out of the figures, unless this is a draft: a document
    the city pays against never leaves rows out in silence."""
    needs = schema.NEEDS["report" if job == "booklet" else job]
    program.require(needs, JOBS[job])
    excluded = program.excluded_findings(needs)
    if excluded and not draft:
        raise RowErrors(rows_message(excluded), excluded)
    # Documents list what the figures count: valid rows only (a row with an error is out of both).
    return Figures(program, compute_budget(program), compute_kpis(program),
                   contexts.document_date(program, issued_on), excluded if draft else None)


MAX_LISTED = 20  # error lines in the refusal; the rest: toolkit check


def rows_message(excluded: Sequence[Finding]) -> str:
    """The refusal, listing the errors as check does (sheet, row, column: message)."""
    rows = {(f.sheet, f.row) for f in excluded}
    lines = [f"・{f.sheet} {f.row}行目" + (f"「{f.column}」" if f.column else "") + f": {f.message}"
             for f in excluded[:MAX_LISTED]]
    if len(excluded) > MAX_LISTED:
        lines.append(f"ほか {len(excluded) - MAX_LISTED}件（toolkit check で一覧）")
    return (f"入力チェックでエラーとなった {len(rows)}行が集計から外れるため、作成しません。直してから作成するか、"
            "【案】として作成してください（コマンドは --draft、Excel は「案として作成」を「はい」に。除外した行を"
            "別紙に示します）。\n" + "\n".join(lines))


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
                f.context(contexts.plan_context(f.program, f.budget, f.kpi, cid, f.issued_on)))
            for cid in company_ids]


def charts(f: Figures) -> dict[str, Chart | str]:
    """Every chart the reports show, drawn once and shared ("" for a chart with no data)."""
    pngs = draw(chart_jobs(f.program, f.budget, f.kpi))
    parts: dict[str, list[bytes]] = {}
    for job, png in pngs.items():  # in the jobs' order: a chart's parts top to bottom
        parts.setdefault(job.split(PART)[0], []).append(png)
    return {name: Chart(tuple(parts[name]), CHART_WIDTH_MM) if name in parts else "" for name in CHART_NAMES}


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
    return [Job(j.document, j.parts, f.context(j.context)) for j in jobs]


def render(jobs: Sequence[Job], out_dir: Path, templates_dir: Path | None, progress: Progress,
           names: UniqueNames | None = None) -> list[Path]:
    """Write every job's .docx into ``out_dir`` under a name no other file of this run has."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DocumentError(f"出力先を作れません。{describe_os_error(exc, out_dir)}") from None
    names = names or UniqueNames()
    written = []
    for job in jobs:
        target = claim(inside(out_dir, names(job.document, *job.parts)))  # never over a document edited by hand
        try:
            render_docx(catalog.template_path(job.document, templates_dir), job.context, target)
        except PermissionError as exc:  # last time's file open in Word (Windows locks it), or a read-only folder
            raise DocumentError(f"「{target.name}」を書き込めません。Word などで開いていれば閉じてから、もう一度実行して"
                                f"ください。開いていなければ、{describe_os_error(exc, out_dir)}") from None
        except OSError as exc:
            raise DocumentError(f"「{target.name}」を書き込めません。{describe_os_error(exc, out_dir)}") from None
        written.append(target)
        say(progress, f"{target.name} を作成しました")
    return written


def renumber_toc(f: Figures, figures: dict, docx: Path, pdf: Path, templates_dir: Path | None,
                 offset: int = 0) -> dict[str, int]:
    """Render the business report again with its 目次 numbered from where ``pdf`` (its conversion) puts each
    heading, shifted by ``offset``; returns those pages."""
    pages = heading_pages(pdf, [title for _, title in contexts.business_report.TOC])
    job = report_jobs(f, figures, contexts.toc_entries(pages, offset))[0]
    render_docx(catalog.template_path(job.document, templates_dir), job.context, docx)
    return pages


class TocPass:
    """The business report's 目次 filled with page numbers after its first conversion.

    The headings' pages come from the PDF's bookmarks; the report is rendered again with them (the .docx keeps
    them), and only its 目次 page is converted again and put in place of the blank one (paging.toc_only), not
    the whole report. ``offset`` shifts the numbers to booklet pages.
    """

    def __init__(self, f: Figures, figures: dict, docx: Path, pdf: Path, work: Path, templates_dir: Path | None,
                 offset: int = 0) -> None:
        self.docx, self.pdf = docx, pdf
        pages = renumber_toc(f, figures, docx, pdf, templates_dir, offset)
        self.first_heading = pages.get(contexts.business_report.TOC[0][1], 0)
        toc = work / f"{docx.stem}_目次.docx"
        self.input = toc if self.first_heading > 1 and toc_only(docx, toc, self.first_heading - 1) else docx

    def finish(self, converted: Path, target: Path, converter: Converter) -> Path:
        """``target``: the report's PDF with the filled 目次 (the first PDF, or a copy of it at another path)."""
        if self.input == self.docx:
            converted.replace(target)
        elif page_count(converted) == 1:  # the 目次 kept its one page: the layout of the rest is unchanged
            if target != self.pdf:
                shutil.copyfile(self.pdf, target)
            replace_pages(target, self.first_heading - 2, converted)
        else:  # the filled 目次 runs longer than the blank one: convert the whole report
            whole = converter.start([self.docx], converted.parent / "whole", instances=1).wait()[0]
            whole.replace(target)
        return target


@remembered
def build_plans(program: Program, company_ids: Sequence[str] | None, out_dir: Path, *, pdf: bool = False,
                progress: Progress = None, issued_on: date | None = None,
                templates_dir: Path | None = None, draft: bool = False) -> list[Path]:
    """One 改善活動計画書 per company (all when ``company_ids`` is None); every file written, .docx then .pdf."""
    f = prepare(program, "plan", issued_on, draft)
    jobs = plan_jobs(f, select_companies(f.program, company_ids))
    with Converter(enabled=pdf) as converter:
        names = UniqueNames()
        if not pdf:
            return render(jobs, out_dir, templates_dir, progress, names)
        # The first half converts on one LibreOffice while the second half is rendered for the other.
        half = (len(jobs) + 1) // 2
        docx = render(jobs[:half], out_dir, templates_dir, progress, names)
        first = converter.start(docx, out_dir, instances=1)
        docx += render(jobs[half:], out_dir, templates_dir, progress, names)
        say(progress, f"PDF に変換しています（{len(docx)}件）…")
        second = converter.start(docx[half:], out_dir, instances=1)
        return docx + first.wait() + second.wait()


@remembered
def build_reports(program: Program, out_dir: Path, *, pdf: bool = False, progress: Progress = None,
                  issued_on: date | None = None, templates_dir: Path | None = None,
                  draft: bool = False) -> list[Path]:
    """委託業務報告書, 予算執行状況報告書, KPI実績報告書, 支援記録簿 and one 会議記録 per meeting."""
    f = prepare(program, "report", issued_on, draft)
    out_dir = Path(out_dir)
    with Converter(instances=1 if not pdf else INSTANCES) as converter:
        say(progress, "グラフを作成しています…")
        figures = charts(f)
        jobs, names = report_jobs(f, figures), UniqueNames()
        if not pdf:
            written = render(jobs, out_dir, templates_dir, progress, names)
            _number_toc(f, figures, converter, written[0], templates_dir, progress)
            return written
        # The business report converts first, on its own LibreOffice, so its 目次 pass can follow while the other
        # instance still converts the rest.
        business = render(jobs[:1], out_dir, templates_dir, progress, names)
        first = converter.start(business, out_dir, instances=1)
        rest = render(jobs[1:], out_dir, templates_dir, progress, names)
        say(progress, f"PDF に変換しています（{len(rest) + 1}件）…")
        with tempfile.TemporaryDirectory(prefix="toolkit-log-") as tmp:
            log = rest.index(next(p for p in rest if p.stem.startswith(catalog.SUPPORT_LOG)))
            halves = _split_support_log(f, rest[log], Path(tmp))
            # A long 支援記録簿 is most of the work: its halves go to two instances, the small files share them.
            others = converter.start([p for p in rest if not halves or p != rest[log]] + halves, Path(tmp) / "pdf"
                                     if halves else out_dir, instances=2 if halves else 1)
            say(progress, "目次のページ番号を入れています…")
            toc = TocPass(f, figures, business[0], first.wait()[0], Path(tmp), templates_dir)
            toc_pdf = converter.start([toc.input], Path(tmp) / "toc", instances=1)
            converted = others.wait()
            if halves:
                converted = _join_support_log(f, converter, converted, rest[log], out_dir, templates_dir)
            toc.finish(toc_pdf.wait()[0], toc.pdf, converter)
        return business + rest + [out_dir / (p.stem + ".pdf") for p in business + rest]


def _number_toc(f: Figures, figures: dict, converter: Converter, docx: Path, templates_dir: Path | None,
                progress: Progress) -> None:
    """Without --pdf the business report still gets its 目次 page numbers: one LibreOffice pass over it tells where
    each heading falls, and the .docx is rendered again with them. Without LibreOffice the 目次 keeps its field,
    which Word fills with 「フィールド更新」 (README)."""
    say(progress, "目次のページ番号を入れています…")
    with tempfile.TemporaryDirectory(prefix="toolkit-toc-") as tmp:
        try:
            [pdf] = converter.convert([docx], Path(tmp))
        except LibreOfficeMissing:
            say(progress, "LibreOffice がないため目次のページ番号は空欄です（Word で目次を右クリックし「フィールド更新」）。")
            return
        renumber_toc(f, figures, docx, pdf, templates_dir)


def build_status_report(program: Program, status: Status, out_dir: Path, *, pdf: bool = False,
                        progress: Progress = None, issued_on: date | None = None,
                        templates_dir: Path | None = None) -> list[Path]:
    """The 状況報告書 as of ``status.as_of`` (状況報告書_YYYYMMDD.docx, and .pdf with ``pdf``), dated ``issued_on``,
    else the as-of date (not 設定.作成日: that is the closing deliverables' date)."""
    pngs = draw(status_chart_jobs(program, usage_curve(program, status.as_of), status.usage["projected"],
                                  status.as_of))
    context = {**contexts.status_report_context(program, status, issued_on or status.as_of),
               **{name: Chart((png,), CHART_WIDTH_MM) for name, png in pngs.items()}}
    return build_single(catalog.STATUS_REPORT, context, status.as_of, out_dir, pdf=pdf, progress=progress,
                        templates_dir=templates_dir)


@remembered
def build_single(document: str, context: dict, day: date, out_dir: Path, *, pdf: bool = False,
                 progress: Progress = None, templates_dir: Path | None = None) -> list[Path]:
    """One document named ``document_YYYYMMDD`` (the 状況報告書, the 情報管理台帳, the 個人情報消去報告書), and its PDF
    with ``pdf``."""
    with Converter(enabled=pdf) as converter:
        docx = render([Job(document, (f"{day:%Y%m%d}",), context)], out_dir, templates_dir, progress)
        if not pdf:
            return docx
        say(progress, "PDF に変換しています…")
        return docx + converter.start(docx, Path(out_dir), instances=1).wait()


# A 支援記録簿 longer than this is converted as two halves, one per LibreOffice (the 5,000-row program).
SPLIT_SUPPORT_RECORDS = 600


def _split_support_log(f: Figures, docx: Path, work: Path) -> list[Path]:
    """The two halves of a long 支援記録簿 (split before a company's heading, about half the records each), or []."""
    counts = [sum(1 for r in f.program.support if r.company_id == c.company_id) for c in f.program.companies]
    if sum(counts) <= SPLIT_SUPPORT_RECORDS or len(counts) < 2:
        return []
    running, at = 0, 1
    for i, n in enumerate(counts):
        running += n
        if running >= sum(counts) / 2:
            at = max(1, i + 1)
            break
    halves = [work / f"{docx.stem}_1.docx", work / f"{docx.stem}_2.docx"]
    return halves if split_docx(docx, at, *halves) else []


def _join_support_log(f: Figures, converter: Converter, converted: list[Path], docx: Path, out_dir: Path,
                      templates_dir: Path | None) -> list[Path]:
    """Bind the halves' PDFs into the 支援記録簿's PDF, numbered straight through; move the others to out_dir."""
    *others, first, second = converted
    for pdf in others:
        pdf.replace(out_dir / pdf.name)
    total = page_count(first) + page_count(second)
    sheet = number_sheet(catalog.template_path(catalog.SUPPORT_LOG, templates_dir), total,
                         contexts.base.common(f.program, f.issued_on), first.parent / "ページ番号.docx")
    (sheet_pdf,) = converter.start([sheet], first.parent, instances=1).wait()
    target = out_dir / (docx.stem + ".pdf")
    bind([], [(None, first), (None, second)], sheet_pdf, target, numbered_from=0)
    return [*others, target]
