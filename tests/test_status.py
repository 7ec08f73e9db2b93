"""`toolkit status` against status.md's definitions, every figure worked out by hand below from the rows of one
small program (as of 2025-12-15, before the usage period, after it), and a book without the new sheet or column."""
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from builders import write_workbook
from toolkit import schema
from toolkit.cli import main
from toolkit.load import load_program
from toolkit.status import compute_status

AREAS = schema.BUSINESS_AREAS
D = date(2025, 12, 15)


def sheets():
    return {
        "企業": [["C01", "株式会社Ａ", *[None] * 8, 3], ["C02", "株式会社Ｂ", *[None] * 8, 12],
                ["C03", "株式会社Ｃ", *[None] * 8, 9]],
        "サービス": [[f"S{i:02d}", f"サービス{i}", None, area] for i, area in enumerate(AREAS, start=1)],
        "導入": [["U1", "C01", "S02", "経理", 1, "2025/9/1", None, "30,000", "10,000", "導入済"],
                 ["U2", "C02", "S03", "グループウェア", 1, "2025/10/1", None, "80,000", "20,000", "検証中"],
                 ["U3", "C03", "S04", "販売促進", 1, "2025/9/1", "2025/11/30", "5,000", "0", "中止"]],
        "経費": [["E1", "2025/10/31", "C01", "クラウドサービス経費", "40,000"],
                 ["E2", "2025/11/30", "C01", "クラウドサービス経費", "30,000"],
                 ["E3", "2025/12/20", "C01", "クラウドサービス経費", "30,000"],  # after the as-of date
                 ["E4", "2025/11/30", "C02", "クラウドサービス経費", "100,000", None, None, "受託者", "M2"],
                 ["E5", "2025/11/30", "C02", "サポート費（設定費用）", "50,000"],
                 ["E6", "2025/10/10", None, "共通経費", "30,000", "説明会 会場費"]],
        "支援記録": [["R1", "C01", "2025/9/5", "対面", "山本", 2],
                    ["R2", "C01", "2025/10/20", "オンライン", "山本", 1.5, None, None, None, "2025/11/20"],
                    ["R3", "C01", "2026/1/10", "オンライン", "山本", 1],  # planned, after the as-of date
                    ["R4", "C02", "2025/10/2", "対面", "佐藤", 2, None, None, None, "2025/12/20"]],
        "利用実績": [["C01", "S02", "経理", d] for d in ("2025/9/10", "2025/11/20", "2025/11/21", "2025/12/1",
                                                        "2025/12/15", "2025/12/16")]
                   + [["C01", "S02", "経理", "2025/12/1", "another@a.example"],  # the same day: counted once
                      ["C02", "S03", "グループウェア", "2025/10/5"], ["C02", "S03", "グループウェア", "2025/11/17"]],
        "決算": [["C02", "基準", "2024/12/31", "1,000万", "500万", "100万", 10],
                 ["C02", "暫定", "2025/12/31", "1,100万", "500万", "100万", 10],
                 ["C03", "基準", "2024/9/30", "1,000万", "500万", "100万", 10],
                 ["C03", "実績", "2025/9/30", "1,100万", "500万", "100万", 10]],
        "改善計画": [[c, y, "経理", "請求書の電子化"] for c in ("C01", "C02", "C03") for y in (2025, 2026, 2027)],
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", "2025/9/20"],
                    ["EV2", "成果共有会", "成果共有会", "2026/2/20"]],
        "会議記録": [["M1", "2025/9/3", None, None, "開始", None, None, None, None, "2025/9/8"],
                    ["M2", "2025/10/15", None, None, "経費", None, None, None, None, "2025/10/30"],
                    ["M3", "2025/12/10", None, None, "進捗"]],
        "課題": [["K1", "2025/10/1", "課題", "3月決算の企業の実績期", None, None, "山田", "2025/11/30", "対応中"],
                ["K2", "2025/11/5", "リスク", "成果共有会の会場", None, None, "山田", "2026/1/31", "未着手"],
                ["K3", "2025/9/10", "課題", "説明会の案内", None, None, "山田", "2025/9/15", "完了"]],
    }


@pytest.fixture
def book(tmp_path):
    return write_workbook(tmp_path / "m.xlsx", sheets(), settings={"委託料": 10_000_000})


def test_every_figure_of_the_status_as_of_mid_december(book):
    got = compute_status(load_program(book), D).as_json()
    assert got["as_of"] == "2025-12-15"
    # Usage: counted days ≤ D: C01 9/10, 11/20, 11/21, 12/1, 12/15 (12/1 twice counts once) + C02 10/5, 11/17 = 7.
    # In (11/17, 12/15]: C01 11/20, 11/21, 12/1, 12/15 = 4 (11/17 is the window's open end) → 4/28 = 0.142857.
    # Days left to 2026-02-28: 16 + 31 + 28 = 75; projected floor(7 + 0.142857 × 75) = floor(17.71) = 17;
    # required (1000 − 7) / 75 = 13.24; 17 < 900 → 遅れ. C02's subscription runs, no use since 11/17 → idle;
    # C03's is 中止.
    assert got["usage"] == {"to_date": 7, "recent_pace": 0.14, "remaining_days": 75, "projected": 17,
                            "required_pace": 13.24, "status": "遅れ", "idle_companies": ["C02"]}
    # Budget: C01 booked 40,000 + 30,000 (12/20 is later); planned 10,000 + 30,000 × 6 months = 190,000; entered
    # 70,000 → unbooked 120,000. C02's cloud row is borne by the contractor: entered 100,000, booked 0; planned
    # 20,000 + 80,000 × 5 = 420,000 → unbooked 320,000; running total Oct 100k, Nov 180k, Dec 260k, Jan 340k,
    # Feb 420k > 400,000 → breach 2026-02. C03: 中止, nothing planned.
    assert got["budget"]["companies"] == [
        {"company": "C01", "booked": 70000, "planned": 190000, "unbooked": 120000, "projected": 190000,
         "cap": 400000, "breach_month": None},
        {"company": "C02", "booked": 0, "planned": 420000, "unbooked": 320000, "projected": 320000, "cap": 400000,
         "breach_month": "2026-02"},
        {"company": "C03", "booked": 0, "planned": 0, "unbooked": 0, "projected": 0, "cap": 400000,
         "breach_month": None}]
    # All 費目 borne by the 委託料 up to D: 40,000 + 30,000 + 50,000 + 30,000 = 150,000; + 120,000 + 320,000.
    assert {k: got["budget"][k] for k in ("booked_total", "projected_total", "contract", "projected_balance")} == \
        {"booked_total": 150000, "projected_total": 590000, "contract": 10000000, "projected_balance": 9410000}
    # Productivity: C01 support from 2025-09-05, closes in March → FY end 2026-03-31, 7 months (Sep–Mar),
    # statements by 2026-05-31 > 契約終了日 2026-03-31. C02 from 10/2, December → 2025-12-31, 3 months, by
    # 2026-02-28, only a 暫定 row. C03 no support: its subscription's start 2025-09-01, September → 2025-09-30,
    # 1 month, by 2025-11-30, a 実績 row.
    assert got["productivity"]["companies"] == [
        {"company": "C01", "support_start": "2025-09-05", "fy_end": "2026-03-31", "support_months": 7,
         "statements_expected": "2026-05-31", "measurable_by_contract_end": False, "basis": "なし"},
        {"company": "C02", "support_start": "2025-10-02", "fy_end": "2025-12-31", "support_months": 3,
         "statements_expected": "2026-02-28", "measurable_by_contract_end": True, "basis": "暫定"},
        {"company": "C03", "support_start": "2025-09-01", "fy_end": "2025-09-30", "support_months": 1,
         "statements_expected": "2025-11-30", "measurable_by_contract_end": True, "basis": "確定"}]
    # Contacts: C01 last 10/20 (56 days), next agreed 11/20, nothing since → overdue; C02 last 10/2 (74 days),
    # next 12/20 is still ahead.
    assert got["contacts"] == [
        {"company": "C01", "last_contact": "2025-10-20", "days_since": 56, "next_planned": "2025-11-20",
         "overdue": True},
        {"company": "C02", "last_contact": "2025-10-02", "days_since": 74, "next_planned": "2025-12-20",
         "overdue": False},
        {"company": "C03", "last_contact": None, "days_since": None, "next_planned": None, "overdue": False}]
    # Kick-off 9/20 ≤ 9/1 + 30 days; sharing 2026-02-20 in [2026-02-11, 2026-03-10].
    assert got["events"] == {"kickoff": {"held": True, "date": "2025-09-20"},
                             "sharing": {"date": "2026-02-20", "in_window": True}}
    # Meetings from the first one's month (no 契約日): Sep, Oct, Dec held → Nov without. M2 written 15 days
    # after; M3 (12/10) has no 作成日 but only 5 days have passed.
    assert got["meetings"] == {"months_without": ["2025-11"], "late_minutes": ["M2"]}
    assert got["issues"] == [
        {"id": "K1", "title": "3月決算の企業の実績期", "due": "2025-11-30", "state": "対応中", "overdue": True},
        {"id": "K2", "title": "成果共有会の会場", "due": "2026-01-31", "state": "未着手", "overdue": False}]
    assert got["workload"] == [{"staff": "佐藤", "month": "2025-10", "hours": 2.0},
                               {"staff": "山本", "month": "2025-09", "hours": 2.0},
                               {"staff": "山本", "month": "2025-10", "hours": 1.5}]
    areas = [w["area"] for w in got["warnings"]]
    assert areas.count("usage") == 2 and areas.count("budget") == 1 and areas.count("meetings") == 2
    assert areas.count("contacts") == 3 and areas.count("issues") == 1
    assert areas.count("productivity") == 2  # C01 not measurable; C02 (3 months) and C03 (1) in one line
    assert "C02（3か月）、C03（1か月）" in got["warnings"][areas.index("productivity") + 1]["message"]
    assert got["changes"] is None
    assert set(got) == {"as_of", "usage", "budget", "productivity", "contacts", "events", "meetings", "issues",
                        "workload", "warnings", "changes"}


def test_before_the_usage_period_and_after_it(book):
    program = load_program(book)
    before = compute_status(program, date(2025, 8, 20)).usage
    # 2025-08-20 → 2026-02-28: 11 + 30 + 31 + 30 + 31 + 31 + 28 = 192 days; required 1000 / 192 = 5.21.
    assert before == {"to_date": 0, "recent_pace": 0.0, "remaining_days": 192, "projected": 0,
                      "required_pace": 5.21, "status": "開始前", "idle_companies": []}
    after = compute_status(program, date(2026, 3, 15)).usage
    # Every counted day: C01 six (12/16 too), C02 two; nothing left, so the projection is what was counted.
    assert after == {"to_date": 8, "recent_pace": 0.0, "remaining_days": 0, "projected": 8, "required_pace": 0.0,
                     "status": "遅れ", "idle_companies": []}


@pytest.mark.parametrize("target, required, state", [
    # 2026-02-27, the day before 利用終了日: one day left; counted 8 (C01 six, C02 two), none in (1/30, 2/27] →
    # projected floor(8 + 0 × 1) = 8. Target 9: one short on the last day → required 1 / 1 = 1.0, and 8 < 0.9 × 9
    # = 8.1 → 遅れ. Target 8: reached exactly → 順調 (projected ≥ target), nothing required.
    (9, 1.0, "遅れ"), (8, 0.0, "順調")])
def test_the_last_day_and_a_target_met_exactly(tmp_path, target, required, state):
    book = write_workbook(tmp_path / "m.xlsx", sheets(), settings={"利用回数目標": target})
    usage = compute_status(load_program(book), date(2026, 2, 27)).usage
    assert usage == {"to_date": 8, "recent_pace": 0.0, "remaining_days": 1, "projected": 8,
                     "required_pace": required, "status": state, "idle_companies": ["C01", "C02"]}


def test_on_the_first_day_of_the_usage_period_it_has_started(book):
    usage = compute_status(load_program(book), date(2025, 9, 1)).usage
    # 2025-09-01 → 2026-02-28: 30 + 31 + 30 + 31 + 31 + 27 = 180 days; nothing counted yet → projected 0 < 900 →
    # 遅れ (not 開始前: the period has begun); required 1000 / 180 = 5.56. C01's U1 starts that day (active, idle);
    # C02's starts 10/1 and C03's is 中止.
    assert usage == {"to_date": 0, "recent_pace": 0.0, "remaining_days": 180, "projected": 0,
                     "required_pace": 5.56, "status": "遅れ", "idle_companies": ["C01"]}


def test_the_command_prints_json_keeps_a_record_and_says_what_moved(book, tmp_path):
    out = tmp_path / "状況"
    first = CliRunner().invoke(main, ["status", str(book), "--as-of", "2025-11-14", "--out", str(out), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["changes"] is None and (out / "状況報告_20251114.json").is_file()
    second = CliRunner().invoke(main, ["status", str(book), "--as-of", "2025-12-15", "--out", str(out), "--json"])
    data = json.loads(second.output)
    assert data == json.loads((out / "状況報告_20251215.json").read_text(encoding="utf-8"))
    # 11/14: counted 9/10, 10/5 = 2 (11/17 and later not yet); 12/15: 7.
    assert data["changes"]["since"] == "2025-11-14"
    # 11/14: counted 9/10 and 10/5 = 2, none in (10/17, 11/14] → projected 2; booked E1 40,000 + E6 30,000 =
    # 70,000; unbooked C01 190,000 − 40,000 = 150,000, C02 420,000 (E4 comes 11/30) → 640,000.
    # 12-15: 7, 17, 150,000 and 590,000 (worked out in the test above).
    assert data["changes"]["figures"] == {"usage_to_date": {"from": 2, "to": 7},
                                          "usage_projected": {"from": 2, "to": 17},
                                          "booked_total": {"from": 70000, "to": 150000},
                                          "projected_total": {"from": 640000, "to": 590000}}
    assert "C01の次回予定日2025-11-20を過ぎても支援の記録がありません" in data["changes"]["new_warnings"]
    screen = CliRunner().invoke(main, ["status", str(book), "--as-of", "2025-12-15", "--out", str(out)])
    assert screen.exit_code == 0 and "利用回数" in screen.output and "要対応" in screen.output


def test_the_screen_says_which_rows_an_error_left_out_of_the_figures(tmp_path):
    rows = sheets()
    rows["経費"][1][4] = "=#REF!"  # E2, C01's 30,000 of 11/30: an error, so the row is left out
    book = write_workbook(tmp_path / "m.xlsx", rows)
    screen = CliRunner().invoke(main, ["status", str(book), "--as-of", "2025-12-15", "--out", str(tmp_path / "o")])
    # Booked: E1 40,000 + E5 50,000 + E6 30,000 = 120,000 without E2's 30,000 (E3 is after the as-of date, E4 the
    # contractor's).
    assert screen.exit_code == 0 and "計上120,000円" in screen.output
    assert "エラーのある 1 行（経費 1行）を集計から除外しています" in screen.output


def test_a_renamed_issue_sheet_is_a_warning_naming_it_and_no_refusal(tmp_path):
    book = write_workbook(tmp_path / "m.xlsx", sheets(), omit=["課題"])
    wb = load_workbook(book)
    wb.create_sheet("課題一覧").append(list(schema.ISSUES.headers))  # staff renamed the sheet
    wb.save(book)
    program = load_program(book)
    [finding] = [f for f in program.findings if f.code == "missing-sheet"]
    assert (finding.level, finding.sheet, finding.value) == ("warning", "課題", "課題一覧")
    assert "シート名を「課題」に戻してください" in finding.message
    assert compute_status(program, D).issues == []  # read as a book without the sheet, not refused


def test_a_book_without_the_issue_sheet_or_the_next_visit_column_still_works(tmp_path):
    headers = {"支援記録": [h for h in schema.SUPPORT_LOG.headers if h != "次回予定日"]}
    rows = sheets()
    rows["支援記録"] = [r[:9] for r in rows["支援記録"]]
    book = write_workbook(tmp_path / "old.xlsx", rows, omit=["課題"], headers=headers)
    got = compute_status(load_program(book), D).as_json()
    assert got["issues"] == [] and all(c["next_planned"] is None for c in got["contacts"])
    assert got["usage"]["to_date"] == 7


def test_check_warns_of_a_next_visit_before_its_visit_and_an_issue_without_a_due_date(tmp_path):
    from toolkit.checks import run_checks

    rows = sheets()
    rows["支援記録"][0] = ["R1", "C01", "2025/9/5", "対面", "山本", 2, None, None, None, "2025/9/1"]
    rows["課題"][1] = ["K2", "2025/11/5", "リスク", "成果共有会の会場", None, None, "山田", None, "未着手"]
    found = {(f.level, f.code, f.sheet, f.row) for f in run_checks(load_program(write_workbook(tmp_path / "c.xlsx",
                                                                                              rows)))}
    assert ("warning", "next-before-visit", "支援記録", 2) in found and ("warning", "issue-without-due", "課題", 3) in found


def test_the_summary_sheet_shows_the_same_warnings_as_of_its_refresh(book):
    from datetime import datetime

    from toolkit.summary import refresh_book
    from toolkit.workbook.read import read_raw

    refresh_book(book, now=datetime(2025, 12, 15, 9, 0))
    rows = read_raw(book, sheets=[schema.SUMMARY_SHEET])[schema.SUMMARY_SHEET]
    cells = [r[0] for r in rows if r and isinstance(r[0], str)]
    head = next(i for i, c in enumerate(cells) if c.startswith("要注意（2025/12/15 時点"))
    block = cells[head + 1:]
    assert "・C02は計画どおりに払うと2026-02に上限400,000円を超えます" in block
    assert "・2025-11に委託者との会議の記録がありません" in block


def test_each_threshold_is_strict_where_status_md_says_above_or_after(book, tmp_path):
    """The edges of each definition, worked out by hand: on the day a subscription starts it runs; an expense
    dated the as-of day is booked; a planned total equal to the cap is no breach; 30 days without contact is
    not more than 30; 6 months of support is not fewer than 6; a kick-off checked on 利用開始日 + 30 days is not
    late; a balance of exactly 0 is not an overspend."""
    program = load_program(book)
    on_start = compute_status(program, date(2025, 10, 1))
    # C02's subscription starts 10/1: running, and unused in (9/3, 10/1]; C01 used it on 9/10.
    assert on_start.usage["idle_companies"] == ["C02"]
    on_day = compute_status(program, date(2025, 11, 30)).budget
    # E2 and E5 are dated 11/30: booked that day. 40,000 + 30,000 = 70,000 for C01; all 費目 150,000.
    assert on_day["companies"][0]["booked"] == 70000 and on_day["booked_total"] == 150000
    # C01's last contact 10/20 + 30 days = 11/19: not more than the 30-day limit; 11/20 is.
    quiet = {w["message"] for w in compute_status(program, date(2025, 11, 19)).warnings}
    assert not any("日連絡していません" in m and m.startswith("C01") for m in quiet)
    assert "C01に31日連絡していません（上限30日）" in {w["message"] for w in compute_status(program,
                                                                                        date(2025, 11, 20)).warnings}

    rows = sheets()
    rows["導入"][1] = ["U2", "C02", "S03", "グループウェア", 1, "2025/10/1", None, "80,000", "0", "検証中"]
    rows["企業"][0] = ["C01", "株式会社Ａ", *[None] * 8, 2]  # closes in February: Sep–Feb, 6 months of support
    rows["イベント"][0] = ["EV1", "説明会・ワークショップ", "キックオフ", "2025/10/10"]  # after 9/1 + 30 days
    edge = load_program(write_workbook(tmp_path / "edge.xlsx", rows, settings={"委託料": 590_000 - 20_000}))
    # 80,000 × 5 months = 400,000: equal to the cap, no breach month.
    st = compute_status(edge, D)
    assert st.budget["companies"][1]["breach_month"] is None and st.budget["companies"][1]["planned"] == 400000
    assert st.productivity["companies"][0]["support_months"] == 6
    # booked 150,000 + unbooked 120,000 + 300,000 = 570,000 against a 委託料 of 570,000: balance 0, no warning.
    assert st.budget["projected_balance"] == 0 and not any(w["area"] == "budget" for w in st.warnings)
    from toolkit.status import lights

    assert lights(st)["budget"] == "green"  # a balance of exactly 0 and a plan equal to the cap: nothing to flag
    messages = [w["message"] for w in st.warnings]
    assert not any(m.startswith("実績期に含まれる支援") and "C01（" in m for m in messages)
    assert not any("説明会" in m for m in [w["message"] for w in compute_status(edge, date(2025, 10, 1)).warnings])
    assert any("説明会" in m for m in messages)  # by 12/15 it is late: held 10/10, after 10/1
    over = load_program(write_workbook(tmp_path / "over.xlsx", rows, settings={"委託料": 569_999}))
    assert "執行見込総額が委託料を1円超えます" in {w["message"] for w in compute_status(over, D).warnings}


@pytest.mark.parametrize("day, in_window", [("2026/2/10", False), ("2026/2/11", True), ("2026/3/10", True),
                                            ("2026/3/11", False)])
def test_the_sharing_window_is_february_11_to_march_10_inclusive(tmp_path, day, in_window):
    rows = sheets()
    rows["イベント"][1] = ["EV2", "成果共有会", "成果共有会", day]
    st = compute_status(load_program(write_workbook(tmp_path / "w.xlsx", rows)), D)
    assert st.events["sharing"]["in_window"] is in_window


def test_a_due_date_or_next_visit_on_the_as_of_day_is_not_yet_overdue(book):
    program = load_program(book)
    # K1 is due 11/30, C01's next visit was agreed for 11/20: on those days neither is late yet.
    assert compute_status(program, date(2025, 11, 30)).issues[0]["overdue"] is False
    assert compute_status(program, date(2025, 11, 20)).contacts[0]["overdue"] is False
    assert compute_status(program, date(2025, 11, 21)).contacts[0]["overdue"] is True


def test_a_visit_after_the_agreed_day_clears_the_overdue_flag_and_one_on_it_does_not_count_as_after(tmp_path):
    rows = sheets()
    rows["支援記録"].append(["R5", "C01", "2025/11/25", "オンライン", "山本", 1])  # after 11/20, before D
    st = compute_status(load_program(write_workbook(tmp_path / "v.xlsx", rows)), D)
    assert st.contacts[0]["overdue"] is False and st.contacts[0]["last_contact"] == "2025-11-25"
    rows = sheets()
    rows["支援記録"][1] = ["R2", "C01", "2025/10/20", "オンライン", "山本", 1.5, None, None, None, "2025/10/20"]
    same_day = compute_status(load_program(write_workbook(tmp_path / "s.xlsx", rows)), D)
    assert same_day.contacts[0]["overdue"] is True  # the record that agreed it is not a visit after it


def test_after_the_contract_no_month_is_without_a_meeting_and_check_shows_the_status_warnings(book):
    from toolkit.checks import run_checks

    program = load_program(book)
    # 2026-05-10: months from 2025-09 (the first meeting; no 契約日) to 2026-03 (契約終了日), not to May: Sep, Oct and
    # Dec held → Nov, Jan, Feb, Mar without.
    assert compute_status(program, date(2026, 5, 10)).meetings["months_without"] == [
        "2025-11", "2026-01", "2026-02", "2026-03"]
    found = [f for f in run_checks(program, D) if f.code.startswith("status-")]
    # Each status warning of 12/15 (worked out in test_every_figure_of_the_status_as_of_mid_december) is a check
    # warning on the sheet staff would correct, with the company it concerns as its value.
    assert ("warning", "status-budget", "導入", "C02") in {(f.level, f.code, f.sheet, f.value) for f in found}
    assert ("status-meetings", "会議記録", "2025-11に委託者との会議の記録がありません") in {
        (f.code, f.sheet, f.message) for f in found}
    assert len(found) == len(compute_status(program, D).warnings) == 11
    assert not any(f.code.startswith("status-") for f in run_checks(program))  # only when a day is given


def test_the_lights_and_headlines_of_mid_december(book):
    from toolkit.status import headlines, lights

    st = compute_status(load_program(book), D)
    # From the figures of test_every_figure_of_the_status_as_of_mid_december: usage 遅れ, C02 breaks its cap in
    # February, C01 cannot be measured, K1 is overdue → red; contacts and meetings have warnings → yellow; the
    # kick-off was held in time → green.
    assert lights(st) == {"usage": "red", "budget": "red", "productivity": "red", "contacts": "yellow",
                          "events": "green", "meetings": "yellow", "issues": "red"}
    assert headlines(st) == {
        "usage": "7回、見込み17回（遅れ）",
        "budget": "計上150,000円、見込み590,000円、残額見込み9,410,000円",
        "productivity": "契約期間内に測れない企業1社",
        "contacts": "次回予定日を過ぎた企業1社",
        "events": "説明会・ワークショップ開催済",
        "meetings": "会議のない月1、記録の遅れ1件",
        "issues": "未完了2件（期限切れ1件）"}
    before = compute_status(load_program(write_workbook(book.parent / "n.xlsx", sheets())), date(2025, 8, 20))
    # Before the period, without a 委託料: no balance in the budget's line; nothing booked by 8/20, so all of C01's
    # 190,000 and C02's 420,000 are still to come (C03's is 中止); nothing overdue yet.
    assert headlines(before)["budget"] == "計上0円、見込み610,000円"
    assert lights(before)["issues"] == "green" and lights(before)["usage"] == "green"


def test_the_usage_curve_is_the_cumulative_count_day_by_day(book):
    from toolkit.status import usage_curve

    program = load_program(book)
    curve = dict(usage_curve(program, D))
    # 2025-09-01 to 12-15: 30 + 31 + 30 + 15 = 106 days; counted days 9/10, 10/5, 11/17, 11/20, 11/21, 12/1, 12/15.
    assert len(curve) == 106 and min(curve) == date(2025, 9, 1) and max(curve) == D
    assert [curve[date(2025, m, d)] for m, d in ((9, 1), (9, 9), (9, 10), (10, 4), (10, 5), (11, 17), (11, 21),
                                                  (11, 30), (12, 1), (12, 15))] == [0, 0, 1, 1, 2, 3, 5, 5, 6, 7]
    after = usage_curve(program, date(2026, 3, 15))
    # It stops at 利用終了日 (181 days), with all 8 counted days (12/16 too).
    assert len(after) == 181 and after[-1] == (date(2026, 2, 28), 8)


def test_productivity_at_its_edges(tmp_path):
    rows = sheets()
    rows["企業"] = [["C01", "株式会社Ａ", *[None] * 8, 1],  # January: statements by 3/31, the contract's last day
                   ["C02", "株式会社Ｂ", *[None] * 8, 9],  # support from 10/2: a full year to 2026-09-30
                   ["C03", "株式会社Ｃ", *[None] * 8, 9],  # no support: its own subscription's start
                   ["C04", "株式会社Ｄ"]]  # no 決算月, no support, no subscription
    rows["導入"][2] = ["U3", "C03", "S04", "販売促進", 1, "2025/9/15", None, "5,000", "0", "導入済"]
    rows["決算"] = []
    got = compute_status(load_program(write_workbook(tmp_path / "p.xlsx", rows)), D).productivity["companies"]
    assert got == [
        {"company": "C01", "support_start": "2025-09-05", "fy_end": "2026-01-31", "support_months": 5,
         "statements_expected": "2026-03-31", "measurable_by_contract_end": True, "basis": "なし"},
        {"company": "C02", "support_start": "2025-10-02", "fy_end": "2026-09-30", "support_months": 12,
         "statements_expected": "2026-11-30", "measurable_by_contract_end": False, "basis": "なし"},
        {"company": "C03", "support_start": "2025-09-15", "fy_end": "2025-09-30", "support_months": 1,
         "statements_expected": "2025-11-30", "measurable_by_contract_end": True, "basis": "なし"},
        {"company": "C04", "support_start": None, "fy_end": None, "support_months": None,
         "statements_expected": None, "measurable_by_contract_end": None, "basis": "なし"}]


def test_minutes_on_their_due_day_are_not_late_and_a_meeting_on_the_day_is_held(tmp_path):
    rows = sheets()
    rows["会議記録"][0] = ["M1", "2025/9/3", None, None, "開始", None, None, None, None, "2025/9/10"]  # 7 days
    program = load_program(write_workbook(tmp_path / "m.xlsx", rows))
    # M3 (12/10) has no 作成日: 7 days on 12/17 is within the limit, 8 on 12/18 is not. M2 took 15 days.
    assert compute_status(program, date(2025, 12, 17)).meetings["late_minutes"] == ["M2"]
    assert compute_status(program, date(2025, 12, 18)).meetings["late_minutes"] == ["M2", "M3"]
    # On M3's own day December has its meeting: only November is without one.
    assert compute_status(program, date(2025, 12, 10)).meetings["months_without"] == ["2025-11"]


def test_changes_from_a_partial_previous_record(book):
    previous = {"as_of": "2025-11-01", "usage": {"to_date": 7}, "warnings": ["not a warning", {"message": "古い注意"}]}
    changes = compute_status(load_program(book), D, previous).changes
    # to_date is the same (7): not a change; the others were absent before (None).
    assert changes["since"] == "2025-11-01"
    assert changes["figures"] == {"usage_projected": {"from": None, "to": 17},
                                  "booked_total": {"from": None, "to": 150000},
                                  "projected_total": {"from": None, "to": 590000}}
    assert changes["resolved_warnings"] == ["古い注意"] and len(changes["new_warnings"]) == 11
    bare = compute_status(load_program(book), D, {"as_of": "2025-11-01"}).changes
    assert bare["resolved_warnings"] == [] and len(bare["new_warnings"]) == 11


def test_a_projection_between_90_and_100_percent_of_the_target_is_a_caution(tmp_path):
    # At D the projection is 17 (worked out above): with a target of 18, 0.9 × 18 = 16.2 ≤ 17 < 18 → 注意, and
    # (18 − 7) / 75 = 0.1467 a day is needed.
    book = write_workbook(tmp_path / "m.xlsx", sheets(), settings={"利用回数目標": 18})
    usage = compute_status(load_program(book), D).usage
    assert (usage["status"], usage["required_pace"]) == ("注意", 0.15)


def test_workload_adds_the_hours_of_a_month_up_to_and_including_the_day(tmp_path):
    rows = sheets()
    rows["支援記録"] += [["R5", "C01", "2025/12/15", "電話・メール", "山本", 0.5],
                       ["R6", "C02", "2025/12/15", "オンライン", "山本", 0.25],
                       ["R7", "C02", "2025/12/16", "オンライン", "山本", 4]]  # the day after: not yet
    got = compute_status(load_program(write_workbook(tmp_path / "w.xlsx", rows)), D).workload
    assert {"staff": "山本", "month": "2025-12", "hours": 0.75} in got
