"""Deliverables as Word: every template filled from a Program, opened again with python-docx and read back.

Two programs: the demo workbook (20 companies, a whole year) for the figures, and a small Program built here from
model records for the awkward cases (a name with & and <, a company with no records, names that try to leave the
output folder).
"""
from __future__ import annotations

import io
import re
import shutil
import warnings
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.shared import Mm

from toolkit.errors import DocumentError
from toolkit.outputs import LEDGER
from toolkit import schema
from toolkit.budget import compute_budget
from toolkit.demo import build_demo_workbook
from toolkit.documents import UnknownCompany, build_plans, build_reports, catalog, contexts, formats, names
from toolkit.documents.build import Job, plan_jobs, prepare, report_jobs
from toolkit.documents.chart_data import CHART_NAMES, chart_jobs, draw
from toolkit.documents.render import Chart, make_environment, render_docx, template_variables
from toolkit.errors import ToolkitError
from toolkit.kpi import compute_kpis
from toolkit.model import (AttendanceRecord, Company, Event, Expense, Financial, Meeting, PlanItem, Program, Service,
                           Settings, Subscription, SupportRecord, UsageDay)
from toolkit.load import load_program
from toolkit.privacy import register
from toolkit.status import compute_status

ROOT = Path(__file__).resolve().parents[1]
ISSUED = date(2026, 3, 31)
TRICKY = "A&B <テスト>"


# ------------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module", autouse=True)
def chart_cache(tmp_path_factory):
    """Charts drawn by these tests are kept in a folder of their own, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def small_program() -> Program:
    """Three companies: C01 with everything (and a name with & and <), C02 with nothing, C03 with a hostile name."""
    settings = Settings(**{s.key: s.default for s in schema.SETTING_ITEMS})
    settings = settings._replace(contractor="テスト受託株式会社", client="テスト市")
    companies = (
        Company(2, "C01", TRICKY, None, "製造業", "岡山市北区", 12, "1", "山本", None, None, 3, None, None, None,
                None, None, "2", "紙の日報を集計している。"),
        Company(3, "C02", "株式会社サンプル", None, None, None, None, "2", None, None, None, None, None, None, None,
                None, None, None, None),
        Company(4, "C03", "../../外へ/..\\出る\x07会社", None, None, None, None, None, None, None, None, None, None,
                None, None, None, None, None, None),
    )
    services = (Service(2, "S01", "かんたん会計", "会計社", "経理", "月額", 3000, 0, None, None),
                Service(3, "S02", "チャット", "チャット社", "コミュニケーション", "月額", 500, 0, None, None))
    subs = (Subscription(2, "U1", "C01", "S01", "経理", 1, date(2025, 9, 1), None, 30000, 12000, "導入済"),
            Subscription(3, "U2", "C01", "S02", "コミュニケーション", 5, date(2025, 10, 1), None, 2500, 0, "検証中"))
    expenses = (Expense(2, "E1", date(2025, 10, 1), "C01", schema.COST_CLOUD, 352000, "利用料", None),
                Expense(3, "E2", date(2025, 10, 5), "C01", schema.COST_SETUP, 50000, None, None),
                Expense(4, "E3", date(2025, 11, 5), "C01", schema.COST_CONSULTING, 120000, None, None),
                Expense(5, "E4", date(2025, 9, 20), None, schema.COST_COMMON, 30000, "説明会 会場費", None))
    support = (SupportRecord(2, "R1", "C01", date(2025, 9, 5), "対面", "山本", 2.0, "初回訪問。\n課題を伺った。",
                             "ヒアリングシート", None),
               SupportRecord(3, "R2", "C01", date(2025, 10, 5), "オンライン", "山本", 1.5, "設定支援", None, None))
    usage = tuple(UsageDay(i + 2, "C01", "S01", "経理", date(2025, 10, 1 + i), None, "ヒアリング", None)
                  for i in range(7))
    financials = (Financial(2, "C01", "基準", date(2025, 3, 31), 1_000_000, 5_000_000, 200_000, 4.0, None),
                  Financial(3, "C01", "実績", date(2026, 3, 31), 1_300_000, 5_000_000, 200_000, 4.0, None))
    plans = tuple(PlanItem(i + 2, "C01", y, "経理", f"{y}年度の取組", "月次決算を早める", "6月", "継続", "社長")
                  for i, y in enumerate((2025, 2026)))
    events = (Event(2, "EV1", "説明会・ワークショップ", "キックオフ", date(2025, 9, 10), "対面", "市役所", None, None,
                    None, None),)
    attendance = (AttendanceRecord(2, "EV1", "C01", "山田", None, "出席", None, "手入力", None, None),)
    meetings = (Meeting(2, "M01", date(2025, 10, 15), "オンライン", "市 担当", "進捗確認", "報告", "決定",
                        "課題", "11月", None, "14:00〜15:00"),)
    return Program(settings, companies, services, subs, expenses, support, usage, financials, plans, events,
                   attendance, meetings)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("small")
    program = small_program()
    plans = build_plans(program, None, out, issued_on=ISSUED)
    reports = build_reports(program, out, issued_on=ISSUED)
    return program, out, plans, reports


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    build_demo_workbook(out / "master.xlsx")
    program = load_program(out / "master.xlsx")
    plans = build_plans(program, None, out / "docs", issued_on=ISSUED)
    reports = build_reports(program, out / "docs", issued_on=ISSUED)
    return program, plans, reports, out / "master.xlsx"


# ------------------------------------------------------------------------------------------------ reading back

def text_of(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def table_with(path: Path, *headers: str):
    """The first table whose header row holds every one of ``headers``."""
    for table in docx.Document(str(path)).tables:
        first = [c.text for c in table.rows[0].cells]
        if all(h in first for h in headers):
            return table
    raise AssertionError(f"no table with {headers} in {path.name}")


def rows_of(table) -> list[list[str]]:
    """Cell texts; a company name broken after its legal form (株式会社↵名前, formats.fit_name) reads as one."""
    return [[c.text.replace("会社\n", "会社") for c in row.cells] for row in table.rows]


def named(paths, prefix: str) -> Path:
    found = [p for p in paths if p.name.startswith(prefix)]
    assert len(found) == 1, (prefix, [p.name for p in paths])
    return found[0]


# ------------------------------------------------------------------------------------------------ formats

def test_reiwa_yen_and_percent_formats():
    assert formats.reiwa(date(2026, 3, 31)) == "令和8年3月31日"
    assert formats.reiwa(date(2019, 5, 1)) == "令和元年5月1日"
    assert formats.reiwa(date(2019, 4, 30)) == "平成31年4月30日"
    assert formats.reiwa(None) == ""
    assert formats.fiscal_year_label(2025) == "令和7年度"
    assert formats.fiscal_year_label(2019) == "令和元年度"
    assert formats.reiwa_month(2025, 10) == "令和7年10月"
    assert formats.yen(352000) == "352,000円"
    assert formats.yen(-5000) == "△5,000円"
    assert formats.yen(None) == "—"
    assert formats.pct(2.345, signed=True) == "+2.3%"
    assert formats.pct(-0.5, signed=True) == "△0.5%"
    assert formats.ratio_pct(0.88) == "88.0%"
    assert formats.clean_text("a\tb\x07c\r\nd\x00") == "a bc\nd"


def test_western_dates_typed_in_free_text_are_shown_in_reiwa():
    assert formats.free_text("次回 2025年10月21日（火）14:00") == "次回 令和7年10月21日（火）14:00"
    assert formats.free_text("2026年3月までに") == "令和8年3月までに"
    assert formats.free_text("2027年度の計画、2025/9/1 開始") == "令和9年度の計画、令和7年9月1日 開始"
    assert formats.free_text("単価2,025円、型番12025年、2025年13月") == "単価2,025円、型番12025年、2025年13月"

# ------------------------------------------------------------------------------------------------ templates

def every_job(program: Program) -> list[Job]:
    """One job per template: every report, a plan and the booklet's cover and 目次."""
    f = prepare(program, "report", ISSUED)
    jobs = report_jobs(f, {name: "" for name in CHART_NAMES}) + plan_jobs(f, [program.companies[0].company_id])
    parts = [{"title": "委託業務報告書", "group": "本編", "page": "2"}, {"title": "支援記録簿", "group": "資料", "page": "9"}]
    # A status with a previous record, so the 状況報告書's "changes" section is rendered (strictly) too.
    previous = {"as_of": "2025-11-15", "usage": {"to_date": 1}, "warnings": [{"area": "usage", "message": "解消済"}]}
    st = compute_status(program, date(2025, 12, 15), previous)
    return jobs + [Job(catalog.BOOKLET, (), contexts.booklet_context(f.program, ISSUED, parts)),
                   Job(catalog.STATUS_REPORT, ("20251215",),
                       {**contexts.status_report_context(program, st, ISSUED), "chart_usage_pace": ""}),
                   Job(catalog.PRIVACY_REGISTER, ("20260327",), contexts.privacy_register_context(
                       program, {**register(program, Path("m.xlsx"), []),
                                 "copies": [{"kind": "成果品", "path": "out/会議記録.docx", "holds": "氏名"}]},
                       ISSUED)),
                   Job(catalog.PURGE_REPORT, ("20270401",), contexts.purge_report_context(
                       program, {"at": "2027-04-01T10:00:00", "before": "2027-04-01", "erased_cells": 3,
                                 "columns": [{"sheet": "企業", "column": "連絡先氏名", "rows": 3, "method": "空欄にした"}],
                                 "deleted": [{"kind": "同期の記録", "path": "m.xlsx.toolkit-queue.json"}],
                                 "documents": ["out/会議記録.docx"]}, "鈴木", ISSUED))]


def test_every_template_variable_is_supplied_by_its_context(demo, small):
    """Top-level names from docxtpl, then a strict render proves every nested name (company.name, y.entries…)."""
    strict = make_environment(strict=True)
    for program in (demo[0], small[0]):
        seen = set()
        for job in every_job(program):
            path = catalog.template_path(job.document)
            missing = template_variables(path) - set(job.context)
            assert not missing, (job.document, missing)
            render_docx(path, job.context, Path(small[1]) / "strict.docx", env=strict)
            seen.add(job.document)
            # The header data every context shares keeps its meaning: a document's own key of the same name
            # (the budget report's contractor-borne rows were once "contractor") would print on the cover.
            shared = contexts.base.common(program, job.context["issued_on"])
            assert {k: job.context[k] for k in shared} == shared, job.document
        assert seen == set(catalog.DOCUMENTS)


def test_templates_resaved_by_word_still_render(small, tmp_path):
    """Word rewrites a template's XML when staff save it (python-docx's open and save stands in for that):
    every template still renders, strictly, with no tag left in the output."""
    strict = make_environment(strict=True)
    for job in every_job(small[0]):
        resaved = tmp_path / f"{job.document}.docx"
        docx.Document(str(catalog.template_path(job.document))).save(str(resaved))
        out = render_docx(resaved, job.context, tmp_path / f"out_{job.document}.docx", env=strict)
        assert not re.search(r"\{\{|\{%|\}\}|%\}", text_of(out)), job.document


def firm_copy(folder: Path, document: str, edit) -> Path:
    """A firm's folder holding its own copy of one template, edited with python-docx as staff would in Word."""
    folder.mkdir()
    copy = folder / f"{document}.docx"
    shutil.copy(catalog.template_path(document), copy)
    edited = docx.Document(str(copy))
    edit(edited)
    edited.save(str(copy))
    return folder


def test_a_sentence_added_in_word_appears_via_templates(small, tmp_path):
    """The firm's copy of one template is used; the others fall back to the built-in ones."""
    firm = firm_copy(tmp_path / "firm", catalog.PLAN, lambda d: next(
        p for p in d.paragraphs if p.text == "2　現状と課題").insert_paragraph_before(
        "当社独自の一文：{{ company.name }}様の計画です。"))
    copy = firm / f"{catalog.PLAN}.docx"
    assert catalog.template_path(catalog.PLAN, firm) == copy
    assert catalog.template_path(catalog.MINUTES, firm) == catalog.template_path(catalog.MINUTES)
    plans = build_plans(small[0], ["C02"], tmp_path / "out", issued_on=ISSUED, templates_dir=firm)
    assert "当社独自の一文：株式会社サンプル様の計画です。" in text_of(plans[0])
    reports = build_reports(small[0], tmp_path / "out", issued_on=ISSUED, templates_dir=firm)
    assert "当社独自の一文" not in text_of(named(reports, "会議記録"))


def test_no_generator_is_the_source_of_the_templates():
    assert not (ROOT / "scripts" / "make_doc_templates.py").exists()
    assert {p.stem for p in catalog.TEMPLATE_DIR.glob("*.docx")} == set(catalog.DOCUMENTS)


def test_templates_are_a4_with_mincho_body_gothic_headings_header_and_page_number():
    for name in catalog.DOCUMENTS:
        document = docx.Document(str(catalog.template_path(name)))
        section = document.sections[0]
        assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(0.5)
        assert Mm(19) < section.left_margin < Mm(26) and Mm(19) < section.top_margin < Mm(26)
        fonts = {s.name: s.element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") for s in document.styles
            if s.name in ("Normal", "Heading 1", "Heading 2")}
        assert fonts == {"Normal": catalog.MINCHO, "Heading 1": catalog.GOTHIC, "Heading 2": catalog.GOTHIC}
        if name == catalog.BOOKLET:
            continue  # the binder lays the booklet's page numbers on
        assert "{{ program_name }}" in section.header.paragraphs[0].text
        assert " PAGE " in section.footer._element.xml
    business = docx.Document(str(catalog.template_path(catalog.BUSINESS_REPORT)))
    assert " TOC " in business.element.xml  # the 目次 is a Word TOC field
    assert "updateFields" in business.settings.element.xml


# ------------------------------------------------------------------------------------------------ figures

def test_plan_shows_the_company_figures_in_their_cells(demo):
    program, plans, *_ = demo
    kpi = compute_kpis(program)
    company = program.companies[0]
    path = named(plans, f"改善活動計画書_{company.company_id}_")
    text = text_of(path)
    assert "クラウドサービス活用" in text and "（令和7年度〜令和9年度）" in text and company.name in text
    services = rows_of(table_with(path, "サービス名", "利用回数"))
    uses, decision, annual = (services[0].index(h) for h in ("利用回数", "継続判断", "年間費用（継続時）"))
    assert services[-1][0] == "合計" and services[-1][uses] == f"{kpi.usage.by_company[company.company_id]:,}回"
    by_service = kpi.usage.by_company_service[company.company_id]
    kept = 0
    for row in services[1:-1]:
        sid = next(s.service_id for s in program.services if s.name == row[0])
        assert row[uses] == f"{by_service.get(sid, 0):,}回"
        # This year's result per service: the decision and, when kept, 月額費用 × 12 (the demo's C01 keeps all).
        subs = [s for s in program.subscriptions if s.company_id == company.company_id and s.service_id == sid]
        assert row[decision] == "継続" == subs[0].decision
        assert row[annual] == f"{sum(s.monthly_fee for s in subs) * 12:,}円"
        kept += sum(s.monthly_fee for s in subs) * 12
    assert services[-1][annual] == f"{kept:,}円"
    p = kpi.productivity.by_company[company.company_id]
    productivity = rows_of(table_with(path, "区分", "労働生産性"))
    assert productivity[1][0] == "基準" and productivity[1][2] == formats.yen(p.base_value_added)
    assert productivity[2][4].startswith(f"{round(p.actual):,}円/")
    for year in ("（1）令和7年度", "（2）令和8年度", "（3）令和9年度"):
        assert year in text
    for words in (company.effects, company.future_issues):  # staff's words, in full
        assert formats.free_text(words) in text
    assert "2025年" not in text and "令和7年12月" in text  # plan timings typed as 2025年12月


def test_budget_report_rows_match_compute_budget(demo):
    program, _, reports, _ = demo
    budget = compute_budget(program)
    rows = rows_of(table_with(named(reports, "予算執行状況報告書"), "企業名", "（1）クラウドサービス経費"))
    body = {r[0]: r for r in rows[1:-1]}
    assert len(body) == len(program.companies)
    for b in budget.companies.values():
        row = body[b.name]
        assert row[1] == formats.yen(b.cloud_service)
        assert row[2] == formats.yen(b.setup_support) and row[3] == formats.yen(b.consulting_support)
        assert row[4] == formats.yen(b.total)
        assert row[5].startswith(formats.yen(b.cap)) and row[5].endswith("＊") == b.cap_overridden
        assert row[7] == {"ok": "適正", "warning": "警告", "plan_over": "超過見込", "over": "超過"}[b.status]
    assert rows[-1][1] == formats.yen(sum(b.cloud_service for b in budget.companies.values()))
    totals = rows_of(table_with(named(reports, "予算執行状況報告書"), "費目", "構成比"))
    assert totals[-1][:2] == ["合計", formats.yen(budget.grand_total)]
    assert any(r[1] == formats.yen(budget.common) for r in totals)


def test_kpi_report_shows_usage_and_productivity(demo):
    program, _, reports, _ = demo
    kpi = compute_kpis(program)
    path = named(reports, "KPI実績報告書")
    usage = rows_of(table_with(path, "企業ID", "利用回数"))
    assert {r[0]: r[2] for r in usage[1:-1]} == {c: f"{n:,}回" for c, n in kpi.usage.by_company.items()}
    assert usage[-1][2] == f"{kpi.usage.total:,}回"
    services = rows_of(table_with(path, "サービスID", "利用回数"))
    # One row per service and 利用領域: C07 uses SV30 (業務自動化) in 情報管理 too, a row of its own.
    uses: dict[str, int] = {}
    for r in services[1:-1]:
        uses[r[0]] = uses.get(r[0], 0) + int(r[3].rstrip("回").replace(",", ""))
    assert uses == dict(kpi.usage.by_service)
    assert [r[2] for r in services if r[0] == "SV30"] == ["業務自動化", "業務自動化／情報管理"]
    text = text_of(path)
    assert formats.pct(kpi.productivity.average_change_pct, signed=True) in text
    assert "同じ日に複数の" in text  # the counting rule is stated
    assert f"{kpi.usage.total:,}日" not in text and "1,000日" not in text  # KPI 1 is in 回, never 日
    # 付加価値額 and 労働投入量 for both periods, so a reader can check each figure
    rows = rows_of(table_with(path, "付加価値額", "労働投入量", "変化率"))
    for cid, p in kpi.productivity.by_company.items():
        base = next(i for i, r in enumerate(rows) if r[0].startswith(cid + " "))
        assert rows[base][1:5] == ["基準", formats.reiwa(p.base_period_end), formats.yen(p.base_value_added),
                                   rows[base][4]]
        assert rows[base + 1][3] == formats.yen(p.actual_value_added)
        # The change, and 達成 at the per-company target (+1.0 %) or above, else 未達.
        assert rows[base + 1][6] == formats.pct(p.change_pct, signed=True) + ("\n達成" if p.change_pct >= 1.0
                                                                              else "\n未達")
    # a fall is explained, company by company
    drops = [program.company_map[c].name for c, p in kpi.productivity.by_company.items() if p.change_pct < -0.05]
    assert drops and all(f"{name}（△" in text for name in drops)
    missing = rows_of(table_with(path, "企業名", "理由"))
    names_ = program.company_map
    assert [r[0] for r in missing[1:]] == [names_[c].name for c in kpi.productivity.missing]
    assert all(r[1].startswith(kpi.productivity.missing_reasons[c])
               for r, c in zip(missing[1:], kpi.productivity.missing))
    # The demo's C02 closes in June: its 実績 year ends 2026-06-30, its 決算書 is due by the end of August.
    assert missing[1][1].endswith("。実績期の決算書は令和8年8月末までに提出の見込み")


def test_business_report_and_support_log_and_minutes(demo):
    program, _, reports, _ = demo
    kpi = compute_kpis(program)
    business = text_of(named(reports, "委託業務報告書"))
    for heading in ("1　業務概要", "2　実施内容", "3　実績と効果", "4　検証", "5　予算執行状況の概要", "6　課題と今後の展開",
                    "目　次"):
        assert heading in business
    assert f"全社合計{kpi.usage.total:,}回" in business and "目標の1,000回" in business
    for heading in ("7　総括", "付録　成果品一覧", "（1）事業の運営で見えた課題", "（2）支援企業の今後の課題と展開"):
        assert heading in business
    for event in program.events:  # what happened and what participants said
        assert event.content in business and event.outcomes in business
    for company in program.companies:
        assert formats.free_text(company.effects) in business and formats.free_text(company.future_issues) in business
    for issue in program.issues:  # the 課題 register feeds 6(1) (the minutes' 課題・対応 only without one)
        assert formats.free_text(issue.content) in business
    assert "労働生産性の低下は、" in business  # the drops are explained
    budget = compute_budget(program)
    assert formats.yen(program.settings.contract_sum) in business
    assert formats.yen(program.settings.contract_sum - budget.grand_total) in business
    log = named(reports, "支援記録簿")
    totals = rows_of(table_with(log, "企業名", "対面", "時間"))
    assert totals[-1][4] == f"{len(program.support):,}回"
    first = program.companies[0]
    records = sorted((r for r in program.support if r.company_id == first.company_id), key=lambda r: r.date)
    table = rows_of(table_with(log, "支援日", "提供資料"))
    # Ordered by date; under the day, the visit's times when recorded (10:00〜12:00); under the materials, who at
    # the company confirmed the record.
    assert [r[0] for r in table[1:-1]] == [
        formats.reiwa(r.date) + (f"\n{r.start_time}〜{r.end_time}" if r.start_time else "") for r in records]
    assert [r[5].split("\n")[-1] for r in table[1:-1]] == [f"企業確認：{formats.free_text(r.confirmed_by)}"
                                                           for r in records]
    minutes = [p for p in reports if p.name.startswith("会議記録_")]
    assert len(minutes) == len(program.meetings)
    meeting = min(program.meetings, key=lambda m: m.date)
    text = text_of(minutes[0])
    assert formats.reiwa(meeting.date) in text and meeting.agenda in text and "第1回" in text
    assert f"（{formats.reiwa(meeting.written_on)}）" in text  # 作成日 of the minutes, not the document date
    for label in ("開催日時", "形式", "出席者", "議題", "報告事項", "決定事項", "課題・対応", "次回予定"):
        assert label in text


def test_reports_embed_the_charts_once_drawn(demo):
    program, _, reports, _ = demo
    with zipfile.ZipFile(named(reports, "KPI実績報告書")) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    # By company (20 bars), by service (30), productivity (19 measured), in parts of at most 9 bars:
    # 3 + 4 + 3 pictures.
    assert len(media) == 10
    budget, kpi = compute_budget(program), compute_kpis(program)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Japanese glyph is a warning: make it fail
        pngs = draw(chart_jobs(program, budget, kpi))
    from PIL import Image

    for name, png in pngs.items():
        image = Image.open(io.BytesIO(png))
        assert round(image.info["dpi"][0]) == 200, name
        assert image.mode == "RGB" and len(image.resize((40, 40)).getcolors(1600)) > 3  # colour, not blank


# ------------------------------------------------------------------------------------------------ awkward input

def test_a_name_with_ampersand_and_angle_brackets_survives(small):
    _, out, plans, reports = small
    plan = named(plans, "改善活動計画書_C01_")
    assert TRICKY in text_of(plan)
    with zipfile.ZipFile(plan) as z:
        assert "A&amp;B &lt;テスト&gt;" in z.read("word/document.xml").decode()
    assert TRICKY in text_of(named(reports, "支援記録簿"))
    assert TRICKY in text_of(named(reports, "予算執行状況報告書"))


def test_a_company_without_records_gets_sentences_not_empty_tables(small):
    _, _, plans, reports = small
    text = text_of(named(plans, "改善活動計画書_C02_"))
    assert "この企業の支援記録はまだありません。" in text
    assert "導入したクラウドサービスの記録はまだありません。" in text
    assert "現状と課題はまだ記入されていません。" in text
    assert "労働生産性はまだ算定できません" in text
    assert "令和9年度の計画はまだ策定されていません。" in text_of(named(plans, "改善活動計画書_C01_"))
    document = docx.Document(str(named(plans, "改善活動計画書_C02_")))
    assert not any(t for t in document.tables if [c.text for c in t.rows[0].cells][0] == "サービス名")
    log = text_of(named(reports, "支援記録簿"))
    assert log.count("この企業の支援記録はまだない。") == 2  # C02 and C03


def test_unsafe_company_names_cannot_leave_the_output_folder(small):
    _, out, plans, _ = small
    evil = named(plans, "改善活動計画書_C03_")
    assert evil.parent == Path(out).resolve()
    assert "/" not in evil.name and "\\" not in evil.name and ".." not in evil.name and "\x07" not in evil.name
    assert names.safe_part("ＡＢＣ／ｄｅｆ") == "ABC_def"
    assert names.safe_part("..") == "無題" and names.safe_part("CON") == "_CON"
    assert len(names.safe_part("長" * 500)) == names.MAX_PART
    with pytest.raises(DocumentError):
        names.inside(out, "../escape.docx")
    # Inside the document the name is kept, without the control character XML cannot hold (Word would refuse
    # the file): document.xml parses and shows the rest of the name.
    with zipfile.ZipFile(evil) as z:
        xml = z.read("word/document.xml")
    from lxml import etree

    assert "出る会社" in "".join(etree.fromstring(xml).itertext()) and b"\x07" not in xml


def test_unknown_company_is_a_japanese_usage_error(small, tmp_path):
    with pytest.raises(UnknownCompany, match="C99") as caught:
        build_plans(small[0], ["C01", "C99"], tmp_path)
    assert isinstance(caught.value, ToolkitError) and caught.value.exit_code == 2
    assert "企業シート" in str(caught.value)
    assert not list(tmp_path.iterdir())  # nothing written when one ID is wrong


def test_selected_plans_and_progress(small, tmp_path):
    messages = []
    written = build_plans(small[0], ["C02"], tmp_path, issued_on=ISSUED, progress=messages.append)
    assert [p.name for p in written] == ["改善活動計画書_C02_株式会社サンプル.docx"]
    assert messages and "改善活動計画書_C02" in messages[0]
    assert formats.reiwa(ISSUED) in text_of(written[0])


def test_all_report_files_open_and_are_named_as_documented(small):
    _, _, _, reports = small
    assert [p.name for p in reports] == ["委託業務報告書.docx", "予算執行状況報告書.docx", "KPI実績報告書.docx",
                                         "支援記録簿.docx", "会議記録_M01_20251015.docx"]
    for path in reports:
        document = docx.Document(str(path))
        assert document.sections[0].header.paragraphs[0].text == "クラウドサービス導入支援業務"
        assert not re.search(r"\{\{|\{%|\}\}", text_of(path)), path.name  # every tag was rendered
    text = text_of(reports[-1])
    assert "令和7年10月15日（水）　14:00〜15:00" in text


def test_an_empty_program_still_renders_every_report(tmp_path):
    settings = Settings(**{s.key: s.default for s in schema.SETTING_ITEMS})
    reports = build_reports(Program(settings), tmp_path, issued_on=ISSUED)
    assert [p.name for p in reports] == ["委託業務報告書.docx", "予算執行状況報告書.docx", "KPI実績報告書.docx",
                                         "支援記録簿.docx"]
    text = text_of(reports[0])
    assert "説明会・ワークショップ及び成果共有会の開催記録はまだない。" in text
    assert "経費の計上はまだない。" in text_of(reports[1])


def test_chart_values_become_inline_images(tmp_path, small):
    png = draw({"x": ("horizontal_bars", (["A社"], [3]), {"xlabel": "日"})})["x"]
    ctx = {**contexts.meeting_context(small[0], small[0].meetings[0], ISSUED, 1)}
    ctx["meeting"] = {**ctx["meeting"], "agenda": Chart((png,), 50)}
    out = render_docx(catalog.template_path(catalog.MINUTES), ctx, tmp_path / "m.docx")
    document = docx.Document(str(out))
    assert len(document.inline_shapes) == 1
    assert abs(document.inline_shapes[0].width - Mm(50)) < Mm(0.1)


# ------------------------------------------------------------------------------------------------ dates, names

def test_the_document_date_is_the_setting_else_the_option_never_the_clock(small, tmp_path):
    program = small[0]
    settled = Program(program.settings._replace(issued_on=date(2026, 3, 27)), *[
        getattr(program, f) for f in ("companies", "services", "subscriptions", "expenses", "support", "usage",
                                      "financials", "plan_items", "events", "attendance", "meetings")])
    written = build_plans(settled, None, tmp_path / "a") + build_reports(settled, tmp_path / "a")
    today = formats.reiwa(date.today())
    for path in written:
        text = text_of(path)
        assert today not in text, path.name
        if not path.name.startswith("会議記録"):
            assert "令和8年3月27日" in text, path.name
    assert "令和8年3月27日現在の執行総額" in text_of(named(written, "予算執行状況報告書"))
    # --date wins over the setting; the minutes keep their own 作成日 when staff filled it
    meeting = settled.meetings[0]._replace(written_on=date(2025, 10, 16))
    dated = Program(settled.settings, settled.companies, meetings=(meeting,))
    reports = build_reports(dated, tmp_path / "b", issued_on=date(2026, 3, 30))
    assert "令和8年3月30日" in text_of(reports[0])
    assert "（令和7年10月16日）" in text_of(named(reports, "会議記録"))
    assert contexts.document_date(Program(program.settings._replace(issued_on=None))) == date.today()


def test_budget_report_states_contract_sum_executed_total_and_balance(small, tmp_path):
    program = small[0]
    with_sum = Program(program.settings._replace(contract_sum=1_000_000), program.companies, program.services,
                       program.subscriptions, program.expenses)
    budget = compute_budget(with_sum)
    text = text_of(named(build_reports(with_sum, tmp_path, issued_on=ISSUED), "予算執行状況報告書"))
    assert "委託料1,000,000円" in text and f"残額は{formats.yen(1_000_000 - budget.grand_total)}" in text
    assert formats.ratio_pct(budget.grand_total / 1_000_000) in text
    without = text_of(named(small[3], "予算執行状況報告書"))
    assert "委託料が設定シートに入力されていないため、残額は記載していない。" in without


def test_ids_that_sanitise_alike_get_distinct_file_names(tmp_path):
    unique = names.UniqueNames()
    got = [unique("会議記録", mid, "20251015") for mid in ("C/01", "C_01", "C:01", "c_01")]
    assert len(set(n.casefold() for n in got)) == 4
    settings = Settings(**{s.key: s.default for s in schema.SETTING_ITEMS})
    meetings = tuple(Meeting(i + 2, mid, date(2025, 10, 15), None, None, "議題", None, None, None, None, None, None)
                     for i, mid in enumerate(("C/01", "C_01", "C:01")))
    written = build_reports(Program(settings, meetings=meetings), tmp_path, issued_on=ISSUED)
    on_disk = [p for p in tmp_path.iterdir() if p.name != LEDGER]  # and the record of what it wrote
    assert len(written) == len(set(written)) == len(on_disk) == 7


def test_long_text_is_never_cut(demo):
    program, plans, *_ = demo
    text = text_of(named(plans, "改善活動計画書_C01_"))
    assert "…" not in text
    from toolkit.documents.charts import LABEL_CELLS, wrap
    from toolkit.japanese import display_width

    label = "C07 株式会社瀬戸内プリントワークス・オカヤマ本社工場"
    assert display_width(label) > LABEL_CELLS  # too wide for one line: the case that used to be cut with …
    top, bottom = wrap(label).split("\n")  # two lines, each within the label width, nothing dropped
    assert max(display_width(top), display_width(bottom)) <= LABEL_CELLS
    assert label in (top + bottom, top + " " + bottom)
    # The plan's highlights quote support acts whole: the first and the last are among them.
    acts = sorted((r for r in program.support if r.company_id == "C01"), key=lambda r: r.date)
    assert len(acts) > 2
    for act in (acts[0], acts[-1]):
        assert formats.free_text(act.content) in text


def test_support_log_rows_stay_with_their_totals():
    """The last two records keep with the 合計 row, so it never starts a page alone; the records before them do
    not, so a company whose records run longer than a page still starts its table under its heading (a chain of
    'keep with next' over every row made LibreOffice push the whole table to the next page)."""
    document = docx.Document(str(catalog.template_path(catalog.SUPPORT_LOG)))
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "支援日")
    loops = [r.cells[0].text for r in table.rows if r.cells[0].text.startswith("{%tr for")]
    assert loops == ["{%tr for r in c.records[:-2] %}", "{%tr for r in c.records[-2:] %}"]
    body, last = [r for r in table.rows if "{{ r.date }}" in r.cells[0].text]
    assert not any(c.paragraphs[0].paragraph_format.keep_with_next for c in body.cells)
    assert all(c.paragraphs[0].paragraph_format.keep_with_next for c in last.cells)
    widths = {c.text: c.width for c in table.rows[0].cells}
    assert widths["支援内容"] > Mm(60) and widths["時間"] >= Mm(14)


def test_no_document_is_made_from_an_absent_sheet(small, tmp_path):
    """A sheet the job reads is missing: plan, report and booklet refuse (exit 1) and write nothing."""
    from toolkit.documents import build_booklet
    from toolkit.errors import MissingInput
    from toolkit.model import Finding

    program = small[0]
    gone = Finding("error", "missing-sheet", schema.SUPPORT_LOG.sheet, None, None, None, "支援記録 シートがありません")
    lacking = Program(program.settings, program.companies, missing={schema.SUPPORT_LOG.sheet: (gone,)})
    for make in (lambda: build_plans(lacking, None, tmp_path), lambda: build_reports(lacking, tmp_path),
                 lambda: build_booklet(lacking, tmp_path)):
        with pytest.raises(MissingInput, match="支援記録 シートがありません") as caught:
            make()
        assert caught.value.exit_code == 1
    assert not list(tmp_path.iterdir())


def test_cli_templates_and_date_options(demo, tmp_path):
    from click.testing import CliRunner

    from toolkit.cli import main

    firm = firm_copy(tmp_path / "firm", catalog.MINUTES, lambda d: d.add_paragraph("以上"))
    workbook = demo[3]
    result = CliRunner().invoke(main, ["report", str(workbook), "--out", str(tmp_path / "out"), "--templates",
                                       str(firm), "--date", "2026-03-30"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    written = sorted(p for p in (tmp_path / "out").iterdir() if p.name != LEDGER)  # the record of what it wrote
    assert f"{len(written)} ファイルを作成しました" in result.output
    assert "令和8年3月30日" in text_of(tmp_path / "out" / "委託業務報告書.docx")
    minutes = docx.Document(str(next(p for p in written if p.name.startswith("会議記録"))))
    assert minutes.paragraphs[-1].text == "以上"  # the firm's own copy of the minutes was used
    help_text = CliRunner().invoke(main, ["booklet", "--help"]).output
    assert "--templates" in help_text and "--date" in help_text


def test_a_chart_is_drawn_once_for_the_same_data(tmp_path, monkeypatch):
    from toolkit.documents import charts

    monkeypatch.setenv("TOOLKIT_CACHE", str(tmp_path))
    jobs = {"x": ("horizontal_bars", (["A社"], [3]), {"xlabel": "利用回数（回）"})}
    first = draw(jobs)
    assert len(list((tmp_path / "charts").glob("*.png"))) == 1
    with monkeypatch.context() as patch:
        patch.setattr(charts, "horizontal_bars", lambda *a, **k: pytest.fail("drawn again for the same data"))
        assert draw(jobs) == first
    draw({"x": ("horizontal_bars", (["A社"], [4]), {"xlabel": "利用回数（回）"})})  # new data: drawn and kept
    assert len(list((tmp_path / "charts").glob("*.png"))) == 2


def test_a_bar_chart_comes_in_even_parts_that_share_one_axis_and_one_legend():
    from toolkit.documents.chart_data import bar_parts

    labels = [f"L{i}" for i in range(20)]
    values = list(range(20))
    assert bar_parts("c", "horizontal_bars", labels[:9], [values[:9]], {"xlabel": "x"}, values[:9]) == {
        "c": ("horizontal_bars", (labels[:9], values[:9]), {"xlabel": "x"})}  # 9 bars: one picture
    jobs = bar_parts("c", "change_bars", labels, [values], {"colours": [f"#{i}" for i in range(20)]}, values,
                     legend=True)
    # 20 bars: 3 parts, 7 + 7 + 6, each with every value (one axis), every label (one label column), its own
    # colours, and the legend on the last only.
    assert list(jobs) == ["c/1", "c/2", "c/3"]
    assert [job[1][0] for job in jobs.values()] == [labels[:7], labels[7:14], labels[14:]]
    assert all(job[2]["scale"] == values and job[2]["margin_labels"] == labels for job in jobs.values())
    assert jobs["c/2"][2]["colours"] == [f"#{i}" for i in range(7, 14)]
    assert [job[2]["legend"] for job in jobs.values()] == [False, False, True]
