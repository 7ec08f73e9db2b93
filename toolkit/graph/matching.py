"""Match what people typed into a form (or Teams knows about them) to the workbook's companies and services.

Pure functions: names are compared after normalisation (NFKC, case, spaces, legal-form words such as 株式会社),
e-mail addresses exactly, else by the company's domain — never by a free-mail domain, which says nothing about
the employer.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from toolkit.japanese import COMPANY_FORMS
from toolkit.model import Company, Service
from toolkit.schema import fold

# Legal-form words a person may or may not type before or after the name. NFKC has already turned
# ㈱ / ㈲ / full-width brackets into "(株)" / "(有)", so only the ASCII-bracket spellings are listed.
_LEGAL_FORMS = (*COMPANY_FORMS, "(株)", "(有)", "(同)", "(資)", "(名)")
_LEGAL_RE = re.compile(
    "^(?:" + "|".join(map(re.escape, _LEGAL_FORMS)) + ")+|(?:" + "|".join(map(re.escape, _LEGAL_FORMS)) + ")+$"
)

# Domains of personal mail services: an address there identifies a person, not a company.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "outlook.jp", "hotmail.com", "hotmail.co.jp", "live.com",
    "live.jp", "msn.com", "yahoo.co.jp", "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com",
    "aol.com", "proton.me", "protonmail.com", "gmx.com", "mail.com", "zoho.com",
    "docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp", "ymobile.ne.jp",
    "nifty.com", "biglobe.ne.jp", "so-net.ne.jp", "ocn.ne.jp",
})


def normalize_name(text: object) -> str:
    """The comparison form of a company or service name: ``㈱ ｱｲｳ商事`` and ``アイウ商事株式会社`` agree."""
    if text is None:
        return ""
    folded = fold(str(text)).casefold()
    # Strip repeatedly: "株式会社 (株)X" is odd but harmless; a name that is only a legal form stays as is.
    previous = None
    while previous != folded:
        previous = folded
        stripped = _LEGAL_RE.sub("", folded)
        if stripped:
            folded = stripped
    return folded


def normalize_email(text: object) -> str:
    if text is None:
        return ""
    value = fold(str(text)).casefold()
    value = value.removeprefix("mailto:")
    return value


def email_domain(address: str) -> str:
    _, at, domain = address.rpartition("@")
    return domain if at else ""


def is_free_mail(domain: str) -> bool:
    domain = domain.casefold()
    return domain in FREE_MAIL_DOMAINS or any(domain.endswith("." + d) for d in FREE_MAIL_DOMAINS)


class Match(NamedTuple):
    id: str | None
    how: str  # "name", "email", "domain", "id", or "" when unmatched
    reason: str = ""  # why there is no match (Japanese, for the report)


def _unique_index(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    """key -> id for keys naming exactly one id; the ambiguous keys apart."""
    seen: dict[str, str] = {}
    ambiguous: set[str] = set()
    for key, ident in pairs:
        if not key:
            continue
        if key in seen and seen[key] != ident:
            ambiguous.add(key)
        else:
            seen[key] = ident
    for key in ambiguous:
        seen.pop(key, None)
    return seen, ambiguous


class CompanyMatcher:
    def __init__(self, companies: Iterable[Company]):
        companies = list(companies)
        self._by_id = {c.company_id.casefold(): c.company_id for c in companies}
        self._by_name, self._ambiguous_names = _unique_index((normalize_name(c.name), c.company_id) for c in companies)
        emails = [(normalize_email(c.contact_email), c.company_id) for c in companies if c.contact_email]
        self._by_email, _ = _unique_index(emails)
        domains = [(email_domain(e), cid) for e, cid in emails if not is_free_mail(email_domain(e))]
        self._by_domain, self._ambiguous_domains = _unique_index(domains)
        self._matched: dict[tuple[object, object], Match] = {}

    def by_name(self, name: object) -> Match:
        return _match_name(name, self._by_name, self._ambiguous_names, self._by_id, "企業")

    def by_email(self, address: object) -> Match:
        email = normalize_email(address)
        if not email or "@" not in email:
            return Match(None, "", "メールアドレスがありません")
        if email in self._by_email:
            return Match(self._by_email[email], "email")
        domain = email_domain(email)
        if is_free_mail(domain):
            return Match(None, "", "フリーメールのため企業を特定できません")
        if domain in self._by_domain:
            return Match(self._by_domain[domain], "domain")
        if domain in self._ambiguous_domains:
            return Match(None, "", "同じドメインの企業が複数あります")
        return Match(None, "", "連絡先メールに一致する企業がありません")

    def match(self, name: object = None, email: object = None) -> Match:
        """By name first (what the person said), then by e-mail address. Remembered: a form's 10,000 answers
        name a few dozen companies."""
        found = self._matched.get((name, email))
        if found is None:
            found = self._matched[(name, email)] = self._match(name, email)
        return found

    def _match(self, name: object, email: object) -> Match:
        first = self.by_name(name) if name not in (None, "") else None
        if first is not None and first.id:
            return first
        second = self.by_email(email) if email not in (None, "") else None
        if second is not None and second.id:
            return second
        chosen = first or second
        return chosen if chosen is not None else Match(None, "", "企業名もメールアドレスもありません")


class ServiceMatcher:
    def __init__(self, services: Iterable[Service]):
        services = list(services)
        self._areas = {s.service_id: s.area for s in services}
        self._by_id = {s.service_id.casefold(): s.service_id for s in services}
        self._by_name, self._ambiguous = _unique_index((normalize_name(s.name), s.service_id) for s in services)
        self._matched: dict[object, Match] = {}

    def by_name(self, name: object) -> Match:
        found = self._matched.get(name)
        if found is None:
            found = self._matched[name] = _match_name(name, self._by_name, self._ambiguous, self._by_id, "サービス")
        return found

    def area_of(self, service_id: str | None) -> str | None:
        return self._areas.get(service_id) if service_id else None


def _match_name(name: object, by_name: dict[str, str], ambiguous: set[str], by_id: dict[str, str],
                what: str) -> Match:
    """Name → ID: a unique normalised name, else the ID itself typed as the name (企業 or サービス)."""
    key = normalize_name(name)
    if not key:
        return Match(None, "", f"{what}名が空です")
    if key in by_name:
        return Match(by_name[key], "name")
    if key in ambiguous:
        return Match(None, "", f"同じ名前の{what}が複数あります")
    if key in by_id:  # someone typed the ID itself
        return Match(by_id[key], "id")
    return Match(None, "", f"{what}シートに同じ名前の{what}がありません")
