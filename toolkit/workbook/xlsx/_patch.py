"""The patches: append rows to a sheet's table, write a sheet the toolkit owns (or add it)."""
from __future__ import annotations

import posixpath
import re
from typing import Mapping, Sequence

from lxml import etree

from toolkit.workbook.layout import SheetLayout
from toolkit.workbook.xlsx import _chart
from toolkit.workbook.xlsx._cells import CellWriter, col_letters
from toolkit.workbook.xlsx._opc import (CT_WORKSHEET, NS_MAIN, NS_REL, REL_WORKSHEET, Book, SheetRef, open_book,
                                        read_rels)
from toolkit.workbook.xlsx._plan import Plan, SheetCheck
from toolkit.workbook.xlsx._render import Content, from_layout, from_matrix, rows_xml
from toolkit.workbook.xlsx._sheet import Frame, Sheet, extend_ranges, new_sheet_frame
from toolkit.workbook.xlsx._styles import StyleSheet
from toolkit.workbook.xlsx._tables import pick_table, sheet_tables
from toolkit.workbook.xlsx._zip import Package, PatchError

Rows = Sequence[Mapping[str, object]]
SheetContent = SheetLayout | Sequence[Sequence[object]]
_M = f"{{{NS_MAIN}}}"
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def append_rows(plan: Plan, book: Book, styles: StyleSheet, sheet_ref: SheetRef, rows: Rows) -> None:
    headers = {h for row in rows for h in row}
    table = pick_table(book, sheet_ref, headers)
    if table.totals_rows:
        raise PatchError(f"シート「{sheet_ref.name}」のテーブル {table.name} に集計行があるため追記できません。"
                         "集計行をオフにしてから再実行してください。")
    sheet = Sheet(plan.read(sheet_ref.part), sheet_ref.name)
    data, c1, c2 = sheet.data, table.c1, table.c2

    # Walk back from </sheetData> over rows below the table and empty table rows to the last row with data.
    trailing: list[tuple[int, int, int]] = []  # (row, start, stop), bottom first
    last_data: tuple[int, int, int] | None = None
    stop = sheet.body_end
    while (found := sheet.row_before(stop)) is not None:
        r, start = found
        if r < table.first_data_row:
            break
        if r > table.r2 or not sheet.has_content(start, stop, c1, c2):
            trailing.append((r, start, stop))
            stop = start
            continue
        last_data = (r, start, stop)
        break
    insert_at = stop
    first_new = last_data[0] + 1 if last_data else table.first_data_row
    last_new = first_new + len(rows) - 1

    # Formats: the last data row's cells, else the (empty) first table row's, else <col style>; the writer then
    # fits each to its value's type.
    col_styles = sheet.col_styles()
    if last_data:
        col_styles.update(sheet.cell_styles(last_data[1], last_data[2]))
    else:
        placeholder = next((t for t in trailing if t[0] == table.first_data_row), None)
        if placeholder:
            col_styles.update(sheet.cell_styles(placeholder[1], placeholder[2]))

    # Per column, in sheet order: (header given by the rows or None, column, letters, format, calculated-column
    # formula).
    given = {table.column_of(h): h for h in headers}
    columns = [(given.get(i), c1 + i, col_letters(c1 + i), col_styles.get(c1 + i), formula)
               for i, formula in enumerate(table.formulas) if i in given or formula]
    writer = CellWriter(styles.style_for, book.date1904, sheet.p.decode())
    cell = writer.cell
    existing = {r: (start, stop_) for r, start, stop_ in trailing if r <= last_new}
    filled: list[tuple[int, int]] = []
    out: list[str] = []
    p = sheet.p.decode()
    for r, row in enumerate(rows, start=first_new):
        number = str(r)
        cells: list[tuple[int, str]] = []
        for header, c, letters, style, formula in columns:
            v = row.get(header) if header is not None else None
            if v is None:
                if formula:  # a calculated column staff added: the new row gets the column's formula
                    cells.append((c, writer.formula(letters + number, formula, style)))
                continue
            xml = cell(letters + number, v, style)
            if xml is not None:
                cells.append((c, xml))
                filled.append((r, c))
        if r in existing:
            out.append(sheet.merge_row(*existing[r], dict(cells), c1, c2))
        else:
            out.append(f'<{p}row r="{number}">' + "".join(x for _, x in cells) + f"</{p}row>")
    # Rows below the new ones stay as they were.
    below = [start for r, start, _ in trailing if r > last_new]
    rest_at = min(below) if below else sheet.body_end

    head = sheet.dimension_patched(data[:sheet.open_at], c2, last_new)
    tail = data[sheet.body_end:]
    if last_new > table.r2:
        tail = extend_ranges(tail, c1, table.first_data_row, c2, table.r2, last_new)
    new = "".join(out).encode("utf-8")
    before = head + data[sheet.open_at:insert_at]
    content = b"".join([before, new, data[rest_at:sheet.body_end], tail])
    # Verification reads the sheet without its old rows: the head up to <sheetData>, the new rows, the tail.
    open_end = len(head) + (sheet.body_start - sheet.open_at)
    close_at = len(content) - len(tail)
    check = SheetCheck(sheet_ref.name, filled, [(0, open_end), (len(before), len(before) + len(new)),
                                                (close_at, len(content))])
    plan.put(sheet_ref.part, content, check)
    plan.put(table.part, table.with_last_row(max(last_new, table.r2)))


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


def make_plan(pkg: Package, append: Mapping[str, Rows], replace_sheets: Mapping[str, SheetContent]) -> Plan:
    plan = Plan(pkg)
    book = open_book(plan)
    styles = StyleSheet(plan, book)
    clash = set(append) & set(replace_sheets)
    if clash:
        raise PatchError(f"シート「{'」「'.join(sorted(clash))}」に追記と置き換えを同時には行えません。")
    for name, rows in append.items():
        ref = book.sheet(name)
        if ref is None:
            raise PatchError(f"シート「{name}」が見つかりません。")
        if ref.part is None:
            raise PatchError(f"「{name}」はワークシートではないため追記できません。")
        rows = [row for row in rows if any(v is not None for v in row.values())]  # an empty row adds nothing
        if rows:
            append_rows(plan, book, styles, ref, rows)
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
