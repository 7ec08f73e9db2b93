"""`toolkit privacy`: the 情報管理台帳 of seed 9 — personal columns with the rows that fill them, why they are held,
until when, and every copy on this PC — worked out by hand from a small book."""
from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from cloud_setup import env, fake  # noqa: F401 (fixtures)

from builders import write_workbook
from toolkit.cli import main


def test_the_register_lists_the_columns_their_rows_and_every_copy(tmp_path, monkeypatch):
    book = write_workbook(tmp_path / "m.xlsx", {
        "企業": [["C01", "株式会社Ａ", *[None] * 6, "山田 太郎", "yamada@a.example"],
                 ["C02", "株式会社Ｂ", *[None] * 6, "佐藤 花子"],  # no e-mail
                 ["C03", "株式会社Ｃ"]],
        "サービス": [["S01", "会計", None, "経理"]],
        "利用実績": [["C01", "S01", "経理", "2025/9/10", "yamada@a.example"], ["C01", "S01", "経理", "2025/9/11"]],
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", "2025/9/20"]],
        "出欠": [["EV1", "C01", "山田 太郎", "yamada@a.example", "出席", None, "手入力"]],
        "会議記録": [["M1", "2025/9/3", None, "市: 田中、受託者: 鈴木", "開始"], ["M2", "2025/10/3", None, None, "経費"]],
    })
    # Copies: one backup of this book (and one of another book, not ours), the sync's queue, a downloaded master,
    # and in the output folder the minutes and the support log (names) and the budget report (no names).
    backups = tmp_path / ".toolkit-backups"
    backups.mkdir()
    (backups / "m-20251001-101010-000001.xlsx").write_bytes(b"x")
    (backups / "other-20251001-101010-000001.xlsx").write_bytes(b"x")
    (tmp_path / "m.xlsx.toolkit-queue.json").write_text("{}", encoding="utf-8")
    cache = tmp_path / "cache"
    (cache / "workbooks" / "abc").mkdir(parents=True)
    (cache / "workbooks" / "abc" / "マスター.xlsx").write_bytes(b"x")
    monkeypatch.setenv("TOOLKIT_CACHE_DIR", str(cache))
    out = tmp_path / "out"
    out.mkdir()
    for name in ("会議記録_M1_20250903.docx", "支援記録簿.pdf", "予算執行状況報告書.docx",
                 "引渡し_C01_20250905-20251231.zip"):  # a `toolkit handover` package holds the log and materials
        (out / name).write_bytes(b"x")
    (out / "引渡し_C01_20250905-20251231").mkdir()  # and the folder it was zipped from

    result = CliRunner().invoke(main, ["privacy", str(book), "--documents", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # No 個人情報の保存期限 set: 契約終了日 2026-03-31 + 1 year.
    assert data["retention_until"] == "2027-03-31"
    assert [(c["sheet"], c["column"], c["rows"]) for c in data["columns"]] == [
        ("企業", "連絡先氏名", 2), ("企業", "連絡先メール", 1), ("利用実績", "アカウント", 1),
        ("出欠", "氏名", 1), ("出欠", "メール", 1), ("会議記録", "出席者", 1), ("会議記録", "委託者出席者", 0),
        ("会議記録", "受託者出席者", 0), ("支援記録", "企業確認", 0)]
    assert all(c["purpose"] for c in data["columns"])
    kinds = [(c["kind"], c["path"].replace(str(tmp_path), "T")) for c in data["copies"]]
    assert kinds == [
        ("マスターブック", "T/m.xlsx"),
        ("ブックの控え（自動バックアップ）", "T/.toolkit-backups/m-20251001-101010-000001.xlsx"),
        ("同期の記録", "T/m.xlsx.toolkit-queue.json"),
        ("SharePoint から取得したブックの控え", "T/cache/workbooks/abc/マスター.xlsx"),
        ("成果品", "T/out/会議記録_M1_20250903.docx"),
        ("成果品", "T/out/支援記録簿.pdf"),
        ("成果品", "T/out/引渡し_C01_20250905-20251231"),
        ("成果品", "T/out/引渡し_C01_20250905-20251231.zip")]


def test_a_retention_date_set_in_the_settings_wins(tmp_path):
    book = write_workbook(tmp_path / "m.xlsx", {}, settings={"個人情報の保存期限": date(2026, 9, 30)})
    result = CliRunner().invoke(main, ["privacy", str(book), "--documents", str(tmp_path / "none"), "--json"])
    assert json.loads(result.output)["retention_until"] == "2026-09-30"
    screen = CliRunner().invoke(main, ["privacy", str(book), "--documents", str(tmp_path / "none"),
                                       "--out", str(tmp_path / "out"), "--pdf"])
    assert screen.exit_code == 0 and "情報管理台帳（保存期限 2026-09-30）" in screen.output
    import docx

    from toolkit.documents.paging import page_count

    [word] = (tmp_path / "out").glob("情報管理台帳_*.docx")
    text = "\n".join(p.text for p in docx.Document(str(word)).paragraphs)
    assert "個人情報は令和8年9月30日まで保存し" in text and "マスターブックのほかに、個人情報の写しはない。" in text
    assert page_count(word.with_suffix(".pdf")) == 1


def test_purge_erases_the_rows_before_the_day_keeps_the_figures_and_every_other_copy_goes(tmp_path):
    book = write_workbook(tmp_path / "m.xlsx", {
        "企業": [["C01", "株式会社Ａ", *[None] * 6, "山田 太郎", "yamada@a.example"]],
        "サービス": [["S01", "会計", None, "経理"]],
        "利用実績": [["C01", "S01", "経理", "2025/9/10", "yamada@a.example"],
                    ["C01", "S01", "経理", "2025/12/10", "sato@a.example"]],
        # 企業確認 (who at the company confirmed the visit) is personal: dated by its 支援日.
        "支援記録": [["R1", "C01", "2025/9/5", "対面", *[None] * 9, "山田 太郎（9/5 確認）"]],
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", "2025/9/20"],
                    ["EV2", "成果共有会", "成果共有会", "2026/2/20"]],
        "出欠": [["EV1", "C01", "山田 太郎", "yamada@a.example", "出席", None, "手入力"],
                 ["EV2", "C01", "佐藤 花子", "sato@a.example", "出席", None, "手入力"]],
        "会議記録": [["M1", "2025/9/3", None, "市: 田中、受託者: 鈴木", "開始"]],
    })
    (tmp_path / "m.xlsx.toolkit-queue.json").write_text("{}", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "会議記録_M1_20250903.docx").write_bytes(b"x")
    figures = [CliRunner().invoke(main, [job, str(book), "--json"]).output for job in ("budget", "kpi")]

    dry = CliRunner().invoke(main, ["purge", str(book), "--before", "2025-12-01", "--dry-run", "--documents",
                                    str(out), "--json"])
    planned = json.loads(dry.output)
    # Before 12/1: the 9/10 usage row, EV1's attendance (9/20), M1 (9/3); the company's contact has no date and the
    # contract (to 2026-03-31) is not over: kept.
    assert [(c["column"], c["rows"]) for c in planned["columns"]] == [
        ("連絡先氏名", 0), ("連絡先メール", 0), ("アカウント", 1), ("氏名", 1), ("メール", 1), ("出席者", 1),
        ("委託者出席者", 0), ("受託者出席者", 0), ("企業確認", 1)]
    assert planned["erased_cells"] == 5 and planned["dry_run"] is True
    assert (tmp_path / "m.xlsx.toolkit-queue.json").is_file()  # nothing done yet

    done = CliRunner().invoke(main, ["purge", str(book), "--before", "2025-12-01", "--documents", str(out),
                                     "--by", "鈴木 一郎", "--out", str(tmp_path / "report")])
    assert done.exit_code == 0, done.output
    assert "個人情報 5件を消去しました。" in done.output
    import docx

    [report] = (tmp_path / "report").glob("個人情報消去報告書_*.docx")
    document = docx.Document(str(report))
    cells = [[c.text for c in r.cells] for t in document.tables for r in t.rows]
    assert ["実施者", "鈴木 一郎"] in cells and ["件数", "5件"] in cells
    assert ["出欠", "メール", "1件", "空欄にした"] in cells and ["会議記録", "出席者", "1件", "「（消去済）」に置き換えた"] in cells
    # The budget and the KPIs are the same; the queue and every backup (this write's too) are gone; the minutes
    # already submitted are listed, not deleted.
    assert [CliRunner().invoke(main, [job, str(book), "--json"]).output for job in ("budget", "kpi")] == figures
    assert not (tmp_path / "m.xlsx.toolkit-queue.json").exists()
    assert not list((tmp_path / ".toolkit-backups").glob("m-*.xlsx"))
    assert (out / "会議記録_M1_20250903.docx").is_file() and "会議記録_M1_20250903.docx" in done.output
    after = json.loads(CliRunner().invoke(main, ["privacy", str(book), "--documents", str(out), "--json"]).output)
    # Left: the contact (2), the 12/10 account, EV2's name and e-mail; the 出席者 of M1 is 「（消去済）」.
    assert [(c["column"], c["rows"]) for c in after["columns"]] == [
        ("連絡先氏名", 1), ("連絡先メール", 1), ("アカウント", 1), ("氏名", 1), ("メール", 1), ("出席者", 0),
        ("委託者出席者", 0), ("受託者出席者", 0), ("企業確認", 0)]
    from openpyxl import load_workbook

    wb = load_workbook(book)
    assert [r[2] for r in wb["出欠"].iter_rows(min_row=2, values_only=True)] == ["（消去済）", "佐藤 花子"]
    assert [r[3] for r in wb["出欠"].iter_rows(min_row=2, values_only=True)] == [None, "sato@a.example"]
    assert list(wb["履歴"].values)[-1][1:4] == ("個人情報の消去", None, "2025-12-01より前")


def test_a_job_reads_the_sheets_its_rows_refer_to(tmp_path):
    """privacy reads 利用実績 and 出欠 but not サービス or イベント by itself; without them every usage and attendance
    row would look as if it named an unknown ID and be left out."""
    from toolkit import schema
    from toolkit.load import load_program

    assert {"サービス", "イベント"} <= set(schema.sheets_needed("privacy"))
    book = write_workbook(tmp_path / "m.xlsx", {
        "企業": [["C01", "株式会社Ａ"]], "サービス": [["S01", "会計", None, "経理"]],
        "利用実績": [["C01", "S01", "経理", "2025/9/10", "a@a.example"]],
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", "2025/9/20"]],
        "出欠": [["EV1", "C01", "山田 太郎", None, "出席", None, "手入力"]]})
    program = load_program(book, schema.sheets_needed("privacy"))
    assert len(program.usage) == 1 and len(program.attendance) == 1 and not program.rejected


def test_purge_refuses_when_a_sheet_holding_names_was_renamed(tmp_path):
    from openpyxl import load_workbook

    book = write_workbook(tmp_path / "m.xlsx", {
        "会議記録": [["M1", "2025/9/3", None, "市: 田中、受託者: 鈴木", "開始"]]})
    wb = load_workbook(book)
    wb["会議記録"].title = "会議記録（旧）"  # the names are still in the book, under another sheet name
    wb.save(book)
    before = book.read_bytes()
    result = CliRunner().invoke(main, ["purge", str(book), "--before", "2027-04-01"])
    assert result.exit_code == 1 and "個人情報の消去に必要なシート" in result.output
    assert "シート「会議記録」がありません" in result.output and "Traceback" not in result.output
    assert book.read_bytes() == before


def test_a_master_in_sharepoint_is_masked_through_the_workbook_api_and_the_report_names_its_versions(
        fake, env, tmp_path):  # noqa: F811
    from cloud_setup import add_master, downloaded

    book = write_workbook(tmp_path / "m.xlsx", {
        "企業": [["C01", "株式会社Ａ"]],
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", "2025/9/20"],
                    ["EV2", "成果共有会", "成果共有会", "2026/2/20"]],
        "出欠": [["EV1", "C01", "山田 太郎", "yamada@a.example", "出席", None, "手入力"],
                 ["EV2", "C01", "佐藤 花子", "sato@a.example", "出席", None, "手入力"]],
    })
    url, file = add_master(fake, book.read_bytes())
    result = CliRunner().invoke(main, ["purge", url, "--before", "2025-12-01", "--by", "鈴木 一郎",
                                       "--out", str(tmp_path / "report")], env=env)
    assert result.exit_code == 0, result.output
    assert "個人情報 2件を消去しました。" in result.output  # EV1's name and e-mail (9/20)
    attendance = downloaded(file, "出欠")
    assert [(r["氏名"], r["メール"] or None) for r in attendance] == [("（消去済）", None), ("佐藤 花子", "sato@a.example")]
    assert downloaded(file, "履歴")[-1]["操作"] == "個人情報の消去"
    import docx

    [report] = (tmp_path / "report").glob("個人情報消去報告書_*.docx")
    text = "\n".join(p.text for p in docx.Document(str(report)).paragraphs)
    assert "5\u3000SharePoint・OneDrive に残る以前の版" in text and "Preservation Hold" in text


def test_a_row_changed_in_sharepoint_since_the_download_is_refused_not_written_over(fake, env, tmp_path):  # noqa: F811
    from cloud_setup import add_master, downloaded

    from toolkit.errors import WriteError
    from toolkit.workbook.cloud import CloudBook
    from toolkit.workbook.write import RowUpdate

    book = write_workbook(tmp_path / "m.xlsx", {
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", "2025/9/20"]],
        "出欠": [["EV1", None, "山田 太郎", None, "出席", None, "手入力"]],
    })
    url, file = add_master(fake, book.read_bytes())
    # Row 2 was read as 「田中 一郎」, but a co-author has since put 山田 太郎 there (rows moved).
    with CloudBook(url, env=env) as cloud, cloud.edit() as session:
        with pytest.raises(WriteError, match="2行目が読み込んだ後に変わっています"):
            session.update_rows("出欠", [RowUpdate(2, {"氏名": "（消去済）"}, {"氏名": "田中 一郎"})])
    assert downloaded(file, "出欠")[0]["氏名"] == "山田 太郎"
