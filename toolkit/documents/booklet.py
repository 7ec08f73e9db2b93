"""成果品冊子: every deliverable bound into one A4 PDF (seed 8(2)ア: 冊子1部, 簡易製本).

Built from the same .docx files as the separate deliverables. One LibreOffice pass converts them all; the page
counts of the PDFs then give each part's first page. A second, small pass converts three documents that need
those numbers: the cover and 目次 (成果品冊子.docx), the business report with its own 目次 shifted to booklet
pages, and a page-number sheet (the plan template's footer on blank pages, numbered 1…N). pypdf binds the parts
behind the cover and 目次, removes each part's own footer text and lays the page-number sheet on top, so the
numbers run straight through; the PDF's page labels match the printed numbers (the cover is 表紙).
"""
from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from toolkit.errors import DocumentError
from toolkit.model import Program

from . import catalog, contexts
from .build import Figures, Progress, charts, fill_report_toc, plan_jobs, prepare, render, report_jobs, say
from .names import UniqueNames, file_name, inside
from .pdf import Converter
from .render import render_docx

FOOTER_BAND_PT = 48  # the bottom 17 mm of a page (the body ends at 20 mm): where a part's own page number is
# A text object as LibreOffice writes it: BT, its absolute position (Td), the text, ET.
_TEXT_OBJECT = re.compile(rb"BT\s+(-?[\d.]+)\s+(-?[\d.]+)\s+Td\b.*?\bET", re.DOTALL)
BOOKLET_NAME = catalog.BOOKLET


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def _number_sheet(template: Path, count: int, context: dict, target: Path) -> Path:
    """``count`` blank pages whose footer is the template's own (the page number), header and body emptied."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document(str(template))
    body = document.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    for section in document.sections:
        section.different_first_page_header_footer = False
        for paragraph in section.header.paragraphs:
            for run in paragraph.runs:
                run.text = ""
    for i in range(count):
        paragraph = document.add_paragraph()
        if i < count - 1:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    staged = target.with_suffix(".template.docx")
    buffer = io.BytesIO()
    document.save(buffer)
    staged.write_bytes(buffer.getvalue())
    render_docx(staged, context, target)  # a footer written with {{ }} by the firm still renders
    staged.unlink()
    return target


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


def _drop_footer_text(page) -> None:
    """Remove a part's own footer text (its page number), so the booklet's number is the only one, on paper and
    in the text a reader searches or copies."""
    contents = page.get_contents()
    if contents is None:
        return
    data = contents.get_data()
    kept = _TEXT_OBJECT.sub(lambda m: b"" if float(m[2]) < FOOTER_BAND_PT else m[0], data)
    if kept != data:
        contents.set_data(kept)
        page.replace_contents(contents)


def _bind(front: Path, parts: Sequence[tuple[str, str, Path]], numbers: Path, target: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(str(front))
    front_pages = len(writer.pages)
    for title, _, pdf in parts:
        writer.append(str(pdf), outline_item=title)  # the part's own bookmarks nest under its title
    sheet = PdfReader(str(numbers)).pages
    for index in range(1, len(writer.pages)):
        page = writer.pages[index]
        overlay = sheet[index - 1]
        if index >= front_pages:
            _drop_footer_text(page)
        page.merge_page(overlay)
    writer.set_page_label(0, 0, prefix="表紙")
    writer.set_page_label(1, len(writer.pages) - 1, style="/D", start=1)
    writer.add_metadata({"/Title": BOOKLET_NAME})
    with open(target, "wb") as out:
        writer.write(out)


def _bind_booklet(f: Figures, figures: dict, converter: Converter, report_docx: list[Path], report_pdfs: list[Path],
                  plan_pdfs: list[Path], work: Path, templates_dir: Path | None, target: Path,
                  progress: Progress, also: Sequence[Path] = ()) -> list[Path]:
    """Second pass and binding; ``also`` are .docx converted in the same LibreOffice call (their PDFs returned)."""
    parts = _parts(f, report_pdfs, plan_pdfs)
    counts = [_pages(pdf) for _, _, pdf in parts]
    business_docx = work / f"{report_docx[0].stem}_冊子用.docx"  # its 目次 in booklet pages
    front_pages = 2  # the cover and a one-page 目次; checked below and redone if the 目次 ran longer
    also_pdfs: list[Path] | None = None
    for _ in range(3):
        starts, page = [], front_pages  # printed numbers start at 1 on the 目次 (the cover is unnumbered)
        for n in counts:
            starts.append(page)
            page += n
        total = page  # every page of the booklet, the cover included
        entries = [{"title": t, "group": g, "page": str(s)} for (t, g, _), s in zip(parts, starts)]
        say(progress, "表紙・目次とページ番号を作成しています…")
        front_docx = render_docx(catalog.template_path(BOOKLET_NAME, templates_dir),
                                 contexts.booklet_context(f.program, f.issued_on, entries), work / "表紙・目次.docx")
        fill_report_toc(f, figures, business_docx, report_pdfs[0], templates_dir, offset=starts[0] - 1)
        numbers = _number_sheet(catalog.template_path(catalog.PLAN, templates_dir), total - 1,
                                contexts.base.common(f.program, f.issued_on), work / "ページ番号.docx")
        front, business, sheet, *others = converter.convert([front_docx, business_docx, numbers, *also],
                                                             work / "pass2", again=2)
        if also_pdfs is None:
            also_pdfs, also = others, ()
        if _pages(front) == front_pages:
            break
        front_pages = _pages(front)
    if _pages(sheet) < total - 1:
        raise DocumentError("成果品冊子のページ番号を作成できませんでした（ページ数が合いません）。")
    say(progress, "冊子にまとめています…")
    _bind(front, [(parts[0][0], parts[0][1], business), *parts[1:]], sheet, target)
    say(progress, f"{target.name} を作成しました")
    return also_pdfs or []


def build_booklet(program: Program, out_dir: Path, *, progress: Progress = None, issued_on: date | None = None,
                  templates_dir: Path | None = None) -> Path:
    """The booklet PDF in ``out_dir`` (成果品冊子.pdf); nothing else is left there."""
    f = prepare(program, "booklet", issued_on)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = inside(out_dir, file_name(BOOKLET_NAME, suffix=".pdf"))
    with tempfile.TemporaryDirectory(prefix="toolkit-booklet-") as tmp, Converter() as converter:
        work = Path(tmp)
        say(progress, "グラフを作成しています…")
        figures = charts(f)
        names = UniqueNames()
        report_docx = render(report_jobs(f, figures), work, templates_dir, progress, names)
        plan_docx = render(plan_jobs(f, [c.company_id for c in f.program.companies]), work, templates_dir,
                           progress, names)
        say(progress, "PDF に変換しています…")
        pdfs = converter.convert(report_docx + plan_docx, work / "pdf", again=2)
        _bind_booklet(f, figures, converter, report_docx, pdfs[:len(report_docx)], pdfs[len(report_docx):], work,
                      templates_dir, target, progress)
    return target


def build_all(program: Program, out_dir: Path, *, progress: Progress = None, issued_on: date | None = None,
              templates_dir: Path | None = None) -> list[Path]:
    """Every deliverable as .docx and .pdf, and the booklet, with one LibreOffice pass over them all (the demo)."""
    f = prepare(program, "booklet", issued_on)
    out_dir = Path(out_dir)
    target = inside(out_dir, file_name(BOOKLET_NAME, suffix=".pdf"))
    with tempfile.TemporaryDirectory(prefix="toolkit-booklet-") as tmp, Converter() as converter:
        work = Path(tmp)
        names = UniqueNames()
        plan_docx = render(plan_jobs(f, [c.company_id for c in f.program.companies]), out_dir, templates_dir,
                           progress, names)
        say(progress, "グラフを作成しています…")
        figures = charts(f)
        report_docx = render(report_jobs(f, figures), out_dir, templates_dir, progress, names)
        say(progress, f"PDF に変換しています（{len(plan_docx) + len(report_docx)}件）…")
        pdfs = converter.convert(plan_docx + report_docx, out_dir, again=2)
        plan_pdfs, report_pdfs = pdfs[:len(plan_docx)], pdfs[len(plan_docx):]
        fill_report_toc(f, figures, report_docx[0], report_pdfs[0], templates_dir)
        (business,) = _bind_booklet(f, figures, converter, report_docx, report_pdfs, plan_pdfs, work, templates_dir,
                                    target, progress, also=[report_docx[0]])
        business.replace(report_pdfs[0])
    return plan_docx + report_docx + pdfs + [target]
