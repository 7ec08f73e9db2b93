"""The one error model: every failure staff can meet is a ``ToolkitError`` with a Japanese message.

Each class carries the exit status of ``cli.md`` (0 done, 1 the workbook has errors that stop the job, 2 usage
error, unreadable file, failed connection, a sync source that could not be read). The CLI and the Excel adapter
each catch ``ToolkitError`` in one place and show ``str(error)``; anything else is a bug, logged and reported
without a traceback.
"""
from __future__ import annotations

import errno
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from toolkit.model import Finding

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class ToolkitError(Exception):
    """A failure with a message for staff (Japanese) and the exit status the CLI returns."""

    exit_code = EXIT_USAGE
    title = "エラー"  # the word the CLI and the Excel status line put before the message


class UsageError(ToolkitError):
    """An argument or option that cannot be used as given."""

    title = "指定に誤りがあります"


class UnknownCompany(UsageError):
    """A company ID asked for is not in the 企業 sheet."""


class WorkbookError(ToolkitError):
    """The file is not a workbook we can read: missing, not .xlsx, encrypted, Strict Open XML, corrupt."""

    title = "ブックを読めません"


class MissingInput(ToolkitError):
    """A sheet, table, header or setting that a figure needs is missing or unreadable: the figure is refused."""

    exit_code = EXIT_ERRORS
    title = "集計できません"

    def __init__(self, message: str, findings: Sequence["Finding"] = ()):
        super().__init__(message)
        self.findings = tuple(findings)


class RowErrors(ToolkitError):
    """Rows with an error would be left out of a deliverable's figures: it is not made (``--draft`` makes a 案)."""

    exit_code = EXIT_ERRORS
    title = "成果品を作成できません"

    def __init__(self, message: str, findings: Sequence["Finding"] = ()):
        super().__init__(message)
        self.findings = tuple(findings)


class WorkbookLocked(ToolkitError):
    """The workbook is open in Excel (or another toolkit process is writing it): nothing was written."""

    title = "書き込めません"


class WriteError(ToolkitError):
    """A write could not be done; the master is unchanged."""

    title = "書き込めません"


class DocumentError(ToolkitError):
    """A deliverable could not be made (template, LibreOffice, output folder)."""

    title = "書類を作成できません"


class GraphError(ToolkitError):
    """Microsoft 365 (Graph) refused or failed a call: not found, no access, throttled, no connection, a broken
    answer. A command reading a master in SharePoint shows it as WorkbookError, the sync as a failed source."""

    title = "Microsoft 365 を利用できませんでした"


class AuthError(GraphError):
    """Signing in failed: configuration, secret, certificate, consent, tenant, or the sign-in expired."""

    title = "サインインできませんでした"


class SyncError(ToolkitError):
    """The sync (or one of its sources) could not be completed; nothing half-read was written."""

    title = "同期できませんでした"


class SetupError(ToolkitError):
    """The Excel set-up (macro workbook, xlwings settings) could not be done."""

    title = "作成できませんでした"


class FileAccessError(ToolkitError):
    """A file or folder the operating system would not let us use: open in Word or Excel (Windows locks it),
    read-only, on a full disk. Ordinary on a PC, never a bug: said in words, exit 2."""

    title = "ファイルを使えません"


# The errors of ordinary file trouble (anything else an OSError says stays a bug for the catch-all).
_ORDINARY = (errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS, errno.EBUSY, errno.ETXTBSY)


def file_access_error(exc: OSError) -> FileAccessError | None:
    """The failure in words, naming the file, when it is ordinary file trouble; None for anything else."""
    if not (isinstance(exc, PermissionError) or exc.errno in _ORDINARY or getattr(exc, "winerror", None) == 32):
        return None
    path = Path(str(exc.filename)) if exc.filename else None
    if path is None:
        return FileAccessError(describe_os_error(exc, "（不明）"))
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY):
        return FileAccessError(f"「{path.name}」を開けないか、書き込めません。Word・Excel・PDF の閲覧ソフトなどで開いていれば"
                               f"閉じてから、もう一度実行してください。開いていなければ、{describe_os_error(exc, path.parent)}")
    return FileAccessError(f"「{path.name}」を書き込めません。{describe_os_error(exc, path.parent)}")


def describe_os_error(exc: OSError, where: object) -> str:
    """An operating-system failure in words staff can act on."""
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return (f"フォルダ「{where}」に書き込む権限がありません。書き込めるフォルダにブックを置くか、"
                "IT 担当者に権限を確認してください。")
    if exc.errno == errno.ENOSPC:
        return f"ディスクの空き容量が足りません（{where}）。空きを作ってから再実行してください。"
    if exc.errno == errno.EROFS:
        return f"フォルダ「{where}」は読み取り専用の場所です。書き込める場所にブックを置いてください。"
    return f"ファイルを操作できませんでした（{where}: {exc.strerror or exc}）。"
