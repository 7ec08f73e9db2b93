"""What people really type in Japanese Excel, turned into values (``workbook.md``: "What people really type").

Each ``parse_*`` takes a raw cell value as python-calamine (or xlwings) hands it over — ``str``, ``int``,
``float``, ``bool``, ``date``, ``datetime``, ``time`` — and returns the typed value, ``None`` for an empty
cell, or raises :class:`Invalid` whose message says, in Japanese, what was expected.

The yen/万 grammar is written by hand, and the era table lives in ``japanese``: the formats staff type
(``R7.9.15``, ``令和元年``, ``12万3,000円``, ``△5,000``) are looser than what the era and numeral libraries parse,
and the rules fit in a screen.
"""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

from toolkit.japanese import ERA_BY_KEY, western_year
from toolkit.schema import VOCABULARIES, canonical_choices, fold


class Invalid(ValueError):
    """A cell value that cannot be read; the message says what was expected."""


# Serial 61 = 1900-03-01 and on, as Excel counts; below 61 Excel counts a 1900-02-29 that never was, so those few
# serials (no date of this program) read a day early.
_EXCEL_EPOCH = date(1899, 12, 30)
_MAX_SERIAL = 2958465  # 9999-12-31


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


# ---------------------------------------------------------------- text

def parse_text(raw: object) -> str | None:
    """Free text: kept as typed, without surrounding (also full-width) spaces. A number typed into a text
    column comes back without a spurious ``.0`` (法人番号 1234567890123.0 → ``1234567890123``)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        return raw.strip() or None
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, datetime):
        return raw.strftime("%Y/%m/%d %H:%M") if (raw.hour or raw.minute) else raw.strftime("%Y/%m/%d")
    if isinstance(raw, date):
        return raw.strftime("%Y/%m/%d")
    return str(raw).strip() or None


def parse_id(raw: object) -> str | None:
    """An identifier: NFKC and no spaces anywhere (``Ｃ０１ `` → ``C01``)."""
    text = parse_text(raw)
    if text is None:
        return None
    return fold(text) or None


# ---------------------------------------------------------------- numbers

_NEGATIVE_MARKS = ("△", "▲", "-", "−", "‐", "ー", "―")
_YEN_STRIP = str.maketrans("", "", ",¥\\円")  # "\\" is ¥ in Japanese fonts (Shift_JIS 0x5C)
# A currency that is not yen: never read as yen (US$1,200 is not 1,200円).
_FOREIGN_CURRENCY = re.compile(r"[$€£₩]|USD|EUR|GBP|US\$", re.IGNORECASE)
# 11.000: a period where a thousands comma was meant (the ten-key pad's period), or a decimal? Never guessed.
_PERIOD_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")
_AMOUNT_RE = re.compile(
    r"^(?:(?P<oku>\d+(?:\.\d+)?)億)?(?:(?P<man>\d+(?:\.\d+)?)万)?(?:(?P<sen>\d+(?:\.\d+)?)千)?(?P<rest>\d+(?:\.\d+)?)?$"
)


_DIGITS_WITH_COMMAS = re.compile(r"\d[\d,]*")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")


def _check_grouping(text: str) -> None:
    """Commas must sit every three digits: 1,2000,000 is a typo (1,200,000? 12,000,000?), never guessed at."""
    for digits in _DIGITS_WITH_COMMAS.findall(text):
        digits = digits.rstrip(",")
        if "," in digits and not _GROUPED.fullmatch(digits):
            raise Invalid(f"桁区切りのカンマの位置が正しくありません（「{digits}」）。1,200,000 のように 3 桁ごとに"
                          "区切るか、カンマなしで入力してください")


def _number_sign(text: str) -> tuple[int, str]:
    """Strip a sign: △ / ▲ / − / (…) mean negative, as accountants write an operating loss."""
    if text.startswith("(") and text.endswith(")"):
        return -1, text[1:-1]
    if text.startswith(_NEGATIVE_MARKS):
        return -1, text[1:]
    if text.startswith("+"):
        return 1, text[1:]
    return 1, text


# Beyond this no amount or count in the program is real (a 400-digit number, 1E+300): reading it as a figure would
# be silently wrong, or overflow.
MAX_MAGNITUDE = 1e15


def _plausible(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise Invalid(f"{what}として扱えない値です（数値の範囲外）")
    if abs(value) > MAX_MAGNITUDE:
        raise Invalid(f"{what}が大きすぎます（1,000兆を超えています）")
    return value


def _integral(value: float, what: str) -> int:
    _plausible(value, what)
    rounded = round(value)
    if abs(value - rounded) > 1e-6:
        raise Invalid(f"{what}は整数で入力してください")
    return int(rounded)


def parse_yen(raw: object) -> int | None:
    """A yen amount: 120000, 120,000, ¥120,000, ￥120,000, 120,000円, 12万円, １２万円, 12万3,000円;
    △5,000 / ▲5,000 / (5,000) are negative."""
    expected = "金額（例: 120,000 / 12万円 / △5,000）"
    if is_blank(raw):
        return None
    if isinstance(raw, bool) or isinstance(raw, (date, time, timedelta)):
        raise Invalid(f"{expected}を入力してください")
    if isinstance(raw, (int, float)):
        return _integral(float(raw), "金額")
    text = fold(str(raw))
    if _FOREIGN_CURRENCY.search(text):
        raise Invalid("円以外の通貨の金額です。円に換算した金額を入力してください")
    _check_grouping(text)
    sign, text = _number_sign(text)
    text = text.translate(_YEN_STRIP)
    unsigned = text.lstrip("".join(_NEGATIVE_MARKS))
    if _PERIOD_GROUPED.fullmatch(unsigned):
        meant = int(unsigned.replace(".", ""))
        raise Invalid(f"「{raw}」は {meant:,} 円ですか。桁の区切りはカンマ（,）で入力してください"
                      "（小数の円はありません）")
    if text.startswith(_NEGATIVE_MARKS):  # ¥-5,000 / ￥△5,000
        sign, text = -sign, text[1:]
    m = _AMOUNT_RE.match(text)
    if not text or not m or not any(m.groups()):
        raise Invalid(f"{expected}を入力してください")
    total = 0.0
    for unit, factor in (("oku", 100_000_000), ("man", 10_000), ("sen", 1_000), ("rest", 1)):
        if m.group(unit):
            total += float(m.group(unit)) * factor
    return sign * _integral(total, "金額")


_UNIT_SUFFIX_RE = re.compile(r"(人|名|件|回|社|個|分|時間|h|hr|hrs|ヶ月|か月|カ月|月|%|％)$", re.IGNORECASE)
_PLAIN_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")


def parse_number(raw: object) -> float | None:
    """A decimal quantity: 1.5, １.５, 1,200, 12人, 1.5時間."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool) or isinstance(raw, (date, time, timedelta)):
        raise Invalid("数値を入力してください")
    if isinstance(raw, (int, float)):
        return _plausible(float(raw), "数値")
    text = fold(str(raw))
    _check_grouping(text)
    sign, text = _number_sign(text.replace(",", ""))
    text = _UNIT_SUFFIX_RE.sub("", text)
    if not _PLAIN_NUMBER_RE.match(text):
        raise Invalid("数値を入力してください")
    return _plausible(sign * float(text), "数値")


def parse_int(raw: object) -> int | None:
    """A whole count: 12, １２人, 3月."""
    value = parse_number(raw)
    if value is None:
        return None
    return _integral(value, "数")


# ---------------------------------------------------------------- dates

_TIME_PART = r"(?:[ T]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)?"
_WESTERN_RE = re.compile(
    r"^(?P<y>\d{4})[/\-.年](?P<m>\d{1,2})[/\-.月](?P<d>\d{1,2})日?(?:\([^)]*\))?" + _TIME_PART + "$")
_ERA_RE = re.compile(
    r"^(?P<era>令和|平成|昭和|[RHS])(?P<y>元|\d{1,2})[/\-.年](?P<m>\d{1,2})[/\-.月](?P<d>\d{1,2})日?(?:\([^)]*\))?"
    + _TIME_PART + "$", re.IGNORECASE)
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_DATE_EXPECTED = "日付（例: 2025/9/15、令和7年9月15日、R7.9.15）"


def _from_serial(serial: float) -> datetime:
    if not (1 <= serial <= _MAX_SERIAL):
        raise Invalid(f"{_DATE_EXPECTED}を入力してください")
    return datetime.combine(_EXCEL_EPOCH, time()) + timedelta(days=serial)


def _parse_date_text(text: str) -> datetime:
    text = re.sub(r"\s+", " ", nfkc(text).strip())
    m = _WESTERN_RE.match(text) or _COMPACT_RE.match(text)
    era = None
    if m:
        year = int(m.group("y"))
    else:
        m = _ERA_RE.match(text)
        if not m:
            raise Invalid(f"{_DATE_EXPECTED}を入力してください")
        era = ERA_BY_KEY[m.group("era").upper()]  # upper() leaves 令和 as it is
        era_year = 1 if m.group("y") == "元" else int(m.group("y"))
        if era_year < 1:
            raise Invalid(f"{_DATE_EXPECTED}を入力してください")
        year = western_year(era, era_year)
    groups = m.groupdict()
    try:
        value = datetime(year, int(m.group("m")), int(m.group("d")),
                         int(groups.get("h") or 0), int(groups.get("mi") or 0), int(groups.get("s") or 0))
    except ValueError:
        raise Invalid(f"存在しない日付です。{_DATE_EXPECTED}を入力してください") from None
    if era is not None:
        if value.date() < era.start or (era.end is not None and value.date() >= era.end):
            raise Invalid(f"元号と日付が合いません。{_DATE_EXPECTED}を入力してください")
    return value


def parse_datetime(raw: object) -> datetime | None:
    if is_blank(raw):
        return None
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    if isinstance(raw, bool) or isinstance(raw, (time, timedelta)):
        raise Invalid(f"{_DATE_EXPECTED}を入力してください")
    if isinstance(raw, (int, float)):
        value = float(raw)
        m = _COMPACT_RE.match(str(int(value))) if value.is_integer() and value >= 19000101 else None
        if m:  # 20250915 typed as a number
            return _parse_date_text(str(int(value)))
        return _from_serial(value)
    return _parse_date_text(str(raw))


def parse_date(raw: object) -> date | None:
    value = parse_datetime(raw)
    return None if value is None else value.date()


# ---------------------------------------------------------------- choices, e-mail, URL

_CHOICES = {name: canonical_choices(name) for name in VOCABULARIES}
_STAGE_WORDS = re.compile(r"^(?:段階|レベル|Lv\.?|stage)", re.IGNORECASE)


def parse_choice(raw: object, vocabulary: str) -> str | None:
    """One value of a vocabulary, compared after NFKC and without spaces (``サポート費(設定費用)`` is accepted)."""
    if is_blank(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    key = fold(str(raw))
    if vocabulary == "取組段階":
        key = _STAGE_WORDS.sub("", key)
    choices = _CHOICES[vocabulary]
    value = choices.get(key)
    if value is None:
        raise Invalid("次のいずれかを入力してください: " + "、".join(VOCABULARIES[vocabulary]))
    return value


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_email(raw: object) -> str | None:
    text = parse_text(raw)
    if text is None:
        return None
    text = fold(text)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not _EMAIL_RE.match(text):
        raise Invalid("メールアドレス（例: taro@example.jp）を入力してください")
    return text


# Characters a URL may hold as they are; anything else (a space, Japanese) is percent-encoded, and an escape
# already there is kept: what Excel's 「パスのコピー」 gives (…/Shared Documents/フォーム結果.xlsx) is an address.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def parse_url(raw: object) -> str | None:
    text = parse_text(raw)
    if text is None:
        return None
    if not re.match(r"^https?://[^\s/]+", text, re.IGNORECASE) or any(c in text for c in "\r\n\t\v"):
        raise Invalid("https:// で始まるURLを入力してください")
    return quote(text, safe=_URL_SAFE)


FISCAL_YEARS = range(2000, 2101)  # a fiscal year outside these is a typo (20255), not a year of this program
_FISCAL_YEAR_RE = re.compile(r"^(?:(?P<era>令和|R)(?P<ey>元|\d{1,2})|(?P<y>\d{4}))年?度?$", re.IGNORECASE)


TAX_BASES = ("税込", "税抜")


def parse_tax_basis(raw: object) -> str | None:
    """設定.金額の税区分: 税込 or 税抜 (内税 / 外税 read as them)."""
    if is_blank(raw):
        return None
    value = {"内税": "税込", "外税": "税抜"}.get(fold(str(raw)), fold(str(raw)))
    if value not in TAX_BASES:
        raise Invalid("税込 か 税抜 を入力してください")
    return value


def parse_fiscal_year(raw: object) -> int | None:
    """A fiscal year: 2025, 2025年度, 令和7年度, R7 (2000–2100)."""
    if is_blank(raw):
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        year = _integral(float(raw), "年度")
    else:
        m = _FISCAL_YEAR_RE.match(fold(str(raw)))
        if not m:
            raise Invalid("年度（例: 2025、令和7年度）を入力してください")
        if m.group("y"):
            year = int(m.group("y"))
        else:
            era = ERA_BY_KEY[m.group("era").upper()]
            year = western_year(era, 1 if m.group("ey") == "元" else int(m.group("ey")))
    if year not in FISCAL_YEARS:
        raise Invalid(f"年度 {year} は範囲外です。年度（例: 2025、令和7年度）を入力してください")
    return year


def parse_ratio(raw: object) -> float | None:
    """A share of 1, in (0, 1]: 0.9; 90% / ９０％ / 90 are read as per cent (0.9). Above 100 % is no share."""
    value = parse_number(raw)
    if value is None:
        return None
    if _typed_percent(raw) or value > 1:
        value /= 100
    if not 0 < value <= 1:
        raise Invalid("0 より大きく 1 以下の割合（例: 0.9、90%）を入力してください")
    return value


def _typed_percent(raw: object) -> bool:
    return isinstance(raw, str) and nfkc(raw).strip().endswith("%")


def is_percent(raw: object) -> bool:
    """A ratio typed as per cent (90%, ９０％, 90): read as 0.9, and the reader says so."""
    if _typed_percent(raw):
        return True
    try:
        value = parse_number(raw)
    except Invalid:
        return False
    return value is not None and value > 1


PARSERS = {
    "text": parse_text,
    "id": parse_id,
    "yen": parse_yen,
    "int": parse_int,
    "number": parse_number,
    "date": parse_date,
    "datetime": parse_datetime,
    "email": parse_email,
    "url": parse_url,
}
