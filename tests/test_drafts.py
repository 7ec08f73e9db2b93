"""No silent exclusion (issue 22): a deliverable made from a book whose rows with errors would be left out of its
figures is refused, exit 1, the errors listed; ``--draft`` makes it as a 案 (【案】 on every page, an annex naming
each row left out); the 集計 sheet says in red how many rows its figures lack."""
from __future__ import annotations

from datetime import datetime

import docx
from click.testing import CliRunner

from builders import write_workbook
from test_status import sheets
from toolkit import schema
from toolkit.cli import main


def broken_book(tmp_path):
    rows = sheets()
    rows["経費"][1][4] = "=#REF!"  # E2 on sheet row 3: its 金額 is an Excel error, so the row is left out
    return write_workbook(tmp_path / "m.xlsx", rows)


def headers_of(path) -> list[str]:
    document = docx.Document(str(path))
    out = []
    for s in document.sections:
        out.append("\n".join(p.text for p in s.header.paragraphs))
        if s.different_first_page_header_footer:
            out.append("\n".join(p.text for p in s.first_page_header.paragraphs))
    return out


def test_a_report_from_a_book_with_an_error_row_is_refused_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    for command in (["report"], ["plan", "--company", "C01"]):
        result = CliRunner().invoke(main, [*command, str(broken_book(tmp_path)), "--out", str(out)])
        assert result.exit_code == 1, result.output
        assert "成果品を作成できません" in result.output and "1行が集計から外れるため、作成しません" in result.output
        assert "・経費 3行目「金額」" in result.output and "--draft" in result.output
        assert not out.exists() or not any(out.iterdir())


def test_a_draft_carries_the_mark_on_every_page_and_an_annex_naming_the_row(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(broken_book(tmp_path)), "--out", str(out), "--draft"])
    assert result.exit_code == 0, result.output
    written = sorted(out.glob("*.docx"))
    assert len(written) == 4 + 3  # the four reports and one 会議記録 per meeting (M1, M2, M3)
    for path in written:
        headers = headers_of(path)
        assert headers and all("【案】" in h for h in headers), path.name
        document = docx.Document(str(path))
        texts = [p.text for p in document.paragraphs]
        assert "別紙　集計から除外した行（案）" in texts, path.name
        annex = document.tables[-1]
        assert [c.text for c in annex.rows[0].cells] == ["シート", "行", "列", "内容"]
        [row] = annex.rows[1:]
        assert [c.text for c in row.cells][:3] == ["経費", "3行目", "金額"]


def test_a_final_report_has_no_mark_and_no_annex(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(write_workbook(tmp_path / "ok.xlsx", sheets())),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    for path in out.glob("*.docx"):
        assert not any("【案】" in h for h in headers_of(path))
        assert "別紙　集計から除外した行（案）" not in [p.text for p in docx.Document(str(path)).paragraphs]


def test_the_summary_sheet_says_in_red_which_rows_its_figures_lack(tmp_path):
    from openpyxl import load_workbook

    from toolkit.summary import refresh_book

    book = broken_book(tmp_path)
    refresh_book(book, now=datetime(2025, 12, 15, 9, 0))
    ws = load_workbook(book)[schema.SUMMARY_SHEET]
    [cell] = [c for row in ws.iter_rows(max_row=10) for c in row if isinstance(c.value, str) and "除外" in c.value]
    assert cell.value == "入力エラーのある 1行（経費 1行）を集計から除外しています。「入力チェック」で確認してください。"
    assert cell.font.color.rgb == "FFC00000" and cell.font.b


def test_a_document_that_cannot_be_written_is_a_japanese_message_not_a_crash(tmp_path):
    import os

    if os.geteuid() == 0:
        import pytest

        pytest.skip("root writes through permissions")
    out = tmp_path / "out"
    out.mkdir()
    (out / "委託業務報告書.docx").write_bytes(b"last time's")
    (out / "委託業務報告書.docx").chmod(0o444)  # as Word holds it open on Windows
    out.chmod(0o555)
    try:
        result = CliRunner().invoke(main, ["report", str(write_workbook(tmp_path / "ok.xlsx", sheets())),
                                           "--out", str(out)])
    finally:
        out.chmod(0o755)
    assert result.exit_code == 2 and "書類を作成できません" in result.output
    assert "「委託業務報告書.docx」を書き込めません。Word などで開いていれば閉じてから" in result.output
    assert "Traceback" not in result.output and "予期しないエラー" not in result.output


def test_a_document_whose_name_is_taken_by_a_folder_is_written_beside_it(tmp_path):
    out = tmp_path / "out"
    (out / "委託業務報告書.docx").mkdir(parents=True)  # not a file the toolkit wrote: never written over
    result = CliRunner().invoke(main, ["report", str(write_workbook(tmp_path / "ok.xlsx", sheets())),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "委託業務報告書.docx").is_dir()
    [beside] = out.glob("委託業務報告書（*作成）.docx")
    assert f"新しい版を「{beside.name}」に作成しました" in result.output.replace("\n", "")
