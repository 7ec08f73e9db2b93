"""Template contexts: pure functions of the Program, its BudgetReport and its KpiReport.

Every value a template shows is formatted here (令和 dates, yen, per cent), so a figure in a document is exactly the
figure budget.py or kpi.py computed, and templates stay simple enough for staff to restyle in Word. Where a company
lacks the data a section needs, the context carries a sentence saying so instead of an empty table.
Charts are added by the caller (build.py) under the ``chart_*`` keys.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date

from toolkit import schema
from toolkit.budget import STATUS_LABELS, BudgetReport
from toolkit.kpi import CompanyProductivity, KpiReport
from toolkit.model import Company, Meeting, Program, SupportRecord

from .formats import (DASH, clean_text, fiscal_year_label, number, or_dash, pct, ratio_pct, reiwa, reiwa_month,
                      yen)

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
HIGHLIGHTS = 5  # support acts listed in a plan's summary


# ------------------------------------------------------------------------------------------------ small helpers

def common(program: Program, issued_on: date) -> dict:
    s = program.settings
    return {
        "program_name": clean_text(s.program_name),
        "client": clean_text(s.client),
        "contractor": clean_text(s.contractor),
        "fiscal_year_label": fiscal_year_label(s.fiscal_year),
        "issued_on": issued_on,
    }


def usage_period(program: Program) -> str:
    return f"{reiwa(program.settings.usage_start)}〜{reiwa(program.settings.usage_end)}"


def days(n: int) -> str:
    return f"{n:,}日"


def times(n: int) -> str:
    return f"{n:,}回"


def hours(value: float) -> str:
    return f"{value:,.1f}時間".replace(".0時間", "時間")


def stage_text(stage: str | None, *, missing: str) -> str:
    if not stage:
        return missing
    return f"段階{stage}（{STAGES[stage]}）" if stage in STAGES else f"段階{stage}"


def short_date(d: date) -> str:
    return f"{d.month}月{d.day}日"


def label(i: int) -> str:
    """ア, イ, ウ … then (47), (48) … for the sub-items of a section."""
    return IROHA[i] if i < len(IROHA) else f"({i + 1})"


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chart_label(company: Company, limit: int = 14) -> str:
    return f"{company.company_id} {shorten(clean_text(company.name), limit)}"


def join_names(names: Sequence[str], limit: int = 6) -> str:
    shown = list(names[:limit])
    rest = len(names) - len(shown)
    return "、".join(shown) + (f" ほか{rest}社" if rest > 0 else "")


def records_of(program: Program, company_id: str) -> list[SupportRecord]:
    return sorted((r for r in program.support if r.company_id == company_id), key=lambda r: (r.date, r.row))


def form_counts(records: Sequence[SupportRecord]) -> dict:
    counts = Counter(r.form for r in records)
    total_hours = sum(r.hours or 0 for r in records)
    return {"in_person": times(counts[FORMS[0]]), "online": times(counts[FORMS[1]]), "remote": times(counts[FORMS[2]]),
            "total": times(len(records)), "hours": hours(total_hours)}


def plan_years(program: Program) -> list[int]:
    first = program.settings.fiscal_year
    return [first, first + 1, first + 2]


def productivity_value(value: float, basis: str) -> str:
    """5,210円/人 or 2,002円/時間 (△ for a loss)."""
    return f"{yen(value)}/{BASIS_UNITS[basis]}"


def labour_input(value: float, basis: str) -> str:
    return number(value, 0, "時間") if basis == "hours" else f"{value:,.1f}人".replace(".0人", "人")


def change_phrase(change: float, *, polite: bool) -> str:
    """5.0%増加しました / 1.0%減少した / 横ばいでした: a change in words, with no sign to double the 減少."""
    if round(change, 1) == 0:
        return "横ばいでした" if polite else "横ばいであった"
    return f"{abs(change):.1f}%{'増加' if change > 0 else '減少'}{'しました' if polite else 'した'}"


# ------------------------------------------------------------------------------------------------ 改善活動計画書

def _services(program: Program, kpi: KpiReport, company_id: str) -> list[dict]:
    """One row per service the company took up (its 導入 rows grouped), plus any used without a 導入 row."""
    services = program.service_map
    used = kpi.usage.by_company_service.get(company_id, {})
    grouped: dict[str, list] = {}
    for sub in program.subscriptions:
        if sub.company_id == company_id:
            grouped.setdefault(sub.service_id, []).append(sub)
    rows = []
    for service_id, subs in grouped.items():
        service = services.get(service_id)
        areas = list(dict.fromkeys(s.area for s in subs))
        category = service.area if service else None
        area_text = "・".join(areas) if areas == [category] or category is None else f"{category}／{'・'.join(areas)}"
        states = list(dict.fromkeys(s.state for s in subs if s.state))
        rows.append({
            "name": clean_text(service.name) if service else service_id,
            "areas": area_text,
            "start": reiwa(min(s.start for s in subs)),
            "state": "・".join(states) if states else DASH,
            "days": days(used.get(service_id, 0)),
        })
    for service_id, n in used.items():
        if service_id not in grouped:
            service = services.get(service_id)
            rows.append({"name": clean_text(service.name) if service else service_id,
                         "areas": service.area if service else DASH, "start": DASH, "state": "（導入記録なし）",
                         "days": days(n)})
    return rows


def _plan_years(program: Program, company_id: str) -> list[dict]:
    out = []
    for i, year in enumerate(plan_years(program)):
        items = [{
            "area": p.area, "action": clean_text(p.action), "target": or_dash(p.target),
            "timing": or_dash(p.timing), "review": or_dash(p.review), "owner": or_dash(p.owner),
        } for p in program.plan_items if p.company_id == company_id and p.fiscal_year == year]
        name = fiscal_year_label(year)
        out.append({"label": f"（{i + 1}）{name}（{year}年度）", "entries": items,
                    "note": f"{name}の計画はまだ策定されていません。"})
    return out


def _productivity(p: CompanyProductivity | None, reason: str | None) -> dict:
    if p is None:
        why = reason or "決算が入力されていません"
        return {"measurable": False, "rows": [], "sentence": "",
                "note": f"労働生産性はまだ算定できません（{why}）。決算の確定後に算定します。"}
    rows = [
        {"label": "基準", "period_end": reiwa(p.base_period_end), "value_added": yen(p.base_value_added),
         "labour_input": labour_input(p.base_input, p.basis), "value": productivity_value(p.base, p.basis)},
        {"label": "実績", "period_end": reiwa(p.actual_period_end), "value_added": yen(p.actual_value_added),
         "labour_input": labour_input(p.actual_input, p.basis), "value": productivity_value(p.actual, p.basis)},
    ]
    sentence = (f"労働生産性（付加価値額÷{BASIS_LABELS[p.basis]}）は、基準の{productivity_value(p.base, p.basis)}から"
                f"実績の{productivity_value(p.actual, p.basis)}へ{change_phrase(p.change_pct, polite=True)}"
                f"（変化率{pct(p.change_pct, signed=True)}）。")
    return {"measurable": True, "rows": rows, "sentence": sentence, "note": ""}


def _highlights(records: Sequence[SupportRecord]) -> list[dict]:
    """Up to HIGHLIGHTS support acts spread over the period (first and last included)."""
    with_content = [r for r in records if clean_text(r.content)]
    if len(with_content) > HIGHLIGHTS:
        step = (len(with_content) - 1) / (HIGHLIGHTS - 1)
        with_content = [with_content[round(i * step)] for i in range(HIGHLIGHTS)]
    return [{"date": reiwa(r.date), "form": r.form, "content": shorten(clean_text(r.content), 90)}
            for r in with_content]


def _support_summary(records: Sequence[SupportRecord]) -> dict:
    if not records:
        return {"has_records": False, "note": "この企業の支援記録はまだありません。", "summary": "", "forms": [],
                "total_count": "", "total_hours": "", "first_visit": "", "highlights": []}
    counts = Counter(r.form for r in records)
    hours_by_form: dict[str, float] = defaultdict(float)
    for r in records:
        hours_by_form[r.form] += r.hours or 0
    forms = [{"form": f, "count": times(counts[f]), "hours": hours(hours_by_form[f])} for f in FORMS]
    total_hours = sum(r.hours or 0 for r in records)
    first, last = records[0], records[-1]
    summary = (f"{reiwa(first.date)}から{reiwa(last.date)}までに計{len(records)}回、"
               f"延べ{hours(total_hours)}の支援を行いました。")
    if first.form == IN_PERSON:
        first_visit = f"初回の面談（{reiwa(first.date)}）は、原則どおり対面で実施しました。"
    else:
        first_visit = f"初回の支援（{reiwa(first.date)}）は{first.form}で実施しました（初回面談は原則対面）。"
    return {"has_records": True, "note": "", "summary": summary, "forms": forms, "total_count": times(len(records)),
            "total_hours": hours(total_hours), "first_visit": first_visit, "highlights": _highlights(records)}


def plan_context(program: Program, budget: BudgetReport, kpi: KpiReport, company_id: str, issued_on: date) -> dict:
    company = program.company_map[company_id]
    years = plan_years(program)
    services = _services(program, kpi, company_id)
    used = kpi.usage.by_company.get(company_id, 0)
    areas = kpi.usage.by_company_area.get(company_id, {})
    service_count = sum(1 for n in kpi.usage.by_company_service.get(company_id, {}).values() if n)
    if used:
        usage_sentence = (f"利用期間（{usage_period(program)}）のクラウドサービス利用日数は{days(used)}でした"
                          f"（{service_count}サービス、{len(areas)}の利用領域の合計）。")
    else:
        usage_sentence = f"利用期間（{usage_period(program)}）のクラウドサービスの利用記録はまだありません。"
    return {
        **common(program, issued_on),
        "plan_period": f"{fiscal_year_label(years[0])}〜{fiscal_year_label(years[-1])}",
        "company": {
            "id": company.company_id, "name": clean_text(company.name), "industry": or_dash(company.industry),
            "address": or_dash(company.address),
            "employees": f"{company.employees:,}名" if company.employees is not None else DASH,
            "consultant": or_dash(company.consultant),
            "stage_before": stage_text(company.stage, missing="未記入"),
            "stage_after": stage_text(company.stage_after, missing="未評価"),
        },
        "challenges": clean_text(company.challenges),
        "challenges_note": "現状と課題はまだ記入されていません。",
        "services": services,
        "services_total": days(used),
        "services_caption": ("利用日数は、利用期間中の利用日をサービス・利用領域ごとに数えた合計です。"
                             "同じ日に複数のアカウントで利用した場合や、ログインを繰り返した場合も1日と数えます。"),
        "services_note": "導入したクラウドサービスの記録はまだありません。",
        "plan_years": _plan_years(program, company_id),
        "usage_sentence": usage_sentence,
        "productivity": _productivity(kpi.productivity.by_company.get(company_id),
                                      kpi.productivity.missing_reasons.get(company_id)),
        "support": _support_summary(records_of(program, company_id)),
    }


# ------------------------------------------------------------------------------------------------ 委託業務報告書

def _catalogue(program: Program) -> list[dict]:
    adopters: dict[str, set[str]] = defaultdict(set)
    for sub in program.subscriptions:
        if sub.state != "中止":
            adopters[sub.service_id].add(sub.company_id)
    rows = []
    for area in schema.BUSINESS_AREAS:
        services = [s for s in program.services if s.area == area]
        if not services:
            rows.append({"area": area, "name": "（未整備）", "vendor": DASH, "price": DASH, "adopters": DASH})
        for s in services:
            if s.unit_price is not None:
                price = yen(s.unit_price) + (f"／{clean_text(s.price_unit)}" if s.price_unit else "")
            else:
                price = DASH
            rows.append({"area": area, "name": clean_text(s.name), "vendor": or_dash(s.vendor), "price": price,
                         "adopters": f"{len(adopters[s.service_id])}社"})
    return rows


def _usage_summary(kpi: KpiReport) -> dict:
    u = kpi.usage
    rate = u.total / u.target * 100 if u.target else None
    if u.achieved:
        verdict = f"目標の{days(u.target)}を達成した（達成率{pct(rate)}）"
    else:
        verdict = f"目標の{days(u.target)}に届かなかった（達成率{pct(rate)}）"
    return {
        "total": days(u.total), "target": days(u.target),
        "achieved": f"{'達成' if u.achieved else '未達成'}（達成率{pct(rate)}）",
        "sentence": f"期間中のクラウドサービス利用日数は全社合計{days(u.total)}で、{verdict}。",
    }


def _productivity_summary(program: Program, kpi: KpiReport) -> dict:
    p = kpi.productivity
    names = program.company_map
    n_all = len(program.companies)
    target = pct(p.target_pct, signed=True)
    missing_names = [clean_text(names[c].name) for c in p.missing if c in names]
    if p.average_change_pct is None:
        sentence = (f"労働生産性を算定できた企業はまだない（目標は1社あたり平均{target}）。"
                    "決算の確定後に算定する。")
        achieved = "算定前"
    else:
        verb = "達成した" if p.achieved else "下回った"
        sentence = (f"決算により算定できた{len(p.by_company)}社の労働生産性の変化率の平均は"
                    f"{pct(p.average_change_pct, signed=True)}で、目標（1社あたり平均{target}）を{verb}。")
        achieved = "達成" if p.achieved else "未達成"
        if missing_names:
            sentence += (f"{len(missing_names)}社（{join_names(missing_names)}）は、決算がそろっていない等の理由により"
                         "算定できていない。")
    return {
        "measurable": bool(p.by_company), "sentence": sentence, "target": target,
        "average": pct(p.average_change_pct, signed=True), "measured": f"{len(p.by_company)}社（{n_all}社中）",
        "achieved": achieved,
        "none_note": "労働生産性を算定できた企業はまだない。",
        "missing_note": "算定できない企業はない。",
    }


def _verification(program: Program, kpi: KpiReport) -> list[dict]:
    services = program.service_map
    rows = []
    for i, c in enumerate(program.companies):
        used = kpi.usage.by_company.get(c.company_id, 0)
        names = list(dict.fromkeys(
            clean_text(services[s.service_id].name) if s.service_id in services else s.service_id
            for s in program.subscriptions if s.company_id == c.company_id and s.state != "中止"))
        areas = list(kpi.usage.by_company_area.get(c.company_id, {}))
        p = kpi.productivity.by_company.get(c.company_id)
        if names:
            parts = [f"{'・'.join(areas) + 'の' if areas else ''}業務で{'、'.join(names)}を導入し、"
                     f"期間中に{days(used)}利用した。"]
        else:
            parts = ["導入したクラウドサービスの記録はない。"]
        if p is not None:
            parts.append(f"労働生産性は{productivity_value(p.base, p.basis)}から{productivity_value(p.actual, p.basis)}へ"
                         f"{change_phrase(p.change_pct, polite=False)}。")
        else:
            reason = kpi.productivity.missing_reasons.get(c.company_id, "決算が入力されていない")
            parts.append(f"労働生産性は算定できていない（{reason}）。")
        if c.stage and c.stage_after:
            parts.append(f"デジタル化の取組段階は段階{c.stage}から段階{c.stage_after}へ"
                         f"{'進んだ' if c.stage_after > c.stage else '変化した' if c.stage_after != c.stage else 'のままである'}。")
        rows.append({
            "label": label(i), "name": clean_text(c.name), "services": "、".join(names) or DASH, "days": days(used),
            "change": pct(p.change_pct, signed=True) if p else "算定前",
            "stage": f"{c.stage or '—'}→{c.stage_after or '未評価'}", "sentence": "".join(parts),
        })
    return rows


def _issues(program: Program, budget: BudgetReport, kpi: KpiReport) -> list[str]:
    names = program.company_map
    out = []
    missing = [clean_text(names[c].name) for c in kpi.productivity.missing if c in names]
    if missing:
        out.append(f"労働生産性を算定できていない企業が{len(missing)}社ある（{join_names(missing)}）。"
                   "決算の確定後に算定し、効果を確認する必要がある。")
    idle = [clean_text(c.name) for c in program.companies if not kpi.usage.by_company.get(c.company_id)]
    if idle:
        out.append(f"期間中の利用記録がない企業がある（{join_names(idle)}）。利用の定着に向けた支援が必要である。")
    if not kpi.usage.achieved:
        out.append(f"利用回数が目標（{days(kpi.usage.target)}）に届いていない。")
    risky = [clean_text(b.name) for b in budget.companies.values() if b.status in ("over", "plan_over")]
    if risky:
        out.append(f"クラウドサービス経費が上限を超過した、又は超過の見込みの企業がある（{join_names(risky)}）。"
                   "委託者と協議のうえ対応する。")
    years = plan_years(program)
    planned = {(p.company_id, p.fiscal_year) for p in program.plan_items}
    incomplete = [clean_text(c.name) for c in program.companies
                  if any((c.company_id, y) not in planned for y in years)]
    if incomplete:
        out.append(f"3年間の改善活動計画に未策定の年度がある企業がある（{join_names(incomplete)}）。")
    latest = max((m for m in program.meetings if clean_text(m.issues)), key=lambda m: (m.date, m.row), default=None)
    if latest is not None:
        out.append(f"直近の会議（{reiwa(latest.date)}）で確認した課題：{shorten(clean_text(latest.issues), 200)}")
    return out or ["特記すべき課題はない。"]


def business_report_context(program: Program, budget: BudgetReport, kpi: KpiReport, issued_on: date) -> dict:
    years = plan_years(program)
    companies = program.companies
    stages = Counter(c.stage for c in companies if c.stage)
    stage_text_ = "、".join(f"段階{s}が{n}社" for s, n in sorted(stages.items()))
    companies_sentence = f"支援企業は次の{len(companies)}社である。"
    if stage_text_:
        companies_sentence += f"支援開始時のデジタル化の取組段階は、{stage_text_}であった。"

    catalogue = _catalogue(program)
    missing_areas = [a for a in schema.BUSINESS_AREAS if not any(s.area == a for s in program.services)]
    catalogue_sentence = (f"支援企業が無料で利用できるクラウドサービスとして計{len(program.services)}種類を用意し、"
                          f"利用期間（{usage_period(program)}）中、企業の名義で利用できる環境を運用した。")
    if missing_areas:
        catalogue_sentence += f"ただし、業務分類「{'」「'.join(missing_areas)}」のサービスは未整備である。"
    else:
        catalogue_sentence += f"仕様に定める{len(schema.BUSINESS_AREAS)}の業務分類のすべてに1種類以上を用意した。"

    support_rows, first_in_person, first_other, no_records = [], 0, [], []
    for c in companies:
        records = records_of(program, c.company_id)
        row = {"name": clean_text(c.name), **form_counts(records), "first": DASH}
        if records:
            row["first"] = f"{short_date(records[0].date)}（{records[0].form}）"
            if records[0].form == IN_PERSON:
                first_in_person += 1
            else:
                first_other.append(clean_text(c.name))
        else:
            no_records.append(clean_text(c.name))
        support_rows.append(row)
    support_total = form_counts([r for r in program.support if r.company_id in program.company_map])
    support_sentence = (f"支援企業ごとにクラウドサービスの導入領域のコンサルティングと導入支援を行い、延べ"
                        f"{support_total['total']}（対面{support_total['in_person']}、オンライン{support_total['online']}、"
                        f"電話・メール{support_total['remote']}）、計{support_total['hours']}の支援を実施した。"
                        "支援の内容と提供した資料は、企業別・日別に支援記録簿に記録した。")
    first_visit_sentence = (f"初回面談は原則対面とし、{len(companies)}社中{first_in_person}社で初回を対面により"
                            "実施した。")
    if first_other:
        first_visit_sentence += f"初回が対面以外であった企業：{join_names(first_other)}。"
    if no_records:
        first_visit_sentence += f"支援記録がまだない企業：{join_names(no_records)}。"

    planned = Counter((p.company_id, p.fiscal_year) for p in program.plan_items)
    plan_rows, complete = [], 0
    for c in companies:
        counts = [planned[(c.company_id, y)] for y in years]
        status = "策定済" if all(counts) else ("未策定" if not any(counts) else "一部未策定")
        complete += status == "策定済"
        plan_rows.append({"name": clean_text(c.name), "years": [f"{n}件" if n else "未策定" for n in counts],
                          "status": status})
    plan_sentence = (f"支援企業ごとにヒアリングを行い、{fiscal_year_label(years[0])}から{fiscal_year_label(years[-1])}"
                     f"までの3年間のクラウドサービス活用の改善活動計画を策定した（{len(companies)}社中{complete}社で"
                     "3年度分を策定済）。計画は企業ごとの改善活動計画書にまとめ、各社に提供した。")

    attendance: dict[str, list] = defaultdict(list)
    for a in program.attendance:
        if a.status == "出席":
            attendance[a.event_id].append(a)
    events = []
    for e in sorted(program.events, key=lambda e: (e.date, e.row)):
        present = attendance[e.event_id]
        firms = {a.company_id for a in present if a.company_id}
        place = "・".join(x for x in (clean_text(e.style), clean_text(e.venue)) if x) or DASH
        events.append({"kind": e.kind, "name": clean_text(e.name), "date": reiwa(e.date), "place": place,
                       "attended": f"{len(present)}名（{len(firms)}社）"})
    kinds = Counter(e.kind for e in program.events)
    events_sentence = "、".join(f"{k}を{n}回" for k, n in kinds.items()) + "開催した。出席は出欠記録による。"

    meetings = sorted(program.meetings, key=lambda m: (m.date, m.row))
    meetings_sentence = (f"委託者との会議を計{len(meetings)}回開催し、会議ごとに速やかに会議記録を作成して提出した。"
                         if meetings else "委託者との会議の記録はまだない。")

    total_cloud = sum(b.cloud_service for b in budget.companies.values())
    total_caps = sum(b.cap for b in budget.companies.values())
    over = [clean_text(b.name) for b in budget.companies.values() if b.status == "over"]
    budget_sentence = (f"支援企業{len(budget.companies)}社の（1）クラウドサービス経費は計{yen(total_cloud)}で、"
                       f"上限の合計{yen(total_caps)}に対する執行率は{ratio_pct(total_cloud / total_caps if total_caps else None)}"
                       f"である。執行総額は{yen(budget.grand_total)}（共通経費を含む）。"
                       + (f"上限を超過した企業：{join_names(over)}。" if over else "上限を超過した企業はない。")
                       + "詳細は予算執行状況報告書による。")

    return {
        **common(program, issued_on),
        "contract_end": program.settings.contract_end,
        "usage_period": usage_period(program),
        "companies_sentence": companies_sentence,
        "companies": [{"id": c.company_id, "name": clean_text(c.name), "industry": or_dash(c.industry),
                       "stage": f"段階{c.stage}" if c.stage else DASH, "consultant": or_dash(c.consultant)}
                      for c in companies],
        "catalogue": catalogue,
        "catalogue_sentence": catalogue_sentence,
        "support_rows": support_rows,
        "support_total": support_total,
        "support_sentence": support_sentence,
        "first_visit_sentence": first_visit_sentence,
        "plan_rows": plan_rows,
        "plan_year_labels": [fiscal_year_label(y) for y in years],
        "plan_sentence": plan_sentence,
        "events": events,
        "events_sentence": events_sentence,
        "events_note": "説明会・ワークショップ及び成果共有会の開催記録はまだない。",
        "meetings": [{"number": f"第{i + 1}回", "date": reiwa(m.date), "style": or_dash(m.style),
                      "agenda": clean_text(m.agenda)} for i, m in enumerate(meetings)],
        "meetings_sentence": meetings_sentence,
        "usage": _usage_summary(kpi),
        "productivity": _productivity_summary(program, kpi),
        "verification": _verification(program, kpi),
        "budget": {"sentence": budget_sentence, "lines": _budget_lines(budget)},
        "issues": _issues(program, budget, kpi),
        "next_years": f"{fiscal_year_label(years[1])}及び{fiscal_year_label(years[2])}",
    }


# ------------------------------------------------------------------------------------------------ 予算執行状況報告書

def _budget_lines(budget: BudgetReport) -> list[dict]:
    companies = budget.companies.values()
    amounts = [
        (f"（1）{schema.COST_CLOUD}", sum(c.cloud_service for c in companies)),
        (f"（2）{schema.COST_SETUP}", sum(c.setup_support for c in companies)),
        (f"（3）{schema.COST_CONSULTING}", sum(c.consulting_support for c in companies)),
        (schema.COST_COMMON, budget.common),
    ]
    total = budget.grand_total
    rows = [{"label": name, "amount": yen(v), "share": ratio_pct(v / total if total else None)} for name, v in amounts]
    rows.append({"label": "合計", "amount": yen(total), "share": ratio_pct(1.0 if total else None)})
    return rows


def budget_report_context(program: Program, budget: BudgetReport, issued_on: date) -> dict:
    companies = list(budget.companies.values())
    rows = [{
        "id": b.company_id, "name": clean_text(b.name), "cloud": yen(b.cloud_service), "setup": yen(b.setup_support),
        "consulting": yen(b.consulting_support), "total": yen(b.total),
        "cap": yen(b.cap) + ("＊" if b.cap_overridden else ""), "rate": ratio_pct(b.execution_rate),
        "planned": yen(b.planned_cloud_service), "status": STATUS_LABELS[b.status],
    } for b in companies]
    cloud = sum(b.cloud_service for b in companies)
    caps = sum(b.cap for b in companies)
    company_total = {"cloud": yen(cloud), "setup": yen(sum(b.setup_support for b in companies)),
                     "consulting": yen(sum(b.consulting_support for b in companies)),
                     "total": yen(sum(b.total for b in companies)), "cap": yen(caps),
                     "rate": ratio_pct(cloud / caps if caps else None)}
    warn = program.settings.warn_ratio
    cap_note = ("執行率は（1）クラウドサービス経費の上限に対する割合。状況は、実績が上限を超えたものを「超過」、"
                "導入の計画額（初期費用＋月額費用×利用月数）が上限を超えるものを「超過見込」、実績又は計画額が上限の"
                f"{warn * 100:g}%を超えるものを「警告」、それ以外を「適正」とした。")
    if any(b.cap_overridden for b in companies):
        cap_note += "上限欄の＊は、委託者との協議により上限を個別に定めた企業。"
    by_status = defaultdict(list)
    for b in companies:
        by_status[b.status].append(clean_text(b.name))
    parts = [f"{STATUS_LABELS[s]}：{join_names(by_status[s])}" for s in ("over", "plan_over", "warning") if by_status[s]]
    status_sentence = ("クラウドサービス経費が上限を超過した企業、及び超過の見込みの企業はない。" if not parts else
                       "注意を要する企業は次のとおり（" + "。".join(parts) + "）。")
    if not by_status["over"] and not by_status["plan_over"] and parts:
        status_sentence = "上限を超過した企業はないが、上限に近づいている企業がある（" + "。".join(parts) + "）。"

    lines = (schema.COST_CLOUD, schema.COST_SETUP, schema.COST_CONSULTING, schema.COST_COMMON)
    months = []
    sums = dict.fromkeys(lines, 0)
    for key, amounts in budget.by_month.items():
        year, month = (int(x) for x in key.split("-"))
        values = [amounts.get(line, 0) for line in lines]
        for line, v in zip(lines, values):
            sums[line] += v
        months.append({"label": reiwa_month(year, month), "cloud": yen(values[0]), "setup": yen(values[1]),
                       "consulting": yen(values[2]), "common": yen(values[3]), "total": yen(sum(values))})
    months_total = {"cloud": yen(sums[lines[0]]), "setup": yen(sums[lines[1]]),
                    "consulting": yen(sums[lines[2]]), "common": yen(sums[lines[3]]), "total": yen(sum(sums.values()))}
    company_sum = sum(b.total for b in companies)
    summary_sentence = (f"{reiwa(issued_on)}現在の執行総額は{yen(budget.grand_total)}である（支援企業{len(companies)}社分"
                        f"{yen(company_sum)}、共通経費{yen(budget.common)}）。クラウドサービス経費の上限は1社あたり"
                        f"{yen(budget.cap_default)}を基本とする。")
    return {
        **common(program, issued_on),
        "summary_sentence": summary_sentence,
        "totals": _budget_lines(budget),
        "companies": rows,
        "company_total": company_total,
        "cap_note": cap_note,
        "status_sentence": status_sentence,
        "common_items": [{"description": clean_text(d), "amount": yen(a)} for d, a in budget.common_items],
        "common_total": yen(budget.common),
        "common_note": "共通経費の支出はまだない。",
        "months": months,
        "months_total": months_total,
        "months_note": "経費の計上はまだない。",
    }


# ------------------------------------------------------------------------------------------------ KPI実績報告書

def kpi_report_context(program: Program, kpi: KpiReport, issued_on: date) -> dict:
    u, p = kpi.usage, kpi.productivity
    names = program.company_map
    services = program.service_map
    usage_companies = [{
        "id": cid, "name": clean_text(names[cid].name) if cid in names else cid, "days": days(n),
        "share": ratio_pct(n / u.total if u.total else None),
    } for cid, n in u.by_company.items()]
    usage_services = [{
        "id": sid, "name": clean_text(services[sid].name) if sid in services else sid,
        "area": services[sid].area if sid in services else DASH, "days": days(n),
    } for sid, n in u.by_service.items()]
    productivity_rows = [{
        "name": clean_text(names[cid].name) if cid in names else cid, "basis": BASIS_LABELS[c.basis],
        "base_end": reiwa(c.base_period_end), "base": yen(c.base),
        "actual_end": reiwa(c.actual_period_end), "actual": yen(c.actual),
        "change": pct(c.change_pct, signed=True),
    } for cid, c in p.by_company.items()]
    missing = [{"name": clean_text(names[cid].name) if cid in names else cid,
                "reason": p.missing_reasons.get(cid, "決算が入力されていません")} for cid in p.missing]
    return {
        **common(program, issued_on),
        "usage_period": usage_period(program),
        "usage": _usage_summary(kpi),
        "usage_companies": usage_companies,
        "usage_services": usage_services,
        "productivity": _productivity_summary(program, kpi),
        "productivity_rows": productivity_rows,
        "productivity_missing": missing,
    }


# ------------------------------------------------------------------------------------------------ 支援記録簿

def support_log_context(program: Program, issued_on: date) -> dict:
    sections, totals = [], []
    for i, c in enumerate(program.companies):
        records = records_of(program, c.company_id)
        counts = form_counts(records)
        sections.append({
            "label": f"{i + 1}　{c.company_id}　{clean_text(c.name)}",
            "records": [{"date": reiwa(r.date), "form": r.form, "staff": or_dash(r.staff),
                         "hours": hours(r.hours) if r.hours is not None else DASH,
                         "content": or_dash(r.content), "materials": or_dash(r.materials)} for r in records],
            "count": counts["total"], "hours": counts["hours"],
            "note": "この企業の支援記録はまだない。",
        })
        totals.append({"name": clean_text(c.name), **counts})
    known = [r for r in program.support if r.company_id in program.company_map]
    grand = form_counts(known)
    intro = (f"支援企業{len(program.companies)}社に対する導入サポートの記録（延べ{grand['total']}、計{grand['hours']}）を、"
             "企業別に支援日の順で記載する。支援の中で作成・提供した資料は「提供資料」欄に記載した。")
    return {**common(program, issued_on), "intro_sentence": intro, "companies": sections, "totals": totals,
            "grand": grand}


# ------------------------------------------------------------------------------------------------ 会議記録

def meeting_number(program: Program, meeting: Meeting) -> int:
    ordered = sorted(program.meetings, key=lambda m: (m.date, m.row))
    return next(i for i, m in enumerate(ordered, 1) if m is meeting or m.meeting_id == meeting.meeting_id)


def meeting_context(program: Program, meeting: Meeting, issued_on: date) -> dict:
    when = f"{reiwa(meeting.date)}（{WEEKDAYS[meeting.date.weekday()]}）"
    if clean_text(meeting.time):
        when += f"　{clean_text(meeting.time)}"
    number = meeting_number(program, meeting)
    return {
        **common(program, issued_on),
        "meeting": {
            "id": meeting.meeting_id,
            "title": f"{clean_text(program.settings.program_name)} 定例会議（第{number}回）",
            "when": when, "style": or_dash(meeting.style), "attendees": or_dash(meeting.attendees),
            "agenda": or_dash(meeting.agenda), "reports": or_dash(meeting.reports),
            "decisions": or_dash(meeting.decisions), "issues": or_dash(meeting.issues),
            "next": or_dash(meeting.next_meeting),
        },
    }
