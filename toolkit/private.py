"""Files and folders only their owner may read: token cache, sign-in record, sync queue and state, the download
cache of a SharePoint master (they hold tokens or personal data).

On POSIX that is the mode (0600 files, 0700 folders). On Windows the mode bits mean nothing (chmod only sets the
read-only flag): the owner-only access is an ACL, set with ``icacls`` (part of Windows): inheritance removed, full
control for the current user only, so a folder shared with colleagues does not pass its rights on to the file.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

FILE_MODE, FOLDER_MODE = 0o600, 0o700


def owner_only_command(path: Path, env: Mapping[str, str] = os.environ) -> list[str]:
    """The ``icacls`` call that leaves ``path`` to the current Windows user alone (DOMAIN\\user from the
    environment Windows sets at sign-in; ``(OI)(CI)`` lets a folder's files inherit it)."""
    user = env.get("USERNAME") or "%USERNAME%"
    who = f"{env['USERDOMAIN']}\\{user}" if env.get("USERDOMAIN") else user
    rights = "(OI)(CI)F" if path.is_dir() else "F"
    return ["icacls", str(path), "/inheritance:r", "/grant:r", f"{who}:{rights}"]


def restrict(path: Path) -> None:
    """Make ``path`` (a file or a folder) readable by its owner only, on this system's terms."""
    path = Path(path)
    if sys.platform == "win32":
        subprocess.run(owner_only_command(path), check=True, capture_output=True,
                       creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    else:
        os.chmod(path, FOLDER_MODE if path.is_dir() else FILE_MODE)


def private_folder(path: Path) -> Path:
    """``path`` created owner-only if it is not there; an existing folder is left as it is (the sync queue lives
    beside the workbook, in a folder staff share)."""
    path = Path(path)
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        restrict(path)
    return path


def write_private_file(path: Path, content: str | bytes) -> None:
    """Write ``content`` so that only its owner can read it, atomically (a crash leaves old or new)."""
    path = Path(path)
    private_folder(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        restrict(tmp)  # O_CREAT's mode is ignored for an existing file, and is no ACL on Windows
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
