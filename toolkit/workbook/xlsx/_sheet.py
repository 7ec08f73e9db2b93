"""Worksheet XML: byte-level navigation of big sheets (appends), and the frame around an owned sheet's cells.

Speed: a 50,000-row sheet is never parsed into a tree. Rows are found by byte search from the end of
``<sheetData>`` and new row XML is spliced in before ``</sheetData>``. A sheet the toolkit owns (集計) is small:
its frame — everything but the cells — is edited as an lxml tree.
"""
from __future__ import annotations

import re
from lxml import etree

from toolkit.workbook.xlsx._cells import col_number, format_range, parse_range
from toolkit.workbook.xlsx._opc import NS_MAIN, NS_REL, parse_xml
from toolkit.workbook.xlsx._zip import PatchError

_M = f"{{{NS_MAIN}}}"


class Sheet:
    """A worksheet part's bytes with the positions a patch needs. Nothing is parsed beyond what is asked."""

    def __init__(self, data: bytes, label: str):
        head = data[:200]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or re.search(rb"encoding=[\"'](?!utf-8)", head, re.I):
            raise PatchError(f"シート「{label}」の XML が UTF-8 ではないため書き込めません。")
        m = re.search(rb"<(\w+:)?worksheet[\s>]", data)
        if m is None:
            raise PatchError(f"「{label}」はワークシートではありません。")
        self.label = label
        self.p = m.group(1) or b""
        p = self.p
        open_at = data.find(b"<" + p + b"sheetData", m.end())
        if open_at < 0:
            raise PatchError(f"シート「{label}」にセルの領域（sheetData）がありません。")
        tag_end = data.find(b">", open_at)
        if data[tag_end - 1:tag_end] == b"/":  # <sheetData/>: make it a pair so rows can go in
            data = data[:open_at] + b"<" + p + b"sheetData></" + p + b"sheetData>" + data[tag_end + 1:]
            tag_end = data.find(b">", open_at)
        self.data = data
        self.open_at = open_at
        self.body_start = tag_end + 1
        self.body_end = data.rfind(b"</" + p + b"sheetData>")
        self.close_end = data.find(b">", self.body_end) + 1
        pe = re.escape(p)
        self._row_tag = re.compile(rb"<" + pe + rb"row\b[^>]*>")
        self._cell = re.compile(rb"<" + pe + rb"c\b([^>]*?)(?:/>|>(.*?)</" + pe + rb"c>)", re.S)
        self._content = re.compile(rb"<" + pe + rb"(?:v|f|is)\b")

    # rows ----------------------------------------------------------------------------------------------------
    def row_before(self, stop: int) -> tuple[int, int] | None:
        """(row number, start) of the last row element starting before ``stop`` inside sheetData."""
        needle = b"<" + self.p + b"row"
        while True:
            start = self.data.rfind(needle, self.body_start, stop)
            if start < 0:
                return None
            if self.data[start + len(needle):start + len(needle) + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
                return self.row_number(start), start
            stop = start

    def row_number(self, start: int) -> int:
        tag = self._row_tag.match(self.data, start)
        m = re.search(rb"\sr=[\"'](\d+)[\"']", tag.group(0)) if tag else None
        if m is None:
            raise PatchError(f"シート「{self.label}」に行番号のない行があるため書き込めません。")
        return int(m.group(1))

    def cells(self, start: int, stop: int):
        """(column, style, has content, raw bytes) for each cell of the row in data[start:stop]."""
        for m in self._cell.finditer(self.data, start, stop):
            attrs = m.group(1)
            ref = re.search(rb"\sr=[\"']([A-Za-z]+)\d+[\"']", attrs)
            if ref is None:
                raise PatchError(f"シート「{self.label}」にセル番地のないセルがあるため書き込めません。")
            s = re.search(rb"\ss=[\"'](\d+)[\"']", attrs)
            body = m.group(2) or b""
            yield col_number(ref.group(1).decode()), int(s.group(1)) if s else None, \
                bool(self._content.search(body)), m.group(0)

    def has_content(self, start: int, stop: int, c1: int, c2: int) -> bool:
        return any(c1 <= col <= c2 and full for col, _, full, _ in self.cells(start, stop))

    def cell_styles(self, start: int, stop: int) -> dict[int, int]:
        return {col: s for col, s, _, _ in self.cells(start, stop) if s is not None}

    def col_styles(self) -> dict[int, int]:
        """Column default styles from <cols>."""
        head = self.data[:self.open_at]
        out = {}
        for m in re.finditer(rb"<" + re.escape(self.p) + rb"col\b([^>]*)>", head):
            a = dict(re.findall(rb"(\w+)=[\"']([^\"']*)[\"']", m.group(1)))
            if b"style" in a and b"min" in a:
                for c in range(int(a[b"min"]), int(a.get(b"max", a[b"min"])) + 1):
                    out[c] = int(a[b"style"])
        return out

    def row_span(self, start: int) -> int:
        """Where the row element starting at ``start`` ends."""
        tag = self._row_tag.match(self.data, start).group(0)
        if tag.endswith(b"/>"):
            return start + len(tag)
        close = b"</" + self.p + b"row>"
        return self.data.index(close, start) + len(close)

    def find_rows(self, wanted: set[int]) -> dict[int, tuple[int, int]]:
        """row number -> (start, stop) of those row elements that exist."""
        found: dict[int, tuple[int, int]] = {}
        p = self.p
        for r in sorted(wanted):  # Excel writes r first: a direct search, no walk over 50,000 rows
            start = self.data.find(b"<" + p + b'row r="' + str(r).encode() + b'"', self.body_start, self.body_end)
            if start >= 0:
                found[r] = (start, self.row_span(start))
        if len(found) < len(wanted):  # some other writer's attribute order: walk the rows once
            for m in self._row_tag.finditer(self.data, self.body_start, self.body_end):
                r = self.row_number(m.start())
                if r in wanted and r not in found:
                    found[r] = (m.start(), self.row_span(m.start()))
        return found

    def rewrite_row(self, start: int, stop: int, new_cells: dict[int, str | None], keep_content: bool,
                    c1: int = 0, c2: int = 0) -> str:
        """The row with ``new_cells`` put in (None empties a cell), its other cells and attributes kept. With
        ``keep_content`` false (an append into an empty row) a value already within c1..c2 stops the write."""
        tag = self._row_tag.match(self.data, start).group(0).decode()
        p = self.p.decode()
        kept: list[tuple[int, str]] = []
        for col, _, full, raw in self.cells(start, stop):
            if full and not keep_content and c1 <= col <= c2:
                raise PatchError(
                    f"シート「{self.label}」のテーブルのすぐ下（{self.row_number(start)}行目）に入力があるため、"
                    "上書きを避けて追記を中止しました。その行を移動するか削除してから再実行してください。")
            if col not in new_cells:
                kept.append((col, raw.decode()))
        tag = re.sub(r"\sspans=[\"'][^\"']*[\"']", "", tag)  # the span hint could be stale
        if tag.endswith("/>"):
            tag = tag[:-2].rstrip() + ">"
        cells = sorted(kept + [(c, x) for c, x in new_cells.items() if x is not None])
        return tag + "".join(c for _, c in cells) + f"</{p}row>"

    # sheet-level attributes ----------------------------------------------------------------------------------
    def dimension_patched(self, head: bytes, last_col: int, last_row: int) -> bytes:
        """head with <dimension ref> grown to cover (last_col, last_row)."""
        pat = re.compile(rb"(<" + re.escape(self.p) + rb"dimension\b[^>]*?\sref=[\"'])([^\"']*)([\"'])")

        def fix(m: re.Match) -> bytes:
            if not m.group(2):
                c1, r1, c2, r2 = 1, 1, last_col, last_row
            else:
                try:
                    c1, r1, c2, r2 = parse_range(m.group(2).decode())
                except PatchError:
                    c1, r1, c2, r2 = 1, 1, 1, 1
                c2, r2 = max(c2, last_col), max(r2, last_row)
            return m.group(1) + format_range(c1, r1, max(c2, 1), max(r2, 1)).encode() + m.group(3)

        return pat.sub(fix, head, count=1)


_SQREF_ATTR = re.compile(rb"(<(?:\w+:)?(?:conditionalFormatting|dataValidation)\b[^>]*?\ssqref=[\"'])([^\"']*)([\"'])")
_SQREF_EL = re.compile(rb"(<(?:\w+:)?sqref>)([^<]*)(</(?:\w+:)?sqref>)")


def extend_ranges(tail: bytes, c1: int, first_row: int, c2: int, old_last: int, new_last: int) -> bytes:
    """Grow conditional-format and validation ranges that ended at the table's last row, as Excel does when a
    table grows, so drop-downs and highlights reach the new rows."""
    def fix_list(text: bytes) -> bytes:
        out = []
        for part in text.decode().split():
            try:
                a, r1, b, r2 = parse_range(part)
            except PatchError:
                out.append(part)
                continue
            if r2 == old_last and r1 >= first_row and c1 <= a and b <= c2:
                part = format_range(a, r1, b, new_last)
            out.append(part)
        return " ".join(out).encode()

    def fix(m: re.Match) -> bytes:
        return m.group(1) + fix_list(m.group(2)) + m.group(3)

    return _SQREF_EL.sub(fix, _SQREF_ATTR.sub(fix, tail))


# ---------------------------------------------------------------------------------------------------------------
# The frame of an owned sheet

# CT_Worksheet's child order: an element the frame needs is inserted at its place.
_ORDER = ["sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr",
          "sheetProtection", "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate",
          "customSheetViews", "mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks",
          "printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties",
          "cellWatches", "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF",
          "picture", "oleObjects", "controls", "webPublishItems", "tableParts", "extLst"]
_ROWS_MARK = "toolkit-rows"


def new_sheet_frame() -> bytes:
    return (f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><dimension ref="A1"/><sheetViews><sheetView '
            'workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="18"/><sheetData/><pageMargins '
            'left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>').encode()


class Frame:
    """Everything of a worksheet but its rows, as a tree; ``bytes(rows)`` puts the rows back in."""

    def __init__(self, sheet: Sheet):
        self.p = sheet.p.decode()
        self.root = parse_xml(sheet.data[:sheet.open_at] + b"<" + sheet.p + b"sheetData/>" +
                              sheet.data[sheet.close_end:], sheet.label)
        data = self.root.find(f"{_M}sheetData")
        data.append(etree.Comment(_ROWS_MARK))

    def child(self, name: str, create: bool = True) -> etree._Element | None:
        el = self.root.find(f"{_M}{name}")
        if el is None and create:
            el = etree.Element(f"{_M}{name}")
            later = [c for c in self.root if isinstance(c.tag, str)
                     and etree.QName(c).localname in _ORDER[_ORDER.index(name) + 1:]]
            if later:
                later[0].addprevious(el)
            else:
                self.root.append(el)
        return el

    def remove(self, name: str) -> None:
        for el in self.root.findall(f"{_M}{name}"):
            self.root.remove(el)

    def set_dimension(self, last_col: int, last_row: int) -> None:
        self.child("dimension").set("ref", format_range(1, 1, max(last_col, 1), max(last_row, 1)))

    def set_widths(self, widths: dict[int, float]) -> None:
        self.remove("cols")
        if widths:
            cols = self.child("cols")
            for c, w in sorted(widths.items()):
                etree.SubElement(cols, f"{_M}col", min=str(c), max=str(c), width=f"{w:g}", customWidth="1")

    def set_freeze(self, rows: int) -> None:
        """Keep the first ``rows`` rows in view (0: no frozen pane)."""
        views = self.child("sheetViews")
        view = views.find(f"{_M}sheetView")
        if view is None:
            view = etree.SubElement(views, f"{_M}sheetView", workbookViewId="0")
        for el in view.findall(f"{_M}pane") + view.findall(f"{_M}selection"):
            view.remove(el)
        if rows > 0:
            top = f"A{rows + 1}"
            view.insert(0, etree.Element(f"{_M}selection", pane="bottomLeft", activeCell=top, sqref=top))
            view.insert(0, etree.Element(f"{_M}pane", ySplit=str(rows), topLeftCell=top, activePane="bottomLeft",
                                         state="frozen"))

    def drop_merges(self, last_col: int, last_row: int) -> None:
        """Merged ranges over the cells the toolkit writes hide what it writes (a merge over 集計 hid the 更新
        time): they go."""
        merges = self.child("mergeCells", create=False)
        if merges is None:
            return
        for el in list(merges):
            try:
                c1, r1, _, _ = parse_range(el.get("ref", ""))
            except PatchError:
                continue
            if c1 <= last_col and r1 <= last_row:
                merges.remove(el)
        if len(merges) == 0:
            self.root.remove(merges)
        else:
            merges.set("count", str(len(merges)))

    def fit_to_page_width(self, landscape: bool) -> None:
        """Print on pages one sheet wide (as many pages down as needed)."""
        pr = self.child("sheetPr")
        setup_pr = pr.find(f"{_M}pageSetUpPr")
        if setup_pr is None:
            setup_pr = etree.SubElement(pr, f"{_M}pageSetUpPr")  # last of sheetPr's children
        setup_pr.set("fitToPage", "1")
        self.child("pageMargins").attrib.update(
            {"left": "0.5", "right": "0.5", "top": "0.6", "bottom": "0.6", "header": "0.3", "footer": "0.3"})
        setup = self.child("pageSetup")
        for key in list(setup.attrib):
            if etree.QName(key).namespace == NS_REL:  # printer settings part: Excel rewrites it; keep the link
                continue
            del setup.attrib[key]
        setup.attrib.update({"paperSize": "9", "orientation": "landscape" if landscape else "portrait",
                             "fitToWidth": "1", "fitToHeight": "0"})

    def drawing_rel(self) -> str | None:
        el = self.child("drawing", create=False)
        return el.get(f"{{{NS_REL}}}id") if el is not None else None

    def set_drawing_rel(self, rel_id: str | None) -> None:
        self.remove("drawing")
        if rel_id is not None:
            self.child("drawing").set(f"{{{NS_REL}}}id", rel_id)

    def bytes_with(self, rows: str) -> bytes:
        """The sheet XML with ``rows`` inside sheetData."""
        # A relationship id added to a sheet that declared no r: prefix: declare it once, on the root.
        etree.cleanup_namespaces(self.root, top_nsmap={"r": NS_REL})
        text = etree.tostring(self.root, encoding="UTF-8", xml_declaration=False)
        mark = f"<!--{_ROWS_MARK}-->".encode()
        at = text.index(mark)
        head = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + text[:at]
        return head + rows.encode("utf-8") + text[at + len(mark):]
