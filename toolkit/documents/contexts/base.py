"""What every deliverable's context shares: the header data, the document date, and small data shapes.

Contexts hand the templates data (numbers already formatted as the city reads them, lists, flags); the sentences
around them live in the Word templates, where staff edit them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from toolkit import schema
from toolkit.kpi import CompanyProductivity
from toolkit.model import Company, Program, Subscription, SupportRecord

from ..formats import DASH, fiscal_year_label, free_text, pct, reiwa, reiwa_month, yen

# The seed's definition of the digitalisation stages (中小企業白書 2024).
STAGES = {
    "1": "紙や口頭による業務が中心で、デジタル化が図られていない状態",
    "2": "アナログな状況からデジタルツールを利用した業務環境に移行している状態",
    "3": "デジタル化による業務効率化やデータ分析に取り組んでいる状態",
    "4": "デジタル化によるビジネスモデルの変革や競争力強化に取り組んでいる状態",
}
FORMS = schema.VOCABULARIES["形態"]  # 対面, オンライン, 電話・メール
IN_PERSON = FORMS[0]
IROHA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
WEEKDAYS = "月火水木金土日"
BASIS_LABELS = {"hours": "総就業時間", "workers": "労働者数"}
BASIS_UNITS = {"hours": "時間", "workers": "人"}


def document_date(program: Program, override: date | None = None) -> date:
    """The date printed on a deliverable: ``--date``, else 設定.作成日, else today (only when neither is set)."""
    return override or program.settings.issued_on or date.today()


def common(program: Program, issued_on: date) -> dict:
    s = program.settings
    return {
        "program_name": free_text(s.program_name),
        "client": free_text(s.client),
        "contractor": free_text(s.contractor),
        "addressee": free_text(s.addressee),  # the cover's 宛先 (e.g. 岡山市長 様)
        "representative": free_text(s.representative),  # the contractor's representative, on the cover
        "fiscal_year_label": fiscal_year_label(s.fiscal_year),
        "issued_on": issued_on,
    }


def usage_period(program: Program) -> str:
    return f"{reiwa(program.settings.usage_start)}〜{reiwa(program.settings.usage_end)}"


def times(n: int) -> str:
    """A count of uses or acts, in 回 (KPI 1's unit: one usage day counts as one 回)."""
    return f"{n:,}回"


def hours(value: float) -> str:
    return f"{value:,.1f}時間".replace(".0時間", "時間")


def companies_count(n: int) -> str:
    return f"{n:,}社"


def label(i: int) -> str:
    """ア, イ, ウ … then (47), (48) … for the sub-items of a section."""
    return IROHA[i] if i < len(IROHA) else f"({i + 1})"


def stage(value: str | None) -> dict | None:
    """{"number": "2", "description": …} for a 取組段階, None when not filled."""
    if not value:
        return None
    return {"number": value, "description": STAGES.get(value, "")}


def records_of(program: Program, company_id: str) -> list[SupportRecord]:
    return sorted((r for r in program.support if r.company_id == company_id), key=lambda r: (r.date, r.row))


def form_counts(records: Sequence[SupportRecord]) -> dict:
    counts = Counter(r.form for r in records)
    return {"in_person": times(counts[FORMS[0]]), "online": times(counts[FORMS[1]]), "remote": times(counts[FORMS[2]]),
            "total": times(len(records)), "hours": hours(sum(r.hours or 0 for r in records)),
            "count": len(records)}


def plan_years(program: Program) -> list[int]:
    first = program.settings.fiscal_year
    return [first, first + 1, first + 2]


def productivity_value(value: float, basis: str) -> str:
    """5,210円/人 or 2,002円/時間 (△ for a loss)."""
    return f"{yen(value)}/{BASIS_UNITS[basis]}"


def labour_input(value: float, basis: str) -> str:
    if basis == "hours":
        return f"{round(value):,}時間"
    return f"{value:,.1f}人".replace(".0人", "人")


def direction(change: float, digits: int = 1) -> str:
    """up / down / flat, as the printed figure reads (a change that rounds to 0.0% is flat)."""
    rounded = round(change, digits)
    return "flat" if rounded == 0 else ("up" if rounded > 0 else "down")


def productivity(p: CompanyProductivity | None, reason: str | None) -> dict:
    """A company's KPI 2 as the documents show it, with what moved (value added, labour input) so a fall is
    explained by its parts, and the reason when it cannot be measured."""
    if p is None:
        return {"measurable": False, "reason": reason or "決算が入力されていません"}
    va_change = (p.actual_value_added / p.base_value_added - 1) * 100 if p.base_value_added else None
    input_change = (p.actual_input / p.base_input - 1) * 100 if p.base_input else None
    return {
        "measurable": True, "reason": "",
        "basis": BASIS_LABELS[p.basis], "unit": f"円/{BASIS_UNITS[p.basis]}",
        "base": productivity_value(p.base, p.basis), "actual": productivity_value(p.actual, p.basis),
        "change": pct(p.change_pct, signed=True), "change_abs": pct(abs(p.change_pct)),
        "direction": direction(p.change_pct),
        "base_end": reiwa(p.base_period_end), "actual_end": reiwa(p.actual_period_end),
        "base_value_added": yen(p.base_value_added), "actual_value_added": yen(p.actual_value_added),
        "base_input": labour_input(p.base_input, p.basis), "actual_input": labour_input(p.actual_input, p.basis),
        "value_added_change": pct(va_change, signed=True),
        "value_added_direction": direction(va_change) if va_change is not None else "flat",
        "input_change": pct(input_change, signed=True),
        "input_direction": direction(input_change) if input_change is not None else "flat",
    }


def company_name(program: Program, company_id: str | None) -> str:
    """The company's name as the documents print it; its ID when the 企業 sheet lacks it; — for no company."""
    if not company_id:
        return DASH
    company = program.company_map.get(company_id)
    return free_text(company.name) if company else company_id


def month_label(key: str) -> str:
    """A month as the figures key it (2026-02, or a day 2026-02-28) as 令和8年2月."""
    year, month = (int(x) for x in key.split("-")[:2])
    return reiwa_month(year, month)


def month_end_label(iso: str | None) -> str:
    """A month's last day (a fiscal year end, a filing deadline) as 令和8年2月末: shorter in a narrow column."""
    return month_label(iso) + "末" if iso else DASH


def staff_words(company: Company) -> dict:
    """導入の効果 and 今後の課題 in staff's words ("" when not filled: the template says so in a sentence)."""
    return {"effects": free_text(company.effects), "future_issues": free_text(company.future_issues)}


NOT_FILLED = "未記入"  # what a document prints where staff left a word empty (a 継続判断, a 出典, a 状態)


def annual_fee(subscriptions: Sequence[Subscription]) -> int | None:
    """What keeping these subscriptions costs the company a year after the free period (月額費用 × 12); None when a
    月額費用 is missing (never printed as 0円)."""
    fees = [s.monthly_fee for s in subscriptions]
    return None if any(f is None for f in fees) else sum(fees) * 12


def decision_label(subscriptions: Sequence[Subscription]) -> str:
    """The 継続判断 of a service's rows: 継続 / 解約 / 検討中, 未記入 when no row has one."""
    decisions = list(dict.fromkeys(s.decision for s in subscriptions if s.decision))
    return "・".join(decisions) if decisions else NOT_FILLED
