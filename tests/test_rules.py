"""Checks, budget and KPIs on workbooks built in code: each rule once triggered, once not."""
from datetime import date

import pytest

from builders import write_workbook
from toolkit import schema
from toolkit.budget import compute_budget, usage_months
from toolkit.checks import run_checks
from toolkit.kpi import compute_kpis
from toolkit.load import load_program

AREAS = schema.BUSINESS_AREAS


def base_sheets():
    """A small, clean program: two companies, a full catalogue, plans for three years, first visits in person."""
    return {
        "企業": [["C01", "株式会社Ａ"], ["C02", "有限会社Ｂ"]],
        "サービス": [[f"S{i:02d}", f"サービス{i}", None, area] for i, area in enumerate(AREAS, start=1)],
        "導入": [["U1", "C01", "S02", "経理", 1, "2025/9/1", None, "30,000", "0", "導入済"]],
        "経費": [["E1", "2025/10/1", "C01", "クラウドサービス経費", "100,000"]],
        "支援記録": [["R1", "C01", "2025/9/5", "対面"], ["R2", "C01", "2025/10/5", "オンライン"],
                    ["R3", "C02", "2025/9/6", "対面"]],
        "改善計画": [[cid, y, "経理", "請求書の電子化"] for cid in ("C01", "C02") for y in (2025, 2026, 2027)],
        "決算": [],
        "利用実績": [],
    }


def load(tmp_path, **changes):
    sheets = base_sheets()
    settings = changes.pop("settings", None)
    for sheet, rows in changes.items():
        sheets[sheet] = rows
    return load_program(write_workbook(tmp_path / "m.xlsx", sheets, settings=settings))


def codes(program):
    return {(f.level, f.code, f.sheet, f.row, f.column) for f in run_checks(program)}


def test_clean_program_has_no_findings(tmp_path):
    assert run_checks(load(tmp_path)) == ()


# ---------------------------------------------------------------- row rules

def test_duplicate_id_is_an_error_and_second_row_not_counted(tmp_path):
    program = load(tmp_path, 経費=[["E1", "2025/10/1", "C01", "クラウドサービス経費", "100,000"],
                                 ["E1", "2025/10/2", "C01", "クラウドサービス経費", "100,000"]])
    assert ("error", "duplicate-id", "経費", 3, "経費ID") in codes(program)
    assert compute_budget(program).companies["C01"].cloud_service == 100000


@pytest.mark.parametrize("sheet,row,code,column", [
    ("経費", ["E9", "2025/10/1", "C99", "クラウドサービス経費", "1"], "unknown-company", "企業ID"),
    ("利用実績", ["C01", "S99", "経理", "2025/10/1"], "unknown-service", "サービスID"),
    ("出欠", ["E77", None, "山田", None, "出席", None, "手入力"], "unknown-event", "イベントID"),
    ("導入", ["U9", "C09", "S01", "人事", 1, "2025/9/1"], "unknown-company", "企業ID"),
])
def test_unknown_references(tmp_path, sheet, row, code, column):
    program = load(tmp_path, **{sheet: [row]})
    assert ("error", code, sheet, 2, column) in codes(program)


def test_reference_to_a_row_with_errors_is_told_apart(tmp_path):
    program = load(tmp_path, 企業=[["C01", "株式会社Ａ"], ["C02", "有限会社Ｂ", *[None] * 9, "たくさん"]])
    found = codes(program)
    assert ("error", "invalid-value", "企業", 3, "経費上限") in found
    assert ("error", "reference-left-out", "支援記録", 4, "企業ID") in found
    assert not any(c[1] == "unknown-company" for c in found)


def test_unreadable_value_in_a_column_no_figure_uses_warns_and_keeps_the_row(tmp_path):
    program = load(tmp_path, 企業=[["C01", "株式会社Ａ"], ["C02", "有限会社Ｂ", None, None, None, "大勢"]])
    assert ("warning", "invalid-value", "企業", 3, "従業員数") in codes(program)
    assert [c.company_id for c in program.companies] == ["C01", "C02"]
    assert program.companies[1].employees is None


def test_common_expense_rules(tmp_path):
    program = load(tmp_path, 経費=[["E1", "2025/10/1", "C01", "共通経費", "1"],
                                 ["E2", "2025/10/1", None, "サポート費（設定費用）", "1"],
                                 ["E3", "2025/10/1", None, "共通経費", "5,000", "会場費"]])
    found = codes(program)
    assert ("error", "common-with-company", "経費", 2, "企業ID") in found
    assert ("error", "expense-without-company", "経費", 3, "企業ID") in found
    report = compute_budget(program)
    assert report.common == 5000 and report.companies["C01"].setup_support == 0


def test_dates_outside_fiscal_year(tmp_path):
    program = load(tmp_path, 経費=[["E1", "2026/4/1", "C01", "クラウドサービス経費", "100,000"]],
                   会議記録=[["M1", "2025/3/31", None, None, "定例"]])
    found = codes(program)
    assert ("error", "outside-fiscal-year", "経費", 2, "計上日") in found
    assert ("error", "outside-fiscal-year", "会議記録", 2, "開催日") in found
    assert compute_budget(program).companies["C01"].cloud_service == 0


def test_zero_labour_input_is_a_finding_not_a_division_error(tmp_path):
    program = load(tmp_path, 決算=[["C01", "基準", "2025/3/31", "1", "1", "1", 0],
                                 ["C01", "実績", "2026/3/31", "1", "1", "1", 5]])
    assert ("error", "implausible-labour", "決算", 2, "労働者数") in codes(program)
    kpis = compute_kpis(program)
    assert "C01" in kpis.productivity.missing


# ---------------------------------------------------------------- program rules

def test_cap_override_needs_agreement(tmp_path):
    program = load(tmp_path, 企業=[["C01", "株式会社Ａ", *[None] * 9, "450,000"],
                                 ["C02", "有限会社Ｂ", *[None] * 9, "450,000", "第3回定例で合意"]])
    found = codes(program)
    assert ("warning", "cap-without-agreement", "企業", 2, "上限変更の協議記録") in found
    assert not any(c[3] == 3 and c[1] == "cap-without-agreement" for c in found)
    assert compute_budget(program).companies["C02"].cap == 450000


def test_catalogue_must_cover_every_area(tmp_path):
    services = [[f"S{i:02d}", f"サービス{i}", None, area] for i, area in enumerate(AREAS[:-1], start=1)]
    found = run_checks(load(tmp_path, サービス=services, 導入=[]))
    assert [(f.code, f.value) for f in found] == [("catalogue-missing-area", "業務自動化")]


def test_first_support_must_be_in_person(tmp_path):
    program = load(tmp_path, 支援記録=[["R1", "C01", "2025/10/5", "対面"], ["R2", "C01", "2025/9/5", "オンライン"],
                                   ["R3", "C02", "2025/9/6", "対面"]])
    assert {(c[1], c[3]) for c in codes(program)} == {("first-visit-not-in-person", 3)}


def test_plan_needs_three_years(tmp_path):
    plans = [[cid, y, "経理", "x"] for cid in ("C01", "C02") for y in (2025, 2026)]
    found = run_checks(load(tmp_path, 改善計画=plans))
    assert sorted((f.code, f.value) for f in found) == [("plan-year-missing", 2027)] * 2


def test_usage_outside_period_is_warned_and_not_counted(tmp_path):
    program = load(tmp_path, 利用実績=[["C01", "S02", "経理", "2025/8/31"], ["C01", "S02", "経理", "2025/9/1"]])
    assert ("warning", "usage-outside-period", "利用実績", 2, "利用日") in codes(program)
    assert compute_kpis(program).usage.total == 1


# ---------------------------------------------------------------- budget

def test_usage_months_are_calendar_months_inclusive():
    assert usage_months(date(2025, 9, 15), date(2026, 2, 28)) == 6
    assert usage_months(date(2025, 9, 30), date(2025, 9, 30)) == 1
    assert usage_months(date(2025, 10, 1), date(2025, 9, 30)) == 0


@pytest.mark.parametrize("actual,monthly,status,code", [
    ("100,000", "30,000", "ok", None),                       # plan 180,000
    ("361,000", "30,000", "warning", "budget-warning"),      # actual over 90 %
    ("100,000", "61,000", "warning", "budget-warning"),      # plan 366,000 over 90 %
    ("100,000", "70,000", "plan_over", "budget-plan-over"),  # plan 420,000 over cap
    ("400,001", "30,000", "over", "budget-over"),            # actual over cap
    ("400,000", "30,000", "warning", "budget-warning"),      # exactly the cap is not over
])
def test_budget_status(tmp_path, actual, monthly, status, code):
    program = load(tmp_path, 経費=[["E1", "2025/10/1", "C01", "クラウドサービス経費", actual]],
                   導入=[["U1", "C01", "S02", "経理", 1, "2025/9/1", None, monthly, "0", "導入済"]])
    assert compute_budget(program).companies["C01"].status == status
    found = {c[1] for c in codes(program) if c[1].startswith("budget")}
    assert found == ({code} if code else set())


def test_budget_figures_and_json_shape(tmp_path):
    program = load(tmp_path, 経費=[
        ["E1", "2025/10/1", "C01", "クラウドサービス経費", "１２万円"],
        ["E2", "R7.11.1", "C01", "クラウドサービス経費", "¥30,000"],
        ["E3", "2025/10/3", "C01", "サポート費(設定費用)", "50,000円"],
        ["E4", "2025/10/3", "C02", "サポート費（コンサル・訪問費用等）", "20,000"],
        ["E5", "2025/9/20", None, "共通経費", "100,000", "会場費"],
        ["E6", "2025/9/21", None, "共通経費", "8,000", "会場費"],
        ["E7", "2025/9/21", None, "共通経費", "2,000"],
    ], 導入=[["U1", "C01", "S02", "経理", 1, "2025/9/15", "2026/1/10", "30,000", "10,000", "導入済"],
            ["U2", "C01", "S03", "人事", 1, "2025/9/15", None, "99,000", "0", "中止"],
            ["U3", "C02", "S03", "人事", 1, "2025/11/1", None, "10,000", None, "検証中"]])
    data = compute_budget(program).as_json()
    assert data["cap_default"] == 400000
    assert data["companies"]["C01"] == {"cloud_service": 150000, "planned_cloud_service": 10000 + 30000 * 5,
                                        "setup_support": 50000, "consulting_support": 0, "total": 200000,
                                        "cap": 400000, "status": "ok", "excluded_rows": 0}
    assert data["excluded_rows"] == 0 and data["excluded_by_sheet"] == {}
    assert data["companies"]["C02"]["planned_cloud_service"] == 40000
    assert data["companies"]["C02"]["total"] == 20000
    assert data["common"] == 110000
    assert data["grand_total"] == 200000 + 20000 + 110000
    assert data["common_items"] == [{"description": "会場費", "amount": 108000},
                                    {"description": "（摘要なし）", "amount": 2000}]
    assert data["by_month"]["2025-10"] == {"クラウドサービス経費": 120000, "サポート費（設定費用）": 50000,
                                           "サポート費（コンサル・訪問費用等）": 20000}


# ---------------------------------------------------------------- KPIs

def test_usage_counts_distinct_days_per_area(tmp_path):
    program = load(tmp_path, 利用実績=[
        ["C01", "S02", "経理", "2025/9/2", "a"],
        ["C01", "S02", "経理", "R7.9.2", "b"],          # same day, other account: once
        ["C01", "S02", "人事", "2025/9/2"],             # same service, other area: counts
        ["C01", "S02", "経理", "2025/9/3"],
        ["C02", "S02", "経理", "2025/9/2"],
        ["C01", "S02", "経理", "2026/3/1"],             # outside the period
        ["C01", "S02", "経理", "いつか"],               # unreadable: error, not counted
        ["C09", "S02", "経理", "2025/9/4"],             # unknown company: error, not counted
    ])
    usage = compute_kpis(program).usage
    assert (usage.total, usage.by_company, usage.by_service["S02"]) == (4, {"C01": 3, "C02": 1}, 4)
    assert usage.by_company_area["C01"] == {"経理": 2, "人事": 1}
    assert not usage.achieved


def test_usage_target_from_settings(tmp_path):
    program = load(tmp_path, settings={"利用回数目標": 2},
                   利用実績=[["C01", "S02", "経理", f"2025/9/{d}"] for d in (1, 2)])
    assert compute_kpis(program).usage.achieved


def test_productivity_hours_when_both_periods_have_them_else_workers(tmp_path):
    program = load(tmp_path, 決算=[
        # C01: value added 10,000,000 → 11,000,000; hours 20,000 → 20,000: +10 %
        ["C01", "基準", "2025/3/31", "1,000,000", "8,000,000", "1,000,000", 10, 20000],
        ["C01", "実績", "2026/3/31", "2,000,000", "8,000,000", "1,000,000", 12, 20000],
        # C02: hours only in one period → workers: 9,000,000/10 → 9,900,000/10 = +10 %... use a loss base
        ["C02", "基準", "2025/6/30", "△2,000,000", "10,000,000", "1,000,000", 10, 15000],
        ["C02", "実績", "2026/6/30", "△1,000,000", "10,000,000", "1,000,000", 11],
    ])
    p = compute_kpis(program).productivity
    c1, c2 = p.by_company["C01"], p.by_company["C02"]
    assert (c1.basis, c1.base, c1.actual) == ("hours", 500.0, 550.0)
    assert c1.change_pct == pytest.approx(10.0)
    assert c2.basis == "workers"
    assert (c2.base, c2.actual) == (900000.0, 1000000.0 / 1.1 * 1.0)
    assert c2.change_pct == pytest.approx((1000000 / 1.1 - 900000) / 900000 * 100)
    assert p.average_change_pct == pytest.approx((c1.change_pct + c2.change_pct) / 2)
    assert p.missing == []


def test_productivity_missing_companies_with_reasons(tmp_path):
    program = load(tmp_path, 決算=[["C01", "基準", "2025/3/31", "1", "1", "1", 1],
                                 ["C01", "基準", "2025/3/31", "1", "1", "1", 1]])
    p = compute_kpis(program).productivity
    assert p.missing == ["C01", "C02"] and p.average_change_pct is None and not p.achieved
    assert "実績" in p.missing_reasons["C01"] or "基準" in p.missing_reasons["C01"]
    assert ("error", "duplicate-period", "決算", 2, "区分") in codes(program)


def test_kpi_json_shape(tmp_path):
    program = load(tmp_path, 利用実績=[["C01", "S02", "経理", "2025/9/2"]], 決算=[
        ["C01", "基準", "2025/3/31", "1,000,000", "8,000,000", "1,000,000", 10],
        ["C01", "実績", "2026/3/31", "1,100,000", "8,000,000", "1,000,000", 10]])
    data = compute_kpis(program).as_json()
    assert data["fiscal_year"] == 2025
    assert data["usage"] == {"total": 1, "target": 1000, "achieved": False, "by_company": {"C01": 1, "C02": 0},
                             "by_service": {f"S{i:02d}": int(i == 2) for i in range(1, 11)}}
    prod = data["productivity"]
    assert prod["by_company"]["C01"] == {"base": 1000000.0, "actual": 1010000.0, "change_pct": pytest.approx(1.0),
                                         "basis": "workers", "period_basis": "確定"}
    assert prod["missing"] == ["C02"] and prod["achieved"] is True and prod["target_pct"] == 1.0


def test_reader_leaves_rows_the_row_rules_reject_out_once(tmp_path):
    program = load(tmp_path, 経費=[["E1", "2025/10/1", "C09", "クラウドサービス経費", "1"],
                                 ["E2", "2025/10/1", "C01", "クラウドサービス経費", "1"]])
    assert [e.expense_id for e in program.expenses] == ["E2"]
    assert [e.expense_id for e in program.rejected["経費"]] == ["E1"]
    assert [f.code for f in program.findings if f.sheet == "経費"] == ["unknown-company"]
    assert compute_budget(program).excluded_rows == 1


# ---------------------------------------------------------------- plausibility (issue 19 item 2)

def _settings_program(*rows):
    from toolkit.load import build_program

    return build_program({"設定": [["項目", "値"], *rows]})


def _setting_findings(program):
    return {(f.level, f.code, f.row) for f in program.findings if f.sheet == "設定"}


@pytest.mark.parametrize("item, typed", [("利用回数目標", 0), ("利用回数目標", -5), ("経費上限（1社あたり）", 0),
                                         ("上限警告割合", 250), ("上限警告割合", "0%")])
def test_an_implausible_setting_is_an_error_and_refuses_the_figures(item, typed):
    from toolkit.errors import MissingInput

    program = _settings_program([item, typed])
    assert ("error", "invalid-setting", 2) in _setting_findings(program)
    with pytest.raises(MissingInput):
        program.require([schema.SETTINGS], "集計")  # never "achieved" with a target of 0, never a share of 2.5


@pytest.mark.parametrize("typed", [90, "90", "90%", "９０％"])
def test_a_ratio_typed_as_a_percentage_is_read_as_that_share_with_a_note(typed):
    program = _settings_program(["上限警告割合", typed])
    assert program.settings.warn_ratio == pytest.approx(0.9)
    assert _setting_findings(program) == {("warning", "ratio-as-percent", 2)}


def test_a_setting_typed_twice_is_an_error_naming_both_rows_and_neither_is_used():
    program = _settings_program(["経費上限（1社あたり）", 400000], ["利用回数目標", 900],
                                ["経費上限（1社あたり）", 4000000])
    finding = next(f for f in program.findings if f.code == "duplicate-setting")
    assert (finding.level, finding.row) == ("error", 4) and "2行目と4行目" in finding.message
    assert "設定" in program.missing  # the cap of a 4,000,000 typo would hide an over-cap error: refused
    assert program.settings.usage_target == 900  # the other settings are read as typed


def test_a_negative_expense_counts_only_as_a_refund_named_in_the_description(tmp_path):
    rows = [["E1", "2025/10/1", "C01", "クラウドサービス経費", "100,000"],
            ["E2", "2025/10/2", "C01", "クラウドサービス経費", "△5,000"],
            ["E3", "2025/10/3", "C01", "クラウドサービス経費", "-3,000", "請求の取消（10月分）"]]
    program = load(tmp_path, 経費=rows)
    found = codes(program)
    assert ("error", "negative-amount", "経費", 3, "金額") in found  # no reason given: left out
    assert ("warning", "refund", "経費", 4, "金額") in found
    assert compute_budget(program).companies["C01"].cloud_service == 100000 - 3000  # 97,000: the refund counts


@pytest.mark.parametrize("typed, fragment", [("11.000", "11,000 円ですか"), ("$22,000", "円以外の通貨"),
                                             ("US$1,200", "円以外の通貨"), ("€300", "円以外の通貨")])
def test_an_amount_never_read_as_something_else(tmp_path, typed, fragment):
    program = load(tmp_path, 経費=[["E1", "2025/10/1", "C01", "クラウドサービス経費", typed]])
    finding = next(f for f in program.findings if f.sheet == "経費" and f.column == "金額")
    assert (finding.level, finding.code, finding.row) == ("error", "invalid-value", 2) and fragment in finding.message
    assert compute_budget(program).companies["C01"].cloud_service == 0  # the row is out, and check says why


def test_a_negative_monthly_fee_is_an_error_not_a_discount(tmp_path):
    program = load(tmp_path, 導入=[["U1", "C01", "S02", "経理", 1, "2025/9/1", None, "-30,000", "0", "導入済"]])
    assert ("error", "negative-amount", "導入", 2, "月額費用") in codes(program)
    assert compute_budget(program).companies["C01"].planned_cloud_service == 0


@pytest.mark.parametrize("start", ["9999/12/31", "1900/1/1", "2024/3/31", "2027/4/1"])
def test_a_subscription_date_beyond_the_fiscal_year_and_a_year_is_an_error(tmp_path, start):
    program = load(tmp_path, 導入=[["U1", "C01", "S02", "経理", 1, start, None, "30,000", "0", "導入済"]])
    assert ("error", "implausible-date", "導入", 2, "開始日") in codes(program)
    assert compute_budget(program).companies["C01"].planned_cloud_service == 0  # not 0 or 1,500 months


def test_dates_a_year_either_side_are_still_read(tmp_path):
    # FY2025 ± 1 = 2024-04-01 … 2027-03-31: a subscription from 2024-04-01 to 2025-09-30 is 18 months.
    program = load(tmp_path, 導入=[["U1", "C01", "S02", "経理", 1, "2024/4/1", "2025/9/30", "1,000", "0", "導入済"]])
    assert not any(f.code == "implausible-date" for f in program.findings)
    assert compute_budget(program).companies["C01"].planned_cloud_service == 18 * 1000


def test_labour_input_must_be_plausible_and_a_big_change_is_questioned(tmp_path):
    tiny = load(tmp_path, 決算=[["C01", "基準", "2025/3/31", "1,000万", "500万", "100万", 0.001],
                             ["C01", "実績", "2026/3/31", "1,000万", "500万", "100万", 10]])
    assert ("error", "implausible-labour", "決算", 2, "労働者数") in codes(tiny)
    assert "C01" in compute_kpis(tiny).productivity.missing  # never a swing of millions of per cent
    hours = load(tmp_path, 決算=[["C01", "基準", "2025/3/31", "1", "1", "1", None, 99]])
    assert ("error", "implausible-labour", "決算", 2, "総就業時間") in codes(hours)
    tripled = load(tmp_path, 決算=[["C01", "基準", "2025/3/31", "1,000万", "500万", "100万", 10],
                                ["C01", "実績", "2026/3/31", "1,000万", "500万", "100万", 30]])
    assert ("warning", "labour-change", "決算", 3, "労働者数") in codes(tripled)
    doubled = load(tmp_path, 決算=[["C01", "基準", "2025/3/31", "1,000万", "500万", "100万", 10],
                                ["C01", "実績", "2026/3/31", "1,000万", "500万", "100万", 20]])
    assert not any(f.code == "labour-change" for f in run_checks(doubled))  # ×2 exactly is within the bound


def test_budget_thresholds_are_strict_and_sums_add(tmp_path):
    """workbook.md: 実績 above the cap is an error, 計画額 above it a warning, either above 上限警告割合 × cap a
    warning: 'above' is strict. Figures by hand with the default cap 400,000 and share 0.9 (360,000)."""
    from toolkit.budget import status_of

    assert status_of(400_000, 400_000, 400_000, 0.9) == "warning"  # equal to the cap is not over it
    assert status_of(400_001, 0, 400_000, 0.9) == "over"
    assert status_of(0, 400_001, 400_000, 0.9) == "plan_over"
    assert status_of(360_000, 360_000, 400_000, 0.9) == "ok"  # equal to 90 % is not above it
    assert status_of(360_001, 0, 400_000, 0.9) == "warning" and status_of(0, 360_001, 400_000, 0.9) == "warning"
    # Two amounts in one month add up (E1 + E9 in October: 100,000 + 20,000); a subscription without 月額費用
    # plans its 初期費用 only (10,000), whatever its months.
    program = load(tmp_path, 経費=[["E1", "2025/10/1", "C01", "クラウドサービス経費", "100,000"],
                                 ["E9", "2025/10/20", "C01", "クラウドサービス経費", "20,000"]],
                   導入=[["U1", "C01", "S02", "経理", 1, "2025/9/1", None, None, "10,000", "導入済"]])
    budget = compute_budget(program)
    assert budget.companies["C01"].by_month == {"2025-10": {"クラウドサービス経費": 120_000}}
    assert budget.by_month == {"2025-10": {"クラウドサービス経費": 120_000}}
    assert budget.companies["C01"].planned_cloud_service == 10_000


def test_a_provisional_period_is_reported_beside_the_kpi_never_in_its_place(tmp_path):
    # C01: 基準 (1,000万 + 500万 + 100万) / 10 = 160万; 実績 (1,100万 + 500万 + 100万) / 10 = 170万 → +6.25 %.
    # C02: no 実績 yet; its 暫定 (試算表) (900万 + 500万 + 100万) / 10 = 150万 against 160万 → −6.25 %.
    program = load(tmp_path, 決算=[["C01", "基準", "2025/3/31", "1,000万", "500万", "100万", 10],
                                 ["C01", "実績", "2026/3/31", "1,100万", "500万", "100万", 10],
                                 ["C02", "基準", "2025/3/31", "1,000万", "500万", "100万", 10],
                                 ["C02", "暫定", "2026/1/31", "900万", "500万", "100万", 10]])
    p = compute_kpis(program).productivity
    assert p.average_change_pct == pytest.approx(6.25) and p.achieved  # the KPI: 確定 only
    assert "C02" in p.missing and "暫定値あり" in p.missing_reasons["C02"]
    assert p.provisional["C02"].change_pct == pytest.approx(-6.25)
    assert p.average_with_provisional_pct == pytest.approx(0.0)  # (6.25 − 6.25) / 2
