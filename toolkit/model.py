"""Frozen records of the program, built from the workbook by ``workbook.read``.

Records are NamedTuples: immutable, and cheap to build for 50,000 usage rows. Each carries ``row``, the
worksheet row number a person sees in Excel, so every figure can be traced back to the rows that made it.
Field names are the ``key`` of the columns in ``schema.py`` (a test keeps the two aligned).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from collections.abc import Iterable
from typing import Literal, NamedTuple

from toolkit import schema


class Finding(NamedTuple):
    level: Literal["error", "warning"]
    code: str
    sheet: str
    row: int | None
    column: str | None
    value: object
    message: str

    def as_json(self) -> dict:
        value = self.value
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        return {"level": self.level, "code": self.code, "sheet": self.sheet, "row": self.row,
                "column": self.column, "value": value, "message": self.message}


class Settings(NamedTuple):
    program_name: str
    client: str
    contractor: str
    fiscal_year: int
    contract_end: date
    usage_start: date
    usage_end: date
    cap_default: int
    warn_ratio: float
    usage_target: int
    productivity_target_pct: float
    tenant_id: str
    client_id: str
    teams_organizer: str
    usage_form_url: str
    issued_on: date | None
    contract_sum: int | None
    contract_start: date | None
    contact_interval_days: int
    minutes_due_days: int
    tax_basis: str
    budget_cloud: int | None
    budget_setup: int | None
    budget_consulting: int | None
    budget_common: int | None
    addressee: str
    representative: str
    personal_data_until: date | None
    output_folder: str

    @property
    def fiscal_start(self) -> date:
        return date(self.fiscal_year, 4, 1)

    @property
    def fiscal_end(self) -> date:
        return date(self.fiscal_year + 1, 3, 31)


class Company(NamedTuple):
    row: int
    company_id: str
    name: str
    corporate_number: str | None
    industry: str | None
    address: str | None
    employees: int | None
    stage: str | None
    consultant: str | None
    contact_name: str | None
    contact_email: str | None
    closing_month: int | None
    cap: int | None
    cap_agreement: str | None
    note: str | None
    effects: str | None
    future_issues: str | None
    stage_after: str | None
    challenges: str | None


class Service(NamedTuple):
    row: int
    service_id: str
    name: str
    vendor: str | None
    area: str
    price_unit: str | None
    unit_price: int | None
    initial_fee: int | None
    url: str | None
    note: str | None


class Subscription(NamedTuple):
    row: int
    subscription_id: str
    company_id: str
    service_id: str
    area: str
    quantity: int | None
    start: date
    end: date | None
    monthly_fee: int | None
    initial_fee: int | None
    state: str | None
    decision: str | None = None


class Expense(NamedTuple):
    row: int
    expense_id: str
    date: date
    company_id: str | None
    line: str
    amount: int
    description: str | None
    voucher: str | None
    bearer: str | None = None  # 委託料 / 受託者 (None: 委託料); defaults: rows built in code before the column
    meeting_id: str | None = None


class SupportRecord(NamedTuple):
    row: int
    record_id: str
    company_id: str
    date: date
    form: str
    staff: str | None
    hours: float | None
    content: str | None
    materials: str | None
    next_plan: str | None
    next_date: date | None = None
    links: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    confirmed_by: str | None = None


class UsageDay(NamedTuple):
    row: int
    company_id: str
    service_id: str
    area: str
    date: date
    account: str | None
    source: str | None
    response_id: str | None


class Financial(NamedTuple):
    row: int
    company_id: str
    period: str
    period_end: date
    operating_profit: int
    personnel_cost: int
    depreciation: int
    workers: float | None
    total_hours: float | None
    span: str | None = None


class PlanItem(NamedTuple):
    row: int
    company_id: str
    fiscal_year: int
    area: str
    action: str
    target: str | None
    timing: str | None
    review: str | None
    owner: str | None


class Event(NamedTuple):
    row: int
    event_id: str
    kind: str
    name: str
    date: date
    style: str | None
    venue: str | None
    teams_url: str | None
    form_url: str | None
    content: str | None
    outcomes: str | None


class AttendanceRecord(NamedTuple):
    row: int
    event_id: str
    company_id: str | None
    name: str
    email: str | None
    status: str
    minutes: float | None
    source: str
    response_id: str | None
    imported_at: datetime | None


class Meeting(NamedTuple):
    row: int
    meeting_id: str
    date: date
    style: str | None
    attendees: str | None
    agenda: str
    reports: str | None
    decisions: str | None
    issues: str | None
    next_meeting: str | None
    written_on: date | None
    time: str | None
    venue: str | None = None
    client_attendees: str | None = None
    contractor_attendees: str | None = None
    remarks: str | None = None


class Issue(NamedTuple):
    row: int
    issue_id: str
    raised_on: date
    kind: str | None
    content: str
    impact: str | None
    response: str | None
    owner: str | None
    due: date | None
    state: str | None
    reported_on: date | None


class AuditEntry(NamedTuple):
    row: int
    at: datetime | None
    operation: str | None
    sheet: str | None
    key: str | None
    detail: str | None


# Each data table with its record class and Program attribute, in the order of schema.TABLES (settings are read
# separately). The sheet names come from the contract, spelled there once.
_RECORDS: tuple[tuple[schema.Table, type, str], ...] = (
    (schema.COMPANIES, Company, "companies"), (schema.SERVICES, Service, "services"),
    (schema.SUBSCRIPTIONS, Subscription, "subscriptions"), (schema.EXPENSES, Expense, "expenses"),
    (schema.SUPPORT_LOG, SupportRecord, "support"), (schema.USAGE_DAYS, UsageDay, "usage"),
    (schema.FINANCIALS, Financial, "financials"), (schema.PLAN_ITEMS, PlanItem, "plan_items"),
    (schema.EVENTS, Event, "events"), (schema.ATTENDANCE, AttendanceRecord, "attendance"),
    (schema.MEETINGS, Meeting, "meetings"), (schema.ISSUES, Issue, "issues"), (schema.AUDIT_LOG, AuditEntry, "audit"),
)
RECORD_TYPES: dict[str, type] = {table.sheet: cls for table, cls, _ in _RECORDS}  # sheet -> record class
PROGRAM_FIELDS: dict[str, str] = {table.sheet: attr for table, _, attr in _RECORDS}  # sheet -> Program attribute


@dataclass(frozen=True, eq=False)  # identity hash: rules memoise per Program
class Program:
    """Everything the workbook says, typed and checked at the cell level."""

    settings: Settings
    companies: tuple[Company, ...] = ()
    services: tuple[Service, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    expenses: tuple[Expense, ...] = ()
    support: tuple[SupportRecord, ...] = ()
    usage: tuple[UsageDay, ...] = ()
    financials: tuple[Financial, ...] = ()
    plan_items: tuple[PlanItem, ...] = ()
    events: tuple[Event, ...] = ()
    attendance: tuple[AttendanceRecord, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    issues: tuple[Issue, ...] = ()
    audit: tuple[AuditEntry, ...] = ()
    # Findings of reading: unreadable cells, missing values, missing sheets and headers.
    findings: tuple[Finding, ...] = ()
    # Rows left out of the records because of an error: sheet -> the same record type, with None where a cell
    # could not be read. Kept so a figure can say which rows it left out, and a reference to a left-out row is
    # told apart from a typo.
    rejected: dict[str, tuple] = field(default_factory=dict)
    # What the workbook lacks: sheet -> the error findings saying so (the sheet, its table, a needed header or an
    # unreadable setting). A job that needs one of these sheets refuses (``require``).
    missing: dict[str, tuple[Finding, ...]] = field(default_factory=dict)

    def require(self, tables: Iterable[schema.Table], job: str) -> None:
        """Raise MissingInput naming every sheet or column ``job`` needs that the workbook lacks."""
        lacking = [f for t in tables for f in self.missing.get(t.sheet, ())]
        if lacking:
            from toolkit.errors import MissingInput

            lines = "\n".join(f"・{f.message}" for f in lacking)
            raise MissingInput(f"{job}に必要なシート・列・設定がないか読めないため、{job}を中止しました"
                               f"（何も書き込んでいません）。\n{lines}", lacking)

    def excluded_rows(self, tables: Iterable[schema.Table]) -> int:
        """Rows of these sheets left out of the figures because of an error."""
        return sum(len(self.rejected.get(t.sheet, ())) for t in tables)

    def excluded_findings(self, tables: Iterable[schema.Table]) -> tuple[Finding, ...]:
        """The errors that left rows of these sheets out of the figures, by sheet (in ``tables``' order) and row."""
        out: list[Finding] = []
        for t in tables:
            rows = {r.row for r in self.rejected.get(t.sheet, ())}
            out += sorted((f for f in self.findings if f.level == "error" and f.sheet == t.sheet and f.row in rows),
                          key=lambda f: (f.row, f.column or ""))
        return tuple(out)

    def company(self, company_id: str) -> Company | None:
        return self.company_map.get(company_id)

    @property
    def company_map(self) -> dict[str, Company]:
        # Tiny tables: building the map on demand keeps the record frozen and simple.
        return {c.company_id: c for c in self.companies}

    @property
    def service_map(self) -> dict[str, Service]:
        return {s.service_id: s for s in self.services}

    def rejected_ids(self, sheet: str, key: str) -> frozenset[str]:
        """Values of column ``key`` in the rows of ``sheet`` left out because of an error."""
        return frozenset(v for r in self.rejected.get(sheet, ()) if isinstance(v := getattr(r, key), str))

    def cap_for(self, company: Company) -> int:
        return company.cap if company.cap is not None else self.settings.cap_default

