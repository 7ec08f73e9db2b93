"""Fill a Word template with a context (docxtpl) in a sandboxed, autoescaping Jinja environment.

Autoescape keeps a company called ``A&B <テスト>`` intact (``&amp;`` in the XML, ``&`` in Word) instead of corrupting
the document; the sandbox keeps a template edited by staff from reaching Python internals. Charts arrive in the
context as ``Chart`` values and become docxtpl InlineImages of the document being rendered.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from toolkit.japanese import XML_FORBIDDEN

from . import formats


@dataclass(frozen=True)
class Chart:
    """A figure for the document: its PNG parts, top to bottom, and the width they take on the page."""

    parts: tuple[bytes, ...]
    width_mm: float = 160


class _Figure(list):
    """A figure's parts, each in a paragraph of its own, so a page break can fall between two parts. Only the last
    keeps with the caption after it: LibreOffice and Word keep a chain of keep-with-next paragraphs (or one
    paragraph holding every part) together, which moved a tall figure whole to the next page."""

    _PARAGRAPH = '</w:t></w:r></w:p><w:p><w:pPr>{keep}<w:jc w:val="center"/></w:pPr><w:r><w:t xml:space="preserve">'

    def __html__(self) -> str:
        if len(self) == 1:
            return self[0].__html__()
        return "".join(self._PARAGRAPH.format(keep="<w:keepNext/>" if i == len(self) - 1 else
                                              '<w:keepNext w:val="0"/>') + image.__html__()
                       for i, image in enumerate(self))


def _finalize(value: Any) -> Any:
    # A staff-edited template may name a field that is empty: show nothing rather than "None". A control
    # character pasted into a cell (a vertical tab from Word) would make document.xml unreadable: dropped.
    if value is None:
        return ""
    if isinstance(value, str) and XML_FORBIDDEN.search(value):
        return XML_FORBIDDEN.sub("", value)
    return value


class _Environment(SandboxedEnvironment):
    """Compiles each distinct template source once.

    docxtpl hands the whole document XML to ``from_string`` on every render; for twenty plans from one template
    that is twenty identical compilations, most of a render's time. The cache is keyed by the source text, so an
    edited template compiles afresh.
    """

    _MAX = 64  # distinct sources kept: each template's body, header and footer

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002 (jinja's signature)
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) >= self._MAX:
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template


class _DocxTemplate(DocxTemplate):
    """docxtpl's template with its XML clean-up (a pure function of the text) done once per distinct part."""

    _patched: dict[str, str] = {}

    def patch_xml(self, src_xml: str) -> str:
        if len(src_xml) < 4000:
            return super().patch_xml(src_xml)
        patched = self._patched.get(src_xml)
        if patched is None:
            if len(self._patched) >= 32:
                self._patched.clear()
            patched = self._patched[src_xml] = super().patch_xml(src_xml)
        return patched


def make_environment(*, strict: bool = False) -> SandboxedEnvironment:
    """The rendering environment; ``strict`` makes a name the context lacks an error (used by the tests)."""
    options: dict[str, Any] = {"undefined": StrictUndefined} if strict else {}
    env = _Environment(autoescape=True, finalize=_finalize, **options)
    env.filters.update({
        "reiwa": formats.reiwa,
        "yen": formats.yen,
        "pct": formats.pct,
        "number": formats.number,
        "fiscal_year": formats.fiscal_year_label,
        "fit": formats.fit_name,  # {{ c.name|fit(12) }}: a company name in a column 12 characters wide
    })
    return env


@lru_cache(maxsize=16)
def _template_bytes(path: Path, _mtime_ns: int) -> bytes:
    # Read each template once per run (keyed by mtime so an edited template is picked up).
    return path.read_bytes()


def load_template(path: Path) -> DocxTemplate:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"書類のテンプレートが見つかりません: {path}")
    return _DocxTemplate(io.BytesIO(_template_bytes(path, path.stat().st_mtime_ns)))


def _bind_charts(value: Any, template: DocxTemplate) -> Any:
    """Replace every Chart in the context by an InlineImage of ``template`` (InlineImage is bound to one document)."""
    if isinstance(value, Chart):
        return _Figure(InlineImage(template, io.BytesIO(png), width=Mm(value.width_mm)) for png in value.parts)
    if isinstance(value, dict):
        return {k: _bind_charts(v, template) for k, v in value.items()}
    if isinstance(value, list):
        return [_bind_charts(v, template) for v in value]
    return value


def template_variables(path: Path) -> set[str]:
    """The top-level names a template uses (for the coverage test and for staff who edit templates)."""
    return set(load_template(path).get_undeclared_template_variables(jinja_env=make_environment()))


@lru_cache(maxsize=1)
def shared_environment() -> SandboxedEnvironment:
    return make_environment()


DRAFT = "draft_exclusions"  # context key, present only in a draft: the rows its figures leave out (Findings)
DRAFT_MARK = "【案】"
ANNEX_WIDTHS_MM = (24, 18, 30, 98)  # シート, 行, 列, 内容: 170 mm, the text width of the templates


def _mark_draft(document: Any, excluded: Sequence[Any]) -> None:
    """A draft (``--draft``): 【案】 in every page's header, and an annex naming each row left out of the figures
    (sheet, row, column, reason), so a draft never passes for the final document."""
    for section in document.sections:
        headers = [section.header]
        if section.different_first_page_header_footer:
            headers.append(section.first_page_header)
        if document.settings.odd_and_even_pages_header_footer:
            headers.append(section.even_page_header)
        for header in headers:
            header.is_linked_to_previous = False
            first = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            run = first.insert_paragraph_before("").add_run(DRAFT_MARK)
            run.bold = True
    document.add_page_break()
    document.add_paragraph("別紙　集計から除外した行（案）", style=_style(document, "Heading 1"))
    if not excluded:
        document.add_paragraph("エラーのため集計から除外した行はない。", style=_style(document, "本文"))
        return
    document.add_paragraph(f"この案は、入力チェックでエラーとなった次の{len(excluded)}行を除いて作成した。"
                           "修正後に改めて作成すること。", style=_style(document, "本文"))
    table = document.add_table(rows=1, cols=4)
    table.style = _style(document, "Table Grid")
    table.autofit = False
    for column, width in zip(table.columns, ANNEX_WIDTHS_MM):
        column.width = Mm(width)  # the grid LibreOffice lays out by; each cell's width below is Word's
    rows = [("シート", "行", "列", "内容")] + [(f.sheet, f"{f.row}行目" if f.row else "", f.column or "",
                                                _finalize(f.message)) for f in excluded]
    for i, values in enumerate(rows):
        cells = table.rows[0].cells if i == 0 else table.add_row().cells
        for cell, text, width in zip(cells, values, ANNEX_WIDTHS_MM):
            cell.text, cell.width = text, Mm(width)


def _style(document: Any, name: str) -> Any:
    """The template's style of that name, else None (python-docx then uses the default): a firm's own template
    may have renamed it."""
    try:
        return document.styles[name]
    except KeyError:
        return None


def render_docx(template_path: Path, context: dict[str, Any], out_path: Path, *,
                env: SandboxedEnvironment | None = None) -> Path:
    template = load_template(template_path)
    bound = {k: _bind_charts(v, template) for k, v in context.items()}
    template.render(bound, jinja_env=env or shared_environment(), autoescape=True)
    props = template.docx.core_properties  # the template's fixed build date would otherwise show in Word
    props.created = props.modified = datetime.now().replace(microsecond=0)
    template.save(out_path)
    if DRAFT in context:  # on the saved file: docxtpl writes its rendered headers at save
        import docx

        document = docx.Document(str(out_path))
        _mark_draft(document, context[DRAFT])
        document.save(str(out_path))
    return out_path
