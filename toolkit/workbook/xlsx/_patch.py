"""The patches: rows of a sheet's table (``_rows``), a sheet the toolkit owns (written or added), and the plan of a
whole write."""
from __future__ import annotations

import posixpath
import re
from typing import Mapping, Sequence

from lxml import etree

from toolkit.workbook.layout import SheetLayout
from toolkit.workbook.xlsx import _chart
from toolkit.workbook.xlsx._cells import CellWriter
from toolkit.workbook.xlsx._opc import (CT_WORKSHEET, NS_MAIN, NS_REL, REL_WORKSHEET, Book, SheetRef, open_book,
                                        read_rels)
from toolkit.workbook.xlsx._plan import Plan, SheetCheck
from toolkit.workbook.xlsx._render import Content, from_layout, from_matrix, rows_xml
from toolkit.workbook.xlsx._rows import RowUpdate, Rows, edit_table_rows
from toolkit.workbook.xlsx._sheet import Frame, Sheet, new_sheet_frame
from toolkit.workbook.xlsx._styles import StyleSheet
from toolkit.workbook.xlsx._tables import sheet_tables
from toolkit.workbook.xlsx._zip import Package, PatchError

SheetContent = SheetLayout | Sequence[Sequence[object]]
_M = f"{{{NS_MAIN}}}"
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def write_sheet(plan: Plan, book: Book, styles: StyleSheet, name: str, content: SheetContent) -> bool:
    """Write a sheet the toolkit owns (adding it when missing). Returns whether its old cells held formulas."""
    ref = book.sheet(name)
    if ref is not None and ref.part is None:
        raise PatchError(f"「{name}」はワークシートではないため置き換えられません。")
    new = ref is None
    if new:
        ref = add_sheet(plan, book, name)
        sheet = Sheet(new_sheet_frame(), name)
    else:
        sheet = Sheet(plan.read(ref.part), name)
    body = from_layout(content, styles) if isinstance(content, SheetLayout) else \
        from_matrix([list(r) for r in content], new)
    writer = CellWriter(styles.style_for, book.date1904, sheet.p.decode())
    rows, filled, last_col, last_row = rows_xml(body, writer)

    had_formulas = re.compile(rb"<" + re.escape(sheet.p) + rb"f[\s>/]").search(
        sheet.data, sheet.body_start, sheet.body_end) is not None
    if not new:
        _check_tables(plan, book, ref, body)
    frame = Frame(sheet)
    frame.set_dimension(last_col, last_row)
    frame.drop_merges(max(last_col, 1), max(last_row, 1))
    if body.widths is not None:
        frame.set_widths(body.widths)
    if body.freeze is not None:
        frame.set_freeze(body.freeze)
    if body.styled:
        frame.fit_to_page_width(landscape=True)
    if body.charts is not None:
        values = {(r, c): v for r, row in enumerate(body.rows, start=1) for c, (v, _) in enumerate(row, start=1)}
        font, _ = styles.base_font()
        frame.set_drawing_rel(_chart.place_charts(
            plan, ref.part, ref.name, frame.drawing_rel(), body.charts, lambda r, c: values.get((r, c)),
            lambda r, c: body.number_formats.get((r, c), "General"), font))
    plan.put(ref.part, frame.bytes_with(rows), SheetCheck(ref.name, filled))
    return had_formulas


def _check_tables(plan: Plan, book: Book, ref: SheetRef, body: Content) -> None:
    """A table on a replaced sheet must keep its header row: the new content has to start with it."""
    for table in sheet_tables(book, ref):
        header = [str(v) for v, _ in body.rows[0]] if body.rows else []
        if (table.c1, table.r1, table.header_rows) != (1, 1, 1) or header[:len(table.columns)] != table.columns:
            raise PatchError(f"シート「{ref.name}」のテーブル {table.name} の見出しが書き込む内容と合わないため、"
                             "置き換えられません。")
        plan.put(table.part, table.with_last_row(max(len(body.rows), 2)))


def add_sheet(plan: Plan, book: Book, name: str) -> SheetRef:
    """A new worksheet part, listed in workbook.xml, its relationships and the content types."""
    if not name or len(name) > 31 or _BAD_SHEET_NAME.search(name) or name.startswith("'") or name.endswith("'"):
        raise PatchError(f"「{name}」はシート名に使えません。")
    folder = posixpath.dirname(book.workbook_part)
    part = plan.new_part_name(posixpath.join(folder, "worksheets", "sheet{}.xml"))
    rid = plan.add_rel(book.workbook_part, REL_WORKSHEET, part)
    sheet_id = max((s.sheet_id for s in book.sheets), default=0) + 1
    sheets = plan.edit(book.workbook_part).find(f"{_M}sheets")
    if sheets is None:
        raise PatchError("ブックの構成要素 workbook.xml にシートの一覧がありません。")
    el = etree.SubElement(sheets, f"{_M}sheet", name=name, sheetId=str(sheet_id))
    el.set(f"{{{NS_REL}}}id", rid)
    plan.set_override(part, CT_WORKSHEET)
    ref = SheetRef(name, sheet_id, rid, part)
    book.sheets.append(ref)
    return ref


def drop_calc_chain(plan: Plan, book: Book) -> None:
    """Remove calcChain.xml: after formulas disappear from a replaced sheet, a chain still naming those cells makes
    Excel report the file as damaged; without a chain Excel simply rebuilds it."""
    chain = next((r for r in read_rels(plan, book.workbook_part) if r.type.endswith("/calcChain")), None)
    if chain is None:
        return
    plan.remove_rels(book.workbook_part, {chain.id})
    plan.drop(chain.target)


def make_plan(pkg: Package, append: Mapping[str, Rows], replace_sheets: Mapping[str, SheetContent],
              update: Mapping[str, Sequence[RowUpdate]] = {}) -> Plan:
    plan = Plan(pkg)
    book = open_book(plan)
    styles = StyleSheet(plan, book)
    clash = (set(append) | set(update)) & set(replace_sheets)
    if clash:
        raise PatchError(f"シート「{'」「'.join(sorted(clash))}」に行の書き込みと置き換えを同時には行えません。")
    for name in dict.fromkeys([*update, *append]):
        ref = book.sheet(name)
        if ref is None:
            raise PatchError(f"シート「{name}」が見つかりません。")
        if ref.part is None:
            raise PatchError(f"「{name}」はワークシートではないため書き込めません。")
        rows = [row for row in append.get(name, ()) if any(v is not None for v in row.values())]  # empty: nothing
        updates = list(update.get(name, ()))
        if rows or updates:
            edit_table_rows(plan, book, styles, ref, rows, updates)
    drop_chain = False
    for name, content in replace_sheets.items():
        drop_chain |= write_sheet(plan, book, styles, name, content)
    if drop_chain:
        drop_calc_chain(plan, book)
    return plan


def table_headers(pkg: Package, sheet: str) -> list[str]:
    book = open_book(pkg)
    ref = book.sheet(sheet)
    if ref is None or ref.part is None:
        raise PatchError(f"シート「{sheet}」が見つかりません。")
    tables = sheet_tables(book, ref)
    if not tables:
        raise PatchError(f"シート「{sheet}」にテーブルがありません。")
    return list(tables[0].columns)
