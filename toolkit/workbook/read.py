"""Master workbook → :class:`~toolkit.model.Program` (typed, frozen records) + findings.

Two steps, so the Excel adapter can feed the open book through the same code:
``read_raw`` (python-calamine: sheet name → rows of raw cell values, row 0 = Excel row 1) and
``build_program`` (find columns by header, normalise every cell, turn each unreadable value into a finding,
leave rows with errors out of the records). Nothing downstream sees a raw cell.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit import schema
from toolkit.model import PROGRAM_FIELDS, RECORD_TYPES, Finding, Program, Settings
from toolkit.normalize import PARSERS, Invalid, is_blank, parse_choice

RawWorkbook = Mapping[str, Sequence[Sequence[object]]]


class WorkbookError(Exception):
    """The file is not a workbook we can read (missing, not .xlsx, corrupt)."""


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

_MISS = object()


@dataclass
class _Col:
    index: int
    column: schema.Column
    parse: Callable[[object], object]
    cache: dict


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
               findings: list[Finding]) -> tuple[list[tuple], list[tuple]]:
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
            cols.append(_Col(-1, column, _parser_for(column), {}))
        else:
            cols.append(_Col(index, column, _parser_for(column), {}))

    records: list[tuple] = []
    rejected: list[tuple] = []
    width = max((c.index for c in cols), default=-1) + 1
    for r in range(1, len(rows)):
        row = rows[r]
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
        # A row is blank when every contract column is blank (staff may keep notes in their own columns).
        values: list[object] = [r + 1]
        bad = False
        blank = True
        for c in cols:
            raw = row[c.index] if c.index >= 0 else ""
            if raw == "" or raw is None:
                if c.column.required:
                    values.append(_MISS)  # decided after the blank-row test
                else:
                    values.append(None)
                continue
            blank = False
            cacheable = type(raw) is not bool
            hit = c.cache.get(raw, _MISS) if cacheable else _MISS
            if hit is _MISS:
                try:
                    hit = (True, c.parse(raw))
                except Invalid as exc:
                    hit = (False, str(exc))
                if cacheable:
                    c.cache[raw] = hit
            ok, value = hit
            if ok:
                if value is None and c.column.required:
                    values.append(_MISS)
                    continue
                values.append(value)
            else:
                level = _expected_level(c.column)
                findings.append(Finding(level, "invalid-value", sheet, r + 1, c.column.header, raw,
                                        f"{sheet} シート {r + 1}行目「{c.column.header}」の値「{raw}」は読めません。"
                                        f"{value}"))
                if level == "error":
                    bad = True
                values.append(None)
        if blank:
            continue
        for i, value in enumerate(values):
            if value is _MISS:
                header = cols[i - 1].column.header
                findings.append(Finding("error", "missing-value", sheet, r + 1, header, None,
                                        f"{sheet} シート {r + 1}行目の必須項目「{header}」が空です"))
                bad = True
                values[i] = None
        (rejected if bad else records).append(tuple(values))
    return records, rejected


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
            value = PARSERS[setting.kind](raw)
        except Invalid as exc:
            findings.append(Finding("error", "invalid-setting", table.sheet, r + 1, "値", raw,
                                    f"設定「{setting.item}」の値「{raw}」は読めません。{exc}。"
                                    f"既定値（{setting.default}）で集計します"))
            continue
        values[setting.key] = value
    return Settings(**values)


def build_program(raw: RawWorkbook) -> Program:
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
        make = RECORD_TYPES[table.sheet]._make
        fields[PROGRAM_FIELDS[table.sheet]] = tuple(map(make, records))
        if left_out:
            rejected[table.sheet] = tuple(map(make, left_out))
    return Program(settings=settings, findings=tuple(findings), rejected=rejected, **fields)
