"""compute_kpis' whole result on a small program, worked out by hand from the seed's definitions: usage days on
the period's first and last day and just outside it, a day reported twice, one service in two 利用領域; the
productivity change on workers and on hours, every reason a company cannot be measured, and a 暫定 basis."""
from __future__ import annotations

from datetime import date

import pytest

from builders import write_workbook
from toolkit.errors import MissingInput
from toolkit.kpi import classify_usage, compute_kpis
from toolkit.load import load_program


def _company(cid):
    return [cid, f"株式会社{cid}", *[None] * 8, 12]


def sheets():
    return {
        "企業": [_company(f"C0{i}") for i in range(1, 9)],
        "サービス": [["S01", "会計", None, "経理"], ["S02", "勤怠", None, "人事"]],
        "利用実績": [["C01", "S01", "経理", "2025/8/31"],  # row 2: the day before the period
                    ["C01", "S01", "経理", "2025/9/1"],  # 3: the first day
                    ["C01", "S01", "経理", "2025/9/1", "b@a.example"],  # 4: the same day again
                    ["C01", "S01", "人事", "2025/9/1", None, "Forms"],  # 5: the same service in another 利用領域
                    ["C02", "S02", "人事", "2026/2/28"],  # 6: the last day
                    ["C02", "S02", "人事", "2026/3/1"],  # 7: the day after
                    ["C01", "S01", "経理", "2025/10/15"],  # 8
                    ["C99", "S01", "経理", "2025/10/16"]],  # 9: an unknown company, left out
        "決算": [["C01", "基準", "2024/12/31", "100万", "500万", "0", 10],
                 ["C01", "実績", "2025/12/31", "150万", "500万", "50万", 11],
                 ["C02", "基準", "2024/12/31", "100万", "500万", "0", 10, 20000],
                 ["C02", "実績", "2025/12/31", "130万", "500万", "0", 12, 21000],
                 ["C03", "基準", "2024/12/31", "100万", "500万", "0", 10],
                 ["C04", "実績", "2025/12/31", "100万", "500万", "0", 10],
                 ["C06", "基準", "2024/12/31", "△500万", "500万", "0", 10],
                 ["C06", "実績", "2025/12/31", "100万", "500万", "0", 10],
                 ["C07", "基準", "2024/12/31", "100万", "500万", "0", 10],
                 ["C07", "実績", "2025/12/31", "100万", "500万", "0", None, 2000],
                 ["C08", "基準", "2024/12/31", "100万", "500万", "0", 10],
                 ["C08", "暫定", "2025/12/31", "160万", "500万", "0", 10]],
    }


def test_the_kpis_of_a_small_program_worked_out_by_hand(tmp_path):
    program = load_program(write_workbook(tmp_path / "m.xlsx", sheets(), settings={"利用回数目標": 4}))
    report = compute_kpis(program)
    data = report.as_json()
    # Counted: rows 3, 5 (another 利用領域), 6, 8 = 4, the target exactly: achieved.
    zeros = {f"C0{i}": 0 for i in range(3, 9)}
    assert data["usage"] == {"total": 4, "target": 4, "achieved": True, "by_company": {"C01": 3, "C02": 1, **zeros},
                             "by_service": {"S01": 3, "S02": 1}}
    u = report.usage
    assert u.by_company_service == {"C01": {"S01": 3}, "C02": {"S02": 1}, **{c: {} for c in zeros}}
    assert u.by_company_area == {"C01": {"経理": 2, "人事": 1}, "C02": {"人事": 1}, **{c: {} for c in zeros}}
    assert u.by_month == {(2025, 9): 2, (2025, 10): 1, (2026, 2): 1}
    # S01 in 経理 (rows 3, 8) and 人事 (row 5), each counted; row 5 reported through Forms, the others without 出典.
    assert u.by_service_area == {"S01": {"経理": 2, "人事": 1}, "S02": {"人事": 1}}
    assert u.by_source == {None: 3, "Forms": 1}
    assert data["excluded_rows"] == 1 and data["excluded_by_sheet"] == {"利用実績": 1}

    p = data["productivity"]
    # C01 on workers: 1,000,000 + 5,000,000 + 0 = 6,000,000 / 10 = 600,000 → 1,500,000 + 5,000,000 + 500,000 =
    # 7,000,000 / 11 = 636,363.64: +6.0606 %. C02 on hours (both periods have them): 6,000,000 / 20,000 = 300 →
    # 6,300,000 / 21,000 = 300: 0 %.
    assert p["by_company"] == {
        "C01": {"base": 600000.0, "actual": pytest.approx(636363.6364), "change_pct": pytest.approx(6.060606),
                "basis": "workers", "period_basis": "確定"},
        "C02": {"base": 300.0, "actual": 300.0, "change_pct": 0.0, "basis": "hours", "period_basis": "確定"}}
    assert p["average_change_pct"] == pytest.approx(3.030303) and p["target_pct"] == 1.0 and p["achieved"] is True
    # C08 on its 試算表: 6,000,000 / 10 → 6,600,000 / 10: +10 %; beside the KPI, averaged with it: (6.0606 + 0 + 10) / 3.
    assert p["provisional"] == {"C08": {"base": 600000.0, "actual": 660000.0, "change_pct": pytest.approx(10.0),
                                        "basis": "workers", "period_basis": "暫定"}}
    assert p["average_with_provisional_pct"] == pytest.approx(5.353535)
    assert p["missing"] == ["C03", "C04", "C05", "C06", "C07", "C08"]
    assert p["missing_reasons"] == {
        "C03": "実績期（支援後）の決算がまだありません",
        "C04": "基準期（支援前）の決算がありません",
        "C05": "決算（基準・実績）が入力されていません",
        "C06": "基準期の付加価値額が0円のため増加率を計算できません",  # −5,000,000 + 5,000,000 + 0
        "C07": "基準期と実績期で共通の労働投入量（総就業時間または労働者数）がありません",
        "C08": "実績期（支援後）の決算がまだありません（試算表による暫定値あり）"}
    c01 = report.productivity.by_company["C01"]
    assert (c01.company_id, c01.base_value_added, c01.actual_value_added, c01.base_input, c01.actual_input,
            c01.base_period_end, c01.actual_period_end) == ("C01", 6000000, 7000000, 10, 11, date(2024, 12, 31),
                                                            date(2025, 12, 31))
    assert report.productivity.provisional["C08"].company_id == "C08"


def test_why_each_usage_row_is_counted_or_not(tmp_path):
    program = load_program(write_workbook(tmp_path / "m.xlsx", sheets()))
    counted, skipped = classify_usage(program)
    assert [u.row for u in counted] == [3, 5, 6, 8]
    assert [(u.row, why) for u, why in skipped] == [
        (2, "利用期間（2025/09/01〜2026/02/28）の外"),
        (4, "同じ日の重複（3行目と同じ企業・サービス・利用領域・利用日）"),
        (7, "利用期間（2025/09/01〜2026/02/28）の外")]


def test_kpis_without_their_sheets_are_refused_by_name(tmp_path):
    with pytest.raises(MissingInput) as caught:
        compute_kpis(load_program(write_workbook(tmp_path / "m.xlsx", sheets(), omit=["利用実績"])))
    assert "KPIの集計" in str(caught.value)
