"""成果品冊子: every deliverable bound into one A4 PDF (seed 8(2)ア: 冊子1部, 簡易製本).

Built from the same .docx files as the separate deliverables. One LibreOffice pass converts them all; the page
counts of the PDFs then give each part's first page. A second, small pass converts three documents that need
those numbers: the cover and 目次 (成果品冊子.docx), the business report with its own 目次 shifted to booklet
pages, and a page-number sheet (the plan template's footer on blank pages, numbered 1…N). pypdf binds the parts
behind the cover and 目次, removes each part's own footer text and lays the page-number sheet on top, so the
numbers run straight through; the PDF's page labels match the printed numbers (the cover is 表紙).
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from toolkit.errors import DocumentError
from toolkit.model import Program
from toolkit.outputs import remembered

from . import catalog, contexts
from .build import Figures, Progress, TocPass, charts, plan_jobs, prepare, render, report_jobs, say
from .names import UniqueNames, file_name, inside
from .paging import bind, number_sheet, page_count
from .pdf import Converter
from .render import render_docx

BOOKLET_NAME = catalog.BOOKLET
GUTTER_MM = 5  # the binding's inner margin (簡易製本): the templates' 20 mm side margins leave room for it


def _parts(f: Figures, report_pdfs: list[Path], plan_pdfs: list[Path]) -> list[tuple[str, str, Path]]:
    """(title, group, pdf) in booklet order: the three reports, then as 資料 the plans, the 支援記録簿, the minutes."""
    p = f.program
    business, budget, kpi, support, *minutes = report_pdfs
    parts = [(catalog.BUSINESS_REPORT, "本編", business), (catalog.BUDGET_REPORT, "本編", budget),
             (catalog.KPI_REPORT, "本編", kpi)]
    for company, pdf in zip(p.companies, plan_pdfs):
        parts.append((f"{catalog.PLAN}（{company.company_id}　{contexts.base.free_text(company.name)}）", "資料",
                      pdf))
    parts.append((catalog.SUPPORT_LOG, "資料", support))
    for number, (meeting, pdf) in enumerate(zip(contexts.minutes.ordered(p), minutes), 1):
        parts.append((f"{catalog.MINUTES}（第{number}回　{contexts.base.reiwa(meeting.date)}）", "資料", pdf))
    return parts


def _bind_booklet(f: Figures, figures: dict, converter: Converter, report_docx: list[Path], report_pdfs: list[Path],
                  plan_pdfs: list[Path], work: Path, templates_dir: Path | None, target: Path,
                  progress: Progress, also: Sequence[TocPass] = ()) -> None:
    """Second pass and binding; ``also``: 目次 passes of other copies converted in the same LibreOffice call."""
    parts = _parts(f, report_pdfs, plan_pdfs)
    counts = [page_count(pdf) for _, _, pdf in parts]
    business_docx = work / f"{report_docx[0].stem}_冊子用.docx"  # its 目次 in booklet pages
    front_pages = 2  # the cover and a one-page 目次; checked below and redone if the 目次 ran longer
    for _ in range(3):
        starts, page = [], front_pages  # printed numbers start at 1 on the 目次 (the cover is unnumbered)
        for n in counts:
            starts.append(page)
            page += n
        total = page  # every page of the booklet, the cover included
        entries = [{"title": t, "group": g, "page": str(s)} for (t, g, _), s in zip(parts, starts)]
        say(progress, "表紙・目次とページ番号を作成しています…")
        front_docx = render_docx(catalog.template_path(BOOKLET_NAME, templates_dir),
                                 f.context(contexts.booklet_context(f.program, f.issued_on, entries)),
                                 work / "表紙・目次.docx")
        toc = TocPass(f, figures, business_docx, report_pdfs[0], work, templates_dir, offset=starts[0] - 1)
        numbers = number_sheet(catalog.template_path(catalog.PLAN, templates_dir), total - 1,
                               contexts.base.common(f.program, f.issued_on), work / "ページ番号.docx")
        front, toc_pdf, sheet, *others = converter.start([front_docx, toc.input, numbers, *(t.input for t in also)],
                                                         work / "pass2", instances=1).wait()
        for other, pdf in zip(also, others):
            other.finish(pdf, other.pdf, converter)
        also = ()
        if page_count(front) == front_pages:
            break
        front_pages = page_count(front)
    if page_count(sheet) < total - 1:
        raise DocumentError("成果品冊子のページ番号を作成できませんでした（ページ数が合いません）。")
    say(progress, "冊子にまとめています…")
    business = toc.finish(toc_pdf, work / f"{report_docx[0].stem}_冊子用.pdf", converter)
    bound = [(parts[0][0], business), *((title, pdf) for title, _, pdf in parts[1:])]
    bind([front], bound, sheet, target, numbered_from=1, labels=True, gutter_mm=GUTTER_MM,
         title=f"{contexts.base.common(f.program, f.issued_on)['program_name']} {BOOKLET_NAME}")
    say(progress, f"{target.name} を作成しました")


def _parts_pdfs(f: Figures, converter: Converter, plan_dir: Path, report_dir: Path, templates_dir: Path | None,
                progress: Progress) -> tuple[dict, list[Path], list[Path], list[Path], list[Path]]:
    """Render the plans and hand them to one LibreOffice while the charts are drawn and the reports rendered, then
    share the reports between both (the one done with the plans takes the smaller share); returns the charts and
    the .docx and PDFs of both."""
    names = UniqueNames()
    plan_docx = render(plan_jobs(f, [c.company_id for c in f.program.companies]), plan_dir, templates_dir,
                       progress, names)
    plans = converter.start(plan_docx, plan_dir, instances=1)
    say(progress, "グラフを作成しています…")
    figures = charts(f)
    report_docx = render(report_jobs(f, figures), report_dir, templates_dir, progress, names)
    say(progress, f"PDF に変換しています（{len(plan_docx) + len(report_docx)}件）…")
    reports = converter.start(report_docx, report_dir)
    return figures, plan_docx, plans.wait(), report_docx, reports.wait()


@contextmanager
def _run(program: Program, out_dir: Path, issued_on: date | None,
         draft: bool = False) -> Iterator[tuple[Figures, Path, Path, Converter]]:
    """The figures (refused when a sheet is missing, or rows with errors are left out and this is no draft), the
    booklet's path, a work folder and warm LibreOffice."""
    f = prepare(program, "booklet", issued_on, draft)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = inside(out_dir, file_name(BOOKLET_NAME, suffix=".pdf"))
    with tempfile.TemporaryDirectory(prefix="toolkit-booklet-") as tmp, Converter(required=True) as converter:
        yield f, target, Path(tmp), converter


def build_booklet(program: Program, out_dir: Path, *, progress: Progress = None, issued_on: date | None = None,
                  templates_dir: Path | None = None, draft: bool = False) -> Path:
    """The booklet PDF in ``out_dir`` (成果品冊子.pdf); nothing else is left there."""
    with _run(program, out_dir, issued_on, draft) as (f, target, work, converter):
        figures, _, plan_pdfs, report_docx, report_pdfs = _parts_pdfs(f, converter, work / "plans",
                                                                      work / "reports", templates_dir, progress)
        _bind_booklet(f, figures, converter, report_docx, report_pdfs, plan_pdfs, work, templates_dir, target,
                      progress)
    return target


@remembered
def build_all(program: Program, out_dir: Path, *, progress: Progress = None, issued_on: date | None = None,
              templates_dir: Path | None = None) -> list[Path]:
    """Every deliverable as .docx and .pdf, and the booklet, from one pass of LibreOffice over them (the demo)."""
    with _run(program, out_dir, issued_on) as (f, target, work, converter):
        figures, plan_docx, plan_pdfs, report_docx, report_pdfs = _parts_pdfs(f, converter, Path(out_dir),
                                                                              Path(out_dir), templates_dir, progress)
        standalone = TocPass(f, figures, report_docx[0], report_pdfs[0], work, templates_dir)
        _bind_booklet(f, figures, converter, report_docx, report_pdfs, plan_pdfs, work, templates_dir, target,
                      progress, also=[standalone])
    return plan_docx + report_docx + plan_pdfs + report_pdfs + [target]
