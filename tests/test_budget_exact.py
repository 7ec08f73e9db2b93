"""compute_budget's whole result on a small program, worked out by hand: the contractor-borne rows listed apart
(and every row after them still counted), rows left out per company and per sheet, the cap flags and the
execution rate."""
from __future__ import annotations

import pytest

from builders import write_workbook
from toolkit.budget import compute_budget
from toolkit.errors import MissingInput
from toolkit.load import load_program


def _company(cid, name, cap=None):
    return [cid, name, *[None] * 8, 3, cap]


def sheets():
    return {
        "企業": [_company("C01", "株式会社Ａ"), _company("C02", "株式会社Ｂ", 400000), _company("C03", "株式会社Ｃ", 500000)],
        "サービス": [["S01", "会計", None, "経理"]],
        "導入": [["U1", "C02", "S01", "経理", 1, None, None, "1,000", "0", "導入済"]],  # no 開始日: left out
        "経費": [["E1", "2025/10/1", "C01", "クラウドサービス経費", "100,000"],
                 ["E2", "2025/10/2", "C01", "クラウドサービス経費", "50,000", None, None, "受託者", "M1"],
                 ["E3", "2025/10/3", "C01", "サポート費（コンサル・訪問費用等）", "20,000", None, None, "受託者"],
                 ["E4", "2025/10/4", "C01", "サポート費（設定費用）", "10,000"],  # after the contractor's rows
                 ["E5", "2025/10/5", "C02", "クラウドサービス経費", "=#REF!"],  # left out
                 ["E6", "2025/10/6", "C03", "クラウドサービス経費", "250,000"]],
    }


def test_the_budget_of_a_small_program_worked_out_by_hand(tmp_path):
    report = compute_budget(load_program(write_workbook(tmp_path / "m.xlsx", sheets())))
    data = report.as_json()
    assert data["contractor_borne"] == [
        {"expense_id": "E2", "company": "C01", "line": "クラウドサービス経費", "amount": 50000, "meeting_id": "M1"},
        {"expense_id": "E3", "company": "C01", "line": "サポート費（コンサル・訪問費用等）", "amount": 20000,
         "meeting_id": None}]
    # C01: cloud E1 100,000 (E2 is the contractor's), setup E4 10,000 (counted although it follows the contractor's
    # rows); C02: its only rows are left out (U1 without a start, E5 an Excel error); C03: E6 250,000.
    assert data["companies"] == {
        "C01": {"cloud_service": 100000, "planned_cloud_service": 0, "setup_support": 10000, "consulting_support": 0,
                "total": 110000, "cap": 400000, "status": "ok", "excluded_rows": 0},
        "C02": {"cloud_service": 0, "planned_cloud_service": 0, "setup_support": 0, "consulting_support": 0,
                "total": 0, "cap": 400000, "status": "ok", "excluded_rows": 2},
        "C03": {"cloud_service": 250000, "planned_cloud_service": 0, "setup_support": 0, "consulting_support": 0,
                "total": 250000, "cap": 500000, "status": "ok", "excluded_rows": 0}}
    assert data["grand_total"] == 360000 and data["common"] == 0
    assert data["excluded_rows"] == 2 and data["excluded_by_sheet"] == {"導入": 1, "経費": 1}
    c = report.companies
    assert [b.company_id for b in c.values()] == ["C01", "C02", "C03"]
    # A typed cap equal to the default is no override; an empty one is none either.
    assert (c["C01"].cap_overridden, c["C02"].cap_overridden, c["C03"].cap_overridden) == (False, False, True)
    # 100,000 / 400,000; 0 / 400,000; 250,000 / 500,000.
    assert (c["C01"].execution_rate, c["C02"].execution_rate, c["C03"].execution_rate) == (0.25, 0.0, 0.5)
    assert c["C01"].by_month == {"2025-10": {"クラウドサービス経費": 100000, "サポート費（設定費用）": 10000}}


def test_a_budget_without_its_sheets_is_refused_by_name(tmp_path):
    program = load_program(write_workbook(tmp_path / "m.xlsx", sheets(), omit=["経費"]))
    with pytest.raises(MissingInput) as caught:
        compute_budget(program)
    assert "予算の集計" in str(caught.value) and "経費" in str(caught.value)
