"""Trust: a figure whose input is missing is refused, never zero; bad cells are findings; no traceback, ever.

Each case of issue 9 is rebuilt here from a workbook made in code and damaged as staff and Excel damage it.
"""
from __future__ import annotations

import hashlib
import json
import math
import re

import pytest
from click.testing import CliRunner

import damage
from builders import write_workbook
from toolkit import schema
from toolkit.budget import compute_budget
from toolkit.checks import run_checks
from toolkit.cli import main
from toolkit.errors import MissingInput, WorkbookError
from toolkit.kpi import compute_kpis
from toolkit.load import load_program

AREAS = schema.BUSINESS_AREAS


def sheets():
    """A small program with a row in every table, so every command has something to do."""
    return {
        "企業": [["C01", "株式会社Ａ", None, "製造業"], ["C02", "有限会社Ｂ"]],
        "サービス": [[f"S{i:02d}", f"サービス{i}", None, area] for i, area in enumerate(AREAS, start=1)],
        "導入": [["U1", "C01", "S02", "経理", 1, "2025/9/1", None, "30,000", "10,000", "導入済"],
                 ["U2", "C02", "S02", "経理", 1, "2025/9/1", None, "20,000", "0", "導入済"]],
        "経費": [["E1", "2025/10/1", "C01", "クラウドサービス経費", "100,000"],
                 ["E2", "2025/10/1", "C02", "クラウドサービス経費", "50,000"]],
        "支援記録": [["R1", "C01", "2025/9/5", "対面", "山本", 2], ["R2", "C02", "2025/9/6", "対面", "山本", 1.5]],
        "利用実績": [["C01", "S02", "経理", "2025/9/2"], ["C02", "S02", "経理", "2025/9/3"]],
        "決算": [["C01", "基準", "2025/3/31", 1_000_000, 5_000_000, 200_000, 4, 8000],
                 ["C01", "実績", "2026/3/31", 1_300_000, 5_000_000, 200_000, 4, 8000]],
        "改善計画": [[cid, y, "経理", "請求書の電子化"] for cid in ("C01", "C02") for y in (2025, 2026, 2027)],
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", "2025/9/10"]],
        "出欠": [["EV1", "C01", "山田", None, "出席", None, "手入力"]],
        "会議記録": [["M1", "2025/10/15", "オンライン", "市 担当", "進捗確認"]],
    }


@pytest.fixture()
def book(tmp_path):
    return write_workbook(tmp_path / "master.xlsx", sheets())


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ref(sheet: str, header: str, row: int) -> str:
    return damage.cell_ref(list(schema.TABLES_BY_SHEET[sheet].headers), header, row)


# ---------------------------------------------------------------- a missing sheet, header or table refuses

def test_renamed_sheet_refuses_every_command_that_needs_it_and_writes_nothing(book, tmp_path):
    damage.rename_sheet(book, "経費", "経費一覧")
    before = digest(book)
    for command in (["budget"], ["budget", "--json"], ["summary"], ["plan", "--all", "--out", tmp_path / "p"],
                    ["report", "--out", tmp_path / "r"], ["booklet", "--out", tmp_path / "b"]):
        code, output = run(command[0], book, *command[1:])
        assert code == 1, command
        assert "シート「経費」がありません" in output and "経費一覧" in output, command
        assert "Traceback" not in output
    assert digest(book) == before  # summary wrote nothing
    assert not (tmp_path / "p").exists() or not list((tmp_path / "p").iterdir())
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").iterdir())
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())
    # The KPIs do not read 経費: they are still computed.
    code, output = run("kpi", book, "--json")
    assert code == 0 and json.loads(output)["usage"]["total"] == 2
    # check lists what is missing first, with the look-alike.
    code, output = run("check", book, "--json")
    first = json.loads(output)["findings"][0]
    assert code == 1 and (first["code"], first["sheet"], first["value"]) == ("missing-sheet", "経費", "経費一覧")


def test_renamed_header_refuses_the_kpi_and_names_it(book):
    damage.rename_header(book, "利用実績", "利用日", "利用日（実績）")
    code, output = run("kpi", book)
    assert code == 1
    assert "「利用日」" in output and "利用日（実績）" in output
    with pytest.raises(MissingInput) as caught:
        compute_kpis(load_program(book))
    assert [f.column for f in caught.value.findings] == ["利用日"]
    assert compute_budget(load_program(book)).grand_total == 150000  # the budget does not read 利用実績


def test_renamed_optional_column_a_figure_reads_refuses_too(book):
    damage.rename_header(book, "導入", "月額費用", "月額")
    with pytest.raises(MissingInput, match="月額費用"):
        compute_budget(load_program(book))


def test_optional_column_no_figure_reads_only_warns(book):
    damage.rename_header(book, "企業", "業種", "業種名")
    program = load_program(book)
    assert compute_budget(program).grand_total == 150000
    warning = next(f for f in program.findings if f.code == "missing-column")
    assert (warning.level, warning.column, warning.value) == ("warning", "業種", "業種名")


def test_table_converted_to_a_range_is_named_and_refused(book):
    damage.drop_table(book, "決算")
    code, output = run("kpi", book)
    assert code == 1 and "テーブルがありません" in output and "Financials" in output


def test_unreadable_setting_a_figure_uses_refuses_instead_of_the_default(book, tmp_path):
    path = write_workbook(tmp_path / "year.xlsx", sheets(), settings={"年度": 20255})
    code, output = run("budget", path)
    assert code == 1 and "年度" in output and "20255" in output and "20255.0" not in output
    path = write_workbook(tmp_path / "period.xlsx", sheets(), settings={"利用開始日": "2026/3/1"})
    assert run("kpi", path)[0] == 1


# ---------------------------------------------------------------- Excel error values and unsaved formulas

def test_ref_error_in_an_optional_amount_is_a_finding_and_the_row_is_counted_as_left_out(book):
    damage.set_cell(book, "導入", ref("導入", "月額費用", 2), damage.error_cell(ref("導入", "月額費用", 2), "#REF!"))
    program = load_program(book)
    finding = next(f for f in program.findings if f.sheet == "導入")
    assert (finding.level, finding.code, finding.row, finding.column, finding.value) == \
        ("error", "error-value", 2, "月額費用", "#REF!")
    report = compute_budget(program)
    assert report.excluded_rows == 1 and report.excluded_by_sheet == {"導入": 1}
    assert report.companies["C01"].excluded_rows == 1 and report.companies["C02"].excluded_rows == 0
    code, output = run("budget", book)
    assert code == 0 and "除外" in output


@pytest.mark.parametrize("cell", [
    lambda r: damage.formula_cell(r, "VLOOKUP(A2,X!A:B,2,FALSE)", "#N/A"),  # a formula whose saved value is #N/A
    lambda r: damage.formula_cell(r, "B2*2"),  # a formula never calculated (no saved value)
    lambda r: damage.error_cell(r, "#SPILL!"),  # Excel 365 errors calamine does not know
    lambda r: damage.error_cell(r, "#CALC!"),
    lambda r: damage.error_cell(r, "#BUSY!"),
])
def test_error_values_and_unsaved_formulas_in_an_amount_are_findings_never_blank(book, cell):
    where = ref("経費", "金額", 3)
    damage.set_cell(book, "経費", where, cell(where))
    program = load_program(book)
    finding = next(f for f in program.findings if f.sheet == "経費")
    assert (finding.level, finding.row, finding.column) == ("error", 3, "金額")
    assert [e.expense_id for e in program.expenses] == ["E1"]
    assert compute_budget(program).companies["C02"].cloud_service == 0  # left out, and said so
    assert compute_budget(program).excluded_rows == 1


def test_an_excel_365_error_in_a_staff_column_is_ignored(book):
    damage.set_cell(book, "経費", "Z2", damage.error_cell("Z2", "#SPILL!"))
    damage.set_cell(book, "企業", "Z3", damage.formula_cell("Z3", "A1+1"))
    program = load_program(book)
    assert not [f for f in program.findings if f.level == "error"]
    assert compute_budget(program).grand_total == 150000


def test_an_error_in_a_column_no_figure_reads_warns_and_keeps_the_row(book):
    damage.set_cell(book, "企業", ref("企業", "業種", 2), damage.error_cell(ref("企業", "業種", 2), "#CALC!"))
    program = load_program(book)
    finding = next(f for f in program.findings if f.sheet == "企業")
    assert (finding.level, finding.code, finding.value) == ("warning", "error-value", "#CALC!")
    assert [c.company_id for c in program.companies] == ["C01", "C02"]


def test_implausible_numbers_are_findings_and_json_stays_strict(book, tmp_path):
    damage.set_cell(book, "経費", ref("経費", "金額", 2), damage.number_cell(ref("経費", "金額", 2), "1" + "0" * 400))
    damage.set_cell(book, "決算", ref("決算", "総就業時間", 3), damage.number_cell(ref("決算", "総就業時間", 3), "1E-300"))
    damage.set_cell(book, "決算", ref("決算", "労働者数", 2), damage.number_cell(ref("決算", "労働者数", 2), "NaN"))
    program = load_program(book)
    assert ("経費", 2, "金額") in {(f.sheet, f.row, f.column) for f in program.findings if f.level == "error"}
    for command in ("kpi", "budget", "check"):
        code, output = run(command, book, "--json")
        assert code in (0, 1)
        json.loads(output, parse_constant=lambda c, command=command: pytest.fail(f"{command} printed {c}"))
    kpis = compute_kpis(program)
    assert all(math.isfinite(c.change_pct) for c in kpis.productivity.by_company.values())


# ---------------------------------------------------------------- files that are not a usable workbook

@pytest.mark.parametrize("make, words", [
    (lambda p: None, "見つかりません"),
    (lambda p: p.mkdir(), "フォルダ"),
    (lambda p: p.write_bytes(b""), "読めません"),
    (lambda p: p.write_text("not a zip"), "読めません"),
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600), "パスワード"),
])
def test_a_file_that_is_not_a_workbook_gets_a_japanese_message_and_exit_2(tmp_path, make, words):
    path = tmp_path / "master.xlsx"
    make(path)
    code, output = run("check", path)
    assert code == 2 and words in output
    assert "Error" not in output and "Traceback" not in output


def test_strict_open_xml_is_refused_clearly_never_misread(book):
    damage.make_strict(book)
    with pytest.raises(WorkbookError, match="Strict Open XML"):
        load_program(book)
    assert run("budget", book)[0] == 2


def test_clicks_own_messages_are_japanese(book):
    for args, words in ((["check"], "WORKBOOK を指定してください"), (["check", book, "--nope"], "--nope"),
                        (["nope"], "コマンド「nope」はありません"), (["kpi", book, "--detail"], "--company")):
        code, output = run(*args)
        assert code == 2 and words in output, args
        assert not any(w in output for w in ("Error:", "Usage:", "Missing", "No such")), output
    code, output = run("--help")
    assert code == 0 and "使い方:" in output and "オプション" in output and "Show this" not in output


# ---------------------------------------------------------------- every command, every broken input

def _broken_inputs(tmp_path):
    base = sheets()
    cases = {}

    def new(name, **kw):
        path = write_workbook(tmp_path / f"{name}.xlsx", kw.pop("data", base), **kw)
        cases[name] = path
        return path

    cases["missing"] = tmp_path / "missing.xlsx"
    (tmp_path / "empty.xlsx").write_bytes(b"")
    cases["empty"] = tmp_path / "empty.xlsx"
    new("headers-only", data={})
    new("no-settings", omit=["設定"])
    damage.rename_sheet(new("renamed-companies"), "企業", "会社")
    damage.rename_header(new("renamed-id"), "企業", "企業ID", "ID")
    damage.drop_table(new("no-table"), "利用実績")
    errors = new("errors-everywhere")
    for sheet, rows in base.items():
        table = schema.TABLES_BY_SHEET[sheet]
        for i, header in enumerate(table.headers[:4]):
            where = ref(sheet, header, 2 + i % max(1, len(rows)))
            damage.set_cell(errors, sheet, where, damage.error_cell(where, "#SPILL!" if i % 2 else "#REF!"))
    damage.make_strict(new("strict"))
    damage.corrupt_sheet(new("corrupt-expenses"), "経費")
    return cases


COMMANDS = (["check"], ["check", "--json"], ["budget"], ["budget", "--json"], ["kpi"], ["kpi", "--json"],
            ["kpi", "--company", "C01", "--detail"], ["summary"], ["plan", "--company", "c01"],
            ["report"], ["booklet"])


def test_no_command_ever_shows_a_traceback_on_a_broken_input(tmp_path):
    for name, path in _broken_inputs(tmp_path).items():
        for command in COMMANDS:
            extra = ["--out", tmp_path / "out" / name] if command[0] in ("plan", "report", "booklet") else []
            code, output = run(command[0], path, *command[1:], *extra)
            assert code in (0, 1, 2), (name, command, code, output)
            assert "Traceback" not in output and "Error:" not in output, (name, command, output)
            if command[-1] == "--json" and code in (0, 1) and output.strip().startswith("{"):
                json.loads(output)
            if code == 0 and command[0] in ("budget", "kpi") and name not in ("headers-only",):
                # exit 0 only where every input of the figure is there
                needs = schema.sheets_needed(command[0])
                program = load_program(path, needs)
                assert not any(sheet in program.missing for sheet in needs), (name, command)


def test_check_runs_on_every_broken_input_and_lists_what_is_missing_first(tmp_path):
    for name, path in _broken_inputs(tmp_path).items():
        if name in ("missing", "empty", "strict", "corrupt-expenses"):
            continue
        findings = run_checks(load_program(path))
        structural = [i for i, f in enumerate(findings) if f.code in ("missing-sheet", "missing-column",
                                                                       "missing-table")]
        assert structural == list(range(len(structural))), name


def test_a_sheet_calamine_cannot_parse_refuses_only_the_jobs_that_need_it(tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", sheets())
    damage.corrupt_sheet(path, "経費")
    code, output = run("budget", path)
    assert code == 2 and "シート「経費」を読み込めません" in output and "Traceback" not in output
    code, output = run("kpi", path, "--json")  # the KPIs do not read 経費
    assert code == 0 and json.loads(output)["usage"]["total"] == 2

    path = write_workbook(tmp_path / "support.xlsx", sheets())
    damage.corrupt_sheet(path, "支援記録")  # no figure of 集計 comes from it
    code, output = run("summary", path)
    assert code == 0, output
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as book:  # the rewrite went through: 集計 holds the usage count
        rows = book.get_sheet_by_name(schema.SUMMARY_SHEET).to_python()
    assert ["利用回数（回）", 2] in [row[:2] for row in rows]


# ---------------------------------------------------------------- property: damage at the structure

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from toolkit.workbook.cells import ERROR_CODES, CellError  # noqa: E402
from toolkit.workbook.read import RawBook, read_raw
from toolkit.load import build_program  # noqa: E402

_SHEETS = [t.sheet for t in schema.TABLES if not t.owned]
_HEADERS = [(t.sheet, h) for t in schema.TABLES if not t.owned for h in t.headers]
_ERRORS = sorted(ERROR_CODES) + ["=A1+B1"]
_DAMAGE = st.one_of(
    st.tuples(st.just("rename-sheet"), st.sampled_from(_SHEETS)),
    st.tuples(st.just("delete-sheet"), st.sampled_from(_SHEETS)),
    st.tuples(st.just("rename-header"), st.sampled_from(_HEADERS)),
    st.tuples(st.just("drop-table"), st.sampled_from(_SHEETS)),
    st.tuples(st.just("error"), st.tuples(st.sampled_from(_SHEETS), st.integers(0, 6), st.integers(0, 9),
                                          st.sampled_from(_ERRORS))),
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return read_raw(write_workbook(tmp_path_factory.mktemp("pristine") / "m.xlsx", sheets()))


def _damaged(pristine: RawBook, damages) -> RawBook:
    rows = {name: [list(r) for r in data] for name, data in pristine.items()}
    names, tables = list(pristine.sheet_names), dict(pristine.tables)
    for kind, what in damages:
        if kind in ("rename-sheet", "delete-sheet") and what in rows:
            data = rows.pop(what)
            names.remove(what)
            tables.pop(what, None)
            if kind == "rename-sheet":
                rows[what + "（旧）"], tables[what + "（旧）"] = data, ()
                names.append(what + "（旧）")
        elif kind == "rename-header" and what[0] in rows:
            header = rows[what[0]][0]
            if what[1] in header:
                header[header.index(what[1])] = what[1] + "（変更）"
        elif kind == "drop-table" and what in tables:
            tables[what] = ()
        elif kind == "error" and what[0] in rows:
            sheet, r, c, code = what
            data = rows[sheet]
            while len(data) <= r:
                data.append([])
            data[r].extend([""] * (c + 1 - len(data[r])))
            data[r][c] = CellError(code, formula=code.startswith("="))
    return RawBook(rows, sheet_names=names, tables=tables)


def _lacks(raw: RawBook, table: schema.Table) -> bool:
    """What the figure needs from ``table`` is not all there (computed here from the damage, not by the reader)."""
    if table.sheet not in raw or not raw.tables.get(table.sheet):
        return True
    rows = raw[table.sheet]
    header = [h for h in (rows[0] if rows else []) if type(h) is not CellError]
    if any(c.refuses_when_absent and c.header not in header for c in table.columns):
        return True
    if table is schema.SETTINGS:
        items = {s.item: s for s in schema.SETTING_ITEMS}
        value_at = header.index("値") if "値" in header else None
        for row in rows[1:]:
            item = row[0] if row else None
            if (value_at is not None and value_at < len(row) and type(row[value_at]) is CellError
                    and isinstance(item, str) and type(item) is not CellError and item in items
                    and items[item].figure):
                return True
    return False


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(damages=st.lists(_DAMAGE, max_size=4))
def test_damaged_structure_never_gives_a_figure_from_missing_input(pristine, damages):
    raw = _damaged(pristine, damages)
    program = build_program(raw)
    run_checks(program)  # never raises
    for job, compute in (("budget", compute_budget), ("kpi", compute_kpis)):
        lacking = any(_lacks(raw, t) for t in schema.NEEDS[job])
        try:
            report = compute(program)
        except MissingInput as exc:
            assert lacking, (job, damages, str(exc))
            assert exc.exit_code == 1 and exc.findings
            continue
        assert not lacking, (job, damages)
        json.dumps(report.as_json(), allow_nan=False)


# ---------------------------------------------------------------- structure, second round (issue 19 item 3)

def test_two_headers_equal_after_folding_are_an_error_naming_both_and_neither_is_read(tmp_path):
    headers = ["経費ID", "計上日", "企業ID", "費目", "金額 ", "金額", "摘要", "証憑番号"]  # 「金額 」 left of 金額
    rows = [["E1", "2025/10/1", "C01", "クラウドサービス経費", "999,999", "100,000"]]
    book = write_workbook(tmp_path / "m.xlsx", {**sheets(), "経費": rows}, headers={"経費": headers})
    program = load_program(book)
    finding = next(f for f in program.findings if f.code == "duplicate-header")
    assert (finding.level, finding.sheet, finding.column) == ("error", "経費", "金額")
    assert "E列とF列" in finding.message
    with pytest.raises(MissingInput):  # neither 999,999 nor 100,000 is taken as the amount
        compute_budget(program)
    code, output = run("budget", book)
    assert code == 1 and "E列とF列" in output


@pytest.mark.parametrize("cell", [
    "<c r='E3' t='e'><v>#REF!</v></c>",  # single-quoted attributes, as some writers emit
    "<c t=\"e\" r=\"E3\"><v>#N/A</v></c>",  # another attribute order
    "<c s=\"0\" t='e' r='E3'><v>#DIV/0!</v></c>",  # both, and r= last
])
def test_error_cells_are_found_however_their_xml_is_written(book, cell):
    damage.set_cell(book, "経費", ref("経費", "金額", 3), cell)
    program = load_program(book)
    finding = next(f for f in program.findings if f.sheet == "経費")
    assert (finding.level, finding.code, finding.row, finding.column) == ("error", "error-value", 3, "金額")
    assert compute_budget(program).companies["C02"].cloud_service == 0


def test_an_error_cell_without_a_reference_is_placed_after_the_cell_before_it(book):
    """Row 3 of 経費 written with no r= on its cells (ECMA-376 allows it: each follows the one before): the error
    in its fifth cell is in 金額, not blank and not elsewhere."""
    part = damage._sheet_part(book, "経費")
    texts = ("E2", "2025/10/1", "C02", "クラウドサービス経費")
    row = ('<row r="3">' + "".join(f'<c t="inlineStr"><is><t>{t}</t></is></c>' for t in texts)
           + '<c t="e"><v>#REF!</v></c></row>')

    def edit(name, data):
        if name != part:
            return data
        return re.sub(rb'<row r="3"[^>]*>.*?</row>', row.encode(), data, count=1, flags=re.S)

    damage._rewrite(book, edit)
    program = load_program(book)
    finding = next(f for f in program.findings if f.sheet == "経費")
    assert (finding.code, finding.row, finding.column, finding.value) == ("error-value", 3, "金額", "#REF!")
    assert [e.expense_id for e in program.expenses] == ["E1"]


# ---------------------------------------------------------------- bounded reading (issue 19 item 1)

DATA_SHEETS = [t.sheet for t in schema.TABLES if t is not schema.SETTINGS and t.sheet != "履歴"]


def _peak_kb(*args: str) -> int:
    """Peak resident memory of `toolkit check` as its own process (ru_maxrss of a child, in KB on Linux)."""
    import subprocess
    import sys

    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "toolkit", *args],
                          capture_output=True, text=True, timeout=120)
    return int(done.stdout.strip())


def test_a_keystroke_in_the_last_cell_of_every_data_sheet_costs_nothing_and_is_named(book, tmp_path):
    """Ctrl+End and a keystroke: 経費!XFD1048576 killed `check` (calamine allocated 549 GB); 利用実績!XFD1 cost
    1.3 GB. The table is the data: each stray value is a warning at its cell, the figures do not move."""
    import shutil

    clean = tmp_path / "clean.xlsx"
    shutil.copy(book, clean)
    for sheet in DATA_SHEETS:
        damage.set_cell(book, sheet, "XFD1048576", damage.number_cell("XFD1048576", "1"))
    damage.set_cell(book, "利用実績", "XFD1", damage.number_cell("XFD1", "7"))
    program = load_program(book)
    strays = {(f.sheet, f.value) for f in program.findings if f.code == "outside-table"}
    assert strays == {(sheet, "XFD1048576") for sheet in DATA_SHEETS} | {("利用実績", "XFD1")}
    assert all(f.level == "warning" for f in program.findings if f.code == "outside-table")
    assert compute_budget(program).grand_total == compute_budget(load_program(clean)).grand_total
    assert compute_kpis(program).usage.total == compute_kpis(load_program(clean)).usage.total == 2
    code, output = run("check", book)
    assert code in (0, 1) and "表の外に値があります: 経費!XFD1048576" in output
    assert _peak_kb("check", str(book)) <= 1.2 * _peak_kb("check", str(clean))


def test_a_note_beside_the_table_or_a_row_typed_below_it_is_a_warning_not_data(book):
    damage.set_cell(book, "経費", "K2", '<c r="K2" t="inlineStr"><is><t>要確認</t></is></c>')  # beside the table
    damage.set_cell(book, "経費", "A9", '<c r="A9" t="inlineStr"><is><t>E9</t></is></c>')  # below it
    program = load_program(book)
    assert {f.value for f in program.findings if f.code == "outside-table"} == {"K2", "A9"}
    assert [e.expense_id for e in program.expenses] == ["E1", "E2"]  # the row below is not read as an expense


def _zip_with(path, members):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return path


def test_a_package_that_names_a_part_twice_is_refused(book, tmp_path):
    import warnings
    import zipfile

    members = []
    with zipfile.ZipFile(book) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    part = damage._sheet_part(book, "経費")
    forged = dict(members)[part].replace(b"100,000", b"1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it writes
        twice = _zip_with(tmp_path / "twice.xlsx", members + [(part, forged)])
    code, output = run("budget", twice)
    assert code == 2 and "同じ名前の部品" in output and "Traceback" not in output


def test_a_decompression_bomb_is_refused_before_it_is_inflated(book, tmp_path):
    import zipfile

    with zipfile.ZipFile(book) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    bomb = _zip_with(tmp_path / "bomb.xlsx", members + [("xl/media/pad.bin", bytes(100 << 20))])  # 100 MB of zeros
    assert bomb.stat().st_size < 2 << 20  # about 100 KB on disk
    code, output = run("check", bomb)
    assert code == 2 and "展開すると" in output and "Traceback" not in output
