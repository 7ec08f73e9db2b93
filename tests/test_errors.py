"""Every error a user can meet, with its exit status (cli.md: 1 the workbook has errors that stop the job, 2 usage,
unreadable file, failed connection) and the Japanese title the CLI and the Excel status line put before it — as
httpx's test_exceptions maps its tree. A new ToolkitError must be added here, with both."""
from __future__ import annotations

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
