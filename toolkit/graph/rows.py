"""Fetched responses → rows of 出欠 and 利用実績 (pure functions, no I/O).

Columns of a Forms result workbook are found by their question titles (configurable, see ``FormColumns``),
never by position. Forms' own first columns are accepted in English and Japanese.

The 回答ID written with each row is the de-duplication key:
- Forms: ``{driveItem id}:{response ID}`` — the response ID is only unique inside one form, the drive item id
  makes it unique across forms;
- Teams: ``{attendance report id}:{e-mail, or display name when there is none}``.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from toolkit import schema
from toolkit.errors import SyncError
from toolkit.graph.merge import key_text as _text
from toolkit.graph.matching import CompanyMatcher, ServiceMatcher, normalize_email
from toolkit.graph.sources import AttendanceRecord, FormTable
from toolkit.normalize import Invalid, parse_choice, parse_date

A = schema.ATTENDANCE
U = schema.USAGE_DAYS
SOURCE_FORMS, SOURCE_TEAMS, _SOURCE_MANUAL = schema.VOCABULARIES["出典（出欠）"]
STATUS_APPLIED, STATUS_PRESENT, STATUS_ABSENT = schema.VOCABULARIES["出欠"]

# Forms' own columns (English tenants, Japanese tenants).
FORMS_ID = ("ID",)
FORMS_EMAIL = ("Email", "メール", "電子メール")
FORMS_NAME = ("Name", "名前")
_ANONYMOUS = {"anonymous", "匿名"}

# The question titles a setting may override: 設定 項目 "フォーム列名（企業名）", 値 "貴社名" (several: "、").
FORM_COLUMN_SETTING = "フォーム列名（{}）"


@dataclass(frozen=True)
class FormColumns:
    company: tuple[str, ...] = ("企業名",)
    person: tuple[str, ...] = ("氏名",)
    email: tuple[str, ...] = ("メールアドレス",)
    status: tuple[str, ...] = ("出欠",)
    service: tuple[str, ...] = ("サービス名",)
    area: tuple[str, ...] = ("利用領域",)
    date: tuple[str, ...] = ("利用日",)


_SETTING_FIELDS = {"企業名": "company", "氏名": "person", "メールアドレス": "email", "出欠": "status",
                   "サービス名": "service", "利用領域": "area", "利用日": "date"}


def form_columns_from_settings(rows: Sequence[Sequence[object]] | None) -> FormColumns:
    """Question titles configured in the raw 設定 sheet, ahead of the defaults."""
    columns = FormColumns()
    if not rows:
        return columns
    wanted = {schema.fold(FORM_COLUMN_SETTING.format(k)): f for k, f in _SETTING_FIELDS.items()}
    for row in rows[1:]:
        if len(row) < 2 or not isinstance(row[0], str):
            continue
        attr = wanted.get(schema.fold(row[0]))
        if attr is None or row[1] in (None, ""):
            continue
        titles = tuple(t.strip() for t in re.split(r"[、,，\n]", str(row[1])) if t.strip())
        columns = replace(columns, **{attr: titles + getattr(columns, attr)})
    return columns


@dataclass
class Built:
    """Rows for one sheet, and the problems staff should look at (unmatched company, unreadable date, …)."""

    rows: list[dict[str, object]] = field(default_factory=list)
    issues: list[dict[str, object]] = field(default_factory=list)


def _index(headers: Sequence[str], titles: Sequence[str]) -> int | None:
    folded = [schema.fold(h) for h in headers]
    for title in titles:
        key = schema.fold(title)
        if key in folded:
            return folded.index(key)
    return None


def _cell(row: Sequence[object], index: int | None) -> object:
    if index is None or index >= len(row):
        return None
    value = row[index]
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _responder(row: Sequence[object], index: int | None) -> str | None:
    text = _text(_cell(row, index))
    return None if text is None or text.casefold() in _ANONYMOUS else text


def _response_key(table: FormTable, row: Sequence[object], id_index: int, what: str) -> str:
    response = _text(_cell(row, id_index))
    if response is None:
        raise SyncError(f"{what}: ID が空の回答があります（フォーム結果ブックの形式が想定と違います）。")
    return f"{table.item.id}:{response}"


def _require(table: FormTable, titles: Sequence[str], what: str) -> int:
    index = _index(table.headers, titles)
    if index is None:
        shown = "、".join(h for h in table.headers if h)
        raise SyncError(f"{what}: フォーム結果ブックに「{titles[0]}」の列がありません（列: {shown}）。"
                        f"質問のタイトルが違う場合は設定シートに「{FORM_COLUMN_SETTING.format(_label(titles))}」"
                        "を追加してください。")
    return index


def _label(titles: Sequence[str]) -> str:
    defaults = FormColumns()
    for key, attr in _SETTING_FIELDS.items():
        if getattr(defaults, attr)[0] in titles:
            return key
    return titles[-1]


def _issue(built: Built, sheet: str, key: str, column: str, value: object, reason: str) -> None:
    built.issues.append({"sheet": sheet, "key": key, "column": column, "value": value, "reason": reason})


def parse_status(value: object) -> tuple[object, bool]:
    """The 出欠 answer: 出席 / 欠席 as answered, empty = 申込; anything else kept as typed (and flagged)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return STATUS_APPLIED, True
    try:
        return parse_choice(value, "出欠"), True
    except Invalid:
        return value, False


def form_attendance_rows(table: FormTable, event_id: str, companies: CompanyMatcher, imported_at: datetime,
                         columns: FormColumns = FormColumns(), *, what: str) -> Built:
    built = Built()
    h = table.headers
    id_i = _require(table, FORMS_ID, what)
    company_i, person_i = _require(table, columns.company, what), _index(h, columns.person)
    email_i, status_i = _index(h, columns.email), _index(h, columns.status)
    responder_email_i, responder_name_i = _index(h, FORMS_EMAIL), _index(h, FORMS_NAME)
    if person_i is None and responder_name_i is None:
        _require(table, columns.person, what)
    for row in table.rows:
        key = _response_key(table, row, id_i, what)
        company = _text(_cell(row, company_i))
        email = _text(_cell(row, email_i)) or _responder(row, responder_email_i)
        person = _text(_cell(row, person_i)) or _responder(row, responder_name_i)
        status, ok = parse_status(_cell(row, status_i))
        match = companies.match(company, email)
        built.rows.append(_attendance_row(event_id, match.id, person, email, status, None, SOURCE_FORMS, key,
                                          imported_at))
        if match.id is None:
            _issue(built, A.sheet, key, "企業ID", company or email, match.reason)
        if not ok:
            _issue(built, A.sheet, key, "出欠", status, "出欠は 出席・欠席 のどちらか（空欄は申込）です")
        if person is None:
            _issue(built, A.sheet, key, "氏名", None, "氏名が空です")
    return built


def form_usage_rows(table: FormTable, companies: CompanyMatcher, services: ServiceMatcher,
                    columns: FormColumns = FormColumns(), *, what: str) -> Built:
    built = Built()
    h = table.headers
    id_i = _require(table, FORMS_ID, what)
    company_i = _require(table, columns.company, what)
    service_i = _require(table, columns.service, what)
    date_i = _require(table, columns.date, what)
    area_i = _index(h, columns.area)
    responder_email_i = _index(h, FORMS_EMAIL)
    for row in table.rows:
        key = _response_key(table, row, id_i, what)
        company = _text(_cell(row, company_i))
        responder = _responder(row, responder_email_i)
        company_match = companies.match(company, responder)
        service = _text(_cell(row, service_i))
        service_match = services.by_name(service)
        raw_area = _cell(row, area_i)
        area: object
        if raw_area is None:
            area = services.area_of(service_match.id)
        else:
            try:
                area = parse_choice(raw_area, "業務分類")
            except Invalid:
                area = _text(raw_area)
                _issue(built, U.sheet, key, "利用領域", area, "業務分類の一覧にない値です")
        raw_date = _cell(row, date_i)
        try:
            used_on: object = parse_date(raw_date)
        except Invalid:
            used_on = _text(raw_date)
            _issue(built, U.sheet, key, "利用日", used_on, "日付として読めません")
        built.rows.append({
            U.column("企業ID").header: company_match.id,
            U.column("サービスID").header: service_match.id,
            U.column("利用領域").header: area,
            U.column("利用日").header: used_on,
            U.column("アカウント").header: normalize_email(responder) if responder and "@" in responder else None,
            U.column("出典").header: SOURCE_FORMS,
            U.column("回答ID").header: key,
        })
        if company_match.id is None:
            _issue(built, U.sheet, key, "企業ID", company, company_match.reason)
        if service_match.id is None:
            _issue(built, U.sheet, key, "サービスID", service, service_match.reason)
        if area is None:
            _issue(built, U.sheet, key, "利用領域", None, "利用領域が空です")
        if used_on is None:
            _issue(built, U.sheet, key, "利用日", None, "利用日が空です")
    return built


def teams_attendance_rows(records: Sequence[AttendanceRecord], event_id: str, companies: CompanyMatcher,
                          imported_at: datetime) -> Built:
    built = Built()
    for record in records:
        email = normalize_email(record.email) or None
        who = email or (record.name or "").strip() or record.record_id or ""
        key = f"{record.report_id}:{who}"
        match = companies.by_email(email)
        minutes = None if record.seconds is None else round(record.seconds / 60, 1)
        built.rows.append(_attendance_row(event_id, match.id, record.name or email, email, STATUS_PRESENT, minutes,
                                          SOURCE_TEAMS, key, imported_at))
        if match.id is None:
            _issue(built, A.sheet, key, "企業ID", email or record.name, match.reason)
    return built



def _attendance_row(*values: object) -> dict[str, object]:
    """An 出欠 row, values in the contract's header order (イベントID … 取込日時)."""
    return dict(zip(A.headers, values))
