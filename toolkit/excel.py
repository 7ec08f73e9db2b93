"""Excel one-click: the Python side of the buttons in the macro-enabled master.

The VBA behind each button (``toolkit/workbook_templates/toolkit_macros.bas``) calls, through the xlwings add-in,
``import toolkit.excel; toolkit.excel.make_plan()`` and so on. Each entry point:

- reads the **open** book as Excel holds it (unsaved edits included) into the same raw tables the file reader
  makes (row 0 = Excel row 1, column 0 = column A) and builds the Program with the same code as the CLI;
- writes what it produces into the open book through xlwings — never into the file underneath Excel;
- says what happened, in Japanese, in the status cell of the 操作 sheet (and a message box when it failed).

Every entry point takes an explicit ``book`` for tests (``tests/fake_xlwings.py``); without one it uses
``xlwings.Book.caller()``. xlwings is imported only there, so this module imports anywhere.
"""
from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from toolkit import schema
from toolkit.errors import MissingInput, UsageError
from toolkit.workbook.layout import runs
from toolkit.workbook.xlsx import col_letters

# ---------------------------------------------------------------- the toolkit's own sheets and names
# Sheets only the Excel adapter owns (the workbook contract's sheets come from schema).
CONTROL_SHEET = "操作"
RESULTS_SHEET = "検査結果"
RESULTS_TABLE = "CheckResults"
CONF_SHEET = "xlwings.conf"  # the name xlwings looks for

# Workbook-level names the macro build defines on the 操作 sheet: cells stay found if staff move things.
NAME_COMPANY = "toolkit_company"  # drop-down: the company whose plan the button makes
NAME_COMPANY_NAME = "toolkit_company_name"  # formula: that company's name, for the eye
NAME_PDF = "toolkit_pdf"  # drop-down: also make PDFs
NAME_DRAFT = "toolkit_draft"  # drop-down: make the documents as a 案 although rows with errors are left out
NAME_STATUS = "toolkit_status"  # what the last button did
NAME_RUN_AT = "toolkit_run_at"  # when
NAME_NO_ADDIN = "toolkit_msg_no_addin"  # the message VBA shows when the xlwings add-in is missing
NAME_COMPANY_IDS = "toolkit_company_ids"  # the drop-down's list: the 企業ID column of the Companies table

YES, NO = "はい", "いいえ"
RESULT_HEADERS = ("区分", "場所", "シート", "行", "列", "値", "内容")
LEVEL_LABELS = {"error": "エラー", "warning": "警告"}

# The Python side of each button: the VBA calls exactly these (a test reads the built VBA and checks).
ENTRY_POINTS = ("make_plan", "make_reports", "run_check", "refresh_summary", "run_sync")


class Outcome(NamedTuple):
    """What a button did: the Japanese status line and the files it made."""

    ok: bool
    message: str
    paths: tuple[Path, ...] = ()
    added: int = 0


# ---------------------------------------------------------------- the entry points

def make_plan(book: Any = None) -> Outcome:
    """計画書を作成: the company on the selected 企業 row(s), else the one picked on the 操作 sheet."""
    return _run(book, "計画書を作成", _make_plan)


def make_reports(book: Any = None) -> Outcome:
    """報告書を一括作成: every deliverable except the plans."""
    return _run(book, "報告書を一括作成", _make_reports)


def refresh_summary(book: Any = None) -> Outcome:
    """集計を更新: budget status and KPI progress, with charts, on the 集計 sheet of the open book."""
    return _run(book, "集計を更新", _refresh_summary)


def run_check(book: Any = None) -> Outcome:
    """入力チェック: every finding into the 検査結果 sheet, with a link to each offending cell."""
    return _run(book, "入力チェック", _run_check)


def run_sync(book: Any = None, *, env: Mapping[str, str] | None = None) -> Outcome:
    """同期: apply the rows the scheduled sync queued while the book was open, then fetch new ones."""
    return _run(book, "同期", lambda b: _run_sync(b, os.environ if env is None else env))


def _run(book: Any, label: str, job: Callable[[Any], Outcome]) -> Outcome:
    from toolkit.errors import ToolkitError, file_access_error

    book = book if book is not None else _caller()
    app = book.app
    try:
        outcome = job(book)
    except ToolkitError as exc:  # a known failure: its message says what to do
        outcome = Outcome(False, f"{label}できませんでした: {exc}")
    except OSError as exc:  # last time's document open in Word, a read-only folder, a full disk
        known = file_access_error(exc)
        if known is None:
            traceback.print_exc()
        outcome = Outcome(False, f"{label}できませんでした: {known or exc}")
    except Exception as exc:  # a button must end in a message, never in a Python traceback window
        traceback.print_exc()  # xlwings shows stderr only when asked; the status cell is what staff read
        outcome = Outcome(False, f"{label}できませんでした: {exc}")
    finally:
        app.status_bar = False  # give the status bar back to Excel
    try:
        _set_status(book, f"{label}: {outcome.message}")
    except Exception:  # the 操作 sheet's names were deleted or renamed: the status bar still tells
        app.status_bar = f"{label}: {outcome.message}"
    if not outcome.ok:
        app.alert(outcome.message, title=label, mode="critical")
    return outcome


def _caller() -> Any:
    import xlwings as xw

    return xw.Book.caller()


# ---------------------------------------------------------------- reading the open book

def read_open_book(book: Any, sheets: Iterable[str] | None = None) -> dict[str, list[list[object]]]:
    """The contract's sheets of the open book as raw rows, the shape ``workbook.read.read_raw`` gives."""
    wanted = set(sheets) if sheets is not None else {t.sheet for t in schema.TABLES}
    present = [s for s in book.sheets if s.name in wanted]
    return {s.name: sheet_rows(s) for s in present}


# Excel's XlCVError numbers. COM hands an error value over as the code 0x800A0000 | number; xlwings turns the seven
# classic ones into "#REF!" … (with err_to_str) and passes the newer ones (#SPILL!, #CALC! …) through as that int.
CELL_ERRORS = {
    2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?", 2036: "#NUM!", 2042: "#N/A",
    2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!", 2047: "#BLOCKED!", 2048: "#UNKNOWN!",
    2049: "#FIELD!", 2050: "#CALC!",
}


def excel_value(value: object) -> object:
    """A value as xlwings read it, as the file reader would have it: an error code becomes its "#…" text.

    Excel never hands a cell's number over as an int (numbers are doubles), so an int is an error code.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        code = value & 0xFFFFFFFF
        if code >> 16 == 0x800A:
            return CELL_ERRORS.get(code & 0xFFFF, "#UNKNOWN!")
    return value


def sheet_rows(sheet: Any) -> list[list[object]]:
    """Every row from Excel row 1 and column A to the end of the used range (which may start elsewhere).

    Error cells come back as their text ("#REF!"), never as an empty cell: xlwings' default would turn them
    into None, and a blank where a figure expects a number would be silently wrong.
    """
    used = sheet.used_range
    values = [[excel_value(v) for v in row] for row in used.options(ndim=2, err_to_str=True).value or []]
    top, left = used.row, used.column
    width = left - 1 + max((len(r) for r in values), default=0)
    rows: list[list[object]] = [[None] * width for _ in range(top - 1)]
    pad = [None] * (left - 1)
    rows.extend(pad + list(r) + [None] * (width - left + 1 - len(r)) for r in values)
    return rows


def load_open_program(book: Any):
    from toolkit.load import build_program

    raw = read_open_book(book)
    return raw, build_program(raw)


# ---------------------------------------------------------------- writing into the open book

def cell_value(value: object) -> object:
    """A value as xlwings must be given it so that Excel keeps it as it is.

    Text gets Excel's text prefix (an apostrophe, which Excel stores as a flag, not as a character): text that
    starts with = + - @ never becomes a formula, and '0123' or '1-2' stay text instead of turning into numbers
    or dates. A leading apostrophe that is part of the text (the file writer's own neutraliser) is kept.
    """
    if isinstance(value, str) and value:
        return "'" + value
    return value


def _sheet(book: Any, name: str) -> Any | None:
    return next((s for s in book.sheets if s.name == name), None)


def _set_status(book: Any, message: str) -> None:
    sheet = _sheet(book, CONTROL_SHEET)
    if sheet is None:
        book.app.status_bar = message  # a book without the 操作 sheet still learns what happened
        return
    sheet.range(NAME_STATUS).value = cell_value(message)
    sheet.range(NAME_RUN_AT).value = datetime.now().replace(microsecond=0)


def _control_value(book: Any, name: str) -> object:
    sheet = _sheet(book, CONTROL_SHEET)
    return None if sheet is None else sheet.range(name).value


def append_rows(book: Any, sheet_name: str, rows: Sequence[Mapping[str, object]]) -> int:
    """Append rows ({header: value}) to the sheet's Excel table, below its last non-empty row; returns how many.

    Columns are matched by the header row the table really has (staff may have added or moved columns). The table
    is resized first and only the contract's columns are written, so a column staff added with a formula (a
    calculated column) fills the new rows itself instead of being overwritten with blanks.
    """
    if not rows:
        return 0
    sheet = _sheet(book, sheet_name)
    if sheet is None:
        raise MissingInput(f"シート「{sheet_name}」がありません。元の名前に戻してください")
    table = _table(sheet, schema.TABLES_BY_SHEET[sheet_name].name)
    whole = table.range
    top, left = whole.row, whole.column
    nrows, ncols = whole.shape
    headers = [schema.fold(h) if isinstance(h, str) else None
               for h in table.header_row_range.options(ndim=2).value[0]]
    wanted = {schema.fold(k) for row in rows for k in row}
    first = top + 1 + _filled_rows(sheet, table.data_body_range)
    last = max(top + nrows - 1, first + len(rows) - 1)
    table.resize(sheet.range((top, left), (last, left + ncols - 1)))
    folded = [{schema.fold(k): v for k, v in row.items()} for row in rows]
    for start, stop in runs(i for i, h in enumerate(headers) if h in wanted):
        block = [[cell_value(row.get(h)) for h in headers[start:stop]] for row in folded]
        sheet.range((first, left + start)).value = block
    return len(rows)


def _table(sheet: Any, name: str) -> Any:
    tables = list(sheet.tables)
    found = next((t for t in tables if t.name.lower() == name.lower()), None)
    if found is None and len(tables) == 1:
        found = tables[0]  # renamed by staff: the sheet's only table is still the one
    if found is None:
        raise MissingInput(f"シート「{sheet.name}」にテーブル（{name}）がありません。行を追加できません")
    return found


def _filled_rows(sheet: Any, body: Any) -> int:
    """Data rows up to the last one that holds something (an empty table still shows one blank row)."""
    if body is None:
        return 0
    nrows, ncols = body.shape
    last = sheet.range((body.row + nrows - 1, body.column), (body.row + nrows - 1, body.column + ncols - 1))
    if any(v not in (None, "") for v in last.options(ndim=2).value[0]):
        return nrows  # the usual case: no need to read a 50,000-row body
    used = 0
    for i, row in enumerate(body.options(ndim=2).value):
        if any(v not in (None, "") for v in row):
            used = i + 1
    return used


# ---------------------------------------------------------------- 入力チェック

def _run_check(book: Any) -> Outcome:
    from toolkit.checks import counts, run_checks

    from toolkit.materials import link_predicate
    from toolkit.workbook.location import parse_workbook

    raw, program = load_open_program(book)
    with link_predicate(program, parse_workbook(str(book.fullname)), cloud=False) as exists:
        findings = run_checks(program, date.today(), exists)  # with today's status warnings, as `toolkit check`
    write_findings(book, findings, raw)
    errors, warnings = counts(findings)
    if not findings:
        return Outcome(True, "問題は見つかりませんでした。")
    return Outcome(True, f"エラー {errors}件、警告 {warnings}件。「{RESULTS_SHEET}」シートを確認してください。")


def finding_cell(finding: Any, raw: Mapping[str, Sequence[Sequence[object]]]) -> str | None:
    """The offending cell as "経費!C14", found by the header the live sheet really has; None without a row."""
    rows = raw.get(finding.sheet)
    if finding.row is None or not rows:
        return None
    if finding.column is None:
        return f"{finding.sheet}!A{finding.row}"
    want = schema.fold(finding.column)
    for i, cell in enumerate(rows[0]):
        if isinstance(cell, str) and schema.fold(cell) == want:
            return f"{finding.sheet}!{col_letters(i + 1)}{finding.row}"
    return f"{finding.sheet}!A{finding.row}"


def _link(cell: str) -> str:
    sheet, _, address = cell.partition("!")
    # A formula the toolkit writes itself (sheet names come from schema, never from a cell).
    return f"=HYPERLINK(\"#'{sheet}'!{address}\",\"{cell}\")"


def write_findings(book: Any, findings: Sequence[Any], raw: Mapping[str, Sequence[Sequence[object]]]) -> None:
    """Replace the 検査結果 sheet's table with the findings (a header-only table when there are none)."""
    sheet = _sheet(book, RESULTS_SHEET)
    if sheet is None:
        sheet = book.sheets.add(RESULTS_SHEET, after=book.sheets[len(book.sheets) - 1])
    sheet.clear_contents()
    body = []
    for f in findings:
        cell = finding_cell(f, raw)
        body.append([
            cell_value(LEVEL_LABELS.get(f.level, f.level)),
            _link(cell) if cell else None,
            cell_value(f.sheet),
            f.row,
            cell_value(f.column),
            cell_value(f.value) if isinstance(f.value, str) else f.value,
            cell_value(f.message),
        ])
    sheet.range((1, 1)).value = [[cell_value(h) for h in RESULT_HEADERS]] + body
    last_row = max(2, 1 + len(body))  # a table needs one body row, even an empty one
    whole = sheet.range((1, 1), (last_row, len(RESULT_HEADERS)))
    table = next((t for t in sheet.tables if t.name == RESULTS_TABLE), None)
    if table is None:
        sheet.tables.add(source=whole, name=RESULTS_TABLE)
    else:
        table.resize(whole)
    control = _sheet(book, CONTROL_SHEET)
    if findings or control is None:
        sheet.activate()  # show them
    else:
        control.activate()  # nothing to show: staff read the status on 操作 (adding the sheet made it active)


# ---------------------------------------------------------------- 計画書 / 報告書

def book_path(book: Any) -> Path:
    """The open book's file on this computer; the outputs and the sync's queue live beside it."""
    full = Path(str(book.fullname))
    if not full.is_absolute():
        raise UsageError("ブックがまだ保存されていません。パソコン上のフォルダーか SharePoint / OneDrive に保存してから、"
                         "もう一度押してください。")
    return full


def output_dir(book: Any) -> Path:
    """The one output place (toolkit.outputs): 成果品 beside a book on this computer; for one opened from
    SharePoint / OneDrive, 設定.出力フォルダ under Documents, else Documents/成果品."""
    from toolkit.outputs import default_folder
    from toolkit.workbook.location import is_url, parse_workbook

    if not is_url(str(book.fullname)):
        return default_folder(book_path(book))
    from toolkit.workbook.read import build_records

    settings = build_records(read_open_book(book, [schema.SETTINGS.sheet])).settings
    return default_folder(parse_workbook(str(book.fullname)), settings.output_folder)


def selected_company_ids(book: Any, program: Any) -> list[str]:
    """企業IDs of the rows selected on the 企業 sheet, when that sheet is the active one."""
    active = book.sheets.active
    if active.name != schema.COMPANIES.sheet:
        return []
    selection = book.selection
    if selection is None:
        return []
    by_row = {c.row: c.company_id for c in program.companies}
    first = selection.row
    last = min(first + selection.shape[0] - 1, max(by_row, default=0))
    return [by_row[r] for r in range(first, last + 1) if r in by_row]


def _progress(book: Any, label: str) -> Callable[[str], None]:
    def step(text: str) -> None:
        book.app.status_bar = f"{label} {text}"
    return step


def _yes(book: Any, name: str) -> bool:
    value = _control_value(book, name)
    return isinstance(value, str) and schema.fold(value) == YES


def _want_pdf(book: Any) -> bool:
    return _yes(book, NAME_PDF)


def _want_draft(book: Any) -> bool:
    return _yes(book, NAME_DRAFT)


def check_note(program: Any, job: str) -> str:
    """What the input check would say, in the words of a button that went ahead anyway.

    The count is `toolkit check`'s (the same findings, the same counting), so the buttons and the command never
    disagree; the rows left out are those of the sheets ``job`` reads (``schema.NEEDS``).
    """
    from toolkit.checks import counts, run_checks

    errors, _ = counts(run_checks(program))
    if not errors:
        return ""
    left_out = program.excluded_rows(schema.NEEDS[job])
    rows = f"エラーのある {left_out}行は含まれていません。" if left_out else ""
    return f"（入力チェックのエラーが {errors}件あります。{rows}「入力チェック」で確認してください）"


def _documents_outcome(book: Any, what: str, make: Callable[[], list[Path]], folder: Path, note: str) -> Outcome:
    from toolkit.documents import LibreOfficeMissing

    try:
        paths = tuple(make())
    except LibreOfficeMissing as exc:
        return Outcome(False, f"PDF を作成できません: {exc}。「PDF も作成」を「{NO}」にすると Word だけ作成します。")
    from toolkit.outputs import kept_notes

    open_folder(folder)
    kept = "".join(kept_notes(paths))
    return Outcome(True, f"{what}を {len(paths)}ファイル作成しました: {folder}{note}{kept}", paths)


def _make_plan(book: Any) -> Outcome:
    from toolkit.documents import build_plans

    raw, program = load_open_program(book)
    company_ids = selected_company_ids(book, program)
    if not company_ids:
        from toolkit.normalize import parse_id

        picked = _control_value(book, NAME_COMPANY)
        if picked in (None, ""):
            return Outcome(False, f"「{CONTROL_SHEET}」シートで企業IDを選ぶか、「{schema.COMPANIES.sheet}」シートで"
                                  "企業の行を選んでから押してください。")
        # As the reader reads a 企業ID: a 101 typed in Excel arrives as 101.0 and is "101"; Ｃ０１ is C01.
        picked = parse_id(picked)
        if program.company(picked) is None:
            return Outcome(False, f"企業ID {picked} は「{schema.COMPANIES.sheet}」シートにありません"
                                  "（入力エラーのある行は使えません。入力チェックで確認してください）。")
        company_ids = [picked]
    folder = output_dir(book)
    names = "、".join(company_ids)
    return _documents_outcome(
        book, f"計画書（{names}）",
        lambda: build_plans(program, company_ids, folder, pdf=_want_pdf(book), progress=_progress(book, "計画書"),
                            draft=_want_draft(book)),
        folder, check_note(program, "plan"))


def _make_reports(book: Any) -> Outcome:
    from toolkit.documents import build_reports

    raw, program = load_open_program(book)
    folder = output_dir(book)
    return _documents_outcome(
        book, "報告書",
        lambda: build_reports(program, folder, pdf=_want_pdf(book), progress=_progress(book, "報告書"),
                              draft=_want_draft(book)),
        folder, check_note(program, "report"))


class BookEdit:
    """The destination of a job that writes the book open in Excel (the 集計 refresh): through xlwings, so the
    staff see it at once and Excel saves it with their work."""

    def __init__(self, book: Any):
        self.book = book
        self.shown: Any = None  # the sheet rewritten last (activated once the job is done)

    def rewrite_sheet(self, sheet_name: str, layout) -> None:
        from toolkit.excel_render import render

        sheet = _sheet(self.book, sheet_name)
        if sheet is None:  # a book without one: 集計 goes first, after the 操作 sheet when there is one
            control = _sheet(self.book, CONTROL_SHEET)
            sheet = (self.book.sheets.add(sheet_name, after=control) if control is not None
                     else self.book.sheets.add(sheet_name, before=self.book.sheets[0]))
        self.book.app.status_bar = f"{sheet_name}を更新しています…"
        render(sheet, layout, text=cell_value)
        self.shown = sheet

    def append(self, sheet_name: str, rows: Sequence[Mapping[str, object]]) -> None:
        if _sheet(self.book, sheet_name) is not None:  # an old book without 履歴: nothing to log into
            append_rows(self.book, sheet_name, rows)


def _refresh_summary(book: Any) -> Outcome:
    from toolkit.summary import refresh_summary

    _, program = load_open_program(book)
    edit = BookEdit(book)
    # MissingInput: refused before anything is written, 集計 left as it was.
    budget, kpis = refresh_summary(program, edit, datetime.now().replace(microsecond=0), "集計（Excel）")
    edit.shown.activate()
    return Outcome(True, f"集計を更新しました（利用回数 {kpis.usage.total:,} 回、総合計 {budget.grand_total:,} 円）。"
                         + check_note(program, "summary") + _queue_note(book))


def _queue_note(book: Any) -> str:
    """Rows the scheduled sync fetched while the book was open are not in the book yet: say so."""
    try:
        from toolkit.graph.queue import read_queue

        waiting = sum(len(rows) for rows in read_queue(book_path(book)).values())
    except Exception:  # no queue module, an unsaved book, an unreadable queue: nothing to add to the message
        return ""
    return f"定期同期が取得した {waiting}行がまだ反映されていません（「同期」ボタンで反映）。" if waiting else ""


def open_folder(folder: Path) -> None:
    """Show the staff the files: Explorer on Windows; elsewhere (tests, a Mac) nothing."""
    if sys.platform == "win32":
        os.startfile(folder)  # type: ignore[attr-defined]  # Windows only


# ---------------------------------------------------------------- 同期

def _run_sync(book: Any, env: Mapping[str, str]) -> Outcome:
    from toolkit.workbook.location import cloud_files, is_url, parse_workbook
    from toolkit.workbook.write import writer_lock

    # A book opened from SharePoint / OneDrive keeps its queue and state in the user's folder (no folder beside it);
    # the rows still go in through xlwings, and Excel merges them with the co-authors' edits.
    address = str(book.fullname)
    path = cloud_files(address, parse_workbook(address).name, env) if is_url(address) else book_path(book)
    # The scheduled sync takes the same lock: it cannot rewrite the queue between our read and our clear.
    with writer_lock(path):
        return _sync_locked(book, path, env)


class BookDestination:
    """The sync's destination when Excel has the master open: rows go in through xlwings, then Excel saves."""

    def __init__(self, book: Any):
        self.book = book

    def write(self, appends, updates, audit) -> None:
        for sheet, rows in appends.items():
            append_rows(self.book, sheet, rows)
        for sheet, rows in updates.items():
            update_rows(self.book, sheet, rows)
        if _sheet(self.book, schema.AUDIT_LOG.sheet) is not None:
            append_rows(self.book, schema.AUDIT_LOG.sheet, audit)
        self.book.save()  # the rows are safe on disk before the queue file goes


def update_rows(book: Any, sheet_name: str, rows: Mapping[int, Mapping[str, object]]) -> None:
    """Rewrite cells of existing rows (worksheet row -> {header: value}), columns found by the live header row."""
    sheet = _sheet(book, sheet_name)
    if sheet is None:
        raise MissingInput(f"シート「{sheet_name}」がありません。元の名前に戻してください")
    table = _table(sheet, schema.TABLES_BY_SHEET[sheet_name].name)
    left = table.range.column
    headers = [schema.fold(h) if isinstance(h, str) else None
               for h in table.header_row_range.options(ndim=2).value[0]]
    for number, values in rows.items():
        for header, value in values.items():
            key = schema.fold(header)
            if key in headers:
                sheet.range((number, left + headers.index(key))).value = cell_value(value)


def _sync_locked(book: Any, path: Path, env: Mapping[str, str]) -> Outcome:
    from toolkit.graph.sync import synchronize

    raw = read_open_book(book)
    report = synchronize(BookDestination(book), raw, path, fetch=_plan_fetch(env),
                         now=datetime.now().replace(microsecond=0), operation="同期（Excel）")
    added = sum(report.by_sheet.values()) if not report.queued else 0
    detail = "、".join(f"{s} {n}件" for s, n in report.by_sheet.items() if n)
    if added:
        message = f"{detail}を追加・更新して保存しました" + (
            f"（予約分 {report.from_queue}件を含む）" if report.from_queue else "") + "。"
    else:
        message = "追加する行はありませんでした。"
    failures = "".join(f"{line}。" for line in report.failures())
    return Outcome(not report.failed_sources, failures + message, added=added)


def _plan_fetch(env: Mapping[str, str]) -> Any:
    """The fetch step for the button: Microsoft 365 through the graph client. When it cannot even start (not set
    up, no network, an expired secret) the queue is still applied: the failure is reported as a failed source."""
    from toolkit.errors import ToolkitError
    from toolkit.graph.sync import Source, SyncPlan, graph_fetch

    def fetch(program: Any, existing: Any, state: Any, columns: Any) -> Any:
        try:
            return graph_fetch(env, None, datetime.now().replace(microsecond=0))(program, existing, state, columns)
        except ToolkitError as exc:
            return SyncPlan(sources=[Source("Microsoft 365 からの取得", "", error=str(exc))], state=dict(state))
    return fetch
