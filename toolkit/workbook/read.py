"""Master workbook → :class:`~toolkit.model.Program` (typed, frozen records) + findings.

Two steps, so the Excel adapter can feed the open book through the same code:
``read_raw`` (python-calamine: sheet name → rows of raw cell values, row 0 = Excel row 1) and
``build_program`` (find columns by header, normalise every cell, turn each unreadable value into a finding,
leave rows with errors out of the records). Nothing downstream sees a raw cell.
"""
from __future__ import annotations

import gc

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from toolkit import schema
from toolkit.errors import WorkbookError
from toolkit.model import PROGRAM_FIELDS, RECORD_TYPES, Finding, Program, Settings
from toolkit.normalize import PARSERS, Invalid, is_blank, parse_choice, parse_fiscal_year, parse_ratio

RawWorkbook = Mapping[str, Sequence[Sequence[object]]]


def read_raw(path: str | Path, sheets: Sequence[str] | None = None) -> dict[str, list[list[object]]]:
    """Every sheet of the contract that exists in the file (or the named ``sheets``), as raw rows."""
    from python_calamine import CalamineWorkbook

    path = Path(path)
    if not path.is_file():
        raise WorkbookError(f"ブックが見つかりません: {path}")
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for every unreadable format
        raise WorkbookError(f"Excel ブック（.xlsx）として読めません: {path}（{exc}）") from None
    wanted = set(sheets) if sheets is not None else {t.sheet for t in schema.TABLES}
    raw: dict[str, list[list[object]]] = {}
    try:
        for name in book.sheet_names:
            if name in wanted:
                # skip_empty_area=False keeps row 0 = Excel row 1, so findings name the row a person sees.
                raw[name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise WorkbookError(f"ブックの読み込み中にエラーが発生しました: {path}（{exc}）") from None
    finally:
        book.close()
    return raw


def load_program(path: str | Path) -> Program:
    return build_program(read_raw(path))


# ---------------------------------------------------------------- building

@dataclass
class _Col:
    index: int
    column: schema.Column
    parse: Callable[[object], object]


def _parser_for(column: schema.Column) -> Callable[[object], object]:
    if column.kind == "choice":
        vocabulary = column.vocabulary
        return lambda raw: parse_choice(raw, vocabulary)
    return PARSERS[column.kind]


def _expected_level(column: schema.Column) -> str:
    # A malformed e-mail or URL does not make a row unusable for any figure: warn, keep the row.
    return "warning" if column.kind in ("email", "url") else "error"


def _header_map(header_row: Sequence[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(header_row):
        if isinstance(cell, str) and cell.strip():
            found.setdefault(schema.fold(cell), i)
    return found


def read_table(table: schema.Table, rows: Sequence[Sequence[object]] | None,
               findings: list[Finding]) -> tuple[Iterable[tuple], list[tuple]]:
    """Rows of one sheet → (record value tuples with their row number first, the same for rows left out)."""
    sheet = table.sheet
    if rows is None:
        findings.append(Finding("error", "missing-sheet", sheet, None, None, None,
                                f"シート「{sheet}」がありません（テーブル {table.name}）"))
        return [], []
    if not rows:
        return [], []
    headers = _header_map(rows[0])
    cols: list[_Col] = []
    for column in table.columns:
        index = headers.get(schema.fold(column.header))
        if index is None:
            if column.required:
                findings.append(Finding("error", "missing-column", sheet, 1, column.header, None,
                                        f"シート「{sheet}」の1行目に必須の列「{column.header}」がありません。"
                                        "このシートは集計から除外しました"))
                return [], []
            findings.append(Finding("warning", "missing-column", sheet, 1, column.header, None,
                                    f"シート「{sheet}」の1行目に列「{column.header}」がありません（空として扱います）"))
            cols.append(_Col(-1, column, _parser_for(column)))
        else:
            cols.append(_Col(index, column, _parser_for(column)))

    body = rows[1:]
    n = len(body)
    if n == 0:
        return [], []
    need = max(c.index for c in cols) + 1
    if min(map(len, body)) < need:
        body = [list(r) + [""] * (need - len(r)) if len(r) < need else r for r in body]
    # Column-wise: each distinct raw value of a column is parsed once, then mapped over the column at C speed.
    # (50,000 usage rows hold a few hundred distinct dates and IDs.)
    transposed = list(zip(*body))
    parsed_cols: list[list[object]] = []
    may_be_none: list[bool] = []
    cell_findings: list[tuple[int, int, Finding]] = []
    error_rows: set[int] = set()
    for pos, c in enumerate(cols):
        if c.index < 0:
            parsed_cols.append([None] * n)
            may_be_none.append(True)
            continue
        raw_col = transposed[c.index]
        parsed, bad, has_none = _parse_column(raw_col, c.parse)
        may_be_none.append(has_none)
        for i, message in bad:
            raw = raw_col[i]
            level = _expected_level(c.column)
            row = i + 2
            cell_findings.append((row, pos, Finding(
                level, "invalid-value", sheet, row, c.column.header, raw,
                f"{sheet} シート {row}行目「{c.column.header}」の値「{raw}」は読めません。{message}")))
            if level == "error":
                error_rows.add(i)
        parsed_cols.append(parsed)

    # Rows with a required value missing are either blank rows (skipped silently; staff may keep notes in their
    # own columns) or rows with a missing value (an error). A table without required columns checks every row.
    required = [pos for pos, c in enumerate(cols) if c.column.required]
    if required:
        candidates = sorted({i for pos in required if may_be_none[pos]
                             for i, v in enumerate(parsed_cols[pos]) if v is None})
    else:
        candidates = range(n)
    contract = [transposed[c.index] for c in cols if c.index >= 0]
    unreadable = {(row, pos) for row, pos, _ in cell_findings}  # already one finding: not "missing" as well
    blank_rows: set[int] = set()
    for i in candidates:
        if i not in error_rows and all(is_blank(col[i]) for col in contract):
            blank_rows.add(i)
            continue
        for pos in required:
            if parsed_cols[pos][i] is None and (i + 2, pos) not in unreadable:
                header = cols[pos].column.header
                cell_findings.append((i + 2, pos, Finding(
                    "error", "missing-value", sheet, i + 2, header, None,
                    f"{sheet} シート {i + 2}行目の必須項目「{header}」が空です")))
                error_rows.add(i)
    cell_findings.sort(key=lambda f: (f[0], f[1]))
    findings.extend(f for _, _, f in cell_findings)

    all_rows = zip(range(2, n + 2), *parsed_cols)
    if not error_rows and not blank_rows:
        return all_rows, []  # an iterator: the caller builds each record once
    records: list[tuple] = []
    rejected: list[tuple] = []
    for values in all_rows:
        i = values[0] - 2
        if i in blank_rows:
            continue
        (rejected if i in error_rows else records).append(values)
    return records, rejected


class _Bad:
    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def _parse_one(raw: object, parse: Callable[[object], object]) -> object:
    try:
        return parse(raw)
    except Invalid as exc:
        return _Bad(str(exc))


def _parse_column(raw_col: Sequence[object], parse: Callable[[object], object]
                  ) -> tuple[list[object], list[tuple[int, str]], bool]:
    """Parsed values of one column, (index, message) of the unreadable ones, and whether any value is None."""
    distinct = set(raw_col)
    # True == 1 == 1.0 share one slot in a set or dict, so a column that may hold a boolean cell next to a 1 is
    # parsed cell by cell (boolean cells are rare; the cheap membership test avoids scanning most columns).
    if (True in distinct or False in distinct) and bool in set(map(type, raw_col)):
        parsed = [_parse_one(v, parse) for v in raw_col]
        has_none = True
    else:
        mapping = {v: (None if v is None else _parse_one(v, parse)) for v in distinct}
        mapping[""] = mapping[None] = None
        parsed = list(map(mapping.__getitem__, raw_col))
        has_none = any(mapping[v] is None for v in distinct)
        if not any(type(v) is _Bad for v in mapping.values()):
            return parsed, [], has_none
    bad = [(i, v.message) for i, v in enumerate(parsed) if type(v) is _Bad]
    for i, _ in bad:
        parsed[i] = None
    return parsed, bad, True


# Settings people type in their own way: 令和7年度 for the year, 90% for the warning share.
_SETTING_PARSERS = {"fiscal_year": parse_fiscal_year, "warn_ratio": parse_ratio}


def _read_settings(rows: Sequence[Sequence[object]] | None, findings: list[Finding]) -> Settings:
    values = {s.key: s.default for s in schema.SETTING_ITEMS}
    table = schema.SETTINGS
    if rows is None:
        findings.append(Finding("error", "missing-sheet", table.sheet, None, None, None,
                                f"シート「{table.sheet}」がありません。既定の設定で集計します"))
        return Settings(**values)
    headers = _header_map(rows[0]) if rows else {}
    item_col = headers.get(schema.fold("項目"))
    value_col = headers.get(schema.fold("値"))
    if item_col is None or value_col is None:
        findings.append(Finding("error", "missing-column", table.sheet, 1, "項目" if item_col is None else "値", None,
                                f"シート「{table.sheet}」の1行目に「項目」「値」の列がありません。既定の設定で集計します"))
        return Settings(**values)
    by_item = {schema.fold(s.item): s for s in schema.SETTING_ITEMS}
    for r in range(1, len(rows)):
        row = rows[r]
        raw_item = row[item_col] if item_col < len(row) else ""
        if is_blank(raw_item):
            continue
        setting = by_item.get(schema.fold(str(raw_item)))
        if setting is None:
            continue  # staff may keep their own notes in 設定
        raw = row[value_col] if value_col < len(row) else ""
        if is_blank(raw):
            continue  # empty = the default
        try:
            value = _SETTING_PARSERS.get(setting.key, PARSERS[setting.kind])(raw)
        except Invalid as exc:
            findings.append(Finding("error", "invalid-setting", table.sheet, r + 1, "値", raw,
                                    f"設定「{setting.item}」の値「{raw}」は読めません。{exc}。"
                                    f"既定値（{setting.default}）で集計します"))
            continue
        values[setting.key] = value
    return Settings(**values)


def build_program(raw: RawWorkbook) -> Program:
    # Tens of thousands of small tuples would set off the cyclic garbage collector again and again; none of them
    # can form a cycle, so collection waits until the Program is built.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_program(raw)
    finally:
        if enabled:
            gc.enable()


def _build_program(raw: RawWorkbook) -> Program:
    findings: list[Finding] = []
    settings = _read_settings(raw.get(schema.SETTINGS.sheet), findings)
    fields: dict[str, object] = {}
    rejected: dict[str, tuple] = {}
    for table in schema.TABLES:
        if table is schema.SETTINGS:
            continue
        rows = raw.get(table.sheet)
        if rows is None and table.owned:
            continue  # an old workbook without the toolkit's own log is fine
        records, left_out = read_table(table, rows, findings)
        # tuple.__new__ straight from map: NamedTuple._make is a Python-level call per row (50,000 usage rows).
        make = partial(tuple.__new__, RECORD_TYPES[table.sheet])
        fields[PROGRAM_FIELDS[table.sheet]] = tuple(map(make, records))
        if left_out:
            rejected[table.sheet] = tuple(map(make, left_out))
    return Program(settings=settings, findings=tuple(findings), rejected=rejected, **fields)
