"""Every program rule of `toolkit check` (workbook.md, "Rules the checks enforce") on one small program built so
each rule fires once and its boundary case does not: the whole finding (level, code, sheet, row, column, value,
message) and the order check lists them in, written out by hand below."""
from __future__ import annotations

from datetime import date

from builders import write_workbook
from toolkit import schema
from toolkit.checks import counts, run_checks
from toolkit.load import load_program
from toolkit.model import Finding

AREAS = schema.BUSINESS_AREAS
PROGRAM_CODES = {"cap-without-agreement", "catalogue-missing-area", "first-visit-not-in-person", "plan-year-missing",
                 "usage-outside-period", "financial-order", "next-before-visit", "issue-without-due",
                 "labour-change", "budget-over", "budget-plan-over", "budget-warning"}


def _company(cid, name, closing, cap=None, agreement=None):
    return [cid, name, *[None] * 8, closing, cap, agreement]


def sheets():
    return {
        # Defaults (設定): cap 400,000, warning above 90 %, fiscal year 2025, usage 2025-09-01 to 2026-02-28.
        "企業": [_company("C01", "株式会社Ａ", 3),
                 _company("C02", "株式会社Ｂ", 12, 450000),  # raised without an agreement: a warning
                 _company("C03", "株式会社Ｃ", 9, 400000),  # typed, equal to the default: no agreement needed
                 _company("C04", "株式会社Ｄ", 9, 300000, "第2回会議で合意")],
        # Every 業務分類 but the last has a service.
        "サービス": [[f"S{i:02d}", f"サービス{i}", None, area] for i, area in enumerate(AREAS[:-1], start=1)],
        "導入": [["U1", "C01", "S01", AREAS[0], 1, "2025/9/1", None, "0", "400,000", "導入済"],  # plan = cap
                 ["U2", "C03", "S01", AREAS[0], 1, "2025/9/1", None, "0", "400,001", "導入済"],  # plan > cap
                 ["U3", "C04", "S01", AREAS[0], 1, "2025/9/1", None, "0", "270,000", "導入済"]],  # 90 % exactly
        "経費": [["E1", "2025/9/30", "C01", "クラウドサービス経費", "400,000"],  # actual = cap: not over
                 ["E2", "2025/9/30", "C02", "クラウドサービス経費", "450,001"]],  # one yen over its cap
        "支援記録": [["R1", "C01", "2025/9/5", "オンライン", "山本", 1],  # C01's first support is not 対面
                    ["R2", "C01", "2025/10/1", "対面", "山本", 1, None, None, None, "2025/9/30"],  # next < date
                    ["R3", "C02", "2025/9/5", "対面", "山本", 1, None, None, None, "2025/9/5"],  # next = date
                    ["R4", "C02", "2025/9/5", "電話・メール", "山本", 1]],  # same day, a later row
        "利用実績": [["C01", "S01", AREAS[0], d] for d in ("2025/8/31", "2025/9/1", "2026/2/28", "2026/3/1")],
        "決算": [["C01", "基準", "2025/3/31", "100万", "500万", "0", 10],
                 ["C01", "実績", "2025/3/31", "100万", "500万", "0", 20],  # same period end; workers ×2.0
                 ["C02", "基準", "2024/12/31", "100万", "500万", "0", 10, 1000],
                 ["C02", "実績", "2025/12/31", "100万", "500万", "0", 40, 500],  # hours ×0.5: the hours decide
                 ["C03", "基準", "2024/9/30", "100万", "500万", "0", 10],
                 ["C03", "実績", "2025/9/30", "100万", "500万", "0", 21],  # ×2.1
                 ["C04", "基準", "2024/9/30", "100万", "500万", "0", 5, 1000],
                 ["C04", "実績", "2025/9/30", "100万", "500万", "0", 5, 499]],  # ×0.499
        "改善計画": [[c, y, AREAS[0], "請求書の電子化"] for c in ("C01", "C03", "C04") for y in (2025, 2026, 2027)]
                   + [["C02", y, AREAS[0], "請求書の電子化"] for y in (2025, 2026)],
        "課題": [["K1", "2025/10/1", "課題", "期限のない課題", None, None, "山田", None, "対応中"],
                ["K2", "2025/10/1", "課題", "完了した課題", None, None, "山田", None, "完了"]],
    }


def test_every_program_rule_gives_exactly_the_finding_worked_out_here(tmp_path):
    program = load_program(write_workbook(tmp_path / "m.xlsx", sheets()))
    found = [f for f in run_checks(program) if f.code in PROGRAM_CODES]
    expected = [
        # Errors first; then by sheet in the contract's order, row (none first), column, code.
        Finding("error", "budget-over", "企業", 3, "経費上限", 450000,
                "C02（株式会社Ｂ）のクラウドサービス経費の実績 450,001円 が上限 450,000円 を超えています"),
        # 企業: C01 plan 400,000 and actual 400,000 are not over 400,000 but over 90 % of it (360,000).
        Finding("warning", "budget-warning", "企業", 2, "経費上限", None,
                "C01（株式会社Ａ）のクラウドサービス経費（実績または計画 400,000円）が上限 400,000円 の90%を超えています"),
        Finding("warning", "cap-without-agreement", "企業", 3, "上限変更の協議記録", None,
                "C02 の経費上限 450,000円 は既定の 400,000円 と異なります。委託者との協議記録（上限変更の協議記録）を入力してください"),
        Finding("warning", "budget-plan-over", "企業", 4, "経費上限", 400000,
                "C03（株式会社Ｃ）のクラウドサービス経費の計画額 400,001円 が上限 400,000円 を超える見込みです"),
        Finding("warning", "catalogue-missing-area", "サービス", None, "業務分類", AREAS[-1],
                f"業務分類「{AREAS[-1]}」のクラウドサービスがサービス一覧にありません（各分類に最低1種類が必要です）"),
        Finding("warning", "first-visit-not-in-person", "支援記録", 2, "形態", "オンライン",
                "C01 の初回の支援（2025/09/05）が「オンライン」です。初回面談は原則対面です"),
        Finding("warning", "next-before-visit", "支援記録", 3, "次回予定日", date(2025, 9, 30),
                "次回予定日 2025/09/30 が支援日 2025/10/01 より前です"),
        Finding("warning", "usage-outside-period", "利用実績", 2, "利用日", date(2025, 8, 31),
                "利用日 2025/08/31 は利用期間（2025/09/01〜2026/02/28）の外のため、利用回数に数えません"),
        Finding("warning", "usage-outside-period", "利用実績", 5, "利用日", date(2026, 3, 1),
                "利用日 2026/03/01 は利用期間（2025/09/01〜2026/02/28）の外のため、利用回数に数えません"),
        Finding("warning", "financial-order", "決算", 3, "決算期末", date(2025, 3, 31),
                "C01 の実績期の決算期末 2025/03/31 が基準期 2025/03/31 より後になっていません"),
        Finding("warning", "labour-change", "決算", 7, "労働者数", 21,
                "C03 の労働者数が基準期の 10 から 21 へ 2.10 倍に変わっています。労働生産性の増減を大きく左右するため、確認してください"),
        Finding("warning", "labour-change", "決算", 9, "総就業時間", 499,
                "C04 の総就業時間が基準期の 1000 から 499 へ 0.50 倍に変わっています。労働生産性の増減を大きく左右するため、確認してください"),
        Finding("warning", "plan-year-missing", "改善計画", None, "年度", 2027,
                "C02（株式会社Ｂ）の改善計画に 2027年度 の行がありません（3年間の計画が必要です）"),
        Finding("warning", "issue-without-due", "課題", 2, "期限", None,
                "課題 K1 に期限がありません（期限切れを知らせられません）"),
    ]
    assert [tuple(f) for f in found] == [tuple(f) for f in expected]


def test_counts_are_errors_and_everything_else():
    error = Finding("error", "x", "企業", 2, None, None, "")
    warning = Finding("warning", "y", "企業", 3, None, None, "")
    assert counts([error, warning, warning]) == (1, 2) and counts([]) == (0, 0)


def test_the_same_plan_text_in_three_companies_is_one_warning_at_its_first_row(tmp_path):
    rows = sheets()
    rows["企業"] = [[f"C0{i}", f"株式会社{i}"] for i in range(1, 5)]
    action, target = "勤怠を記録する", "打刻漏れゼロ"
    rows["改善計画"] = [
        ["C01", 2025, AREAS[0], action, target],
        ["C02", 2025, AREAS[0], "勤怠を 記録する", "C02の目標"],  # the same text once spaces are folded
        ["C01", 2026, AREAS[0], action, "C01の次の目標"],  # the same company twice counts once
        ["C03", 2025, AREAS[0], action, target],
        ["C04", 2025, AREAS[0], "別の取組", target],
    ]
    program = load_program(write_workbook(tmp_path / "t.xlsx", rows))
    copied = [tuple(f) for f in run_checks(program) if f.code == "plan-copied"]
    # 取組内容 in C01, C02, C03 (3 companies): a warning; 目標 in C01, C03, C04 (3): a warning. Both at row 2.
    assert copied == [
        ("warning", "plan-copied", "改善計画", 2, "取組内容", action,
         "同じ取組内容が3社の改善計画にあります（C01、C02、C03）。各社の業務に合わせた内容にしてください"),
        ("warning", "plan-copied", "改善計画", 2, "目標", target,
         "同じ目標が3社の改善計画にあります（C01、C03、C04）。各社の業務に合わせた内容にしてください")]
    rows["改善計画"] = rows["改善計画"][:3]  # two companies share it: no warning
    program = load_program(write_workbook(tmp_path / "u.xlsx", rows))
    assert not [f for f in run_checks(program) if f.code == "plan-copied"]


def test_a_material_named_without_a_link_or_with_a_link_to_nothing_is_a_warning(tmp_path):
    from toolkit.materials import local_exists

    rows = sheets()
    (tmp_path / "資料").mkdir()
    (tmp_path / "資料" / "手順書.docx").write_bytes(b"x")
    blank = [None] * 6
    rows["支援記録"] = [
        ["R1", "C01", "2025/9/10", "対面", *blank[:3], "手順書", *blank[:2], "資料/手順書.docx"],  # found
        ["R2", "C01", "2025/9/11", "対面", *blank[:3], "比較表"],  # named, no link
        ["R3", "C01", "2025/9/12", "対面", *blank[:3], None, *blank[:2],
         "資料/手順書.docx\n資料/ない.xlsx\nhttps://contoso.sharepoint.com/sites/p/Shared%20Documents/a.pdf"],
    ]
    program = load_program(write_workbook(tmp_path / "t.xlsx", rows))
    found = [tuple(f) for f in run_checks(program, link_exists=local_exists(tmp_path))
             if f.code.startswith("material")]
    # R2: named without a link; R3: the second link is missing, the cloud one is not looked up without --links.
    assert found == [
        ("warning", "material-without-link", "支援記録", 3, "資料リンク", None,
         "記録 R2 の提供資料「比較表」に資料リンクがありません（委託者に資料を渡すときに探せません）"),
        ("warning", "material-missing", "支援記録", 4, "資料リンク", "資料/ない.xlsx",
         "記録 R3 の資料リンク「資料/ない.xlsx」のファイルが見つかりません")]
    assert not [f for f in run_checks(program) if f.code.startswith("material")]  # no folder: not run


def test_a_subscription_still_on_trial_after_its_end_is_a_warning_on_the_day_after(tmp_path):
    from datetime import date

    rows = sheets()
    rows["導入"] = [["U1", "C01", "S01", AREAS[0], 1, "2025/9/1", "2025/11/30", "0", "0", "検証中"],
                   ["U2", "C01", "S01", AREAS[0], 1, "2025/9/1", "2025/11/30", "0", "0", "導入済"],
                   ["U3", "C01", "S01", AREAS[0], 1, "2025/9/1", None, "0", "0", "検証中"],  # no end: not due
                   # Decided (継続 / 解約 in 継続判断): not a warning; 検討中 still is.
                   ["U4", "C01", "S01", AREAS[0], 1, "2025/9/1", "2025/11/30", "0", "0", "検証中", "継続"],
                   ["U5", "C01", "S01", AREAS[0], 1, "2025/9/1", "2025/11/30", "0", "0", "検証中", "解約"],
                   ["U6", "C01", "S01", AREAS[0], 1, "2025/9/1", "2025/11/30", "0", "0", "検証中", "検討中"]]
    program = load_program(write_workbook(tmp_path / "t.xlsx", rows))

    def trial(day):
        return [tuple(f) for f in run_checks(program, day) if f.code == "trial-after-end"]

    assert trial(date(2025, 11, 30)) == []  # its last day: still on trial
    assert trial(date(2025, 12, 1)) == [
        ("warning", "trial-after-end", "導入", row, "状態", "検証中",
         f"導入 {sid} は終了日（2025/11/30）を過ぎても「検証中」です。継続するか解約するかを決めて、状態と継続判断を"
         "入力してください") for row, sid in ((2, "U1"), (7, "U6"))]
    assert not any(f.code == "trial-after-end" for f in run_checks(program))  # only when a day is given
