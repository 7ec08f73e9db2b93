"""The one lock for "one toolkit writer per workbook".

The commands, the Excel buttons and the scheduled sync may overlap. Every writer holds this lock from its read to
its write: a 集計 refresh, an append, and the sync (across its fetch, so a refresh started meanwhile waits and
then reads the rows the sync adds; a sync started while 集計 is written waits its turn). It is an OS file lock
(flock / msvcrt) on a file in the book's backup folder, so a killed process never leaves it held; a thread that
holds it may take it again (a nested write of the same book). Standard library only: a command takes it before
its heavy imports, so the one started first is the one that writes first.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from toolkit.errors import WorkbookLocked, WriteError, describe_os_error

BACKUP_DIR = ".toolkit-backups"
LOCK_WAIT = 30.0  # seconds a toolkit process waits for another one's read-modify-write of the same book

_held = threading.local()  # lock files this thread holds


def lock_key(path: str | os.PathLike) -> str:
    return os.path.normcase(os.path.realpath(path))


@contextmanager
def writer_lock(path: str | os.PathLike, *, wait: float = LOCK_WAIT,
                on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the writer lock of ``path`` (a book in SharePoint locks its stand-in, ``location.cloud_files``).
    Waits up to ``wait`` seconds for another process, calling ``on_wait`` once so the caller can say why."""
    path = Path(path)
    key = lock_key(path)
    held = getattr(_held, "keys", None)
    if held is None:
        held = _held.keys = set()
    if key in held:
        yield
        return
    backup_dir = path.parent / BACKUP_DIR
    try:
        backup_dir.mkdir(exist_ok=True)
        handle = open(backup_dir / f"{path.name}.lock", "a+b")
    except OSError as e:
        raise WriteError(f"ブック「{path.name}」に書き込めません。{describe_os_error(e, path.parent)}") from e
    try:
        deadline = time.monotonic() + wait
        told = False
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise WorkbookLocked(f"ブック「{path.name}」には別の toolkit の処理（同期など）が書き込み中です。"
                                     "終わってから再実行してください。")
            if not told and on_wait is not None:
                on_wait()
            told = True
            time.sleep(0.05)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
    finally:
        _unlock(handle)
        handle.close()  # on POSIX closing releases the lock


def _try_lock(handle) -> bool:
    try:
        if os.name == "nt":
            import msvcrt
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(handle) -> None:
    if os.name == "nt":
        import msvcrt
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
