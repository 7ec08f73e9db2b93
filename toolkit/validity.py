"""Row rules: the checks that decide whether a row may count in any figure.

Duplicate IDs, unknown references, dates outside the fiscal year and malformed financial rows. The reader runs
them once (``apply_row_rules``): the Program it hands on holds only usable rows, the others are in ``rejected``
and the findings say why, so budget, KPIs and documents count "valid rows only" (workbook.md) without checking
again. Pure functions; no I/O.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from operator import attrgetter

from toolkit import schema
from toolkit.model import PROGRAM_FIELDS, Finding, Program


def _error(code: str, sheet: str, row: int, column: str | None, value: object, message: str) -> Finding:
    return Finding("error", code, sheet, row, column, value, message)


def _warning(code: str, sheet: str, row: int | None, column: str | None, value: object, message: str) -> Finding:
    return Finding("warning", code, sheet, row, column, value, message)


def _unique_ids(program: Program) -> Iterable[Finding]:
    for table in schema.TABLES:
        if table.id_column is None or table is schema.SETTINGS:
            continue
        key = table.column(table.id_column).key
        first: dict[str, int] = {}
        for record in getattr(program, PROGRAM_FIELDS[table.sheet]):
            value = getattr(record, key)
            if value in first:
                yield _error("duplicate-id", table.sheet, record.row, table.id_column, value,
                             f"{table.id_column} {value} が重複しています（{first[value]}行目と同じ）。"
                             "この行は集計から除外しました")
            else:
                first[value] = record.row


def _references(program: Program) -> Iterable[Finding]:
    known: dict[str, set[str]] = {}
    left_out: dict[str, frozenset[str]] = {}
    for target in (schema.COMPANIES, schema.SERVICES, schema.EVENTS):
        key = target.column(target.id_column).key
        known[target.sheet] = {getattr(r, key) for r in getattr(program, PROGRAM_FIELDS[target.sheet])}
        left_out[target.sheet] = program.rejected_ids(target.sheet, key)
    for table, attr, target, code in schema.REFERENCES:
        if target.sheet in program.missing:
            continue  # the missing sheet is the finding; every reference to it would only repeat it
        header = table.header(attr)
        records = getattr(program, PROGRAM_FIELDS[table.sheet])
        # The values at C speed first: 50,000 usage rows mostly name a handful of known IDs.
        unknown = set(map(attrgetter(attr), records)) - known[target.sheet] - {None}
        if not unknown:
            continue
        for record in records:
            value = getattr(record, attr)
            if value not in unknown:
                continue
            if value in left_out[target.sheet]:
                yield _error("reference-left-out", table.sheet, record.row, header, value,
                             f"{header} {value} は {target.sheet} シートの行にエラーがあるため集計から除外されています。"
                             f"{target.sheet} シートを直すとこの行も数えられます")
            else:
                yield _error(code, table.sheet, record.row, header, value,
                             f"{header} {value} は {target.sheet} シートにありません")


_EXPENSE_COMPANY = schema.EXPENSES.header("company_id")


def _expense_rules(program: Program) -> Iterable[Finding]:
    for e in program.expenses:
        if e.line == schema.COST_COMMON and e.company_id is not None:
            yield _error("common-with-company", schema.EXPENSES.sheet, e.row, _EXPENSE_COMPANY, e.company_id,
                         f"{schema.COST_COMMON}には企業IDを入れません（{e.company_id}）。"
                         "企業の経費なら費目を、共通の経費なら企業IDを直してください")
        elif e.line != schema.COST_COMMON and e.company_id is None:
            yield _error("expense-without-company", schema.EXPENSES.sheet, e.row, _EXPENSE_COMPANY, None,
                         f"費目「{e.line}」の経費には企業IDが必要です（企業IDが空でよいのは{schema.COST_COMMON}だけです）")


def _fiscal_year(program: Program) -> Iterable[Finding]:
    s = program.settings
    start, end = s.fiscal_start, s.fiscal_end
    label = f"{s.fiscal_year}年度（{start:%Y/%m/%d}〜{end:%Y/%m/%d}）"
    for table in (schema.EXPENSES, schema.SUPPORT_LOG, schema.EVENTS, schema.MEETINGS):
        header = table.header("date")
        for record in getattr(program, PROGRAM_FIELDS[table.sheet]):
            if not (start <= record.date <= end):
                yield _error("outside-fiscal-year", table.sheet, record.row, header, record.date,
                             f"{header} {record.date:%Y/%m/%d} が{label}の外です。この行は集計から除外しました")


# Dates of the program's own records (not a company's 決算期末) lie in its fiscal year, a year either side at most:
# 9999-12-31 or 1900-01-01 is a typo, and would count as thousands of months.
_DATED = ((schema.SUBSCRIPTIONS, ("start", "end")), (schema.USAGE_DAYS, ("date",)))


def _plausible_dates(program: Program) -> Iterable[Finding]:
    s = program.settings
    first, last = date(s.fiscal_year - 1, 4, 1), date(s.fiscal_year + 2, 3, 31)
    for table, keys in _DATED:
        records = getattr(program, PROGRAM_FIELDS[table.sheet])
        for key in keys:
            # The distinct dates first, at C speed: 50,000 usage rows hold a few hundred.
            bad = {d for d in set(map(attrgetter(key), records)) if d is not None and not first <= d <= last}
            if not bad:
                continue
            header = table.header(key)
            for record in records:
                value = getattr(record, key)
                if value in bad:
                    yield _error("implausible-date", table.sheet, record.row, header, value,
                                 f"{header} {value:%Y/%m/%d} は{s.fiscal_year}年度の前後1年（{first:%Y/%m/%d}〜"
                                 f"{last:%Y/%m/%d}）の外です。入力を確かめてください（この行は集計から除外しました）")


# A refund or a cancellation is the one negative amount a ledger holds (摘要 says so).
REFUND_WORDS = ("返金", "取消", "戻入")
# Yen columns where a negative amount means a typo (an operating loss, 営業利益, is the one real negative).
_NON_NEGATIVE = ((schema.SUBSCRIPTIONS, ("monthly_fee", "initial_fee")), (schema.SERVICES, ("unit_price", "initial_fee")),
                 (schema.COMPANIES, ("cap",)), (schema.FINANCIALS, ("personnel_cost", "depreciation")))


def _amount_rules(program: Program) -> Iterable[Finding]:
    sheet, header = schema.EXPENSES.sheet, schema.EXPENSES.header("amount")
    for e in program.expenses:
        if e.amount < 0:
            if any(word in (e.description or "") for word in REFUND_WORDS):
                yield _warning("refund", sheet, e.row, header, e.amount,
                               f"金額 {e.amount:,}円 は摘要のとおり返金・取消として差し引きます。確かめてください")
            else:
                yield _error("negative-amount", sheet, e.row, header, e.amount,
                             f"金額 {e.amount:,}円 がマイナスです。返金・取消なら摘要に「{'・'.join(REFUND_WORDS)}」のいずれかを"
                             "書いてください（この行は集計から除外しました）")
    for table, keys in _NON_NEGATIVE:
        for record in getattr(program, PROGRAM_FIELDS[table.sheet]):
            for key in keys:
                value = getattr(record, key)
                if value is not None and (value < 0 or (key == "cap" and value == 0)):
                    column = table.header(key)
                    yield _error("negative-amount", table.sheet, record.row, column, value,
                                 f"{column} {value:,}円 は{'0 より大きい値' if key == 'cap' else 'マイナスにできない金額'}"
                                 "です。入力を確かめてください（この行は集計から除外しました）")


def _subscription_rules(program: Program) -> Iterable[Finding]:
    for sub in program.subscriptions:
        if sub.end is not None and sub.end < sub.start:
            yield _error("end-before-start", schema.SUBSCRIPTIONS.sheet, sub.row, schema.SUBSCRIPTIONS.header("end"),
                         sub.end,
                         f"終了日 {sub.end:%Y/%m/%d} が開始日 {sub.start:%Y/%m/%d} より前です")


def _financial_rules(program: Program) -> Iterable[Finding]:
    sheet = schema.FINANCIALS.sheet
    counts = Counter((f.company_id, f.period) for f in program.financials)
    for f in program.financials:
        if counts[(f.company_id, f.period)] > 1:
            yield _error("duplicate-period", sheet, f.row, schema.FINANCIALS.header("period"), f.period,
                         f"企業 {f.company_id} の「{f.period}」の決算が{counts[(f.company_id, f.period)]}行あります。"
                         "1行にしてください（どれを使うか決められないため、労働生産性から除外しました）")
        for attr, least, unit in (("workers", 1, "人"), ("total_hours", 100, "時間")):
            header = schema.FINANCIALS.header(attr)
            value = getattr(f, attr)
            if value is not None and value < least:
                yield _error("implausible-labour", sheet, f.row, header, value,
                             f"{header}が{value:g}{unit}です。1年間の労働投入量として{least}{unit}以上が必要です"
                             "（労働生産性から除外しました）")
        if f.workers is None and f.total_hours is None:
            workers, hours = schema.FINANCIALS.header("workers"), schema.FINANCIALS.header("total_hours")
            yield _error("missing-labour", sheet, f.row, workers, None,
                         f"{workers}か{hours}のどちらかが必要です（労働投入量）")


ROW_RULES = (_unique_ids, _references, _expense_rules, _amount_rules, _fiscal_year, _plausible_dates,
             _subscription_rules, _financial_rules)


def apply_row_rules(program: Program) -> Program:
    """The Program without the rows the row rules mark as errors (they move to ``rejected``), with the rules'
    findings added after the reader's."""
    found = tuple(f for rule in ROW_RULES for f in rule(program))
    if not found:
        return program
    bad: dict[str, set[int]] = defaultdict(set)
    for f in found:
        if f.level == "error" and f.row is not None:
            bad[f.sheet].add(f.row)
    changes: dict[str, tuple] = {}
    rejected = dict(program.rejected)
    for sheet, rows in bad.items():
        attr = PROGRAM_FIELDS[sheet]
        records = getattr(program, attr)
        changes[attr] = tuple(r for r in records if r.row not in rows)
        rejected[sheet] = tuple(sorted(rejected.get(sheet, ()) + tuple(r for r in records if r.row in rows),
                                       key=lambda r: r.row))
    return replace(program, findings=program.findings + found, rejected=rejected, **changes)
