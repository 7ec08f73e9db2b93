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
    assert committed.sheetnames[:2] == [schema.SUMMARY_SHEET, schema.GUIDE_SHEET]
    assert [s for s in committed.sheetnames if s in schema.TABLES_BY_SHEET] == [t.sheet for t in schema.TABLES]
    for table in schema.TABLES:
        ws = committed[table.sheet]
        header = [c.value for c in ws[1]]
        # The contract's headers in their order; the template may add columns (説明, 企業名) between them.
        assert [h for h in header if h in table.headers] == list(table.headers)
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
        # The vocabulary lists (the ID lists of the referring columns are tested apart).
        by_range = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation
                    if dv.type == "list" and not (dv.formula1 or "").startswith("INDIRECT(")}
        for index, column in enumerate(table_columns(table), start=1):
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
        letter = get_column_letter([c.header for c in table_columns(table)].index(header) + 1)
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
        for index, column in enumerate(table_columns(table), start=1):
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
    from toolkit.load import load_program

    target = tmp_path / "new.xlsx"
    write_template(target)
    program = load_program(target)
    assert program.companies == () and program.usage == ()
    assert program.settings.fiscal_year == 2025
    assert program.settings.usage_end == date(2026, 2, 28)
    assert [f for f in run_checks(program) if f.level == "error"] == []


# ---------------------------------------------------------------- a workbook people are glad to open and print

def test_the_book_s_base_font_is_a_japanese_ui_font_everywhere():
    import re
    import zipfile

    with zipfile.ZipFile(TEMPLATE_PATH) as z:
        styles = z.read("xl/styles.xml").decode()
    fonts = re.search(r"<fonts[^>]*>(.*?)</fonts>", styles, re.S).group(1)
    names = re.findall(r'<name val="([^"]+)"', fonts)
    assert names and set(names) == {template.BASE_FONT}  # font 0 (Normal) and every explicit font; no Calibri
    assert "Calibri" not in styles
    assert template.BASE_FONT in ("游ゴシック", "メイリオ", "BIZ UDPゴシック")


def test_guide_sheet_explains_every_sheet_with_an_example_row(committed):
    ws = committed[schema.GUIDE_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    sections = [r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("■ ")]
    for table in schema.TABLES:
        start = next(i for i, r in enumerate(rows) if isinstance(r[0], str) and r[0].startswith(f"■ {table.sheet} — "))
        assert rows[start + 1][:4] == ["列", "必須", "入力例", "入力のしかた"]
        listed = {}
        for r in rows[start + 2:]:
            if r[0] is None:
                break
            listed[r[0]] = r
        assert [h for h in listed if h in table.headers] == list(table.headers)
        for column in table.columns:
            assert (listed[column.header][1] == "○") == column.required, (table.sheet, column.header)
            if column.required:
                assert listed[column.header][2], f"{table.sheet}.{column.header} has no example"
    assert len(sections) == len(schema.TABLES) + 1  # the rules, then one section per sheet


def test_guide_examples_are_a_valid_program():
    """Every example row, typed into its table, reads without an error: the guide never teaches a wrong input."""
    from toolkit.checks import run_checks
    from toolkit.workbook import guide
    from toolkit.load import build_program

    raw = {}
    for table in schema.TABLES:
        if table is schema.SETTINGS:
            continue
        example = guide.EXAMPLES[table.name]
        raw[table.sheet] = [list(table.headers), [example.get(c.key, "") for c in table.columns]]
    raw[schema.SETTINGS.sheet] = [list(schema.SETTINGS.headers)] + [
        [s.item, "" if s.default is None else s.default] for s in schema.SETTING_ITEMS]
    errors = [f for f in run_checks(build_program(raw)) if f.level == "error"]
    assert errors == []
    assert set(guide.EXAMPLES) == {t.name for t in schema.TABLES}
    for table in schema.TABLES:  # examples and notes name real columns
        keys = {c.key for c in table.columns}
        assert set(guide.EXAMPLES[table.name]) <= keys
    assert all(key in {c.key for c in schema.TABLES_BY_SHEET[t.sheet].columns}
               for t in schema.TABLES for (name, key) in guide.NOTES if name == t.name)


def test_required_headers_carry_an_input_message_and_stand_out(committed):
    for table in schema.TABLES:
        ws = committed[table.sheet]
        prompts = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation if dv.type is None}
        for index, column in enumerate(table_columns(table), start=1):
            letter = get_column_letter(index)
            if not column.required:
                continue
            dv = prompts[f"{letter}1"]
            assert dv.showInputMessage and dv.prompt.startswith("【必須】") and dv.promptTitle == column.header
            assert ws[f"{letter}1"].fill.fgColor.rgb == template.REQUIRED_HEADER_FILL


def test_every_sheet_prints_one_page_wide_with_its_header_on_every_page(committed):
    for table in schema.TABLES:
        ws = committed[table.sheet]
        width = sum(template.column_width(c) for c in table_columns(table))
        assert ws.print_title_rows == "$1:$1"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.page_setup.orientation == ("landscape" if width > template.PORTRAIT_MAX_CHARS else "portrait")
        assert int(ws.page_setup.paperSize) == (template.PAPER_A3 if width > template.A4_MAX_CHARS
                                                else template.PAPER_A4)
        assert "&P" in ws.oddFooter.center.text
    for name in (schema.SUMMARY_SHEET, schema.GUIDE_SHEET):
        ws = committed[name]
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert committed[schema.GUIDE_SHEET].page_setup.orientation == "portrait"


def test_company_name_is_shown_beside_a_typed_company_id_and_never_read(tmp_path):
    """A calculated column right after 企業ID: the template's row, the demo's rows, and the reader ignores it."""
    from toolkit.demo import build_demo_workbook
    from toolkit.workbook import guide
    from toolkit.load import load_program

    demo = tmp_path / "demo.xlsx"
    build_demo_workbook(demo)
    wb = openpyxl.load_workbook(demo)
    for table in guide.LOOKUP_TABLES:
        ws = wb[table.sheet]
        header = [c.value for c in ws[1]]
        at = header.index(schema.COMPANIES.id_column) + 1
        assert header[at] == guide.LOOKUP_HEADER
        xl = ws.tables[table.name]
        formula = xl.tableColumns[at].calculatedColumnFormula.attr_text
        assert f"{table.name}[[#This Row],[{schema.COMPANIES.id_column}]]" in formula
        last = range_boundaries(xl.ref)[3]
        assert last > 2
        assert all(ws.cell(r, at + 1).value == "=" + formula for r in range(2, last + 1))
    program = load_program(demo)
    assert program.expenses and not [f for f in program.findings if f.column == guide.LOOKUP_HEADER]


def test_template_opens_in_libreoffice_and_prints_a_page_per_sheet(tmp_path):
    """It printed 40 pages (設定 one column per page); now each sheet is one page wide and the empty ones short."""
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler is not installed")
    # A plain openpyxl workbook converted in the same call tells "Calc cannot load xlsx here" from "our file is bad".
    control = openpyxl.Workbook()
    control.active["A1"] = "control"
    control.save(tmp_path / "control.xlsx")
    shutil.copy(TEMPLATE_PATH, tmp_path / "master.xlsx")
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "control.xlsx"),
                    str(tmp_path / "master.xlsx")], capture_output=True, timeout=120, check=False)
    if not (tmp_path / "control.pdf").exists():
        pytest.skip("this LibreOffice cannot convert spreadsheets (Calc is not installed)")
    pdf = tmp_path / "master.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert "集計を更新" in pages[0]  # the first sheet is 集計, whose A1 holds the note
    assert "使い方" in pages[1] and "■ 入力のきまり" in pages[1]
    visible = [ws for ws in openpyxl.load_workbook(TEMPLATE_PATH).worksheets if ws.sheet_state == "visible"]
    assert len(visible) <= len(pages) <= len(visible) + 2  # 使い方 takes two or three pages


def test_id_columns_offer_the_ids_of_the_table_they_refer_to(tmp_path):
    """企業ID, サービスID and イベントID are typed by hand: each referring column offers the referenced table's IDs
    (schema.REFERENCES), as a warning-style list so pasted rows still go in."""
    wb = openpyxl.load_workbook(TEMPLATE_PATH)

    def list_of(sheet, header):
        ws = wb[sheet]
        col = next(c.column_letter for c in ws[1] if c.value == header)
        return [dv for dv in ws.data_validations.dataValidation if f"{col}2:" in str(dv.sqref)]

    [dv] = list_of("導入", "企業ID")
    # Stop style: a typed ID that is not in the list is refused at entry (Excel leaves pasted cells alone).
    assert (dv.type, dv.formula1, dv.errorStyle) == ("list", 'INDIRECT("Companies[企業ID]")', "stop")
    every_id = [dv for ws in wb.worksheets for dv in ws.data_validations.dataValidation
                if (dv.formula1 or "").startswith("INDIRECT(")]
    assert len(every_id) == 10 and {dv.errorStyle for dv in every_id} == {"stop"}
    [dv] = list_of("利用実績", "サービスID")
    assert dv.formula1 == 'INDIRECT("Services[サービスID]")'
    [dv] = list_of("出欠", "イベントID")
    assert dv.formula1 == 'INDIRECT("Events[イベントID]")' and "「イベント」シート" in dv.error
    assert list_of("企業", "企業ID") == []  # the table's own key is typed, not chosen
