"""The master workbook template: built from the schema, and the committed file is the same workbook."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.utils import get_column_letter, range_boundaries

from toolkit import schema
from toolkit.workbook import template
from toolkit.workbook.template import TEMPLATE_PATH, build_template, table_columns, write_template


def _reload(wb: openpyxl.Workbook) -> openpyxl.Workbook:
    """What a file written from ``wb`` holds (openpyxl completes tables and styles only on save)."""
    return openpyxl.load_workbook(io.BytesIO(template.workbook_bytes(wb)))


def describe(wb: openpyxl.Workbook) -> dict:
    """Everything the contract and the staff rely on, as plain data that two workbooks can be compared by."""
    sheets = {}
    for ws in wb.worksheets:
        sheets[ws.title] = {
            "state": ws.sheet_state,
            "tables": {t.displayName: (t.ref, [c.name for c in t.tableColumns], t.tableStyleInfo.name)
                       for t in ws.tables.values()},
            "header": [c.value for c in ws[1]] if ws.max_row else [],
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1, dv.errorStyle, dv.showErrorMessage)
                                  for dv in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes,
            "formats": {k: d.number_format for k, d in ws.column_dimensions.items()},
        }
    settings = [tuple(c.value for c in row) for row in wb[schema.SETTINGS.sheet].iter_rows(min_row=2)]
    return {"order": wb.sheetnames, "sheets": sheets, "settings": settings,
            "names": {name: dn.attr_text for name, dn in wb.defined_names.items()}}


@pytest.fixture(scope="module")
def built() -> openpyxl.Workbook:
    return _reload(build_template())


@pytest.fixture(scope="module")
def committed() -> openpyxl.Workbook:
    return openpyxl.load_workbook(TEMPLATE_PATH)


def test_committed_template_is_what_the_code_builds(built, committed):
    assert describe(committed) == describe(built)


def test_every_table_on_its_own_sheet_with_the_contract_headers(committed):
    assert committed.sheetnames[0] == schema.SUMMARY_SHEET
    assert [s for s in committed.sheetnames if s in schema.TABLES_BY_SHEET] == [t.sheet for t in schema.TABLES]
    for table in schema.TABLES:
        ws = committed[table.sheet]
        header = [c.value for c in ws[1]]
        assert header[:len(table.headers)] == list(table.headers)
        assert header == [c.header for c in table_columns(table)]
        assert list(ws.tables) == [table.name]
        xl = ws.tables[table.name]
        assert [c.name for c in xl.tableColumns] == header
        min_col, min_row, max_col, max_row = range_boundaries(xl.ref)
        assert (min_col, min_row, max_col) == (1, 1, len(header))
        expected_rows = len(schema.SETTING_ITEMS) + 1 if table is schema.SETTINGS else 2
        assert max_row == expected_rows
        assert xl.tableStyleInfo.showRowStripes
        assert ws.freeze_panes == "A2"


def test_settings_are_prefilled_with_typed_defaults_and_explained(committed):
    ws = committed[schema.SETTINGS.sheet]
    rows = {r[0]: (r[1], r[2]) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == [s.item for s in schema.SETTING_ITEMS]
    for s in schema.SETTING_ITEMS:
        value, note = rows[s.item]
        if s.default == "":
            assert value is None
        elif isinstance(s.default, date):
            assert value == datetime.combine(s.default, datetime.min.time())  # a real Excel date, not text
        else:
            assert value == s.default
            assert isinstance(value, str) == isinstance(s.default, str)  # numbers stay numbers, not text
        assert note == (s.note or None)


def test_every_choice_column_has_a_drop_down_fed_by_the_lists_sheet(committed):
    lists = committed[schema.LISTS_SHEET]
    assert lists.sheet_state == "hidden"
    for vocabulary, values in schema.VOCABULARIES.items():
        name = schema.VOCABULARY_NAMES[vocabulary]
        sheet, ref = committed.defined_names[name].attr_text.split("!")
        assert sheet.strip("'") == schema.LISTS_SHEET
        assert [c.value for row in lists[ref.replace("$", "")] for c in row] == list(values)
    choice_columns = 0
    for table in schema.TABLES:
        ws = committed[table.sheet]
        by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
        for index, column in enumerate(table.columns, start=1):
            if column.kind != "choice":
                continue
            choice_columns += 1
            letter = get_column_letter(index)
            dv = by_range[f"{letter}2:{letter}{template.VALIDATION_LAST_ROW}"]
            assert dv.type == "list"
            assert dv.formula1 == schema.VOCABULARY_NAMES[column.vocabulary]
            # A warning, not a stop: pasted data goes in and the checks report it.
            assert dv.errorStyle == "warning" and dv.showErrorMessage and dv.showInputMessage
            assert dv.error and dv.prompt and column.header in dv.error
        assert len(by_range) == sum(1 for c in table.columns if c.kind == "choice")
    assert choice_columns == sum(1 for t in schema.TABLES for c in t.columns if c.kind == "choice") >= 10


def test_number_formats_keep_yen_dates_and_text_ids(committed):
    def fmt(table: schema.Table, header: str) -> str:
        letter = get_column_letter(table.headers.index(header) + 1)
        ws = committed[table.sheet]
        assert ws[f"{letter}2"].number_format == ws.column_dimensions[letter].number_format
        return ws.column_dimensions[letter].number_format

    assert fmt(schema.COMPANIES, "法人番号") == "@"
    assert fmt(schema.COMPANIES, "企業ID") == "@"
    assert fmt(schema.COMPANIES, "経費上限") == "#,##0"
    assert fmt(schema.EXPENSES, "金額") == "#,##0"
    assert fmt(schema.EXPENSES, "計上日") == "yyyy/mm/dd"
    assert fmt(schema.ATTENDANCE, "取込日時") == "yyyy/mm/dd hh:mm"
    assert fmt(schema.COMPANIES, "取組段階") == "@"  # typed 1 stays "1", as the list holds it


def test_japanese_headers_fit_their_columns(committed):
    for table in schema.TABLES:
        ws = committed[table.sheet]
        for index, column in enumerate(table.columns, start=1):
            width = ws.column_dimensions[get_column_letter(index)].width
            assert width >= template.display_width(column.header) + 2


def test_summary_sheet_note_and_status_colours(committed):
    ws = committed[schema.SUMMARY_SHEET]
    assert ws["A1"].value == template.SUMMARY_NOTE
    assert ws.sheet_properties.tabColor.rgb == template.OWNED_TAB_COLOR
    assert committed[schema.AUDIT_LOG.sheet].sheet_properties.tabColor.rgb == template.OWNED_TAB_COLOR
    rules = {}
    for cf_range in ws.conditional_formatting:
        assert str(cf_range.sqref) == template.SUMMARY_RANGE
        for rule in cf_range.rules:
            assert rule.type == "cellIs" and rule.operator == "equal"
            rules[rule.formula[0].strip('"')] = rule.dxf.fill.fgColor.rgb
    assert set(rules) == {"超過", "超過見込", "警告", "達成", "未達"}
    assert len(set(rules.values())) == 5


def test_write_template_refuses_to_overwrite(tmp_path):
    target = tmp_path / "master.xlsx"
    target.write_bytes(b"staff work")
    with pytest.raises(FileExistsError, match="既に存在します"):
        write_template(target)
    assert target.read_bytes() == b"staff work"


def test_written_template_reads_as_an_empty_program_without_errors(tmp_path):
    from toolkit.checks import run_checks
    from toolkit.workbook.read import load_program

    target = tmp_path / "new.xlsx"
    write_template(target)
    program = load_program(target)
    assert program.companies == () and program.usage == ()
    assert program.settings.fiscal_year == 2025
    assert program.settings.usage_end == date(2026, 2, 28)
    assert [f for f in run_checks(program) if f.level == "error"] == []


def test_template_opens_in_libreoffice(tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    # A plain openpyxl workbook converted in the same call tells "Calc cannot load xlsx here" from "our file is bad".
    control = openpyxl.Workbook()
    control.active["A1"] = "control"
    control.save(tmp_path / "control.xlsx")
    shutil.copy(TEMPLATE_PATH, tmp_path / "master.xlsx")
    out = tmp_path / "out"
    subprocess.run(
        ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(out),
         str(tmp_path / "control.xlsx"), str(tmp_path / "master.xlsx")],
        capture_output=True, timeout=120, check=False)
    if not (out / "control.csv").exists():
        pytest.skip("this LibreOffice cannot convert spreadsheets (Calc is not installed)")
    # The first sheet is 集計, whose A1 holds the note.
    assert template.SUMMARY_NOTE in (out / "master.csv").read_text(encoding="utf-8")
