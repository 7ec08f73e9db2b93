"""Every error a user can meet, with its exit status (cli.md: 1 the workbook has errors that stop the job, 2 usage,
unreadable file, failed connection) and the Japanese title the CLI and the Excel status line put before it — as
httpx's test_exceptions maps its tree. A new ToolkitError must be added here, with both."""
from __future__ import annotations

import errno
import importlib
import pkgutil

import pytest
from click.testing import CliRunner

import toolkit
import toolkit.cli
from toolkit import errors

EXPECTED = {
    "ToolkitError": (2, "エラー"),
    "UsageError": (2, "指定に誤りがあります"),
    "UnknownCompany": (2, "指定に誤りがあります"),
    "WorkbookError": (2, "ブックを読めません"),
    "MissingInput": (1, "集計できません"),
    "RowErrors": (1, "成果品を作成できません"),
    "WorkbookLocked": (2, "書き込めません"),
    "WriteError": (2, "書き込めません"),
    "PatchError": (2, "書き込めません"),  # the zip patcher's refusals are write errors
    "DocumentError": (2, "書類を作成できません"),
    "LibreOfficeMissing": (2, "書類を作成できません"),
    "PdfConversionError": (2, "書類を作成できません"),
    "GraphError": (2, "Microsoft 365 を利用できませんでした"),
    "NotFound": (2, "Microsoft 365 を利用できませんでした"),
    "Forbidden": (2, "Microsoft 365 を利用できませんでした"),
    "OutcomeUnknown": (2, "Microsoft 365 を利用できませんでした"),
    "AuthError": (2, "サインインできませんでした"),
    "SyncError": (2, "同期できませんでした"),
    "SetupError": (2, "作成できませんでした"),
    "FileAccessError": (2, "ファイルを使えません"),
}


def _every_error() -> dict[str, type]:
    for info in pkgutil.walk_packages(toolkit.__path__, "toolkit."):
        if info.name != "toolkit.__main__":
            importlib.import_module(info.name)
    found, todo = {}, [errors.ToolkitError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def test_every_error_has_its_exit_status_and_japanese_title():
    found = _every_error()
    assert set(found) == set(EXPECTED), "add the new error to EXPECTED with its exit status and title"
    for name, cls in found.items():
        assert (cls.exit_code, cls.title) == EXPECTED[name], name
        assert cls.exit_code in (errors.EXIT_ERRORS, errors.EXIT_USAGE)


@pytest.mark.parametrize("args, code, title", [
    (["budget", "/no/such/book.xlsx"], 2, None),  # click's own "no such file", in Japanese
    (["check", "https://contoso.sharepoint.com/sites/p/Shared Documents/m.xlsx"], 2, "サインインできませんでした"),
])
def test_the_cli_shows_the_title_and_exits_with_the_status(args, code, title, tmp_path):
    env = {"TOOLKIT_CONFIG_DIR": str(tmp_path), "TOOLKIT_TENANT_ID": "", "TOOLKIT_CLIENT_ID": ""}
    result = CliRunner().invoke(toolkit.cli.main, args, env=env)
    assert result.exit_code == code and "Traceback" not in result.output
    if title:
        assert result.output.startswith(title + ":") or f"{title}:" in result.output


def test_a_pdf_held_open_in_a_viewer_is_said_in_words_with_exit_2(tmp_path, monkeypatch):
    """Windows refuses to delete or replace a file another program has open (PermissionError, WinError 32): last
    time's PDF open in a viewer. Simulated at the one call that meets it (the old PDF is removed first)."""
    import errno
    from pathlib import Path

    from builders import write_workbook
    from test_status import sheets

    book = write_workbook(tmp_path / "m.xlsx", sheets())
    out = tmp_path / "out"
    out.mkdir()
    held = out / "委託業務報告書.pdf"
    held.write_bytes(b"%PDF last time's")
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self.resolve() == held.resolve():
            raise PermissionError(errno.EACCES, "プロセスはファイルにアクセスできません", str(self))
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    result = CliRunner().invoke(toolkit.cli.main, ["report", str(book), "--out", str(out), "--pdf"])
    assert result.exit_code == 2, result.output
    assert "ファイルを使えません: 「委託業務報告書.pdf」を開けないか、書き込めません。" in result.output
    assert "閉じてから、もう一度実行してください" in result.output and "予期しないエラー" not in result.output


@pytest.mark.parametrize("code, says", [(errno.ENOSPC, "ディスクの空き容量が足りません"), (errno.EROFS, "読み取り専用の場所です")])
def test_a_full_disk_or_a_read_only_place_names_the_file_and_what_to_do(code, says):
    exc = OSError(code, "os says", "/srv/出力/支援記録簿.docx")
    known = errors.file_access_error(exc)
    assert known is not None and known.exit_code == 2
    assert str(known).startswith("「支援記録簿.docx」を書き込めません。") and says in str(known)
    assert errors.file_access_error(OSError(2, "No such file", "/x")) is None  # not ordinary: stays a bug
