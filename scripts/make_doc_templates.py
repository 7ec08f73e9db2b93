"""Regenerate the Word templates in doc_templates/ (one per deliverable) with python-docx.

Run after changing a layout: `python scripts/make_doc_templates.py`. The templates hold docxtpl tags only
({{ }}, {%tr for %}, {%p if %}), so staff can restyle them in Word; the variables they name are the contexts built by
toolkit/documents/context.py (a test checks every variable is supplied). Output is reproducible: fixed document dates
and zip timestamps, so the committed files change only when a layout does.
"""
from __future__ import annotations

import io
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolkit.documents import catalog  # noqa: E402

FIXED_MOMENT = datetime(2025, 4, 1)
TEXT_WIDTH_MM = 170  # A4 210 mm minus 20 mm margins left and right
HEADER_FILL = "D9E2F3"  # the shaded header row
TOTAL_FILL = "F2F2F2"
LABEL_FILL = "EDF1F8"
RULE_COLOUR = "1F3864"
# Styles kept in the templates: Word's defaults, the ones used, and their linked character styles.
KEEP_STYLES = {"Normal", "Default Paragraph Font", "Normal Table", "No List", "Table Grid", "Header", "Header Char",
               "Footer", "Footer Char", "Heading 1", "Heading 2", "Heading 3", "Heading 1 Char", "Heading 2 Char",
               "Heading 3 Char"}
CUSTOM_STYLE_IDS = {"SubTitleJa", "BodyJa", "NoteJa", "ItemJa", "DocTitle", "TableText", "TableHead", "TableTextSmall",
                    "TableHeadSmall", "TableTextLarge", "TableHeadLarge", "Figure", "CaptionJa"}
ALIGN = {"l": WD_ALIGN_PARAGRAPH.LEFT, "c": WD_ALIGN_PARAGRAPH.CENTER, "r": WD_ALIGN_PARAGRAPH.RIGHT}


@dataclass(frozen=True)
class Col:
    header: str
    cell: str  # the cell's content in the loop row: text and docxtpl tags
    width: float  # mm
    align: str = "l"


# ---------------------------------------------------------------------------------------------------------------
# Low-level XML helpers (python-docx has no API for these)

def _set_fonts(rpr, family: str) -> None:
    """Name ``family`` for every script and drop theme fonts, which would otherwise win over the name."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), family)


def _style_fonts(style, family: str) -> None:
    _set_fonts(style.element.get_or_add_rPr(), family)


def _border(ppr, side: str, colour: str = RULE_COLOUR, size: int = 8) -> None:
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        # pBdr comes after keepNext/keepLines/pageBreakBefore/framePr/widowControl/numPr/suppressLineNumbers.
        anchor = None
        for tag in ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:spacing",
                    "w:ind", "w:jc", "w:outlineLvl", "w:rPr"):
            anchor = ppr.find(qn(tag))
            if anchor is not None:
                break
        if anchor is not None:
            anchor.addprevious(borders)
        else:
            ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), colour)
    borders.append(line)


def _no_autospace(ppr) -> None:
    """Switch off the extra space Word and LibreOffice put between Japanese text and Latin letters or digits."""
    successors = ("w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                  "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
                  "w:outlineLvl", "w:rPr")
    anchor = next((el for tag in successors if (el := ppr.find(qn(tag))) is not None), None)
    for name in ("w:autoSpaceDE", "w:autoSpaceDN"):
        element = OxmlElement(name)
        element.set(qn("w:val"), "0")
        if anchor is not None:
            anchor.addprevious(element)
        else:
            ppr.append(element)


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    # Schema order inside tcPr: tcW, gridSpan, vMerge, tcBorders, shd, noWrap, tcMar, textDirection, tcFitText,
    # vAlign; widths are set before shading and vAlign after, so appending keeps the order valid.
    tcpr.append(shd)


def _row_flags(row, header: bool = False) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))  # repeat on every page


def _page_field(paragraph) -> None:
    def run_with(child):
        run = paragraph.add_run()
        run._r.append(child)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run_with(instr)
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    run_with(sep)
    paragraph.add_run("1")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


# ---------------------------------------------------------------------------------------------------------------

class Builder:
    """A deliverable's template, built top to bottom."""

    def __init__(self, *, cover: bool = False) -> None:
        self.doc = Document()
        self._styles()
        self._page(cover)
        self.figures = 0

    # -- set-up ---------------------------------------------------------------------------------------------
    def _styles(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr, catalog.MINCHO)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "ja-JP")

        normal = styles["Normal"]
        _style_fonts(normal, catalog.MINCHO)
        normal.font.size = Pt(10.5)
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.line_spacing = 1.15

        for name, size, before, after in (("Heading 1", 13, 14, 6), ("Heading 2", 11.5, 9, 4),
                                          ("Heading 3", 10.5, 6, 3)):
            style = styles[name]
            _style_fonts(style, catalog.GOTHIC)
            style.font.size = Pt(size)
            style.font.bold = False
            style.font.italic = False
            style.font.color.rgb = RGBColor(0, 0, 0)
            fmt = style.paragraph_format
            fmt.space_before = Pt(before)
            fmt.space_after = Pt(after)
            fmt.keep_with_next = True
            fmt.line_spacing = 1.0
        _border(styles["Heading 1"].element.get_or_add_pPr(), "bottom")
        for name in ("Heading 1 Char", "Heading 2 Char", "Heading 3 Char"):
            _style_fonts(styles[name], catalog.GOTHIC)

        body = self._add_style("本文", "BodyJa", base=normal)
        body.paragraph_format.first_line_indent = Pt(10.5)
        body.paragraph_format.left_indent = Pt(10.5)
        body.paragraph_format.space_after = Pt(4)

        note = self._add_style("注記", "NoteJa", base=normal)
        note.font.size = Pt(9)
        note.paragraph_format.left_indent = Pt(10.5)
        note.paragraph_format.space_after = Pt(4)

        bullet = self._add_style("箇条", "ItemJa", base=normal)
        bullet.paragraph_format.left_indent = Pt(21)
        bullet.paragraph_format.first_line_indent = Pt(-10.5)
        bullet.paragraph_format.space_after = Pt(2)

        subtitle = self._add_style("副題", "SubTitleJa", base=normal)
        _style_fonts(subtitle, catalog.GOTHIC)
        subtitle.font.size = Pt(12)
        subtitle.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        subtitle.paragraph_format.space_after = Pt(6)

        title = self._add_style("表題", "DocTitle", base=normal)
        _style_fonts(title, catalog.GOTHIC)
        title.font.size = Pt(16)
        title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.space_before = Pt(6)
        title.paragraph_format.space_after = Pt(12)

        # Table text: 9 pt, 8 pt for wide tables, 10.5 pt for the minutes. No extra space between Japanese and
        # digits in cells (Word's autospace), so 令和7年10月14日 fits its column.
        for suffix, size in (("", 9), ("（小）", 8), ("（大）", 10.5)):
            tag = {"": "", "（小）": "Small", "（大）": "Large"}[suffix]
            cell = self._add_style("表本文" + suffix, "TableText" + tag, base=normal)
            cell.font.size = Pt(size)
            cell.paragraph_format.line_spacing = 1.0
            _no_autospace(cell.element.get_or_add_pPr())
            head = self._add_style("表見出し" + suffix, "TableHead" + tag, base=cell)
            _style_fonts(head, catalog.GOTHIC)
            head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

        figure = self._add_style("図", "Figure", base=normal)
        figure.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        figure.paragraph_format.space_before = Pt(6)
        figure.paragraph_format.keep_with_next = True

        caption = self._add_style("図表番号", "CaptionJa", base=normal)
        _style_fonts(caption, catalog.GOTHIC)
        caption.font.size = Pt(9)
        caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        caption.paragraph_format.space_after = Pt(8)

        for name in ("Header", "Footer"):
            style = styles[name]
            _style_fonts(style, catalog.GOTHIC)
            style.font.size = Pt(8.5)

    def _add_style(self, name: str, style_id: str, base):
        from docx.enum.style import WD_STYLE_TYPE

        style = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.style_id = style_id  # ASCII ids: Word shows the Japanese name, tools see a plain id
        style.base_style = base
        style.quick_style = True
        return style

    def _page(self, cover: bool) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(25), Mm(20)
        section.left_margin, section.right_margin = Mm(20), Mm(20)
        section.header_distance, section.footer_distance = Mm(12), Mm(10)
        section.different_first_page_header_footer = cover  # no header or page number on a cover

        header = section.header.paragraphs[0]
        header.style = self.doc.styles["Header"]
        header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        header.add_run("{{ program_name }}")
        _border(header._p.get_or_add_pPr(), "bottom", colour="808080", size=4)

        footer = section.footer.paragraphs[0]
        footer.style = self.doc.styles["Footer"]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run("－ ")
        _page_field(footer)
        footer.add_run(" －")

    # -- content --------------------------------------------------------------------------------------------
    def p(self, text: str = "", style: str = "本文", align: str | None = None, size: float | None = None,
          space_before: float | None = None):
        para = self.doc.add_paragraph(style=self.doc.styles[style])
        if text:
            run = para.add_run(text)
            if size:
                run.font.size = Pt(size)
        if align:
            para.alignment = ALIGN[align]
        if space_before is not None:
            para.paragraph_format.space_before = Pt(space_before)
        return para

    def tag(self, text: str) -> None:
        """A paragraph holding only a {%p %} tag: docxtpl removes the paragraph itself."""
        self.doc.add_paragraph(text, style=self.doc.styles["Normal"])

    def item(self, text: str) -> None:
        self.p("・" + text, style="箇条")

    def h1(self, text: str, page_break: bool = False) -> None:
        para = self.doc.add_heading(text, level=1)
        if page_break:
            para.paragraph_format.page_break_before = True

    def h1_new_page_unless_first(self, text: str) -> None:
        """A heading inside a {%p for %} loop that starts a new page for every item but the first.

        The page break is a run wrapped in docxtpl's run-level {%r if %}, so the first item follows the
        introduction on page one."""
        para = self.doc.add_heading("", level=1)
        para.add_run("{%r if not loop.first %}")
        para.add_run().add_break(WD_BREAK.PAGE)
        para.add_run("{%r endif %}")
        para.add_run(text)

    def h2(self, text: str) -> None:
        self.doc.add_heading(text, level=2)

    def h3(self, text: str) -> None:
        self.doc.add_heading(text, level=3)

    def title(self, text: str) -> None:
        self.p(text, style="表題")

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def figure(self, variable: str, caption: str) -> None:
        self.figures += 1
        self.p("{{ %s }}" % variable, style="図")
        self.p(f"図{self.figures}　{caption}", style="図表番号")

    def _cell(self, cell, text: str, width: float, align: str, style: str, fill: str | None) -> None:
        cell.width = Mm(width)
        if fill:
            _shade(cell, fill)
        cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
        para = cell.paragraphs[0]
        para.style = self.doc.styles[style]
        para.alignment = ALIGN[align]
        if text:
            para.add_run(text)

    def _new_table(self, widths: list[float], padding: int = 40):
        table = self.doc.add_table(rows=0, cols=len(widths))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False  # fixed layout: the widths below hold in Word and LibreOffice alike
        for column, width in zip(table.columns, widths):
            column.width = Mm(width)
        margins = OxmlElement("w:tblCellMar")
        for side, twips in (("top", padding), ("left", 70), ("bottom", padding), ("right", 70)):
            margin = OxmlElement(f"w:{side}")
            margin.set(qn("w:w"), str(twips))
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
        table._tbl.tblPr.find(qn("w:tblLook")).addprevious(margins)  # schema order: tblCellMar before tblLook
        return table

    def table(self, cols: list[Col], loop: str | None, total: list[str] | None = None,
              static_rows: list[list[str]] | None = None, size: str = "") -> None:
        """A table: shaded header row, one loop row ({%tr for %}) and optional static rows and a total row.

        ``size`` is "" (9 pt), "（小）" (8 pt) or "（大）" (10.5 pt)."""
        text, head = "表本文" + size, "表見出し" + size
        widths = [c.width for c in cols]
        assert sum(widths) <= TEXT_WIDTH_MM + 0.5, (sum(widths), [c.header for c in cols])
        table = self._new_table(widths)
        row = table.add_row()
        _row_flags(row, header=True)
        for cell, col in zip(row.cells, cols):
            self._cell(cell, col.header, col.width, "c", head, HEADER_FILL)
        for values in static_rows or []:
            row = table.add_row()
            _row_flags(row)
            for cell, col, value in zip(row.cells, cols, values):
                self._cell(cell, value, col.width, col.align, text, None)
        if loop:
            for tag, cells in ((f"{{%tr for {loop} %}}", None), (None, cols), ("{%tr endfor %}", None)):
                row = table.add_row()
                if cells is None:
                    for i, (cell, col) in enumerate(zip(row.cells, cols)):
                        self._cell(cell, tag if i == 0 else "", col.width, "l", text, None)
                else:
                    _row_flags(row)
                    for cell, col in zip(row.cells, cols):
                        self._cell(cell, col.cell, col.width, col.align, text, None)
        if total:
            row = table.add_row()
            _row_flags(row)
            for cell, col, value in zip(row.cells, cols, total):
                self._cell(cell, value, col.width, "c" if value == "合計" else col.align, text, TOTAL_FILL)
        self.doc.add_paragraph(style=self.doc.styles["Normal"]).paragraph_format.space_after = Pt(4)

    def kv(self, rows: list[tuple[str, str]], label_width: float = 48, size: str = "") -> None:
        """A two-column table: a shaded label column and its values."""
        widths = [label_width, TEXT_WIDTH_MM - label_width]
        table = self._new_table(widths, padding=60 if size == "（大）" else 40)
        for label, value in rows:
            row = table.add_row()
            _row_flags(row)
            self._cell(row.cells[0], label, widths[0], "l", "表見出し" + size, LABEL_FILL)
            row.cells[0].paragraphs[0].alignment = ALIGN["l"]
            self._cell(row.cells[1], value, widths[1], "l", "表本文" + size, None)
        self.doc.add_paragraph(style=self.doc.styles["Normal"]).paragraph_format.space_after = Pt(4)

    def missing(self, variable: str) -> None:
        """Close the open ``{%p if … %}`` block with the sentence to show when there is nothing to list."""
        self.tag("{%p else %}")
        self.p("{{ %s }}" % variable)
        self.tag("{%p endif %}")

    # -- output ---------------------------------------------------------------------------------------------
    def _trim(self) -> None:
        """Drop what python-docx's default package carries but no deliverable uses.

        Its styles.xml (350 KB of table styles and latent styles), stylesWithEffects.xml, customXml and thumbnail
        are parsed, serialised and zipped on every render: most of a small document's rendering time.
        """
        root = self.doc.styles.element
        used = {s.element for s in self.doc.styles if s.name in KEEP_STYLES or s.style_id in CUSTOM_STYLE_IDS}
        for style in list(root.findall(qn("w:style"))):
            if style not in used:
                root.remove(style)
        latent = root.find(qn("w:latentStyles"))
        if latent is not None:
            root.remove(latent)
        unused = ("/stylesWithEffects", "/customXml", "/thumbnail")
        for owner in (self.doc.part, self.doc.part.package):
            for rid, rel in list(owner.rels.items()):
                if rel.reltype.endswith(unused):
                    del owner.rels[rid]

    def save(self, path: Path, title: str) -> None:
        self._trim()
        props = self.doc.core_properties
        props.title = title
        props.author = ""
        props.last_modified_by = ""
        props.comments = ""
        props.created = FIXED_MOMENT
        props.modified = FIXED_MOMENT
        props.revision = 1
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.write_bytes(reproducible(buffer.getvalue()))


def reproducible(data: bytes) -> bytes:
    """The same package with fixed zip timestamps, so regenerating an unchanged template changes no bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=FIXED_MOMENT.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o644 << 16
            target.writestr(pinned, source.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# The deliverables

def _front(b: Builder, title: str) -> None:
    """Title block shared by the reports: title, fiscal year and program, date and author on the right."""
    b.title(title)
    b.p("{{ fiscal_year_label }}　{{ program_name }}", style="Normal", align="c")
    b.p("{{ issued_on|reiwa }}", style="Normal", align="r", space_before=12)
    b.p("{{ contractor }}", style="Normal", align="r")


def plan() -> Builder:
    b = Builder()
    b.title("クラウドサービス活用　改善活動計画書")
    b.p("（{{ plan_period }}）", style="副題")
    b.p("{{ company.name }}", style="Normal", align="c", size=14, space_before=12)
    b.p("{{ issued_on|reiwa }}", style="Normal", align="r", space_before=12)
    b.p("作成：{{ contractor }}", style="Normal", align="r")

    b.h1("1　企業概要")
    b.kv([("企業名", "{{ company.name }}"), ("業種", "{{ company.industry }}"),
          ("所在地", "{{ company.address }}"), ("従業員数", "{{ company.employees }}"),
          ("担当コンサルタント", "{{ company.consultant }}"),
          ("デジタル化の取組段階（支援前）", "{{ company.stage_before }}"),
          ("デジタル化の取組段階（支援後）", "{{ company.stage_after }}")], label_width=58)

    b.h1("2　現状と課題")
    b.tag("{%p if challenges %}")
    b.p("{{ challenges }}")
    b.missing("challenges_note")

    b.h1("3　導入したクラウドサービス")
    b.tag("{%p if services %}")
    b.table([Col("サービス名", "{{ s.name }}", 46), Col("業務分類／利用領域", "{{ s.areas }}", 40),
             Col("開始日", "{{ s.start }}", 34, "c"), Col("状態", "{{ s.state }}", 20, "c"),
             Col("利用日数", "{{ s.days }}", 30, "r")],
            "s in services", total=["合計", "", "", "", "{{ services_total }}"])
    b.p("{{ services_caption }}", style="注記")
    b.missing("services_note")

    b.h1("4　3年間の改善活動計画")
    b.p("選定した業務分野ごとに、年度ごとの取組内容と目標、実施時期、見直しの観点（機能拡充／より適したサービスへの"
        "変更／継続）を定めます。毎年度の実績を振り返り、この計画を自社のPDCAに活用してください。")
    b.tag("{%p for y in plan_years %}")
    b.h2("{{ y.label }}")
    b.tag("{%p if y.entries %}")
    b.table([Col("業務分野", "{{ i.area }}", 22), Col("取組内容", "{{ i.action }}", 46),
             Col("目標・指標", "{{ i.target }}", 32), Col("実施時期", "{{ i.timing }}", 24, "c"),
             Col("見直しの観点", "{{ i.review }}", 28), Col("担当", "{{ i.owner }}", 18, "c")],
            "i in y.entries")
    b.tag("{%p else %}")
    b.p("{{ y.note }}")
    b.tag("{%p endif %}")
    b.tag("{%p endfor %}")

    b.h1("5　成果指標")
    b.h2("（1）クラウドサービス利用回数")
    b.p("{{ usage_sentence }}")
    b.h2("（2）労働生産性")
    b.tag("{%p if productivity.measurable %}")
    b.table([Col("区分", "{{ r.label }}", 16, "c"), Col("決算期末", "{{ r.period_end }}", 36, "c"),
             Col("付加価値額", "{{ r.value_added }}", 38, "r"), Col("労働投入量", "{{ r.labour_input }}", 38, "r"),
             Col("労働生産性", "{{ r.value }}", 42, "r")],
            "r in productivity.rows")
    b.p("{{ productivity.sentence }}")
    b.missing("productivity.note")

    b.h1("6　支援の経過")
    b.tag("{%p if support.has_records %}")
    b.h2("（1）支援の回数と形態")
    b.p("{{ support.summary }}{{ support.first_visit }}")
    b.table([Col("支援の形態", "{{ f.form }}", 60), Col("回数", "{{ f.count }}", 40, "r"),
             Col("時間", "{{ f.hours }}", 40, "r")],
            "f in support.forms", total=["合計", "{{ support.total_count }}", "{{ support.total_hours }}"])
    b.h2("（2）主な支援内容")
    b.table([Col("支援日", "{{ h.date }}", 34, "c"), Col("形態", "{{ h.form }}", 24, "c"),
             Col("支援内容", "{{ h.content }}", 112)], "h in support.highlights")
    b.p("すべての支援の記録は、支援記録簿に記載しています。", style="注記")
    b.missing("support.note")
    return b


def business_report() -> Builder:
    b = Builder(cover=True)
    b.p("{{ fiscal_year_label }}", style="表題", space_before=150)
    b.p("{{ program_name }}委託", style="表題")
    title = b.p("委託業務報告書", style="表題", space_before=18)
    title.runs[0].font.size = Pt(26)
    title.paragraph_format.left_indent = title.paragraph_format.right_indent = Mm(30)
    _border(title._p.get_or_add_pPr(), "top", size=12)
    _border(title._p.get_or_add_pPr(), "bottom", size=12)
    b.p("{{ issued_on|reiwa }}", style="Normal", align="c", size=12, space_before=220)
    b.p("委託者　{{ client }}", style="Normal", align="c", size=12, space_before=6)
    b.p("受託者　{{ contractor }}", style="Normal", align="c", size=12, space_before=6)
    b.page_break()

    b.p("目　次", style="表題")
    contents = [
        ("1　業務概要", 0), ("（1）目的", 1), ("（2）委託期間", 1), ("（3）支援企業", 1), ("（4）業務内容", 1),
        ("2　実施内容", 0), ("（1）クラウドサービス利用環境", 1), ("（2）導入サポート", 1),
        ("（3）改善活動計画の策定", 1), ("（4）説明会・ワークショップ、成果共有会", 1), ("（5）プロジェクト管理", 1),
        ("3　実績と効果", 0), ("（1）クラウドサービス利用回数", 1), ("（2）労働生産性", 1),
        ("4　検証", 0), ("5　予算執行状況の概要", 0), ("6　課題と今後の展開", 0),
    ]
    for text, level in contents:
        para = b.p(text, style="Normal")
        para.paragraph_format.left_indent = Pt(10.5 + 21 * level)
        para.paragraph_format.space_after = Pt(4 if level else 3)
        para.paragraph_format.space_before = Pt(0 if level else 8)
    b.page_break()

    b.h1("1　業務概要")
    b.h2("（1）目的")
    b.p("人手不足やコスト高など経営環境が急速に変化する中、中小企業の持続的な成長にはデジタル技術を活用した業務の効率化、"
        "省力化、付加価値の向上が欠かせない。本業務は、デジタル化の取組段階1～2の企業を主な対象として、専門家の伴走支援の"
        "もとで導入が容易で初期費用の安いクラウドサービスの利用環境を提供し、デジタル技術の利便性と効果を実感してもらうこと"
        "で、業務の効率化と継続的な改善活動を促すことを目的とする。あわせて、成果を支援企業の間で共有する場を設け、相互の"
        "情報交換と取組の相乗効果を図る。")
    b.h2("（2）委託期間")
    b.p("契約日から{{ contract_end|reiwa }}まで（クラウドサービスの利用期間：{{ usage_period }}）")
    b.h2("（3）支援企業")
    b.p("{{ companies_sentence }}")
    b.table([Col("企業ID", "{{ c.id }}", 14, "c"), Col("企業名", "{{ c.name }}", 52), Col("業種", "{{ c.industry }}", 44),
             Col("取組段階", "{{ c.stage }}", 20, "c"), Col("担当コンサルタント", "{{ c.consultant }}", 40)],
            "c in companies")
    b.h2("（4）業務内容")
    for text in ("クラウドサービス利用環境の用意、運用（10の業務分類ごとに1種類以上）",
                 "導入サポートの実施（初回面談は原則対面、支援内容を企業別・日別に記録）",
                 "事業実施後の改善活動計画（今年度を含む3年間）の策定",
                 "説明会・ワークショップ及び成果共有会の開催",
                 "プロジェクト管理（委託者との月1～2回の会議と会議記録の作成）",
                 "予算管理及びKPI（令和7年度分）の計測・集計"):
        b.item(text)

    b.h1("2　実施内容")
    b.h2("（1）クラウドサービス利用環境")
    b.p("{{ catalogue_sentence }}")
    b.table([Col("業務分類", "{{ s.area }}", 26), Col("サービス名", "{{ s.name }}", 44),
             Col("提供事業者", "{{ s.vendor }}", 40), Col("料金", "{{ s.price }}", 40, "r"),
             Col("導入企業数", "{{ s.adopters }}", 20, "r")], "s in catalogue")
    b.h2("（2）導入サポート")
    b.p("{{ support_sentence }}")
    b.table([Col("企業名", "{{ r.name }}", 50), Col("対面", "{{ r.in_person }}", 13, "r"),
             Col("オンライン", "{{ r.online }}", 19, "r"), Col("電話・メール", "{{ r.remote }}", 22, "r"),
             Col("合計", "{{ r.total }}", 15, "r"), Col("時間", "{{ r.hours }}", 20, "r"),
             Col("初回支援", "{{ r.first }}", 31, "c")], "r in support_rows",
            total=["合計", "{{ support_total.in_person }}", "{{ support_total.online }}", "{{ support_total.remote }}",
                   "{{ support_total.total }}", "{{ support_total.hours }}", ""])
    b.p("{{ first_visit_sentence }}")
    b.h2("（3）改善活動計画の策定")
    b.p("{{ plan_sentence }}")
    b.table([Col("企業名", "{{ r.name }}", 58), Col("{{ plan_year_labels[0] }}", "{{ r.years[0] }}", 26, "r"),
             Col("{{ plan_year_labels[1] }}", "{{ r.years[1] }}", 26, "r"),
             Col("{{ plan_year_labels[2] }}", "{{ r.years[2] }}", 26, "r"),
             Col("策定状況", "{{ r.status }}", 34, "c")], "r in plan_rows")
    b.h2("（4）説明会・ワークショップ、成果共有会")
    b.tag("{%p if events %}")
    b.table([Col("種別", "{{ e.kind }}", 32), Col("名称", "{{ e.name }}", 44), Col("開催日", "{{ e.date }}", 34, "c"),
             Col("形式・会場", "{{ e.place }}", 32), Col("出席", "{{ e.attended }}", 28, "r")], "e in events")
    b.p("{{ events_sentence }}")
    b.missing("events_note")
    b.h2("（5）プロジェクト管理")
    b.p("{{ meetings_sentence }}")
    b.tag("{%p if meetings %}")
    b.table([Col("回", "{{ m.number }}", 14, "c"), Col("開催日", "{{ m.date }}", 34, "c"),
             Col("形式", "{{ m.style }}", 22, "c"), Col("議題", "{{ m.agenda }}", 100)], "m in meetings")
    b.tag("{%p endif %}")

    b.h1("3　実績と効果")
    b.h2("（1）クラウドサービス利用回数")
    b.p("{{ usage.sentence }}")
    b.figure("chart_usage_company", "企業別のクラウドサービス利用日数")
    b.h2("（2）労働生産性")
    b.p("{{ productivity.sentence }}")
    b.tag("{%p if productivity.measurable %}")
    b.figure("chart_productivity", "企業別の労働生産性の変化率")
    b.tag("{%p endif %}")

    b.h1("4　検証")
    b.p("支援企業ごとに、導入したクラウドサービス、利用の状況、労働生産性とデジタル化の取組段階の変化を示す。")
    b.table([Col("企業名", "{{ v.name }}", 42), Col("導入したサービス", "{{ v.services }}", 54),
             Col("利用日数", "{{ v.days }}", 20, "r"), Col("生産性の変化", "{{ v.change }}", 24, "r"),
             Col("取組段階", "{{ v.stage }}", 30, "c")], "v in verification")
    b.tag("{%p for v in verification %}")
    b.h3("{{ v.label }}　{{ v.name }}")
    b.p("{{ v.sentence }}")
    b.tag("{%p endfor %}")

    b.h1("5　予算執行状況の概要")
    b.p("{{ budget.sentence }}")
    b.table([Col("費目", "{{ l.label }}", 110), Col("執行額", "{{ l.amount }}", 60, "r")], "l in budget.lines")
    b.figure("chart_budget_cap", "企業別のクラウドサービス経費と上限")

    b.h1("6　課題と今後の展開")
    b.h2("（1）課題")
    b.tag("{%p for i in issues %}")
    b.p("・{{ i }}", style="箇条")
    b.tag("{%p endfor %}")
    b.h2("（2）今後の展開")
    b.p("支援企業は、本業務で策定した改善活動計画に基づき、{{ next_years }}に、導入したクラウドサービスの機能拡充や、"
        "より自社に適したサービスへの変更を検討・実施する。成果共有会で共有した他社の工夫や効果を参考に、改善活動を継続"
        "することが期待される。")
    return b


def budget_report() -> Builder:
    b = Builder()
    _front(b, "予算執行状況報告書")
    b.h1("1　執行状況の概要")
    b.p("{{ summary_sentence }}")
    b.table([Col("費目", "{{ l.label }}", 100), Col("執行額", "{{ l.amount }}", 40, "r"),
             Col("構成比", "{{ l.share }}", 30, "r")], "l in totals")
    b.h1("2　支援企業別の執行状況")
    b.p("支援企業ごとの（1）クラウドサービス経費、（2）サポート費（設定費用）、（3）サポート費（コンサル・訪問費用等）"
        "と、クラウドサービス経費の上限に対する執行率を示す。")
    b.table([Col("企業名", "{{ c.name }}", 36), Col("(1)クラウドサービス経費", "{{ c.cloud }}", 21, "r"),
             Col("(2)設定費用", "{{ c.setup }}", 18, "r"), Col("(3)コンサル・訪問費用等", "{{ c.consulting }}", 21, "r"),
             Col("合計", "{{ c.total }}", 23, "r"), Col("(1)の上限", "{{ c.cap }}", 21, "r"),
             Col("執行率", "{{ c.rate }}", 14, "r"), Col("状況", "{{ c.status }}", 16, "c")], "c in companies",
            total=["合計", "{{ company_total.cloud }}", "{{ company_total.setup }}", "{{ company_total.consulting }}",
                   "{{ company_total.total }}", "{{ company_total.cap }}", "{{ company_total.rate }}", ""],
            size="（小）")
    b.p("{{ cap_note }}", style="注記")
    b.p("{{ status_sentence }}")
    b.figure("chart_budget_cap", "企業別のクラウドサービス経費（実績・計画）と上限")
    b.h1("3　共通経費")
    b.tag("{%p if common_items %}")
    b.table([Col("摘要", "{{ i.description }}", 120), Col("金額", "{{ i.amount }}", 50, "r")], "i in common_items",
            total=["合計", "{{ common_total }}"])
    b.missing("common_note")
    b.h1("4　月別の執行状況")
    b.tag("{%p if months %}")
    b.table([Col("月", "{{ m.label }}", 30), Col("(1)クラウドサービス経費", "{{ m.cloud }}", 28, "r"),
             Col("(2)設定費用", "{{ m.setup }}", 26, "r"), Col("(3)コンサル・訪問費用等", "{{ m.consulting }}", 30, "r"),
             Col("共通経費", "{{ m.common }}", 26, "r"), Col("合計", "{{ m.total }}", 30, "r")], "m in months",
            total=["合計", "{{ months_total.cloud }}", "{{ months_total.setup }}", "{{ months_total.consulting }}",
                   "{{ months_total.common }}", "{{ months_total.total }}"], size="（小）")
    b.figure("chart_budget_month", "月別の執行額")
    b.missing("months_note")
    return b


def kpi_report() -> Builder:
    b = Builder()
    _front(b, "KPI実績報告書")
    b.p("{{ fiscal_year_label }}のKPI（業務目標）の実績を、支援企業ごとに報告する。", space_before=12)
    b.h1("1　クラウドサービス利用回数（アウトプット指標）")
    b.h2("（1）測定方法")
    b.p("利用回数は、期間中（{{ usage_period }}）のクラウドサービスの利用日数をカウントする。一つのクラウドサービスを"
        "複数の領域に利用した場合は、その利用領域ごとの利用日数の合計とする。回数は利用日数を基礎とするため、同じ日に複数の"
        "アカウントで利用した場合も、ログイン・ログアウトを繰り返した場合も1日（1回）と数える。測定は利用企業からの"
        "ヒアリング及び利用報告による。")
    b.h2("（2）実績")
    b.p("{{ usage.sentence }}")
    b.kv([("目標（{{ fiscal_year_label }}末）", "{{ usage.target }}"), ("実績", "{{ usage.total }}"),
          ("達成状況", "{{ usage.achieved }}")])
    b.h2("（3）企業別の利用日数")
    b.table([Col("企業ID", "{{ c.id }}", 18, "c"), Col("企業名", "{{ c.name }}", 92),
             Col("利用日数", "{{ c.days }}", 30, "r"), Col("構成比", "{{ c.share }}", 30, "r")], "c in usage_companies",
            total=["合計", "", "{{ usage.total }}", "100.0%"])
    b.figure("chart_usage_company", "企業別のクラウドサービス利用日数")
    b.h2("（4）サービス別の利用日数")
    b.table([Col("サービスID", "{{ s.id }}", 22, "c"), Col("サービス名", "{{ s.name }}", 70),
             Col("業務分類", "{{ s.area }}", 38), Col("利用日数", "{{ s.days }}", 40, "r")], "s in usage_services",
            total=["合計", "", "", "{{ usage.total }}"])
    b.figure("chart_usage_service", "サービス別のクラウドサービス利用日数")

    b.h1("2　労働生産性（アウトカム指標）")
    b.h2("（1）算定方法")
    b.p("労働生産性は、付加価値額（営業利益＋人件費＋減価償却費）を労働投入量（労働者数又は総就業時間）で除した値とする。"
        "支援前の直近の決算（基準）と支援後最初の決算（実績）から企業ごとの変化率（実績÷基準－1）を求め、その平均値を"
        "KPIとする。労働投入量は、基準・実績の双方に総就業時間がある場合は総就業時間、それ以外は労働者数を用いる。"
        "計算は決算書による。")
    b.h2("（2）実績")
    b.p("{{ productivity.sentence }}")
    b.kv([("目標（1社あたり平均）", "{{ productivity.target }}"), ("実績（平均）", "{{ productivity.average }}"),
          ("算定できた企業", "{{ productivity.measured }}"), ("達成状況", "{{ productivity.achieved }}")])
    b.h2("（3）企業別の労働生産性")
    b.tag("{%p if productivity_rows %}")
    b.table([Col("企業名", "{{ r.name }}", 32), Col("算定基礎", "{{ r.basis }}", 18, "c"),
             Col("基準（決算期末）", "{{ r.base_end }}", 30, "c"), Col("基準", "{{ r.base }}", 22, "r"),
             Col("実績（決算期末）", "{{ r.actual_end }}", 30, "c"), Col("実績", "{{ r.actual }}", 22, "r"),
             Col("変化率", "{{ r.change }}", 16, "r")], "r in productivity_rows", size="（小）")
    b.p("労働生産性の単位は、算定基礎が総就業時間の場合は円/時間、労働者数の場合は円/人。", style="注記")
    b.figure("chart_productivity", "企業別の労働生産性の変化率")
    b.missing("productivity.none_note")
    b.h2("（4）算定できない企業")
    b.tag("{%p if productivity_missing %}")
    b.table([Col("企業名", "{{ m.name }}", 60), Col("理由", "{{ m.reason }}", 110)], "m in productivity_missing")
    b.missing("productivity.missing_note")
    return b


def support_log() -> Builder:
    b = Builder()
    _front(b, "支援記録簿")
    b.p("{{ intro_sentence }}", space_before=12)
    b.tag("{%p for c in companies %}")
    b.h1_new_page_unless_first("{{ c.label }}")
    b.tag("{%p if c.records %}")
    b.table([Col("支援日", "{{ r.date }}", 33, "c"), Col("形態", "{{ r.form }}", 22, "c"),
             Col("担当者", "{{ r.staff }}", 17, "c"), Col("時間", "{{ r.hours }}", 15, "r"),
             Col("支援内容", "{{ r.content }}", 52), Col("提供資料", "{{ r.materials }}", 31)], "r in c.records",
            total=["合計", "{{ c.count }}", "", "{{ c.hours }}", "", ""])
    b.missing("c.note")
    b.tag("{%p endfor %}")
    b.h1("合計", page_break=True)
    b.table([Col("企業名", "{{ t.name }}", 58), Col("対面", "{{ t.in_person }}", 18, "r"),
             Col("オンライン", "{{ t.online }}", 22, "r"), Col("電話・メール", "{{ t.remote }}", 24, "r"),
             Col("合計", "{{ t.total }}", 22, "r"), Col("時間", "{{ t.hours }}", 26, "r")], "t in totals",
            total=["合計", "{{ grand.in_person }}", "{{ grand.online }}", "{{ grand.remote }}", "{{ grand.total }}",
                   "{{ grand.hours }}"])
    return b


def minutes() -> Builder:
    b = Builder()
    b.title("会議記録")
    b.p("{{ meeting.title }}", style="Normal", align="c", size=12)
    b.p("作成：{{ contractor }}（{{ issued_on|reiwa }}）", style="Normal", align="r", space_before=12)
    b.kv([("開催日時", "{{ meeting.when }}"), ("形式", "{{ meeting.style }}"), ("出席者", "{{ meeting.attendees }}"),
          ("議題", "{{ meeting.agenda }}"), ("報告事項", "{{ meeting.reports }}"),
          ("決定事項", "{{ meeting.decisions }}"), ("課題・対応", "{{ meeting.issues }}"),
          ("次回予定", "{{ meeting.next }}")], label_width=32, size="（大）")
    return b


BUILDERS = {
    catalog.PLAN: plan, catalog.BUSINESS_REPORT: business_report, catalog.BUDGET_REPORT: budget_report,
    catalog.KPI_REPORT: kpi_report, catalog.SUPPORT_LOG: support_log, catalog.MINUTES: minutes,
}


def main(out_dir: Path = catalog.TEMPLATE_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in BUILDERS.items():
        path = catalog.template_path(name, out_dir)
        build().save(path, name)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in main():
        print(written_path)
