"""The master workbook template, built from the contract in ``schema.py``.

Every table sits on its own sheet as an Excel Table (ListObject) so staff can sort, filter and add rows; every
vocabulary column gets a drop-down fed by a hidden lists sheet through a defined name. The template is generated
by code (``scripts/make_template.py``) so it can never drift from the schema.
"""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from toolkit import schema
from toolkit.japanese import display_width
from toolkit.workbook.layout import STATUS_COLORS

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "workbook_templates" / "master.xlsx"

TABLE_STYLE = "TableStyleMedium2"
OWNED_TAB_COLOR = "FF808080"
# Rows a drop-down covers: far beyond a year of any table but 利用実績, whose rows mostly arrive through the sync.
VALIDATION_LAST_ROW = 10000

FORMAT_YEN = "#,##0"
FORMAT_DATE = "yyyy/mm/dd"
FORMAT_DATETIME = "yyyy/mm/dd hh:mm"
FORMAT_TEXT = "@"

# The column of the settings table that explains each item (an added column: the contract allows it).
SETTINGS_NOTE_HEADER = "説明"
SETTINGS_NOTE_WIDTH = 56

SUMMARY_NOTE = "このシートは toolkit summary が書き換えます。手で編集しないでください。"
SUMMARY_RANGE = "A1:Z300"



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


def table_columns(table: schema.Table) -> tuple[schema.Column, ...]:
    """The template's columns of a table: the contract's, plus 説明 on the settings table."""
    if table is schema.SETTINGS:
        return table.columns + (schema.Column(SETTINGS_NOTE_HEADER, "note", width=SETTINGS_NOTE_WIDTH),)
    return table.columns


def table_ref(table: schema.Table, data_rows: int) -> str:
    """The A1 range of a table with its header and ``data_rows`` rows (at least one: Excel requires it)."""
    last = get_column_letter(len(table_columns(table)))
    return f"A1:{last}{1 + max(data_rows, 1)}"


def resize_table(ws: Worksheet, table: schema.Table, data_rows: int) -> None:
    """Grow (or shrink) the sheet's Excel Table to ``data_rows`` rows, keeping its filter range in step."""
    xl_table = ws.tables[table.name]
    xl_table.ref = table_ref(table, data_rows)
    if xl_table.autoFilter is not None:
        xl_table.autoFilter.ref = xl_table.ref


def _add_table_sheet(wb: Workbook, table: schema.Table) -> Worksheet:
    ws = wb.create_sheet(table.sheet)
    columns = table_columns(table)
    for index, column in enumerate(columns, start=1):
        ws.cell(row=1, column=index, value=column.header)
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
    ws.add_table(xl_table)
    ws.freeze_panes = "A2"
    if table.owned:
        ws.sheet_properties.tabColor = OWNED_TAB_COLOR
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
        prompt=f"一覧から選んでください：{listed}"[:255],
    )
    dv.add(f"{letter}2:{letter}{VALIDATION_LAST_ROW}")
    return dv


def _add_validations(wb: Workbook) -> None:
    for table in schema.TABLES:
        ws = wb[table.sheet]
        for index, column in enumerate(table_columns(table), start=1):
            if column.kind == "choice":
                ws.add_data_validation(_validation(column, get_column_letter(index)))


def _fill_settings(ws: Worksheet) -> None:
    for row, setting in enumerate(schema.SETTING_ITEMS, start=2):
        ws.cell(row=row, column=1, value=setting.item)
        value = setting.default
        cell = ws.cell(row=row, column=2, value=None if value == "" else value)
        if isinstance(value, date):
            cell.number_format = FORMAT_DATE
        elif setting.kind == "yen":
            cell.number_format = FORMAT_YEN
        elif setting.kind == "text":
            # Text items (IDs, UPNs) typed later must stay text.
            cell.number_format = FORMAT_TEXT
        note = ws.cell(row=row, column=3, value=setting.note or None)
        note.alignment = Alignment(wrap_text=True, vertical="top")
    resize_table(ws, schema.SETTINGS, len(schema.SETTING_ITEMS))


def _add_summary_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(schema.SUMMARY_SHEET, 0)
    ws.sheet_properties.tabColor = OWNED_TAB_COLOR
    note = ws.cell(row=1, column=1, value=SUMMARY_NOTE)
    note.font = Font(bold=True, color="595959")
    for word, (fill, font) in STATUS_COLORS.items():
        ws.conditional_formatting.add(SUMMARY_RANGE, CellIsRule(
            operator="equal", formula=[f'"{word}"'],
            fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill),
            font=Font(color=font, bold=True),
        ))
    ws.column_dimensions["A"].width = 16


def build_template() -> Workbook:
    """A new, empty master workbook: one Excel Table per contract table, drop-downs, settings pre-filled."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in schema.TABLES:
        _add_table_sheet(wb, table)
    _fill_settings(wb[schema.SETTINGS.sheet])
    _add_lists_sheet(wb)
    _add_validations(wb)
    # First, so staff see it on opening; the toolkit writes its contents later.
    _add_summary_sheet(wb)
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
