"""The book's cell formats (styles.xml): which show a date, and new ones a write needs, appended.

Existing formats keep their index (every cell, table style and conditional format refers to formats by index), so
new fonts, fills, borders, number formats and cell formats only ever go at the end of their lists. A format the
book already has is reused: re-running a write adds nothing the second time, and styles.xml then stays untouched.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from lxml import etree

from toolkit.workbook.xlsx._cells import DATE, DATETIME, NUMBER
from toolkit.workbook.xlsx._opc import NS_MAIN, NS_REL, Book, parse_xml
from toolkit.workbook.xlsx._plan import Plan

_M = f"{{{NS_MAIN}}}"
_DATE_BUILTINS = frozenset([14, 15, 16, 17, 22, *range(27, 32), 34, 35, 36, *range(50, 59)])
_TIME_BUILTINS = frozenset([18, 19, 20, 21, 22, 45, 46, 47, 32, 33])
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "@": 49}
DATE_FORMAT = "yyyy/mm/dd"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
# CT_Stylesheet's child order: a list that is missing is created at its place.
_ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles",
          "colors", "extLst"]
_STYLES_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_EMPTY_STYLES = (f'<styleSheet xmlns="{NS_MAIN}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font>'
                 '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
                 'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
                 '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
                 'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
                 'borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
                 'builtinId="0"/></cellStyles></styleSheet>').encode()


def format_kind(code: str) -> tuple[bool, bool]:
    """(shows a date, shows a time) for a custom number format code."""
    code = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code.split(";")[0])
    code = re.sub(r"\[(?![hms]+\])[^\]]*\]", "", code, flags=re.I)  # colours, locales; keep [h] [mm]
    code = re.sub(r"general|[eE][+-]", "", code, flags=re.I)
    low = code.lower()
    has_time = bool(re.search(r"[hs]", low))
    return bool(re.search(r"[ydeg]", low)) or ("m" in low and not has_time), has_time


@dataclass(frozen=True)
class Look:
    """How a cell should look, independent of the book's indices."""

    number_format: str = "General"
    bold: bool = False
    size: float | None = None  # points; None = the book's base size
    color: str | None = None  # font colour, RRGGBB
    fill: str | None = None  # background, RRGGBB
    border: str | None = None  # thin border colour, RRGGBB
    horizontal: str | None = None  # left / center / right
    vertical: str | None = None  # top / center / bottom
    wrap: bool = False


def _key(el: etree._Element) -> tuple:
    """Compare elements by content, not by child order or formatting."""
    return (etree.QName(el).localname, tuple(sorted(el.attrib.items())), tuple(sorted(_key(c) for c in el)),
            (el.text or "").strip())


class StyleSheet:
    """styles.xml of the book being written, read lazily; additions go through the plan."""

    def __init__(self, plan: Plan, book: Book):
        self.plan = plan
        self.book = book
        self.part = book.related("/styles")
        root = plan.view(self.part) if self.part else parse_xml(_EMPTY_STYLES)
        self._root = root
        self._editing = False
        self._custom = {int(el.get("numFmtId", "0")): el.get("formatCode", "") for el in root.iter(f"{_M}numFmt")}
        xfs = root.find(f"{_M}cellXfs")
        self._xf_list = list(xfs.iter(f"{_M}xf")) if xfs is not None else []
        self._kinds: dict[int, tuple[bool, bool]] = {}
        self._variant: dict[tuple[int | None, str], int | None] = {}
        self._looks: dict[Look, int] = {}

    # --- reading ----------------------------------------------------------------------------------------------
    def kind(self, xf: int | None) -> tuple[bool, bool]:
        """(shows a date, shows a time) of a cell format."""
        if xf is None or not 0 <= xf < len(self._xf_list):
            return False, False
        fmt = _int(self._xf_list[xf].get("numFmtId"))
        if fmt not in self._kinds:
            custom = self._custom.get(fmt)
            self._kinds[fmt] = format_kind(custom) if custom is not None else (fmt in _DATE_BUILTINS,
                                                                               fmt in _TIME_BUILTINS)
        return self._kinds[fmt]

    # --- formats by value type --------------------------------------------------------------------------------
    def style_for(self, xf: int | None, kind: str) -> int | None:
        """The cell format for a value of ``kind`` in a cell meant to look like ``xf``: a date gets a date format
        (the column's font, fill and border kept), a number under a date format gets General."""
        key = (xf, kind)
        if key not in self._variant:
            self._variant[key] = self._style_for(xf, kind)
        return self._variant[key]

    def _style_for(self, xf: int | None, kind: str) -> int | None:
        shows_date, _ = self.kind(xf)
        if kind == NUMBER:
            return self._with_format(xf, "General", lambda d, t: not d) if shows_date else xf
        if kind in (DATE, DATETIME):
            if shows_date:  # the column's own date format, even if it leaves out a time
                return xf
            want_time = kind == DATETIME
            return self._with_format(xf, DATETIME_FORMAT if want_time else DATE_FORMAT,
                                     lambda d, t: d and t == want_time)
        return xf

    def _with_format(self, xf: int | None, code: str, fits) -> int:
        """A cell format like xf (font, fill, border, alignment) whose number format fits: an existing one, or new."""
        index = 0 if xf is None else xf  # a cell without a format uses the first one
        base = self._xf_list[index] if 0 <= index < len(self._xf_list) else None
        like = _key_without_format(base)
        for i, el in enumerate(self._xf_list):
            if _key_without_format(el) == like and fits(*self.kind(i)):
                return i
        new = etree.Element(f"{_M}xf")
        if base is not None:
            new = _copy(base)
        new.set("numFmtId", str(self._format_id(code)))
        new.set("applyNumberFormat", "1")
        for attr in ("fontId", "fillId", "borderId"):
            new.set(attr, new.get(attr, "0"))
        new.set("xfId", new.get("xfId", "0"))
        return self._append_xf(new)

    # --- formats by look --------------------------------------------------------------------------------------
    def look(self, look: Look) -> int:
        if look not in self._looks:
            self._looks[look] = self._look(look)
        return self._looks[look]

    def _look(self, look: Look) -> int:
        xf = etree.Element(f"{_M}xf", numFmtId=str(self._format_id(look.number_format)),
                           fontId=str(self._font_id(look)), fillId=str(self._fill_id(look.fill)),
                           borderId=str(self._border_id(look.border)), xfId="0")
        for attr, used in (("applyNumberFormat", look.number_format != "General"),
                           ("applyFont", xf.get("fontId") != "0"), ("applyFill", look.fill is not None),
                           ("applyBorder", look.border is not None)):
            if used:
                xf.set(attr, "1")
        if look.horizontal or look.vertical or look.wrap:
            xf.set("applyAlignment", "1")
            align = etree.SubElement(xf, f"{_M}alignment")
            if look.horizontal:
                align.set("horizontal", look.horizontal)
            if look.vertical:
                align.set("vertical", look.vertical)
            if look.wrap:
                align.set("wrapText", "1")
        wanted = _key(xf)
        for i, el in enumerate(self._xf_list):
            if _key(el) == wanted:
                return i
        return self._append_xf(xf)

    def base_font(self) -> tuple[str, float]:
        """(name, size) of the book's default font, for text the write draws itself (chart labels)."""
        font = self._first(f"{_M}fonts/{_M}font")
        name = font.find(f"{_M}name") if font is not None else None
        size = font.find(f"{_M}sz") if font is not None else None
        return (name.get("val") if name is not None else "Calibri",
                float(size.get("val")) if size is not None and _is_number(size.get("val")) else 11.0)

    def _font_id(self, look: Look) -> int:
        if not (look.bold or look.size or look.color):
            return 0
        base = self._first(f"{_M}fonts/{_M}font")
        font = _copy(base) if base is not None else etree.Element(f"{_M}font")
        for child in list(font):
            if etree.QName(child).localname in ("b", "sz", "color"):
                font.remove(child)
        # CT_Font children in Excel's own order: b … sz, color, name, family, charset, scheme.
        at = 0
        if look.bold:
            font.insert(0, etree.Element(f"{_M}b"))
            at = 1
        _, size = self.base_font()
        font.insert(at, etree.Element(f"{_M}sz", val=_number(look.size or size)))
        if look.color:
            font.insert(at + 1, etree.Element(f"{_M}color", rgb="FF" + look.color))
        return self._find_or_append("fonts", "font", font)

    def _fill_id(self, color: str | None) -> int:
        if color is None:
            return 0
        fill = etree.Element(f"{_M}fill")
        pattern = etree.SubElement(fill, f"{_M}patternFill", patternType="solid")
        etree.SubElement(pattern, f"{_M}fgColor", rgb="FF" + color)
        etree.SubElement(pattern, f"{_M}bgColor", indexed="64")
        return self._find_or_append("fills", "fill", fill)

    def _border_id(self, color: str | None) -> int:
        if color is None:
            return 0
        border = etree.Element(f"{_M}border")
        for side in ("left", "right", "top", "bottom"):
            edge = etree.SubElement(border, f"{_M}{side}", style="thin")
            etree.SubElement(edge, f"{_M}color", rgb="FF" + color)
        etree.SubElement(border, f"{_M}diagonal")
        return self._find_or_append("borders", "border", border)

    def _format_id(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        for fmt_id, existing in self._custom.items():
            if existing == code:
                return fmt_id
        fmt_id = max([163, *self._custom]) + 1
        self._list("numFmts").append(etree.Element(f"{_M}numFmt", numFmtId=str(fmt_id), formatCode=code))
        self._custom[fmt_id] = code
        self._recount("numFmts")
        return fmt_id

    # --- appending --------------------------------------------------------------------------------------------
    def _root_for_edit(self) -> etree._Element:
        if not self._editing:
            if self.part is None:  # a book without styles.xml (Excel always writes one; some tools do not)
                self.part = "xl/styles.xml" if self.plan.name("xl/styles.xml") is None else \
                    self.plan.new_part_name("xl/styles{}.xml")
                self.plan.edit(self.part, self._root)
                self.plan.add_rel(self.book.workbook_part, NS_REL + "/styles", self.part)
                self.plan.set_override(self.part, _STYLES_CT)
            else:
                self._root = self.plan.edit(self.part)
                xfs = self._root.find(f"{_M}cellXfs")
                self._xf_list = list(xfs.iter(f"{_M}xf")) if xfs is not None else []
            self._editing = True
        return self._root

    def _first(self, path: str) -> etree._Element | None:
        return self._root.find(path)

    def _list(self, name: str) -> etree._Element:
        root = self._root_for_edit()
        el = root.find(f"{_M}{name}")
        if el is None:
            el = etree.Element(f"{_M}{name}")
            later = [c for c in root if etree.QName(c).localname in _ORDER[_ORDER.index(name) + 1:]]
            if later:
                later[0].addprevious(el)
            else:
                root.append(el)
        return el

    def _recount(self, name: str) -> None:
        el = self._list(name)
        el.set("count", str(len(el)))

    def _find_or_append(self, list_name: str, item: str, el: etree._Element) -> int:
        holder = self._root.find(f"{_M}{list_name}")
        items = list(holder.iter(f"{_M}{item}")) if holder is not None else []
        wanted = _key(el)
        for i, existing in enumerate(items):
            if _key(existing) == wanted:
                return i
        holder = self._list(list_name)
        holder.append(el)
        self._recount(list_name)
        return len(holder) - 1

    def _append_xf(self, xf: etree._Element) -> int:
        holder = self._list("cellXfs")
        holder.append(xf)
        self._recount("cellXfs")
        self._xf_list.append(xf)
        return len(self._xf_list) - 1


def _copy(el: etree._Element) -> etree._Element:
    return copy.deepcopy(el)


def _key_without_format(xf: etree._Element | None) -> tuple:
    if xf is None:
        return (("borderId", "0"), ("fillId", "0"), ("fontId", "0"), ("xfId", "0")), ()
    attrs = tuple(sorted((k, v) for k, v in xf.attrib.items()
                         if k in ("fontId", "fillId", "borderId", "xfId")))
    return attrs, tuple(sorted(_key(c) for c in xf))


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
        return True
    except ValueError:
        return False


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
