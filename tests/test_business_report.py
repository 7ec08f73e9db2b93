"""The business report that concludes (issue 22, item 5): a 要約 first, the analysis across companies, 6(1) from
the issue register (else the minutes' 課題・対応 once each), 6(2) without section 4's words, the addressee on the
cover. Figures worked out by hand from test_status.sheets() and the rows added here."""
from __future__ import annotations

import docx
from click.testing import CliRunner

from builders import write_workbook
from test_status import sheets
from toolkit.cli import main

FUTURE = "受発注の入力を現場に広げることが次の課題である"


def _rows():
    rows = sheets()
    rows["企業"][0] += [None] * 4 + [FUTURE]  # C01's 今後の課題 (the 16th column)
    rows["導入"][0].append("継続")  # U1: C01 keeps サービス2 (月額 30,000)
    rows["導入"][1].append("検討中")  # U2: C02 has not decided; U3 (中止) has no 継続判断
    return rows


def _report(tmp_path, rows, **kwargs) -> list[str]:
    book = write_workbook(tmp_path / "m.xlsx", rows, settings={"宛先": "岡山市長 様",
                                                                "受託者": "株式会社サンプル",
                                                                "受託者代表者": "代表取締役 山田 太郎"}, **kwargs)
    result = CliRunner().invoke(main, ["report", str(book), "--out", str(tmp_path / "out"), "--date", "2026-03-27"])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(tmp_path / "out" / "委託業務報告書.docx"))
    body = document.element.body
    lines = []
    for el in body.iterchildren():
        if el.tag.endswith("}p"):
            lines.append("".join(t.text or "" for t in el.iter("{*}t")))
        elif el.tag.endswith("}tbl"):
            for row in el.iter("{*}tr"):
                lines.append("|".join("".join(t.text or "" for t in tc.iter("{*}t")) for tc in row.iter("{*}tc")))
    return [x for x in lines if x]


def _section(lines: list[str], start: str, end: str) -> list[str]:
    """The lines between two headings of the body (the 目次 names them too, each followed by its page number)."""
    i = lines.index(start, lines.index("要約"))
    return lines[i + 1:lines.index(end, i)]


def test_the_summary_comes_first_and_states_the_headline_figures(tmp_path):
    lines = _report(tmp_path, _rows())
    assert "岡山市長 様" in lines and "受託者\u3000株式会社サンプル\u3000代表取締役 山田 太郎" in lines
    # After the 目次 (its lines end in their page numbers: 要約3, …, 付録　成果品一覧17), the body opens with 要約,
    # then 1 業務概要.
    toc_end = max(i for i, x in enumerate(lines) if x.startswith("付録\u3000成果品一覧") and x[-1].isdigit())
    body = lines[toc_end + 1:]
    assert body[0] == "要約" and body.index("1\u3000業務概要") > body.index("主な成果")
    summary = _section(lines, "項目|結果|目標・備考", "主な成果")
    # 3 companies; support R1–R4: 2 + 1.5 + 1 + 2 = 6.5 hours in 4 acts; usage: C01's 6 distinct days
    # (9/10, 11/20, 11/21, 12/1 twice = once, 12/15, 12/16) + C02's 2 = 8 against 1,000 (0.8 %, not reached);
    # kept after the free period: U1 only, 30,000 × 12 = 360,000 a year.
    assert summary[:3] == ["支援企業|3社|—", "導入サポート|延べ4回|計6.5時間",
                           "クラウドサービス利用回数|8回|目標1,000回（達成率0.8%、未達）"]
    assert "利用期間後も継続するサービス|1件|年間費用 計360,000円（各社の負担）" in summary
    assert any(x.startswith("・利用回数が目標（1,000回）に届いていない") for x in lines)


def test_the_analysis_across_companies_counts_adoption_abandonment_and_what_continuing_costs(tmp_path):
    lines = _report(tmp_path, _rows())
    analysis = _section(lines, "（1）支援企業全体の分析", "（2）支援企業ごとの検証")
    # Live subscriptions: U1 (C01, サービス2) and U2 (C02, サービス3); U3 (C03, サービス4) is 中止.
    assert analysis[0].startswith("3社中2社がクラウドサービスを導入し、導入は計2件（2種類のサービス）であった。"
                                  "利用を中止したのは株式会社Ｃのサービス4である。")
    # Cloud cost 100,000 (E1–E3; E4 is borne by the contractor) over 8 uses: 12,500 a use.
    assert "1回あたりの費用は、全体で12,500円であった。" in analysis[0]
    # Of the 10 catalogue services, サービス2 and サービス3 are adopted: 8 never were (サービス4 was stopped).
    assert "サービス一覧のうち、次の8種類はどの企業も導入しなかった。" in analysis
    # 継続 1 (U1), 解約 0, 検討中 1 (U2), U3 without a decision; C01: 360,000 a year, 100,000 / 6 uses = 16,667.
    assert any(x.startswith("無料の利用期間の後、1件のサービスを継続、0件を解約し、1件を検討中としている（1件は継続判断が"
                            "未記入）。継続するサービスの年間費用は、各社の負担で計360,000円である。") for x in analysis)
    assert "株式会社Ａ|サービス2|—|—|360,000円|16,667円" in [x.replace("株式会社\n", "株式会社") for x in analysis]
    # U2 is still 検証中 (no 終了日): listed with its decision.
    assert "株式会社Ｂ|サービス3|—|検討中" in analysis


def test_section_6_takes_the_issue_register_and_never_repeats_section_4(tmp_path):
    lines = _report(tmp_path, _rows())
    six = _section(lines, "6\u3000課題と今後の展開", "7\u3000総括")
    four = set(_section(lines, "4\u3000検証", "5\u3000予算執行状況の概要"))
    assert not [x for x in six if x in four]
    assert sum(FUTURE in x for x in lines) == 1  # C01's 今後の課題: in section 4 only
    # The register in 起票日 order: K3 (9/10), K1 (10/1), K2 (11/5).
    register = [x.split("|")[0] for x in six if x.startswith("K")]
    assert register == ["K3", "K1", "K2"]


def test_without_a_register_section_6_lists_each_meeting_issue_once_and_no_non_issue(tmp_path):
    rows = _rows()
    del rows["課題"]
    for meeting, issue in zip(rows["会議記録"], ("会場の確保", "特になし", "会場の 確保")):
        meeting[7:8] = [issue]
    lines = _report(tmp_path, rows, omit=["課題"])
    six = _section(lines, "6\u3000課題と今後の展開", "7\u3000総括")
    # M1's issue once (M3 repeats it, spaces aside); M2's 特になし is not an issue.
    assert [x for x in six if x.startswith("・第")] == ["・第1回（令和7年9月3日）\u3000会場の確保"]
