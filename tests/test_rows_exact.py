"""Every row rule (validity.py: the rules that decide whether a row may count in a figure) on one small program
built so each rule fires once and its boundary case does not: each finding whole (level, code, sheet, row, column,
value, message), in the order the rules run, written out by hand below; and the rows they leave out."""
from __future__ import annotations

from datetime import date

from builders import write_workbook
from toolkit.load import load_program
from toolkit.model import Finding

ROW_CODES = {"duplicate-id", "reference-left-out", "unknown-company", "unknown-service", "common-with-company",
             "expense-without-company", "refund", "negative-amount", "outside-fiscal-year", "implausible-date",
             "end-before-start", "duplicate-period", "implausible-labour", "missing-labour"}


def _company(cid, name, cap=None):
    return [cid, name, *[None] * 8, 3, cap]


def _sub(sid, company, service, start, end=None, monthly="1,000"):
    return [sid, company, service, "経理", 1, start, end, monthly, "0", "導入済"]


def sheets():
    # 年度 2025: 2025-04-01 to 2026-03-31; plausible dates 2024-04-01 to 2027-03-31.
    return {
        "企業": [_company("C01", "株式会社Ａ"), _company("C02", None),  # no 企業名: the reader leaves C02 out
                 _company("C03", "株式会社Ｃ", 0), _company("C04", "株式会社Ｄ", 1),  # cap 0 is an error, 1 is not
                 _company("C05", "株式会社Ｅ")],
        "サービス": [["S01", "会計", None, "経理", None, "0"], ["S02", "勤怠", None, "人事", None, "-1"]],
        "導入": [_sub("U1", "C01", "S01", "2025/9/1", "2025/9/1"),  # ends the day it starts: fine
                 _sub("U2", "C01", "S01", "2025/9/2", "2025/9/1"),  # ends the day before
                 _sub("U3", "C01", "S01", "2025/9/1", monthly="-1"),
                 _sub("U4", "C09", "S01", "2025/9/1"),
                 _sub("U5", "C01", "S09", "2025/9/1"),
                 _sub("U1", "C01", "S01", "2025/9/1"),  # U1 again
                 _sub("U7", "C02", "S01", "2025/9/1"),  # C02's row has an error
                 _sub("U8", "C01", "S01", "2024/4/1"),  # the first plausible day
                 _sub("U9", "C01", "S01", "2024/3/31")],  # the day before it
        "経費": [["E1", "2025/4/1", "C01", "クラウドサービス経費", "0"],  # 0 yen on the fiscal year's first day
                 ["E2", "2026/3/31", "C01", "クラウドサービス経費", "-1,000", "3月分 返金"],  # a refund, last day
                 ["E3", "2025/5/1", "C01", "クラウドサービス経費", "-1"],
                 ["E4", "2025/5/1", None, "共通経費", "1,000"],
                 ["E5", "2025/5/1", "C01", "共通経費", "1,000"],
                 ["E6", "2025/5/1", None, "クラウドサービス経費", "1,000"],
                 ["E7", "2025/3/31", "C01", "クラウドサービス経費", "100"],
                 ["E8", "2026/4/1", "C01", "クラウドサービス経費", "100"]],
        "決算": [["C01", "基準", "2024/3/31", "100万", "500万", "0", 1],  # 1 worker: enough
                 ["C01", "実績", "2025/3/31", "100万", "500万", "0", 0.5],
                 ["C04", "基準", "2024/3/31", "100万", "500万", "0", None, 100],  # 100 hours: enough
                 ["C04", "実績", "2025/3/31", "100万", "500万", "0", None, 99.5],
                 ["C05", "基準", "2024/3/31", "100万", "500万", "0", 5],
                 ["C05", "基準", "2023/3/31", "100万", "500万", "0", 5],
                 ["C05", "実績", "2025/3/31", "100万", "500万", "0"]],  # neither workers nor hours
    }




def test_every_row_rule_gives_exactly_the_finding_worked_out_here(tmp_path):
    program = load_program(write_workbook(tmp_path / "m.xlsx", sheets()))
    found = [tuple(f) for f in program.findings if f.code in ROW_CODES]
    out = "（この行は集計から除外しました）"
    expected = [
        # _unique_ids
        Finding("error", "duplicate-id", "導入", 7, "導入ID", "U1",
                "導入ID U1 が重複しています（2行目と同じ）。この行は集計から除外しました"),
        # _references, in its table order: 導入's companies, 導入's services
        Finding("error", "unknown-company", "導入", 5, "企業ID", "C09", "企業ID C09 は 企業 シートにありません"),
        Finding("error", "reference-left-out", "導入", 8, "企業ID", "C02",
                "企業ID C02 は 企業 シートの行にエラーがあるため集計から除外されています。企業 シートを直すとこの行も数えられます"),
        Finding("error", "unknown-service", "導入", 6, "サービスID", "S09", "サービスID S09 は サービス シートにありません"),
        # _expense_rules
        Finding("error", "common-with-company", "経費", 6, "企業ID", "C01",
                "共通経費には企業IDを入れません（C01）。企業の経費なら費目を、共通の経費なら企業IDを直してください"),
        Finding("error", "expense-without-company", "経費", 7, "企業ID", None,
                "費目「クラウドサービス経費」の経費には企業IDが必要です（企業IDが空でよいのは共通経費だけです）"),
        # _amount_rules: expenses, then 導入's fees, サービス's prices, 企業's caps
        Finding("warning", "refund", "経費", 3, "金額", -1000,
                "金額 -1,000円 は摘要のとおり返金・取消として差し引きます。確かめてください"),
        Finding("error", "negative-amount", "経費", 4, "金額", -1,
                "金額 -1円 がマイナスです。返金・取消なら摘要に「返金・取消・戻入」のいずれかを書いてください" + out),
        Finding("error", "negative-amount", "導入", 4, "月額費用", -1,
                "月額費用 -1円 はマイナスにできない金額です。入力を確かめてください" + out),
        Finding("error", "negative-amount", "サービス", 3, "単価", -1,
                "単価 -1円 はマイナスにできない金額です。入力を確かめてください" + out),
        Finding("error", "negative-amount", "企業", 4, "経費上限", 0,
                "経費上限 0円 は0 より大きい値です。入力を確かめてください" + out),
        # _fiscal_year
        Finding("error", "outside-fiscal-year", "経費", 8, "計上日", date(2025, 3, 31),
                "計上日 2025/03/31 が2025年度（2025/04/01〜2026/03/31）の外です。この行は集計から除外しました"),
        Finding("error", "outside-fiscal-year", "経費", 9, "計上日", date(2026, 4, 1),
                "計上日 2026/04/01 が2025年度（2025/04/01〜2026/03/31）の外です。この行は集計から除外しました"),
        # _plausible_dates
        Finding("error", "implausible-date", "導入", 10, "開始日", date(2024, 3, 31),
                "開始日 2024/03/31 は2025年度の前後1年（2024/04/01〜2027/03/31）の外です。入力を確かめてください" + out),
        # _subscription_rules
        Finding("error", "end-before-start", "導入", 3, "終了日", date(2025, 9, 1),
                "終了日 2025/09/01 が開始日 2025/09/02 より前です"),
        # _financial_rules, row by row
        Finding("error", "implausible-labour", "決算", 3, "労働者数", 0.5,
                "労働者数が0.5人です。1年間の労働投入量として1人以上が必要です（労働生産性から除外しました）"),
        Finding("error", "implausible-labour", "決算", 5, "総就業時間", 99.5,
                "総就業時間が99.5時間です。1年間の労働投入量として100時間以上が必要です（労働生産性から除外しました）"),
        Finding("error", "duplicate-period", "決算", 6, "区分", "基準",
                "企業 C05 の「基準」の決算が2行あります。1行にしてください（どれを使うか決められないため、労働生産性から除外しました）"),
        Finding("error", "duplicate-period", "決算", 7, "区分", "基準",
                "企業 C05 の「基準」の決算が2行あります。1行にしてください（どれを使うか決められないため、労働生産性から除外しました）"),
        Finding("error", "missing-labour", "決算", 8, "労働者数", None, "労働者数か総就業時間のどちらかが必要です（労働投入量）"),
    ]
    assert found == [tuple(f) for f in expected]
    # The error rows are out of every figure; the warning's row (the refund) and the boundary rows stay in.
    assert [s.subscription_id for s in program.subscriptions] == ["U1", "U8"]
    assert [e.expense_id for e in program.expenses] == ["E1", "E2", "E4"]
    assert [c.company_id for c in program.companies] == ["C01", "C04", "C05"]
    assert [(f.company_id, f.period) for f in program.financials] == [("C01", "基準"), ("C04", "基準")]
