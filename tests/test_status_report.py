"""The 状況報告書 and the KPI report's basis per company, rendered from test_status's program (kept apart from
test_status.py: these render Word and PDF, which the mutation run of the rule modules does not need)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from builders import write_workbook
from test_status import sheets
from toolkit import schema
from toolkit.cli import main



@pytest.fixture
def book(tmp_path):
    return write_workbook(tmp_path / "m.xlsx", sheets(), settings={"委託料": 10_000_000})  # as test_status's


def document_text(path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += ["|".join(c.text for c in row.cells) for table in document.tables for row in table.rows]
    return "\n".join(parts)


def test_the_status_report_prints_the_figures_worked_out_above(book, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["status", str(book), "--as-of", "2025-12-15", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = document_text(out / "状況報告書_20251215.docx")
    # The figures of test_every_figure_of_the_status_as_of_mid_december, in the document's words.
    assert "（令和7年12月15日時点）" in text
    assert "利用回数|× 要対応|7回、見込み17回（遅れ）" in text  # 遅れ: red
    assert "利用回数は7回（目標1,000回）である。直近28日のペース（1日0.14回）" in text
    assert "2,137" not in text and "17回となる見込みであり、判定は「遅れ」である。" in text
    assert "残る75日で1日13.24回のペースが必要である。" in text
    assert "利用中のサービスがありながら直近28日に利用のない企業：株式会社Ｂ" in text
    # Unbooked 120,000 + 320,000 = 440,000; projected 590,000; balance 10,000,000 − 590,000.
    assert ("執行額（計上済、委託料で負担するもの）は150,000円である。導入の計画のうちまだ計上されていない"
            "クラウドサービス経費が440,000円あり、これを加えた執行見込総額は590,000円となる。"
            "委託料10,000,000円に対する残額の見込みは9,410,000円である。") in text
    assert "株式会社Ｂ|0円|320,000円|320,000円|400,000円|令和8年2月" in text
    assert "株式会社Ａ|70,000円|120,000円|190,000円|400,000円|—" in text
    # C01: support from 9/5, FY end March 2026, 7 months, statements by the end of May: not measurable.
    assert "株式会社Ａ|令和7年9月5日|令和8年3月末|7か月|令和8年5月末|不可|なし" in text
    assert "株式会社Ａは、契約期間内に実績期の決算書が得られない。" in text
    # The reasons, grouped by company, with their dates in 令和.
    assert "C01の次回予定日令和7年11月20日を過ぎても支援の記録がありません" in text
    assert "C02は計画どおりに払うと令和8年2月に上限400,000円を超えます" in text
    assert "会議の記録がない月：令和7年11月。開催から7日以内に会議記録を作成していない会議：M2。" in text
    assert "K1|3月決算の企業の実績期|令和7年11月30日|対応中|期限切れ" in text and "K3" not in text
    # Hours: 佐藤 2 in October; 山本 1.5 in October (September's 2 is before the three months shown), 3.5 in all.
    assert "佐藤|2.0|—|—|2.0" in text and "山本|1.5|—|—|3.5" in text
    assert "上限を超える見込みの企業（株式会社Ｂ）の取扱いについて" in text
    assert "期限を過ぎた課題（K1）の対応について" in text
    assert "前回の状況報告の記録がないため" in text


def test_the_status_report_of_a_book_without_the_issue_sheet_or_next_visits_and_as_pdf(tmp_path):
    from toolkit.documents.paging import page_count

    headers = {"支援記録": [h for h in schema.SUPPORT_LOG.headers if h != "次回予定日"]}
    rows = sheets()
    rows["支援記録"] = [r[:9] for r in rows["支援記録"]]
    book = write_workbook(tmp_path / "old.xlsx", rows, omit=["課題"], headers=headers)
    out = tmp_path / "out"
    CliRunner().invoke(main, ["status", str(book), "--as-of", "2025-11-14", "--out", str(out), "--json"])
    result = CliRunner().invoke(main, ["status", str(book), "--as-of", "2025-12-15", "--out", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    text = document_text(out / "状況報告書_20251215.docx")
    assert "未完了の課題はない。" in text and "次回予定日令和" not in text
    # Changes since 11/14 (the figures of test_the_command_prints_json_keeps_a_record_and_says_what_moved).
    assert "前回の報告（令和7年11月14日時点）と比べた変化" in text
    assert "・利用回数（累計）：2回→7回" in text and "・執行見込総額：640,000円→590,000円" in text
    assert 2 <= page_count(out / "状況報告書_20251215.pdf") <= 4


def test_the_kpi_report_names_each_company_s_basis_and_both_averages(book, tmp_path):
    """C02 has only a 暫定 row (a 試算表), C03 a 実績: C03 is the KPI, C02 is reported beside it. Both: value added
    1,000万 + 500万 + 100万 = 1,600万 → 1,100万 + 500万 + 100万 = 1,700万 with 10 workers: 160万円/人 → 170万円/人."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(book), "--out", str(out), "--date", "2026-03-27"])
    assert result.exit_code == 0, result.output
    text = document_text(out / "KPI実績報告書.docx")
    rows = text.splitlines()
    c03, c02 = rows.index("C03 株式会社Ｃ|基準|令和6年9月30日|16,000,000円|10人|1,600,000円/人|"), \
        rows.index("C02 株式会社Ｂ|基準|令和6年12月31日|16,000,000円|10人|1,600,000円/人|")
    # C03: no support record, so support starts with its subscription (9/1) and its 実績 year (to 9/30) holds
    # 1 month of it; C02: from 10/2 to its December year end, 3 months. +6.25 % ≥ +1.0 %: 達成.
    assert rows[c03 + 1].startswith("（労働者数、支援1か月）|実績|令和7年9月30日|17,000,000円|10人|1,700,000円/人|")
    assert rows[c03 + 2] == "達成"  # under the change, in the same cell
    assert rows[c02 + 1].startswith("（労働者数、支援3か月）|暫定|令和7年12月31日|17,000,000円|10人|1,700,000円/人|")
    assert "区分の「暫定」は、実績期の決算書が契約期間内に得られないため、委託者と協議のうえ試算表で算定したもの" in text
    assert "目標（1社あたり+1.0%）に達した企業は、算定できた1社のうち1社（100.0%）である。" in text
    assert "実績期に含まれる支援が6か月未満の企業（株式会社Ｃ（1か月））は、支援による変化を測るには期間が短い。" in text
    # C02 is measured on a 試算表 only: its 決算書 for the year to 2025-12-31 is due by the end of February.
    assert ("株式会社Ｂ|実績期（支援後）の決算がまだありません（試算表による暫定値あり）。"
            "実績期の決算書は令和8年2月末までに提出の見込み") in text
    # 8 counted days (C01 six, C02 two), none with an 出典 typed.
    assert "集計した利用日の出典は、未記入 8回である。" in text
    assert "このほか1社は、実績期の決算書が契約期間内に得られないため、委託者と協議のうえ試算表による暫定値で算定した。" in text


def test_minutes_name_the_venue_both_sides_the_remarks_and_carry_a_confirmation_line(tmp_path):
    rows = sheets()
    rows["会議記録"][0] = ["M1", "2025/9/3", "対面", "（旧）市・受託者", "開始", None, "様式を確定", None, None,
                         "2025/9/8", "14:00〜15:00", "市役所 第3会議室", "市 課長 高田、主査 森", "山本、佐藤",
                         "計画書の様式に目標値の欄を設けること"]
    book = write_workbook(tmp_path / "m.xlsx", rows)
    result = CliRunner().invoke(main, ["report", str(book), "--out", str(tmp_path / "out"), "--date", "2026-03-27"])
    assert result.exit_code == 0, result.output
    [minutes] = (tmp_path / "out").glob("会議記録_M1_*.docx")
    text = document_text(minutes)
    assert "会場|市役所 第3会議室" in text and "指摘事項|計画書の様式に目標値の欄を設けること" in text
    # Split attendees win over the older 出席者 column, one line per side.
    assert "出席者|委託者：市 課長 高田、主査 森\n受託者：山本、佐藤" in text and "（旧）" not in text
    assert "委託者確認欄　　確認日：令和　　年　　月　　日　　確認者：" in text
    [older] = (tmp_path / "out").glob("会議記録_M2_*.docx")  # nothing split: the 出席者 column, — for no venue
    assert "会場|—" in document_text(older)
