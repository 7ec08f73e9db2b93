"""How numbers, dates and text look in the deliverables (Japanese public-sector conventions).

Pure functions, also registered as Jinja filters so staff editing a template in Word can use them:
``{{ day|reiwa }}``, ``{{ amount|yen }}``, ``{{ rate|pct }}``.
"""
from __future__ import annotations

import math
import re
from datetime import date, datetime

from toolkit.japanese import COMPANY_FORMS, era_of_day, era_of_fiscal_year, era_year_text

DASH = "—"


def reiwa(value: date | datetime | None) -> str:
    """令和8年3月31日; 令和元年5月1日; 平成 before May 2019; empty for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    era = era_of_day(value)
    if era is None:
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{era.name}{era_year_text(value.year, era)}年{value.month}月{value.day}日"


def reiwa_month(year: int, month: int) -> str:
    """令和7年10月 (the era of the month's first day)."""
    text = reiwa(date(year, month, 1))
    return text[: text.index("月") + 1]


def fiscal_year_label(year: int) -> str:
    """Fiscal year starting 1 April ``year``: 2025 -> 令和7年度, 2019 -> 令和元年度."""
    # A fiscal year takes the era of the year it mostly lies in: FY2019 is 令和元年度.
    era = era_of_fiscal_year(year)
    return f"{era.name}{era_year_text(year, era)}年度" if era else f"{year}年度"


def yen(value: int | float | None) -> str:
    """352,000円; △5,000円 for a negative amount (the accounting convention); — for None."""
    if value is None:
        return DASH
    amount = round(value)
    if amount < 0:
        return f"△{-amount:,}円"
    return f"{amount:,}円"


def number(value: int | float | None, digits: int = 0, unit: str = "") -> str:
    """1,234 / 12.5 with an optional unit; — for None."""
    if value is None:
        return DASH
    if digits == 0:
        return f"{round(value):,}{unit}"
    return f"{value:,.{digits}f}{unit}"


def pct(value: float | None, digits: int = 1, signed: bool = False) -> str:
    """A percentage already in per cent: 88.0% / +1.2% / △0.4% (signed); — for None."""
    if value is None:
        return DASH
    text = f"{abs(value):.{digits}f}%"
    if not signed:
        return text if value >= 0 else f"△{text}"
    if round(value, digits) == 0:
        return f"±{text}"
    return f"+{text}" if value > 0 else f"△{text}"


def ratio_pct(value: float | None, digits: int = 1) -> str:
    """A ratio shown in per cent: 0.88 -> 88.0%."""
    return DASH if value is None else pct(value * 100, digits)


def shares(amounts: list[int]) -> list[str]:
    """Each amount's share of their sum in per cent with one decimal, rounded so the printed column adds up to
    100.0% (largest remainder: the tenths lost to rounding go to the largest fractions); — when the sum is 0."""
    total = sum(amounts)
    if not total:
        return [DASH] * len(amounts)
    exact = [a * 1000 / total for a in amounts]  # in tenths of a per cent
    tenths = [math.floor(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - tenths[i], reverse=True)[:1000 - sum(tenths)]:
        tenths[i] += 1
    return [f"{t / 10:.1f}%" for t in tenths]


# Characters no document may hold: C0/C1 controls but \n (docxtpl turns \t, \a, \f into tabs, paragraphs and page
# breaks, and XML forbids most other C0 characters), lone surrogates and the non-characters U+FFFE/U+FFFF.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: object) -> str:
    """Text from a workbook cell made safe for a document: no control characters except line breaks (\n, which
    docxtpl renders as a line break); a tab becomes a space."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _UNSAFE.sub("", text).strip()


# A 西暦 date staff typed in free text: 2025年10月21日 / 2025年10月 / 2025年度 / 2025/10/21 / 2025-10-21.
_WESTERN_DATE = re.compile(
    r"(?<![0-9０-９])((?:19|20)[0-9]{2})(?:"
    r"年(?P<jm>[0-9]{1,2})月(?:(?P<jd>[0-9]{1,2})日)?"
    r"|(?P<fy>年度)"
    r"|(?P<sep>[/.-])(?P<sm>[0-9]{1,2})(?P=sep)(?P<sd>[0-9]{1,2})(?![0-9]))")


def _era_date(match: re.Match) -> str:
    year = int(match.group(1))
    if match.group("fy"):
        return fiscal_year_label(year)
    month = int(match.group("jm") or match.group("sm"))
    day_text = match.group("jd") or match.group("sd")
    try:
        day = date(year, month, int(day_text) if day_text else 1)
    except ValueError:
        return match.group(0)  # 2025年13月 is not a date: leave what staff typed
    return reiwa(day) if day_text else reiwa_month(year, month)


def reiwa_text(text: str) -> str:
    """Free text with the 西暦 dates in it written in 令和 (令和 is the rule in the city's documents)."""
    return _WESTERN_DATE.sub(_era_date, text)


def free_text(value: object) -> str:
    """Text staff typed, as a document shows it: safe characters, 令和 dates."""
    return reiwa_text(clean_text(value))


def or_dash(value: object) -> str:
    text = free_text(value)
    return text if text else DASH


# Legal forms a company name starts or ends with: the place a long name may break in a narrow column.
LEGAL_FORMS = (*COMPANY_FORMS, "一般社団法人", "一般財団法人", "特定非営利活動法人", "社会福祉法人", "医療法人",
               "協同組合")


def fit_name(name: object, chars: int) -> str:
    """A company name for a table column ``chars`` characters wide: when it does not fit on one line, the line
    breaks between the legal form and the name (株式会社／ひだまりケアサポート), never inside the name."""
    text = "" if name is None else str(name)
    if len(text) <= chars:
        return text
    for form in LEGAL_FORMS:
        if text.startswith(form) and len(text) > len(form):
            return f"{form}\n{text[len(form):].lstrip()}"
        if text.endswith(form) and len(text) > len(form):
            return f"{text[:-len(form)].rstrip()}\n{form}"
    return text
