"""The reader: columns by header, normalisation, findings with sheet/row/column, rows with errors left out."""
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import write_workbook
from toolkit import schema
from toolkit.model import PROGRAM_FIELDS
from toolkit.workbook.cells import ERROR_CODES, CellError
from toolkit.workbook.read import WorkbookError, read_raw
from toolkit.load import build_program, load_program


def test_values_typed_as_people_type_them(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", {
        "企業": [["Ｃ０１ ", "株式会社Ａ", "0123456789012", None, None, "１２人", "段階2", None, None, None, None,
                  "45万円"]],
        "経費": [["E1", "令和7年10月1日", "C01", "サポート費(設定費用)", "¥50,000"]],
    })
    program = load_program(path)
    assert program.findings == ()
    company = program.companies[0]
    assert (company.company_id, company.corporate_number, company.employees, company.stage, company.cap) == \
        ("C01", "0123456789012", 12, "2", 450000)
    expense = program.expenses[0]
    assert (expense.date, expense.line, expense.amount, expense.row) == \
        (date(2025, 10, 1), schema.COST_SETUP, 50000, 2)


def test_columns_found_by_header_in_any_order_with_staff_columns_and_blank_rows(tmp_path):
    headers = ["メモ", "金額", "費目", "経費ID", "計上日", "企業ID"]
    path = write_workbook(tmp_path / "m.xlsx", {"経費": [
        ["staff note", "1,000", "共通経費", "E1", "2025/10/1", None],
        [None, None, None, None, None, None],
        ["only a note", None, None, None, None, None],
        [None, "2,000", "共通経費", "E2", "2025/10/2", None],
    ]}, headers={"経費": headers})
    program = load_program(path)
    assert [(e.expense_id, e.amount, e.row) for e in program.expenses] == [("E1", 1000, 2), ("E2", 2000, 5)]
    # The staff's note-only row is blank for the contract: no finding. Optional 摘要/証憑番号 missing: warnings.
    assert all(f.level == "warning" and f.code == "missing-column" for f in program.findings)
    assert {f.column for f in program.findings} == {"摘要", "証憑番号", "負担区分", "会議ID"}


def test_bad_cell_is_one_error_finding_and_row_is_left_out(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", {"経費": [
        ["E1", "2025/10/1", None, "共通経費", "いくらか"],
        ["E2", "2025/10/1", None, "共通経費", "1000"],
        ["E3", None, None, "共通経費", "1000"],
    ]})
    program = load_program(path)
    assert [e.expense_id for e in program.expenses] == ["E2"]
    bad = [(f.level, f.code, f.sheet, f.row, f.column, f.value) for f in program.findings]
    assert ("error", "invalid-value", "経費", 2, "金額", "いくらか") in bad
    assert ("error", "missing-value", "経費", 4, "計上日", None) in bad
    assert len(bad) == 2
    assert {r.row for r in program.rejected["経費"]} == {2, 4}


def test_missing_sheet_and_required_header_are_findings_not_tracebacks(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", omit=["決算"],
                          headers={"経費": ["経費ID", "計上日", "企業ID", "費目", "摘要"]},
                          sheets={"経費": [["E1", "2025/10/1", None, "共通経費", "x"]]})
    program = load_program(path)
    codes = {(f.code, f.sheet, f.column) for f in program.findings}
    assert ("missing-sheet", "決算", None) in codes
    assert ("missing-column", "経費", "金額") in codes
    assert program.expenses == () and program.financials == ()


def test_bad_setting_keeps_default_and_says_so(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", settings={"年度": "来年", "経費上限（1社あたり）": "50万円"})
    program = load_program(path)
    assert program.settings.fiscal_year == 2025
    assert program.settings.cap_default == 500000
    assert [(f.code, f.row) for f in program.findings] == [("invalid-setting", 5)]


def test_settings_typed_the_japanese_way(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", settings={"年度": "令和8年度", "上限警告割合": "80%",
                                                         "利用開始日": "R8.9.1", "労働生産性目標（%）": "1.5%"})
    s = load_program(path).settings
    assert (s.fiscal_year, s.warn_ratio, s.usage_start, s.productivity_target_pct) == (2026, 0.8, date(2026, 9, 1), 1.5)


def test_not_a_workbook_is_a_workbook_error(tmp_path):
    bogus = tmp_path / "bogus.xlsx"
    bogus.write_text("this is not a zip")
    with pytest.raises(WorkbookError):
        read_raw(bogus)
    with pytest.raises(WorkbookError):
        read_raw(tmp_path / "missing.xlsx")


# ---------------------------------------------------------------- property: random cells never crash the reader

BAD = "不明な値?"  # no parser except free text and identifiers accepts it


def _good(kind: str, vocabulary: str | None):
    ints = st.integers(min_value=0, max_value=10**8)
    dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
    return {
        # Not an error code: typed #REF! is read as the error value, as Excel itself turns it into one.
        "text": st.text(min_size=1, max_size=12).filter(lambda s: s.strip() and s.strip() not in ERROR_CODES),
        "id": st.from_regex(r"[A-Z][0-9]{1,4}", fullmatch=True),
        "yen": st.one_of(ints, ints.map(lambda n: f"{n:,}円"), ints.map(lambda n: f"¥{n:,}"),
                         ints.map(lambda n: f"△{n:,}"), st.integers(1, 999).map(lambda n: f"{n}万円")),
        "int": st.one_of(st.integers(0, 10**6), st.integers(0, 999).map(lambda n: f"{n}人")),
        "number": st.one_of(st.floats(0, 1e6, allow_nan=False), st.integers(0, 10**5).map(str)),
        "date": st.one_of(dates, dates.map(lambda d: f"{d.year}/{d.month}/{d.day}"),
                          dates.filter(lambda d: d >= date(2019, 5, 1)).map(
                              lambda d: f"令和{d.year - 2018}年{d.month}月{d.day}日")),
        "datetime": st.datetimes(min_value=__import__("datetime").datetime(2000, 1, 1)),
        "choice": st.sampled_from(schema.VOCABULARIES[vocabulary] if vocabulary else ("x",)),
        "email": st.from_regex(r"[a-z]{1,8}@example\.jp", fullmatch=True),
        "url": st.just("https://example.com/a"),
    }[kind]


_ERRORS = st.one_of(st.sampled_from(sorted(ERROR_CODES)).map(CellError),
                    st.sampled_from(["=A1+B1", "=VLOOKUP(A2,B:C,2,FALSE)"]).map(lambda f: CellError(f, formula=True)))


def _cell(column: schema.Column):
    options = [_good(column.kind, column.vocabulary).map(lambda v: ("good", v)), st.just(("blank", None)),
               _ERRORS.map(lambda v: ("error", v))]  # every column, optional ones included, may hold an error
    if column.kind not in ("text", "id"):  # free text and identifiers accept any characters
        options.append(st.just(("bad", BAD)))
    return st.one_of(*options)


DATA_TABLES = [t for t in schema.TABLES if t is not schema.SETTINGS]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(DATA_TABLES).flatmap(
    lambda t: st.tuples(st.just(t), st.lists(st.tuples(*[_cell(c) for c in t.columns]), min_size=1, max_size=4))))
def test_random_cells_never_crash_and_each_bad_value_is_one_finding(case):
    table, rows = case
    raw = {table.sheet: [list(table.headers)] + [[v if v is not None else "" for _, v in row] for row in rows]}
    program = build_program(raw)
    expected = set()
    for r, row in enumerate(rows, start=2):
        if all(tag == "blank" for tag, _ in row):
            continue
        for column, (tag, _) in zip(table.columns, row):
            if tag == "bad":
                expected.add((r, column.header, "invalid-value"))
            elif tag == "error":
                expected.add((r, column.header, "error-value"))
            elif tag == "blank" and column.required:
                expected.add((r, column.header, "missing-value"))
    cell_codes = {"invalid-value", "missing-value", "error-value"}
    got = [(f.row, f.column, f.code) for f in program.findings if f.sheet == table.sheet and f.code in cell_codes]
    assert sorted(got) == sorted(expected)  # exactly one finding per bad or missing value
    records = getattr(program, PROGRAM_FIELDS[table.sheet])
    # A bad value leaves its row out where a figure uses the column; elsewhere it is a warning and the row stays.
    error_rows = {r for r, col, code in expected if code == "missing-value" or table.column(col).needed}
    # A kept row whose optional cell held an error has None there (never a value made up), with its finding.
    by_row = {rec.row: rec for rec in records}
    for r, row in enumerate(rows, start=2):
        for column, (tag, _) in zip(table.columns, row):
            if tag == "error" and r in by_row:
                assert getattr(by_row[r], column.key) is None and (r, column.header, "error-value") in expected
    assert {rec.row for rec in records}.isdisjoint(error_rows)
    levels = {(f.row, f.column): f.level for f in program.findings if f.code in cell_codes}
    assert all(levels[(r, col)] == ("error" if table.column(col).needed else "warning")
               for r, col, code in expected if code in ("invalid-value", "error-value"))


def test_a_job_reads_only_its_sheets_and_an_unread_sheet_is_not_missing(tmp_path):
    path = write_workbook(tmp_path / "m.xlsx", {
        "企業": [["C01", "株式会社Ａ"]],
        "利用実績": [["C01", "S01", "経理", "2025/9/2"], ["C01", "S01", "経理", "いつか"]],
    })
    needs = schema.sheets_needed("budget")
    program = load_program(path, needs)
    assert program.usage == () and "利用実績" not in program.missing
    assert not [f for f in program.findings if f.sheet == "利用実績"]  # its bad date was never read
    everything = load_program(path)
    assert [f.column for f in everything.findings if f.sheet == "利用実績" and f.code == "invalid-value"] == ["利用日"]
    raw = read_raw(path, needs)
    assert "利用実績" in raw.unread and "利用実績" not in raw


def test_a_book_from_before_a_column_was_added_is_told_to_add_it_not_to_put_it_back(tmp_path):
    """A year-old master lacks the columns a later version added (導入.継続判断, 支援記録.資料リンク …): each is a
    warning saying to add it at the right of the table; a renamed look-alike is still told to be named back."""
    headers = {schema.SUBSCRIPTIONS.sheet: [c.header for c in schema.SUBSCRIPTIONS.columns if c.header != "継続判断"],
               schema.SUPPORT_LOG.sheet: [("資料リンク先" if c.header == "資料リンク" else c.header)
                                          for c in schema.SUPPORT_LOG.columns]}
    program = load_program(write_workbook(tmp_path / "old.xlsx", {}, headers=headers))
    found = {f.column: (f.level, f.value, f.message) for f in program.findings if f.code == "missing-column"}
    assert found["継続判断"] == ("warning", None, "列「継続判断」がありません（空として扱います）。使うときは、表の右端に"
                                                "見出し「継続判断」の列を追加してください。")
    level, look_alike, message = found["資料リンク"]
    assert (level, look_alike) == ("warning", "資料リンク先") and "見出しを「資料リンク」に戻してください" in message
