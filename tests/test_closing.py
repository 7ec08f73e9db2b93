"""The budget report as a closing statement (issue 22): the contractor-borne amount listed apart and out of the
executed total, the fees planned but not booked and the total they lead to, the last month booked in words, the
tax basis under the amount tables and 予算額 / 執行額 / 残額 per 費目. Figures worked out by hand from the rows of
test_status.sheets()."""
from __future__ import annotations

from click.testing import CliRunner

from builders import write_workbook
from test_status import sheets
from test_status_report import document_text
from toolkit.cli import main


def test_the_budget_report_states_what_is_booked_borne_and_still_to_come(tmp_path):
    book = write_workbook(tmp_path / "m.xlsx", sheets(), settings={
        "委託料": 10_000_000, "予算額（クラウドサービス経費）": 1_000_000, "金額の税区分": "税抜"})
    result = CliRunner().invoke(main, ["report", str(book), "--out", str(tmp_path / "out"), "--date", "2026-03-27"])
    assert result.exit_code == 0, result.output
    text = document_text(tmp_path / "out" / "予算執行状況報告書.docx")
    # Executed: E1 40,000 + E2 30,000 + E3 30,000 (C01's cloud) + E5 50,000 + E6 30,000 = 180,000; E4 (100,000,
    # 受託者, decided in M2) is not in it.
    assert "現在の執行総額は180,000円である" in text
    # Unbooked as of 3/27: C01 planned 10,000 + 30,000 × 6 = 190,000, entered 100,000 → 90,000; C02 planned
    # 20,000 + 80,000 × 5 = 420,000, entered 100,000 (its 受託者 row is entered) → 320,000; C03 中止 → 0.
    assert ("このほか、導入の計画のうち経費にまだ計上されていないクラウドサービス経費（未計上見込）が410,000円あり、"
            "これを加えた執行見込総額は590,000円となる。") in text
    # The last (1) is C01's of 2025-12-20: before 利用終了日's month, February 2026.
    assert "クラウドサービス経費は令和7年12月分までの計上であり、令和8年2月分はまだ含まない。" in text
    assert "金額は税抜である。" in text and text.count("金額は税抜。") >= 4
    # 予算額 of (1) only: 1,000,000 − 100,000 = 900,000 left, 10.0 % executed; no row for an empty 予算額.
    assert "（1）クラウドサービス経費|1,000,000円|100,000円|900,000円|10.0%" in text
    assert "（2）サポート費（設定費用）|" not in text.split("費目|予算額")[1].split("金額は税抜。")[0]
    assert "E4|株式会社Ｂ|クラウドサービス経費|100,000円|M2" in text
    assert "受託者が負担するため、執行額及び上限に含めていない（合計100,000円）" in text
    # 別紙: C01's (1) rows in date order with their totals; C02's only (1) row is the contractor's: no C02 part.
    import docx

    document = docx.Document(str(tmp_path / "out" / "予算執行状況報告書.docx"))
    [annex] = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables
               if [c.text for c in t.rows[0].cells] == ["計上日", "摘要", "金額", "証憑番号"]]
    assert annex[1:] == [["令和7年10月31日", "—", "40,000円", "—"], ["令和7年11月30日", "—", "30,000円", "—"],
                         ["令和7年12月20日", "—", "30,000円", "—"], ["合計", "", "100,000円", ""]]
    assert "C01\u3000株式会社Ａ" in text and "C02\u3000株式会社Ｂ" not in text


def test_a_tax_basis_that_is_neither_is_an_error_on_its_cell(tmp_path):
    from toolkit.load import load_program

    program = load_program(write_workbook(tmp_path / "m.xlsx", sheets(), settings={"金額の税区分": "込み"}))
    [finding] = [f for f in program.findings if f.code == "invalid-setting"]
    assert (finding.level, finding.sheet, finding.column, finding.value) == ("error", "設定", "値", "込み")
    assert finding.message == "設定「金額の税区分」: 値「込み」を読めません。税込 か 税抜 を入力してください"
    assert load_program(write_workbook(tmp_path / "n.xlsx", sheets(), settings={"金額の税区分": "外税"})
                        ).settings.tax_basis == "税抜"


def test_a_share_column_adds_up_to_exactly_100_percent():
    from toolkit.documents.formats import shares

    # Thirds: 33.33… each; rounded alone they print 33.3 × 3 = 99.9. The tenth lost goes to the first of the
    # equal remainders: 33.4 + 33.3 + 33.3 = 100.0.
    assert shares([1, 1, 1]) == ["33.4%", "33.3%", "33.3%"]
    # 1/6 = 16.666… → 16.7 and 5/6 = 83.333… → 83.3: both already add to 100.0, nothing moves.
    assert shares([1, 5]) == ["16.7%", "83.3%"]
    # 2.46 %, 2.46 %, 95.08 % of 10,000 yen (246 + 246 + 9,508): tenths 24.6, 24.6, 950.8 → 24, 24, 950 = 998 and
    # the two largest remainders (.8 and a .6) take the two tenths: 2.5, 2.4, 95.1.
    assert shares([246, 246, 9508]) == ["2.5%", "2.4%", "95.1%"]
    assert shares([0, 0]) == ["—", "—"] and shares([5, 0]) == ["100.0%", "0.0%"]
