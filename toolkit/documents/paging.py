"""Page numbers across PDFs that were made separately: bind them and number the pages straight through.

LibreOffice numbers each document from 1. To bind documents (the booklet) or the two halves of a long 支援記録簿
converted on two cores, a page-number sheet is made from a template's own footer (blank pages numbered 1…N, one
more small conversion), each bound page's own footer text is removed, and the sheet's page is laid on top.
"""
from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

from .render import render_docx

FOOTER_BAND_PT = 48  # the bottom 17 mm of a page (the body ends at 20 mm): where a document's page number is
# A text object as LibreOffice writes it: BT, its absolute position (Td), the text, ET.
_TEXT_OBJECT = re.compile(rb"BT\s+(-?[\d.]+)\s+(-?[\d.]+)\s+Td\b.*?\bET", re.DOTALL)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def number_sheet(template: Path, count: int, context: dict, target: Path, first: int = 1) -> Path:
    """``count`` blank pages numbered from ``first`` by the template's own footer (header and body emptied)."""
    import docx
    import docx.oxml
    from docx.enum.text import WD_BREAK
    from docx.oxml.ns import qn

    document = docx.Document(str(template))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    for section in document.sections:
        section.different_first_page_header_footer = False
        header = section.header._element
        for child in list(header):  # no header text and no header rule: only the footer's number is laid on
            header.remove(child)
        header.append(docx.oxml.OxmlElement("w:p"))
        number_from(section._sectPr, first)
    for i in range(count):
        paragraph = document.add_paragraph()
        if i < count - 1:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    staged = target.with_name(target.stem + "_template.docx")
    buffer = io.BytesIO()
    document.save(buffer)
    staged.write_bytes(buffer.getvalue())
    render_docx(staged, context, target)  # a footer the firm wrote with {{ }} still renders
    staged.unlink()
    return target


def number_from(sect_pr, first: int) -> None:
    """Number a section's pages from ``first`` (w:pgNumType, placed where the schema wants it)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    numbering = sect_pr.find(qn("w:pgNumType"))
    if numbering is None:
        numbering = OxmlElement("w:pgNumType")
        later = ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
                 "w:rtlGutter", "w:docGrid")
        anchor = next((el for tag in later if (el := sect_pr.find(qn(tag))) is not None), None)
        anchor.addprevious(numbering) if anchor is not None else sect_pr.append(numbering)
    numbering.set(qn("w:start"), str(first))


def drop_footer_text(page) -> None:
    """Remove a page's own footer text (its page number), so the new number is the only one, on paper and in the
    text a reader searches or copies."""
    contents = page.get_contents()
    if contents is None:
        return
    data = contents.get_data()
    kept = _TEXT_OBJECT.sub(lambda m: b"" if float(m[2]) < FOOTER_BAND_PT else m[0], data)
    if kept != data:
        contents.set_data(kept)
        page.replace_contents(contents)


MM = 72 / 25.4  # PDF points per millimetre


def bind(front: Sequence[Path], parts: Sequence[tuple[str | None, Path]], numbers: Path | None, target: Path, *,
         numbered_from: int = 1, labels: bool = False, title: str | None = None, gutter_mm: float = 0) -> None:
    """``front`` pages as they are, then each part (bookmarked under its title when one is given); with a
    ``numbers`` sheet, every page from index ``numbered_from`` on gets the sheet's next page laid on, parts' own
    footers removed first (without one, the parts keep their own page numbers). ``gutter_mm``:
    every page's content moves that far away from the binding (right on odd pages, left on even ones: printed on
    both sides, the inner margin is always the wider)."""
    from pypdf import PdfReader, PdfWriter, Transformation

    writer = PdfWriter()
    for pdf in front:
        writer.append(str(pdf), import_outline=False)
    first_part = len(writer.pages)
    for part_title, pdf in parts:
        writer.append(str(pdf), outline_item=part_title) if part_title else writer.append(str(pdf))
    if numbers is not None:
        sheet = PdfReader(str(numbers)).pages
        for index in range(numbered_from, len(writer.pages)):
            page = writer.pages[index]
            if index >= first_part:
                drop_footer_text(page)
            page.merge_page(sheet[index - numbered_from])
    if gutter_mm:
        for index, page in enumerate(writer.pages):
            shift = gutter_mm * MM if index % 2 == 0 else -gutter_mm * MM
            page.add_transformation(Transformation().translate(tx=shift))
    if labels:
        if numbered_from:
            writer.set_page_label(0, numbered_from - 1, prefix="表紙")
        writer.set_page_label(numbered_from, len(writer.pages) - 1, style="/D", start=1)
    if title:
        writer.add_metadata({"/Title": title})
    with open(target, "wb") as out:
        writer.write(out)


_HEADING1 = re.compile(rb'<w:pStyle w:val="Heading1"\s*/>')
_PAGE_BREAK = re.compile(rb'<w:br w:type="page"\s*/>')


def split_docx(source: Path, at: int, first: Path, second: Path) -> bool:
    """Split a rendered .docx before its ``at``-th Heading 1 (0-based) into two documents, each a whole document
    with the same page set-up; the second loses the page break its heading starts with. False when there is no
    such heading, or the body is not laid out as the templates write it (nothing written: convert it whole).

    Done on the bytes of word/document.xml: the company headings are body-level paragraphs, so the cut is a byte
    offset, and the body's section properties are its last child. (Moving the big tables between trees with lxml
    took 2.2 s of a 5,000-record log; this takes a few hundredths.)"""
    import zipfile

    with zipfile.ZipFile(source) as z:
        xml = z.read("word/document.xml")
        parts = [(info, z.read(info.filename)) for info in z.infolist() if info.filename != "word/document.xml"]
    body = xml.find(b"<w:body>")
    sect = xml.rfind(b"<w:sectPr")
    headings = [m.start() for m in _HEADING1.finditer(xml)]
    if body < 0 or sect < 0 or at <= 0 or at >= len(headings):
        return False
    cut = max(xml.rfind(b"<w:p>", 0, headings[at]), xml.rfind(b"<w:p ", 0, headings[at]))
    heading_end = xml.find(b"</w:p>", cut)
    if not body < cut < heading_end < sect:
        return False
    start = body + len(b"<w:body>")
    head, tail = xml[:start], xml[sect:]
    heading = _PAGE_BREAK.sub(b"", xml[cut:heading_end])
    for target, content in ((first, head + xml[start:cut] + tail),
                            (second, head + heading + xml[heading_end:sect] + tail)):
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for info, data in parts:
                out.writestr(info, data)
            out.writestr("word/document.xml", content)
    return True


def _style(paragraph) -> str | None:
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return style.get(f"{_W}val") if style is not None else None


def _has_page_break(element) -> bool:
    return any(br.get(f"{_W}type") == "page" for br in element.iter(f"{_W}br"))


def toc_only(source: Path, target: Path, first_page: int) -> bool:
    """The 目次 pages of a rendered report as a document of their own (same page set-up, numbered from
    ``first_page``), so a 目次 whose page numbers were just filled in is converted alone instead of the whole
    report again. False when the report has no TOC field between page breaks (the caller converts it whole)."""
    import docx

    document = docx.Document(str(source))
    body = document.element.body
    children = [c for c in body if c.tag != f"{_W}sectPr"]
    field = next((i for i, c in enumerate(children)
                  if any(" TOC " in (t.text or "") for t in c.iter(f"{_W}instrText"))), None)
    if field is None:
        return False
    start = next((i + 1 for i in range(field - 1, -1, -1) if _has_page_break(children[i])), None)
    end = next((i for i in range(field + 1, len(children))
                if _has_page_break(children[i]) or _style(children[i]) == "Heading1"), None)
    if start is None or end is None:
        return False
    for element in children[:start] + children[end:]:
        body.remove(element)
    for section in document.sections:
        section.different_first_page_header_footer = False  # the 目次 is no cover: header and footer shown
        number_from(section._sectPr, first_page)
    document.save(str(target))
    return True


def replace_pages(pdf: Path, first_index: int, pages: Path) -> None:
    """Put the pages of ``pages`` in place of as many pages of ``pdf`` from ``first_index`` on."""
    from pypdf import PdfReader, PdfWriter

    new = PdfReader(str(pages)).pages
    writer = PdfWriter(clone_from=str(pdf))
    for i, page in enumerate(new):
        writer.insert_page(page, first_index + i)
        writer.remove_page(first_index + i + 1)
    staged = pdf.with_name(pdf.stem + "_toc.pdf")
    with open(staged, "wb") as out:
        writer.write(out)
    staged.replace(pdf)
