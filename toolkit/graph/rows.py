"""Fetched responses → rows of 出欠 and 利用実績 (pure functions, no I/O).

Columns of a Forms result workbook are found by their question titles (configurable, see ``FormColumns``),
never by position. Forms' own first columns are accepted in English and Japanese.

The 回答ID written with each row is the de-duplication key:
- Forms: ``{form key}:{response ID}`` — the response ID is only unique inside one form; the form key is the
  result workbook's drive item id when it was first read (kept when the workbook is re-created, see sync.py);
- Teams meetings, webinar sessions: ``{attendance report id}:{attendance record id}`` — two anonymous
  attendees may share a display name ("iPhone"), never a record id;
- webinar registrations: ``{webinar id}:reg:{registration id}``.

A row may carry a *version* (a Forms response's last-modified time, a registration's status): when a row
already in the workbook comes back with another version, the sync updates that row in place.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from toolkit import schema
from toolkit.errors import SyncError
from toolkit.graph.merge import key_text as _text
from toolkit.graph.matching import CompanyMatcher, ServiceMatcher, normalize_email
from toolkit.graph.forms import FormTable, form_date
from toolkit.graph.teams import AttendanceRecord, Registration
from toolkit.normalize import Invalid, parse_choice
from toolkit.schema import STATUS_ABSENT, STATUS_APPLIED, STATUS_PRESENT

A = schema.ATTENDANCE
U = schema.USAGE_DAYS
SOURCE_FORMS, SOURCE_TEAMS, _SOURCE_MANUAL = schema.VOCABULARIES["出典（出欠）"]

_ANONYMOUS = {"anonymous", "匿名"}
# Registration states that mean the person is not coming (anything else is an application, 申込).
_NOT_COMING = {"canceled", "rejectedbyorganizer"}

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
    versions: dict[str, str] = field(default_factory=dict)  # 回答ID -> version, where the source has one
    aliases: dict[str, str] = field(default_factory=dict)  # 回答ID -> the key an older toolkit wrote for it
    present: int = 0  # responses left out because the workbook already has them, unchanged


# Whether the workbook already holds a response in this version (its row is then not built again).
Known = Callable[[str, "str | None"], bool]


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


def _version(value: object) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return _text(value)


def _require(table: FormTable, titles: Sequence[str], what: str) -> int:
    index = table.column(titles)
    if index is None:
        shown = "、".join(h for h in table.headers if h)
        raise SyncError(f"{what}: フォーム結果ブックに「{titles[0]}」の列がありません（列: {shown}）。"
                        f"質問のタイトルが違う場合は設定シートに「{FORM_COLUMN_SETTING.format(_label(titles))}」"
                        "を追加してください。")
    return index


class _Responses:
    """Walks a form's rows: the 回答ID and version of each, from Forms' own columns."""

    def __init__(self, table: FormTable, prefix: str, built: Built, what: str, known: Known | None):
        self.table, self.prefix, self.built, self.what, self.known = table, prefix, built, what, known
        own = table.own
        self.id_i, self.modified_i = own["id"], own.get("modified")
        self.email_i, self.name_i = own.get("email"), own.get("name")

    def __iter__(self):
        for row in self.table.rows:
            response = _text(_cell(row, self.id_i))
            if response is None:
                raise SyncError(f"{self.what}: ID が空の回答があります（フォーム結果ブックの形式が想定と違います）。")
            key = f"{self.prefix}:{response}"
            version = _version(_cell(row, self.modified_i))
            if version is not None:
                self.built.versions[key] = version
            if self.known is not None and self.known(key, version):
                self.built.present += 1  # a re-run reads 10,000 responses: build only the new or changed ones
                continue
            yield key, row


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


def form_attendance_rows(table: FormTable, prefix: str, event_id: str, companies: CompanyMatcher,
                         imported_at: datetime, columns: FormColumns = FormColumns(), *, what: str,
                         known: Known | None = None) -> Built:
    built = Built()
    company_i, person_i = _require(table, columns.company, what), table.column(columns.person)
    email_i, status_i = table.column(columns.email), table.column(columns.status)
    responses = _Responses(table, prefix, built, what, known)
    if person_i is None and responses.name_i is None:
        _require(table, columns.person, what)
    for key, row in responses:
        company = _text(_cell(row, company_i))
        email = _text(_cell(row, email_i)) or _responder(row, responses.email_i)
        person = _text(_cell(row, person_i)) or _responder(row, responses.name_i)
        status, ok = parse_status(_cell(row, status_i))
        match = companies.match(company, email)
        built.rows.append(_attendance_row(event_id, match.id, person, email, status, None, SOURCE_FORMS, key,
                                          imported_at))
        if match.id is None:
            _issue(built, A.sheet, key, A.header("company_id"), company or email, match.reason)
        if not ok:
            _issue(built, A.sheet, key, A.header("status"), status, "出欠は 出席・欠席 のどちらか（空欄は申込）です")
        if person is None:
            _issue(built, A.sheet, key, A.header("name"), None, "氏名が空です")
    return built


def form_usage_rows(table: FormTable, prefix: str, companies: CompanyMatcher, services: ServiceMatcher,
                    columns: FormColumns = FormColumns(), *, what: str, known: Known | None = None) -> Built:
    built = Built()
    company_i = _require(table, columns.company, what)
    service_i = _require(table, columns.service, what)
    date_i = _require(table, columns.date, what)
    area_i = table.column(columns.area)
    responses = _Responses(table, prefix, built, what, known)
    # Answers repeat (a few areas, a few hundred days): each distinct one is parsed once.
    areas: dict[object, tuple[object, bool]] = {}
    dates: dict[object, tuple[object, bool]] = {}
    for key, row in responses:
        company = _text(_cell(row, company_i))
        responder = _responder(row, responses.email_i)
        company_match = companies.match(company, responder)
        service = _text(_cell(row, service_i))
        service_match = services.by_name(service)
        raw_area = _cell(row, area_i)
        area: object
        if raw_area is None:
            area = services.area_of(service_match.id)
        else:
            if raw_area not in areas:
                areas[raw_area] = _parsed(lambda raw_area=raw_area: parse_choice(raw_area, "業務分類"), raw_area)
            area, ok = areas[raw_area]
            if not ok:
                _issue(built, U.sheet, key, U.header("area"), area, "業務分類の一覧にない値です")
        raw_date = _cell(row, date_i)
        if raw_date not in dates:
            dates[raw_date] = _parsed(lambda raw_date=raw_date: form_date(raw_date, table.english), raw_date)
        used_on, ok = dates[raw_date]
        if not ok:
            _issue(built, U.sheet, key, U.header("date"), used_on, "日付として読めません")
        built.rows.append(dict(zip(U.headers, (
            company_match.id, service_match.id, area, used_on,
            normalize_email(responder) if responder and "@" in responder else None, SOURCE_FORMS, key))))
        if company_match.id is None:
            _issue(built, U.sheet, key, U.header("company_id"), company, company_match.reason)
        if service_match.id is None:
            _issue(built, U.sheet, key, U.header("service_id"), service, service_match.reason)
        if area is None:
            _issue(built, U.sheet, key, U.header("area"), None, "利用領域が空です")
        if used_on is None:
            _issue(built, U.sheet, key, U.header("date"), None, "利用日が空です")
    return built


def _parsed(parse: Callable[[], object], raw: object) -> tuple[object, bool]:
    """(value, True) when the answer parses, else (the answer as text, False): kept as typed, flagged."""
    try:
        return parse(), True
    except Invalid:
        return _text(raw), False


def teams_attendance_rows(records: Sequence[AttendanceRecord], event_id: str, companies: CompanyMatcher,
                          imported_at: datetime) -> Built:
    built = Built()
    for record in records:
        email = normalize_email(record.email) or None
        key = f"{record.report_id}:{record.record_id}"
        # Before record ids were used, the key was report + e-mail (or name): still recognised as present.
        built.aliases[key] = f"{record.report_id}:{email or record.name or record.record_id}"
        match = companies.by_email(email)
        minutes = None if record.seconds is None else round(record.seconds / 60, 1)
        built.rows.append(_attendance_row(event_id, match.id, record.name or email, email, STATUS_PRESENT, minutes,
                                          SOURCE_TEAMS, key, imported_at))
        if match.id is None:
            _issue(built, A.sheet, key, A.header("company_id"), email or record.name, match.reason)
    return built


def registration_rows(registrations: Sequence[Registration], webinar_id: str, event_id: str,
                      companies: CompanyMatcher, imported_at: datetime) -> Built:
    """A webinar's registrations as 申込 (a cancelled or rejected one as 欠席); the status is the version."""
    built = Built()
    for reg in registrations:
        email = normalize_email(reg.email) or None
        key = f"{webinar_id}:reg:{reg.id}"
        status = STATUS_ABSENT if reg.status.casefold() in _NOT_COMING else STATUS_APPLIED
        built.versions[key] = status
        match = companies.by_email(email)
        built.rows.append(_attendance_row(event_id, match.id, reg.name or email, email, status, None, SOURCE_TEAMS,
                                          key, imported_at))
        if match.id is None:
            _issue(built, A.sheet, key, A.header("company_id"), email or reg.name, match.reason)
    return built


def _attendance_row(*values: object) -> dict[str, object]:
    """An 出欠 row, values in the contract's header order (イベントID … 取込日時)."""
    return dict(zip(A.headers, values))
