"""The master workbook template, built from the contract in ``schema.py``.

Every table sits on its own sheet as an Excel Table (ListObject) so staff can sort, filter and add rows; every
vocabulary column gets a drop-down fed by a hidden lists sheet through a defined name. The template is generated
by code (``scripts/make_template.py``) so it can never drift from the schema.

What makes it pleasant to open and to print: a Japanese UI font as the book's base font, a 使い方 sheet
(``guide.py``), input messages on the required headers, 企業名 shown beside each typed 企業ID (a calculated column
the toolkit never writes), and every sheet set up to print one page wide with its header row on every page.
"""
from __future__ import annotations

import io
from datetime import date
from importlib import resources
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableFormula, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from toolkit import schema
from toolkit.japanese import display_width
from toolkit.workbook import guide
from toolkit.workbook.layout import STATUS_COLORS, SUMMARY_FROZEN_ROWS

# Package data (pyproject: package-data), found wherever toolkit is installed.
TEMPLATE_PATH = Path(str(resources.files("toolkit") / "workbook_templates" / "master.xlsx"))

# The book's base font: a Japanese UI font every current Windows has (10 1809 and later) and Microsoft 365
# provides on a Mac; designed for legibility, and it prints as it shows (游ゴシック's wider print metrics cut text).
BASE_FONT = "BIZ UDPゴシック"
BASE_SIZE = 11

TABLE_STYLE = "TableStyleMedium2"
OWNED_TAB_COLOR = "FF808080"
REQUIRED_HEADER_FILL = "FF203864"  # darker than the table style's header blue: "must be filled"
LOOKUP_HEADER_FILL = "FF808080"  # grey: "filled by Excel, not by you"
# Rows a drop-down covers: far beyond a year of any table but 利用実績, whose rows mostly arrive through the sync.
VALIDATION_LAST_ROW = 10000

FORMAT_YEN = "#,##0"
FORMAT_DATE = "yyyy/mm/dd"
FORMAT_DATETIME = "yyyy/mm/dd hh:mm"
FORMAT_TEXT = "@"

# The column of the settings table that explains each item (an added column: the contract allows it).
SETTINGS_NOTE_HEADER = "説明"
SETTINGS_NOTE_WIDTH = 56
LINE_HEIGHT = 15.0  # points per line of 11 pt text, for rows whose wrapped text needs more than one line

SUMMARY_NOTE = ("このシートは toolkit が書き換えます（Excel の「集計を更新」ボタン、または toolkit summary）。"
                "手で編集しないでください。")
SUMMARY_RANGE = "A1:Z300"

# Printing: A4, one page wide, header row on every page; landscape when wider than a portrait page, A3 when even
# a landscape A4 page would shrink the text below about half its size.
PAPER_A4, PAPER_A3 = 9, 8
PORTRAIT_MAX_CHARS = 100
A4_MAX_CHARS = 220
FOOTER = "&A（&P / &N）"  # sheet name (page / pages)

GUIDE_WIDTHS = {1: 22.0, 2: 6.0, 3: 30.0, 4: 76.0}


def font(**kw) -> Font:
    """A font of the book's family: every explicit font names it, or Excel falls back to Calibri for that cell."""
    return Font(name=BASE_FONT, charset=128, family=3, sz=kw.pop("sz", BASE_SIZE), **kw)


def column_format(table: schema.Table, column: schema.Column) -> str | None:
    """The number format of a column, or None for Excel's General."""
    if column.kind == "yen":
        return FORMAT_YEN
    if column.kind == "date":
        return FORMAT_DATE
    if column.kind == "datetime":
        return FORMAT_DATETIME
    if column.kind == "id" or column.key == "corporate_number":
        # Text format keeps what is typed: 法人番号 0123… keeps its leading zero, an ID 001 stays "001".
        return FORMAT_TEXT
    if column.kind == "choice" and all(v.isdigit() for v in schema.VOCABULARIES[column.vocabulary or ""]):
        # 取組段階 1–4: the list holds text, so a typed 1 must stay text to match it.
        return FORMAT_TEXT
    return None


def column_width(column: schema.Column) -> float:
    # The header must stay readable next to the table's filter button (about two characters).
    return max(column.width or 10, display_width(column.header) + 3)


LOOKUP_COLUMN = schema.Column(guide.LOOKUP_HEADER, "lookup_company_name", width=guide.COMPANY_NAME.width)


def table_columns(table: schema.Table) -> tuple[schema.Column, ...]:
    """The template's columns of a table: the contract's in their order, plus 説明 on the settings table and the
    企業名 lookup right after 企業ID where staff type company IDs."""
    if table is schema.SETTINGS:
        return table.columns + (schema.Column(SETTINGS_NOTE_HEADER, "note", width=SETTINGS_NOTE_WIDTH),)
    if table in guide.LOOKUP_TABLES:
        at = table.headers.index(schema.COMPANIES.id_column) + 1
        return table.columns[:at] + (LOOKUP_COLUMN,) + table.columns[at:]
    return table.columns


def lookup_formula(table: schema.Table) -> str:
    """企業名 of this row's 企業ID, blank while the ID is empty or unknown (the checks report unknown IDs)."""
    companies, cid = schema.COMPANIES.name, schema.COMPANIES.id_column
    return (f'IFERROR(INDEX({companies}[{guide.LOOKUP_HEADER}],'
            f'MATCH({table.name}[[#This Row],[{cid}]],{companies}[{cid}],0)),"")')


def table_ref(table: schema.Table, data_rows: int) -> str:
    """The A1 range of a table with its header and ``data_rows`` rows (at least one: Excel requires it)."""
    last = get_column_letter(len(table_columns(table)))
    return f"A1:{last}{1 + max(data_rows, 1)}"


def resize_table(ws: Worksheet, table: schema.Table, data_rows: int) -> None:
    """Grow (or shrink) the sheet's Excel Table to ``data_rows`` rows, keeping its filter range in step and its
    calculated column (企業名) filled in every row, as Excel does when a table grows."""
    xl_table = ws.tables[table.name]
    xl_table.ref = table_ref(table, data_rows)
    if xl_table.autoFilter is not None:
        xl_table.autoFilter.ref = xl_table.ref
    if table in guide.LOOKUP_TABLES:
        column = table_columns(table).index(LOOKUP_COLUMN) + 1
        formula = "=" + lookup_formula(table)
        for row in range(2, 2 + max(data_rows, 1)):
            ws.cell(row=row, column=column, value=formula)


def _print_setup(ws: Worksheet, width_chars: float, *, title_rows: str | None = "1:1") -> None:
    """One page wide, as many pages down as the rows need, the header row on each page, the page number below."""
    ws.page_setup.paperSize = PAPER_A3 if width_chars > A4_MAX_CHARS else PAPER_A4
    ws.page_setup.orientation = "landscape" if width_chars > PORTRAIT_MAX_CHARS else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: as many pages as needed
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = FOOTER


def fit_row_height(ws: Worksheet, row: int, widths: dict[int, float]) -> None:
    """Make a row tall enough for its wrapped text. Neither Excel nor LibreOffice grows a row for wrapped text in
    a file they open (only when a cell is edited), so the height is estimated here from the text's width."""
    lines = 1
    for column, width in widths.items():
        value = ws.cell(row=row, column=column).value
        if isinstance(value, str):
            lines = max(lines, -(-display_width(value) // max(int(width) - 1, 1)))
    if lines > 1:
        ws.row_dimensions[row].height = 3 + LINE_HEIGHT * lines


def _add_table_sheet(wb: Workbook, table: schema.Table) -> Worksheet:
    ws = wb.create_sheet(table.sheet)
    columns = table_columns(table)
    for index, column in enumerate(columns, start=1):
        header = ws.cell(row=1, column=index, value=column.header)
        if column.required:
            header.fill = PatternFill("solid", start_color=REQUIRED_HEADER_FILL, end_color=REQUIRED_HEADER_FILL)
        elif column is LOOKUP_COLUMN:
            header.fill = PatternFill("solid", start_color=LOOKUP_HEADER_FILL, end_color=LOOKUP_HEADER_FILL)
        letter = get_column_letter(index)
        dimension = ws.column_dimensions[letter]
        dimension.width = column_width(column)
        fmt = column_format(table, column)
        if fmt is not None:
            # Whole-column style for rows Excel adds later, and the first data row for the table's own row.
            dimension.number_format = fmt
            ws.cell(row=2, column=index).number_format = fmt
    xl_table = Table(displayName=table.name, ref=table_ref(table, 1))
    xl_table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True, showColumnStripes=False,
                                             showFirstColumn=False, showLastColumn=False)
    for index, column in enumerate(columns, start=1):
        formula = TableFormula(attr_text=lookup_formula(table)) if column is LOOKUP_COLUMN else None
        xl_table.tableColumns.append(TableColumn(id=index, name=column.header, calculatedColumnFormula=formula))
    ws.add_table(xl_table)
    resize_table(ws, table, 1)
    ws.freeze_panes = "A2"
    if table.owned:
        ws.sheet_properties.tabColor = OWNED_TAB_COLOR
    _print_setup(ws, sum(column_width(c) for c in columns))
    return ws


def _add_lists_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(schema.LISTS_SHEET)
    ws.sheet_state = "hidden"
    for index, (vocabulary, values) in enumerate(schema.VOCABULARIES.items(), start=1):
        letter = get_column_letter(index)
        ws.cell(row=1, column=index, value=vocabulary)
        for offset, value in enumerate(values, start=2):
            # Written as text (取組段階 "1" too) so the list and the reader agree on the value.
            cell = ws.cell(row=offset, column=index, value=value)
            cell.number_format = FORMAT_TEXT
        ws.column_dimensions[letter].width = max(display_width(v) for v in (vocabulary, *values)) + 2
        name = schema.VOCABULARY_NAMES[vocabulary]
        target = f"{quote_sheetname(schema.LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        wb.defined_names[name] = DefinedName(name, attr_text=target)


def _validation(column: schema.Column, letter: str) -> DataValidation:
    values = schema.VOCABULARIES[column.vocabulary or ""]
    listed = "、".join(values)
    # formula1 holds the formula as stored in the file: without the leading "=" Excel shows in its dialog.
    dv = DataValidation(
        type="list",
        formula1=schema.VOCABULARY_NAMES[column.vocabulary or ""],
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        # "warning" rather than "stop": pasted data must go in; the checks report what is outside the list.
        errorStyle="warning",
        errorTitle="一覧にない値です",
        error=f"「{column.header}」は一覧から選んでください（{listed}）。このまま入力するとチェックでエラーになります。",
        promptTitle=column.header[:32],
        prompt=(("【必須】" if column.required else "") + f"一覧から選んでください：{listed}")[:255],
    )
    dv.add(f"{letter}2:{letter}{VALIDATION_LAST_ROW}")
    return dv


def _id_validation(column: schema.Column, target: schema.Table, letter: str) -> DataValidation:
    """A drop-down of the IDs of the table a column refers to (schema.REFERENCES): 企業ID from the Companies table,
    and so on. INDIRECT, because Excel does not take a structured reference directly in a validation list; the list
    follows the table as staff add rows."""
    dv = DataValidation(
        type="list",
        formula1=f'INDIRECT("{target.name}[{target.id_column}]")',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        # "stop": a typed ID that is not there is refused at entry (a typo would leave the row out of every figure).
        # Excel does not validate pasted cells, so pasting rows from elsewhere still works; the checks name those.
        errorStyle="stop",
        errorTitle=f"「{target.sheet}」シートにない{column.header}です",
        error=(f"{column.header}は「{target.sheet}」シートの{target.id_column}から選んでください。新しい場合は、先に"
               f"「{target.sheet}」シートに行を追加してください。")[:255],
        promptTitle=column.header[:32],
        prompt=(("【必須】" if column.required else "") + f"「{target.sheet}」シートの{target.id_column}から選びます")[:255],
    )
    dv.add(f"{letter}2:{letter}{VALIDATION_LAST_ROW}")
    return dv


def _header_note(table: schema.Table, column: schema.Column, letter: str) -> DataValidation | None:
    """An input message on the header cell: shown when staff select it (no rule: any value is allowed)."""
    prompt = guide.header_prompt(table, column)
    if prompt is None:
        return None
    dv = DataValidation(allow_blank=True, showInputMessage=True, showErrorMessage=False,
                        promptTitle=column.header[:32], prompt=prompt[:255])
    dv.add(f"{letter}1")
    return dv


def _add_validations(wb: Workbook) -> None:
    targets = {(table.sheet, key): target for table, key, target, _ in schema.REFERENCES}
    for table in schema.TABLES:
        ws = wb[table.sheet]
        for index, column in enumerate(table_columns(table), start=1):
            letter = get_column_letter(index)
            if column.kind == "choice":
                ws.add_data_validation(_validation(column, letter))
            elif (table.sheet, column.key) in targets:
                ws.add_data_validation(_id_validation(column, targets[(table.sheet, column.key)], letter))
            note = _header_note(table, column, letter) if column in table.columns else None
            if note is not None:
                ws.add_data_validation(note)


def _fill_settings(ws: Worksheet) -> None:
    top = Alignment(vertical="top")  # a row with a two-line note: its item and value stay beside the first line
    for row, setting in enumerate(schema.SETTING_ITEMS, start=2):
        ws.cell(row=row, column=1, value=setting.item).alignment = top
        value = setting.default
        cell = ws.cell(row=row, column=2, value=None if value == "" else value)
        cell.alignment = top
        if isinstance(value, date):
            cell.number_format = FORMAT_DATE
        elif setting.kind == "yen":
            cell.number_format = FORMAT_YEN
        elif setting.kind == "text":
            # Text items (IDs, UPNs) typed later must stay text.
            cell.number_format = FORMAT_TEXT
        note = ws.cell(row=row, column=3, value=setting.note or None)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        fit_row_height(ws, row, {3: SETTINGS_NOTE_WIDTH})
    resize_table(ws, schema.SETTINGS, len(schema.SETTING_ITEMS))


def _add_summary_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(schema.SUMMARY_SHEET, 0)
    ws.sheet_properties.tabColor = OWNED_TAB_COLOR
    note = ws.cell(row=1, column=1, value=SUMMARY_NOTE)
    note.font = font(bold=True, color="595959")
    for word, (fill, colour) in STATUS_COLORS.items():
        ws.conditional_formatting.add(SUMMARY_RANGE, CellIsRule(
            operator="equal", formula=[f'"{word}"'],
            fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill),
            font=Font(color=colour, bold=True),
        ))
    ws.column_dimensions["A"].width = 16
    # The title and update time stay in view. Frozen here, once: a book in SharePoint is written through the
    # workbook API, which cannot set panes (Graph v1.0 has no freezePanes), and a local rewrite freezes the same.
    ws.freeze_panes = f"A{SUMMARY_FROZEN_ROWS + 1}"
    _print_setup(ws, PORTRAIT_MAX_CHARS + 1, title_rows=None)


def _add_guide_sheet(wb: Workbook, at: int) -> None:
    """使い方: the rules of the book, then per sheet what it is for and each column with an example."""
    ws = wb.create_sheet(schema.GUIDE_SHEET, at)
    title, section, header, note = (font(bold=True, sz=14, color="1F4E79"), font(bold=True, sz=12, color="1F4E79"),
                                    font(bold=True, color="FFFFFF"), font(sz=9, color="595959"))
    band = PatternFill("solid", start_color="FF4472C4", end_color="FF4472C4")
    wrap = Alignment(wrap_text=True, vertical="top")
    rows: list[tuple[list[object], Font | None, bool]] = [
        (["使い方（このブックの入力のしかた）"], title, False),
        (["toolkit が作成したシートです。ここを書き換えても toolkit の動作には影響しません。"], note, False),
        ([], None, False),
        (["■ 入力のきまり"], section, False),
        *(([line], None, False) for line in guide.INTRO),
        ([], None, False),
    ]
    for table in schema.TABLES:
        rows.append(([f"■ {table.sheet} — {guide.PURPOSES[table.sheet]}"], section, False))
        rows.append((["列", "必須", "入力例", "入力のしかた"], header, True))
        for h in guide.table_help(table):
            rows.append(([h.header, "○" if h.required else "", h.example, h.note], None, False))
        rows.append(([], None, False))
    for r, (values, style, banded) in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value if value != "" else None)
            if style is not None:
                cell.font = style
            if banded:
                cell.fill = band
            if len(values) == 4:
                cell.alignment = wrap
                cell.number_format = FORMAT_TEXT  # examples are shown as typed ("3,000", "2025/9/1")
        if len(values) == 4:
            fit_row_height(ws, r, GUIDE_WIDTHS)
    for c, width in GUIDE_WIDTHS.items():
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.sheet_view.showGridLines = False
    _print_setup(ws, sum(GUIDE_WIDTHS.values()), title_rows=None)
    ws.page_setup.orientation = "portrait"  # a document to read: portrait even though it is wide on screen


def _japanese_base_font(wb: Workbook) -> None:
    """Make the book's default font (font 0, the Normal style) the Japanese UI font, before any cell exists."""
    base = font()
    wb._fonts = IndexedList([base])  # openpyxl has no public way to change the default font
    wb._named_styles["Normal"].font = base


def build_template() -> Workbook:
    """A new, empty master workbook: one Excel Table per contract table, drop-downs, settings pre-filled."""
    wb = Workbook()
    _japanese_base_font(wb)
    wb.remove(wb.active)
    for table in schema.TABLES:
        _add_table_sheet(wb, table)
    _fill_settings(wb[schema.SETTINGS.sheet])
    _add_lists_sheet(wb)
    _add_validations(wb)
    # First, so staff see it on opening; the toolkit writes its contents later. 使い方 right after it.
    _add_summary_sheet(wb)
    _add_guide_sheet(wb, 1)
    wb.active = 0
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_template(path: str | Path) -> None:
    """Write a new, empty master workbook to ``path``; never overwrite an existing file."""
    path = Path(path)
    data = workbook_bytes(build_template())
    try:
        # "x": the existence check and the creation are one step, so a file appearing meanwhile is not clobbered.
        with open(path, "xb") as handle:
            handle.write(data)
    except FileExistsError:
        raise FileExistsError(f"{path} は既に存在します。上書きしないため、別のファイル名を指定してください。") from None
