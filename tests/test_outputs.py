"""One output place (成果品 beside the workbook, for the commands and the buttons alike) and a rerun that never
overwrites a Word file staff edited after the toolkit wrote it (issue 23, item 7)."""
from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from builders import write_workbook
from test_status import sheets
from toolkit.cli import main
from toolkit.outputs import claim, default_folder, kept_notes, remember


def test_documents_go_to_the_seikahin_folder_beside_the_book_by_default(tmp_path, monkeypatch):
    (tmp_path / "案件").mkdir()
    book = write_workbook(tmp_path / "案件" / "m.xlsx", sheets())
    monkeypatch.chdir(tmp_path)  # the current folder is not where they go
    result = CliRunner().invoke(main, ["plan", str(book), "--company", "C01"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "案件" / "成果品").glob("*.docx")] == ["改善活動計画書_C01_株式会社A.docx"]
    assert not (tmp_path / "output").exists()


def test_a_word_file_edited_after_the_toolkit_wrote_it_is_kept_and_the_new_one_written_beside(tmp_path):
    book = write_workbook(tmp_path / "m.xlsx", sheets())
    out = tmp_path / "成果品"

    def plan():
        result = CliRunner().invoke(main, ["plan", str(book), "--company", "C01", "--out", str(out)])
        assert result.exit_code == 0, result.output
        return result.output

    plan()
    written = out / "改善活動計画書_C01_株式会社A.docx"
    first = written.read_bytes()
    plan()  # untouched since: rewritten in place, nothing beside it
    assert sorted(p.name for p in out.glob("*.docx")) == [written.name]
    # Staff finish the wording in Word: the file changes (a later time, another size).
    written.write_bytes(first + b"edited")
    os.utime(written, ns=(written.stat().st_atime_ns, written.stat().st_mtime_ns + 5_000_000_000))
    said = plan()
    assert written.read_bytes() == first + b"edited"  # kept as staff left it
    beside = [p for p in out.glob("*.docx") if p != written]
    assert len(beside) == 1 and beside[0].name.startswith("改善活動計画書_C01_株式会社A（")
    assert beside[0].name.endswith(" 作成）.docx")
    assert f"「{written.name}」は作成後に編集されていたため上書きせず、新しい版を「{beside[0].name}」に作成しました。" \
        in said.replace("\n", "")


def test_a_file_the_toolkit_did_not_write_is_never_overwritten(tmp_path):
    target = tmp_path / "委託業務報告書.docx"
    target.write_bytes(b"a report someone put here")
    other = claim(target)
    assert other != target and other.parent == tmp_path and kept_notes([other])
    remember([target])  # once the toolkit has written it (recorded), the same file is its own
    assert claim(target) == target


def test_a_book_in_sharepoint_writes_under_documents(tmp_path, monkeypatch):
    from toolkit.workbook.location import parse_workbook

    monkeypatch.setattr("platformdirs.user_documents_path", lambda: tmp_path / "Documents")
    url = parse_workbook("https://contoso.sharepoint.com/:x:/s/program/EAbc?e=1")
    assert default_folder(url) == tmp_path / "Documents" / "成果品"
    assert default_folder(url, "案件A") == tmp_path / "Documents" / "案件A"
    assert default_folder(tmp_path / "m.xlsx") == Path(tmp_path).resolve() / "成果品"
