"""Every rule of workbook.md ("Rules the checks enforce"), as findings with sheet, row, column and value.

The reader's findings (what the workbook lacks, unreadable cells, and the row rules it ran) come first; the
program rules here look at the whole program: caps and budget status, catalogue coverage, the first visit, plan
years, usage outside the period. A rule whose sheets are missing does not run: the missing sheet is the finding.
Pure functions of the Program.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from toolkit import schema
from toolkit.budget import compute_budget
from toolkit.kpi import financial_periods
from toolkit.materials import links
from toolkit.model import Financial, Finding, Program
from toolkit.status import status_warnings

_SHEET_ORDER = {t.sheet: i for i, t in enumerate(schema.TABLES)}
# What the workbook lacks comes first: it explains the findings after it.
_STRUCTURE = {"missing-sheet": 0, "missing-table": 0, "missing-column": 1, "invalid-setting": 1, "table-name": 2}


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _cap_agreement(program: Program) -> Iterable[Finding]:
    default = program.settings.cap_default
    for c in program.companies:
        if c.cap is not None and c.cap != default and not c.cap_agreement:
            yield Finding("warning", "cap-without-agreement", schema.COMPANIES.sheet, c.row,
                          schema.COMPANIES.header("cap_agreement"), None,
                          f"{c.company_id} の経費上限 {_yen(c.cap)} は既定の {_yen(default)} と異なります。"
                          "委託者との協議記録（上限変更の協議記録）を入力してください")


def _catalogue(program: Program) -> Iterable[Finding]:
    covered = {s.area for s in program.services}
    for area in schema.BUSINESS_AREAS:
        if area not in covered:
            yield Finding("warning", "catalogue-missing-area", schema.SERVICES.sheet, None,
                          schema.SERVICES.header("area"), area,
                          f"業務分類「{area}」のクラウドサービスがサービス一覧にありません（各分類に最低1種類が必要です）")


def _first_visit(program: Program) -> Iterable[Finding]:
    first: dict[str, object] = {}
    for r in program.support:
        current = first.get(r.company_id)
        if current is None or (r.date, r.row) < (current.date, current.row):
            first[r.company_id] = r
    for company_id, r in first.items():
        if r.form != schema.FORM_VISIT:
            yield Finding("warning", "first-visit-not-in-person", schema.SUPPORT_LOG.sheet, r.row,
                          schema.SUPPORT_LOG.header("form"), r.form,
                          f"{company_id} の初回の支援（{r.date:%Y/%m/%d}）が「{r.form}」です。初回面談は原則対面です")


def _plan_years(program: Program) -> Iterable[Finding]:
    year = program.settings.fiscal_year
    years = {}
    for p in program.plan_items:
        years.setdefault(p.company_id, set()).add(p.fiscal_year)
    for c in program.companies:
        have = years.get(c.company_id, set())
        for y in (year, year + 1, year + 2):
            if y not in have:
                yield Finding("warning", "plan-year-missing", schema.PLAN_ITEMS.sheet, None,
                              schema.PLAN_ITEMS.header("fiscal_year"), y,
                              f"{c.company_id}（{c.name}）の改善計画に {y}年度 の行がありません（3年間の計画が必要です）")


def _usage_period(program: Program) -> Iterable[Finding]:
    start, end = program.settings.usage_start, program.settings.usage_end
    for u in program.usage:
        if not (start <= u.date <= end):
            yield Finding("warning", "usage-outside-period", schema.USAGE_DAYS.sheet, u.row,
                          schema.USAGE_DAYS.header("date"), u.date,
                          f"利用日 {u.date:%Y/%m/%d} は利用期間（{start:%Y/%m/%d}〜{end:%Y/%m/%d}）の外のため、"
                          "利用回数に数えません")


def _base_and_actual(program: Program) -> Iterable[tuple[str, Financial, Financial]]:
    """Each company with both a 基準 and a 実績 決算: the pair the KPI compares."""
    for company_id, p in financial_periods(program).items():
        base, actual = p.get(schema.PERIOD_BASE), p.get(schema.PERIOD_ACTUAL)
        if base and actual:
            yield company_id, base, actual


def _financial_order(program: Program) -> Iterable[Finding]:
    for company_id, base, actual in _base_and_actual(program):
        if actual.period_end <= base.period_end:
            yield Finding("warning", "financial-order", schema.FINANCIALS.sheet, actual.row,
                          schema.FINANCIALS.header("period_end"),
                          actual.period_end,
                          f"{company_id} の実績期の決算期末 {actual.period_end:%Y/%m/%d} が基準期 "
                          f"{base.period_end:%Y/%m/%d} より後になっていません")


def _next_visit(program: Program) -> Iterable[Finding]:
    header = schema.SUPPORT_LOG.header("next_date")
    for r in program.support:
        if r.next_date is not None and r.next_date < r.date:
            yield Finding("warning", "next-before-visit", schema.SUPPORT_LOG.sheet, r.row, header, r.next_date,
                          f"次回予定日 {r.next_date:%Y/%m/%d} が支援日 {r.date:%Y/%m/%d} より前です")


def _issue_due(program: Program) -> Iterable[Finding]:
    header = schema.ISSUES.header("due")
    for i in program.issues:
        if i.due is None and i.state != schema.ISSUE_DONE:
            yield Finding("warning", "issue-without-due", schema.ISSUES.sheet, i.row, header, None,
                          f"課題 {i.issue_id} に期限がありません（期限切れを知らせられません）")


PLAN_COPY_COMPANIES = 3  # the same text in this many companies' plans reads as copied, not the company's own


def _plan_copies(program: Program) -> Iterable[Finding]:
    """A 取組内容 or 目標 written word for word into the plans of 3 or more companies: each plan is meant to be the
    company's own PDCA tool (seed 5(2)ウ). One warning per text, at its first row, naming the companies."""
    for key in ("action", "target"):
        rows: dict[str, list] = {}
        for p in program.plan_items:
            text = getattr(p, key)
            if text:
                rows.setdefault(schema.fold(text), []).append(p)
        for items in rows.values():
            companies = list(dict.fromkeys(p.company_id for p in items))
            if len(companies) >= PLAN_COPY_COMPANIES:
                first = min(items, key=lambda p: p.row)
                header = schema.PLAN_ITEMS.header(key)
                yield Finding("warning", "plan-copied", schema.PLAN_ITEMS.sheet, first.row, header,
                              getattr(first, key),
                              f"同じ{header}が{len(companies)}社の改善計画にあります（{'、'.join(companies)}）。"
                              "各社の業務に合わせた内容にしてください")


LABOUR_CHANGE = (0.5, 2.0)  # a labour input halved or doubled between the two periods is worth a second look


def _labour_change(program: Program) -> Iterable[Finding]:
    """The labour input the KPI divides by, 基準 against 実績: beyond ×2 or ×0.5 it swings the productivity change
    more than any cloud service does (a typo in 労働者数, or hours in one period and people in the other)."""
    low, high = LABOUR_CHANGE
    for company_id, base, actual in _base_and_actual(program):
        for attr in ("total_hours", "workers"):  # the basis kpi.company_productivity uses, in its order
            b, a = getattr(base, attr), getattr(actual, attr)
            if b is not None and a is not None:
                if b > 0 and not low <= a / b <= high:
                    header = schema.FINANCIALS.header(attr)
                    yield Finding("warning", "labour-change", schema.FINANCIALS.sheet, actual.row, header, a,
                                  f"{company_id} の{header}が基準期の {b:g} から {a:g} へ {a / b:.2f} 倍に変わっています。"
                                  "労働生産性の増減を大きく左右するため、確認してください")
                break


def _budget(program: Program) -> Iterable[Finding]:
    report = compute_budget(program)
    ratio = program.settings.warn_ratio
    rows = {c.company_id: c.row for c in program.companies}
    typed_caps = {c.company_id: c.cap for c in program.companies}
    for cid, b in report.companies.items():
        # The cap cell, with the value typed there (None where it is empty and the default applies).
        where = (schema.COMPANIES.sheet, rows[cid], schema.COMPANIES.header("cap"), typed_caps[cid])
        if b.cloud_service > b.cap:
            yield Finding("error", "budget-over", *where,
                          f"{cid}（{b.name}）のクラウドサービス経費の実績 {_yen(b.cloud_service)} が上限 "
                          f"{_yen(b.cap)} を超えています")
        elif b.planned_cloud_service > b.cap:
            yield Finding("warning", "budget-plan-over", *where,
                          f"{cid}（{b.name}）のクラウドサービス経費の計画額 {_yen(b.planned_cloud_service)} が上限 "
                          f"{_yen(b.cap)} を超える見込みです")
        elif b.status == "warning":
            which = max(b.cloud_service, b.planned_cloud_service)
            yield Finding("warning", "budget-warning", *where,
                          f"{cid}（{b.name}）のクラウドサービス経費（実績または計画 {_yen(which)}）が上限 "
                          f"{_yen(b.cap)} の{ratio:.0%}を超えています")


# Each rule with the sheets it reads.
PROGRAM_RULES = (
    (_cap_agreement, (schema.SETTINGS, schema.COMPANIES)),
    (_catalogue, (schema.SERVICES,)),
    (_first_visit, (schema.SUPPORT_LOG,)),
    (_plan_years, (schema.SETTINGS, schema.COMPANIES, schema.PLAN_ITEMS)),
    (_plan_copies, (schema.PLAN_ITEMS,)),
    (_usage_period, (schema.SETTINGS, schema.USAGE_DAYS)),
    (_financial_order, (schema.FINANCIALS,)),
    (_labour_change, (schema.FINANCIALS,)),
    (_next_visit, (schema.SUPPORT_LOG,)),
    (_issue_due, (schema.ISSUES,)),
    (_budget, schema.NEEDS["budget"]),
)


def sort_key(f: Finding) -> tuple:
    return (_STRUCTURE.get(f.code, 9), f.level != "error", _SHEET_ORDER.get(f.sheet, 99), f.row or 0,
            f.column or "", f.code)


# The sheet a status warning's area reads, so check shows it where staff would act on it.
STATUS_SHEETS = {"usage": schema.USAGE_DAYS.sheet, "budget": schema.SUBSCRIPTIONS.sheet,
                 "productivity": schema.FINANCIALS.sheet, "contacts": schema.SUPPORT_LOG.sheet,
                 "events": schema.EVENTS.sheet, "meetings": schema.MEETINGS.sheet, "issues": schema.ISSUES.sheet}


def _status(program: Program, as_of: date) -> Iterable[Finding]:
    """``toolkit status``'s warnings as of ``as_of``, as warnings (never errors: they are about the year ahead)."""
    for w in status_warnings(program, as_of) or ():
        yield Finding("warning", f"status-{w['area']}", STATUS_SHEETS[w["area"]], None, None, w["company"],
                      w["message"])


def _trial_after_end(program: Program, as_of: date) -> Iterable[Finding]:
    """A subscription still 検証中 after its 終了日: whether the company keeps it was never recorded."""
    header = schema.SUBSCRIPTIONS.header("state")
    for sub in program.subscriptions:
        if (sub.state == schema.STATE_TRIAL and sub.end is not None and sub.end < as_of
                and sub.decision not in schema.DECIDED):
            yield Finding("warning", "trial-after-end", schema.SUBSCRIPTIONS.sheet, sub.row, header, sub.state,
                          f"導入 {sub.subscription_id} は終了日（{sub.end:%Y/%m/%d}）を過ぎても「{sub.state}」です。"
                          "継続するか解約するかを決めて、状態と継続判断を入力してください")


def _materials(program: Program, exists: Callable[[str], bool | None]) -> Iterable[Finding]:
    """Materials handed over must be found again (seed 5(2)イ: records go to the city with the materials): a named
    提供資料 without a 資料リンク, and a link ``exists`` says is not there (None: not looked up)."""
    header = schema.SUPPORT_LOG.header("links")
    for r in program.support:
        given = links(r)
        if r.materials and not given:
            yield Finding("warning", "material-without-link", schema.SUPPORT_LOG.sheet, r.row, header, None,
                          f"記録 {r.record_id} の提供資料「{r.materials}」に資料リンクがありません"
                          "（委託者に資料を渡すときに探せません）")
        for link in given:
            if exists(link) is False:
                yield Finding("warning", "material-missing", schema.SUPPORT_LOG.sheet, r.row, header, link,
                              f"記録 {r.record_id} の資料リンク「{link}」のファイルが見つかりません")


def run_checks(program: Program, as_of: date | None = None,
               link_exists: Callable[[str], bool | None] | None = None) -> tuple[Finding, ...]:
    """Every finding; with ``as_of`` (check, the Excel button: today) also the status warnings of that day; with
    ``link_exists`` (the book's folder is known) also the materials' links."""
    findings = list(program.findings)
    for rule, tables in PROGRAM_RULES:
        if not any(t.sheet in program.missing for t in tables):
            findings.extend(rule(program))
    if as_of is not None:  # rules about the day: the year ahead, and decisions now due
        findings.extend(_status(program, as_of))
        if schema.SUBSCRIPTIONS.sheet not in program.missing:
            findings.extend(_trial_after_end(program, as_of))
    if link_exists is not None and schema.SUPPORT_LOG.sheet not in program.missing:
        findings.extend(_materials(program, link_exists))
    findings.sort(key=sort_key)
    return tuple(findings)


def counts(findings: Iterable[Finding]) -> tuple[int, int]:
    errors = warnings = 0
    for f in findings:
        if f.level == "error":
            errors += 1
        else:
            warnings += 1
    return errors, warnings
