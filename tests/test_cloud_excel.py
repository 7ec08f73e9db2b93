"""The Excel buttons on a book opened from SharePoint / OneDrive (its ``fullname`` is an address, not a path):
documents go to 設定.出力フォルダ or the user's Documents, the sync keeps its files in the user's folder and
writes through the open book (Excel merges that with the co-authors). Driven through ``fake_xlwings``."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.excel_book import correct_the_bad_row, fetching, queued_rows
from toolkit import excel, schema
from toolkit.workbook.location import cloud_files
from toolkit.outputs import OUTPUT_FOLDER

ADDRESS = "https://contoso.sharepoint.com/sites/program/Shared Documents/マスター.xlsm"


@pytest.fixture
def cloud_book(book, monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))  # platformdirs' Documents: ~/Documents here
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setattr(excel, "open_folder", lambda folder: None)
    book.fullname = ADDRESS
    return book


def _set(book, item: str, value: str) -> None:
    sheet = book.sheets[schema.SETTINGS.sheet]
    row = next(i for i, r in enumerate(sheet.rows(), start=1) if r and r[0] == item)
    sheet.range((row, 2)).value = value


def test_documents_go_to_the_users_documents_without_saving_the_book_locally(cloud_book, tmp_path):
    correct_the_bad_row(cloud_book)
    cloud_book.sheets[excel.CONTROL_SHEET].range(excel.NAME_COMPANY).value = "C01"
    outcome = excel.make_plan(cloud_book)
    assert outcome.ok, outcome.message
    docx = [p for p in outcome.paths if p.suffix == ".docx"]
    assert docx and docx[0].parent == tmp_path / "home" / "Documents" / OUTPUT_FOLDER


def test_documents_go_to_the_folder_named_in_the_settings(cloud_book, tmp_path):
    target = tmp_path / "共有フォルダ" / "成果品"
    _set(cloud_book, "出力フォルダ", str(target))
    correct_the_bad_row(cloud_book)
    cloud_book.sheets[excel.CONTROL_SHEET].range(excel.NAME_COMPANY).value = "C01"
    outcome = excel.make_plan(cloud_book)
    assert outcome.ok, outcome.message
    assert {p.parent for p in outcome.paths} == {target}
    _set(cloud_book, "出力フォルダ", "計画書")  # relative: under Documents
    assert excel.output_dir(cloud_book) == tmp_path / "home" / "Documents" / "計画書"


def test_a_local_book_keeps_its_output_folder_beside_it(book):
    assert excel.output_dir(book) == Path(book.fullname).parent / OUTPUT_FOLDER


def test_the_sync_button_applies_its_queue_kept_in_the_users_folder(cloud_book, monkeypatch, tmp_path):
    from toolkit.graph.queue import queue_path, write_queue

    env = {"TOOLKIT_CONFIG_DIR": str(tmp_path / "config")}
    monkeypatch.setattr(excel, "_plan_fetch", fetching({}))
    path = cloud_files(ADDRESS, "マスター.xlsm", env)
    assert path.is_relative_to(tmp_path / "config")
    write_queue(path, queued_rows())
    outcome = excel.run_sync(cloud_book, env=env)
    assert outcome.ok and outcome.added == 3, outcome.message
    assert not queue_path(path).exists() and cloud_book.saves == 1
    rows = cloud_book.sheets[schema.ATTENDANCE.sheet].rows()
    assert [r[7] for r in rows[1:]] == ["F-1", "F-2"]
