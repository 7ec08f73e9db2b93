"""Writing to the master workbook without losing staff work.

Only the parts a write owns are rewritten — the target sheet XML and its table XML, a sheet the toolkit owns with
its charts, styles.xml when a new cell format is needed — and every other zip member is copied byte for byte, with
its original compressed bytes. No library can do that: re-saving through openpyxl drops shapes, controls, images,
some charts and VBA. The zip and XML work is in ``toolkit.workbook.xlsx``; this module is the transaction around
it: one writer at a time, lock detection, a temp file beside the master, verification, a bounded backup, and an
atomic replace.

    with transaction(path) as tx:        # holds the writer lock: other toolkit writers wait
        program = load_program(path)     # read …
        tx.patch(replace_sheets=…)       # … and write what was computed from exactly that file
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Iterator, Mapping, Sequence

from toolkit.errors import WorkbookLocked, WriteError, describe_os_error
from toolkit.workbook.lock import BACKUP_DIR, LOCK_WAIT, lock_key, writer_lock
from toolkit.workbook import xlsx
from toolkit.workbook.layout import SheetLayout
from toolkit.workbook.xlsx import PatchError, RowUpdate

__all__ = ["BACKUP_DIR", "LOCK_WAIT", "SYNC_WAIT", "RowUpdate", "Transaction", "WorkbookLocked", "WriteError",
           "is_locked", "patch_workbook", "read_table_headers", "transaction", "writer_lock"]

_TEMP_SUFFIX = ".toolkit-tmp"
_UNCHANGED = "元のファイルは変更していません。"
# Seconds a 集計 refresh waits for a sync of the same book (a throttled sync may wait minutes for Graph): it says it
# waits, and then reads what the sync wrote.
SYNC_WAIT = 600.0

_NONE: Mapping = MappingProxyType({})  # an empty default no call can change
Rows = Sequence[Mapping[str, object]]
Sheets = Mapping[str, SheetLayout | Sequence[Sequence[object]]]
# sheet -> RowUpdates, or sheet -> {worksheet row: {header: value}} (no check of what the row holds)
Updates = Mapping[str, Sequence[RowUpdate] | Mapping[int, Mapping[str, object]]]


def is_locked(path: str | os.PathLike) -> bool:
    """True when Excel has the workbook open: its owner file ``~$name`` is beside it, or the file cannot be
    opened for writing (Windows share lock, read-only file)."""
    path = Path(path)
    if (path.parent / ("~$" + path.name)).exists():
        return True
    try:
        with open(path, "r+b"):
            return False
    except FileNotFoundError:
        return False
    except OSError:
        return True


def _locked_message(path: Path) -> str:
    owner = path.parent / ("~$" + path.name)
    if owner.exists():
        return (f"ブック「{path.name}」は Excel で開かれています（所有者ファイル {owner.name} があります）。"
                f"Excel で閉じてから再実行してください。Excel で開いていないのにこの表示が出る場合は、"
                f"{owner.name} を削除してください。")
    return (f"ブック「{path.name}」に書き込めません（Excel で開かれているか、読み取り専用です）。"
            "Excel で閉じてから再実行してください。")


def read_table_headers(path: str | os.PathLike, sheet: str) -> list[str]:
    """The column names of the Excel Table on ``sheet``, in order."""
    path = Path(path)
    try:
        with open(path, "rb") as fp:
            return xlsx.table_headers(xlsx.Package(fp), sheet)
    except PatchError as e:
        raise WriteError(f"{path.name}: {e}") from e
    except OSError as e:
        raise WriteError(f"ブック「{path.name}」を読めません。{describe_os_error(e, path.parent)}") from e


def patch_workbook(path: str | os.PathLike, *, append: Mapping[str, Rows] = _NONE, replace_sheets: Sheets = _NONE,
                   update: Updates = _NONE, backups: int = 10) -> None:
    """Append rows to sheets' tables, overwrite cells of existing table rows, and/or write (or add) sheets the
    toolkit owns, as one all-or-nothing write.

    ``append``: sheet -> rows, each a mapping of table header -> value (str, int, float, bool, date, datetime;
    None leaves the cell empty; a row of only None is skipped). Text is always written as text, never as a
    formula. ``update``: sheet -> ``RowUpdate``s (row number as the reader reports it, header -> new value, and
    what the row must still hold), or sheet -> {row number: {header: value}}. ``replace_sheets``: sheet -> a ``SheetLayout`` (styles, widths, charts) or a
    matrix of values, row 1 first; a missing sheet is added. Raises WorkbookLocked when Excel (or another toolkit
    process, for longer than ``LOCK_WAIT``) has the file, WriteError for anything else; the master is then
    unchanged. For a read-modify-write, use ``transaction`` so the read and the write see the same file.
    """
    if not any(append.values()) and not any(update.values()) and not replace_sheets:
        _require_file(Path(path))
        return
    with transaction(path) as tx:
        tx.patch(append=append, replace_sheets=replace_sheets, update=update, backups=backups)


class Edits:
    """A job's writes to a local book, gathered so they land in one atomic patch (``Transaction.patch``): the
    destination a job like the 集計 refresh writes through for a file on disk."""

    def __init__(self) -> None:
        self.sheets: dict[str, SheetLayout] = {}
        self.rows: dict[str, list[Mapping[str, object]]] = {}

    def rewrite_sheet(self, sheet: str, layout: SheetLayout) -> None:
        self.sheets[sheet] = layout

    def append(self, sheet: str, rows: Sequence[Mapping[str, object]]) -> None:
        self.rows.setdefault(sheet, []).extend(rows)


# ---------------------------------------------------------------------------------------------------------------
# The transaction: one toolkit writer per workbook, from its read to its write.

_held = threading.local()  # path key -> Transaction held by this thread (a nested transaction reuses it)


class Transaction:
    """A workbook held for a read-modify-write: ``patch`` writes, refusing if the file changed since it was read."""

    def __init__(self, path: Path):
        self.path = path
        self._seen = _signature(path)

    def patch(self, *, append: Mapping[str, Rows] = _NONE, replace_sheets: Sheets = _NONE, update: Updates = _NONE,
              backups: int = 10) -> None:
        """As ``patch_workbook``, inside the transaction (the writer lock is already held)."""
        append = {sheet: list(rows) for sheet, rows in append.items() if rows}
        update = {sheet: [RowUpdate(r, values) for r, values in rows.items()] if isinstance(rows, Mapping)
                  else list(rows) for sheet, rows in update.items() if rows}
        if not append and not update and not replace_sheets:
            return
        path = self.path
        if is_locked(path):
            raise WorkbookLocked(_locked_message(path))
        if _signature(path) != self._seen:
            raise WriteError(f"読み込んだ後に、ブック「{path.name}」が別のプログラムで保存されました。"
                             f"もう一度実行してください。{_UNCHANGED}")
        _replace(path, append, replace_sheets, update, backups)
        self._seen = _signature(path)

    def replace_with(self, staged: Path, backups: int = 10) -> Path | None:
        """Put a whole new file, built beside the master by the caller (excel-setup), in the master's place: the
        same checks and backup as ``patch``. Returns the backup."""
        path = self.path
        if _signature(path) != self._seen:
            raise WriteError(f"読み込んだ後に、ブック「{path.name}」が別のプログラムで保存されました。"
                             f"もう一度実行してください。{_UNCHANGED}")
        try:
            backup = _commit(path, Path(staged), os.stat(path), backups)
        except OSError as e:
            raise WriteError(f"ブック「{path.name}」を置き換えられませんでした。{describe_os_error(e, path.parent)}"
                             f"{_UNCHANGED}") from e
        self._seen = _signature(path)
        return backup


@contextmanager
def transaction(path: str | os.PathLike, *, wait: float = LOCK_WAIT, on_wait: Callable[[], None] | None = None,
                while_open: bool = False) -> Iterator[Transaction]:
    """Hold the workbook's writer lock from reading to writing: another toolkit process (the scheduled sync, a
    button) that wants to write the same book waits until this one has written, and then reads the new file.

    Refuses at once (WorkbookLocked) when Excel has the book open, and (WriteError) when the book cannot be
    written at all (Strict Open XML, encrypted, not a workbook). ``on_wait`` is called once if another toolkit
    process holds the lock, so a caller can say why it is waiting. The lock is an OS file lock: a process that is
    killed never leaves it held. Nested transactions on the same book in one thread share the lock.
    ``while_open``: hold the lock even while Excel has the book open (the sync, which then queues its rows: its
    ``patch`` raises WorkbookLocked).
    """
    path = Path(path)
    key = lock_key(path)
    held = getattr(_held, "books", None)
    if held is None:
        held = _held.books = {}
    if key in held:
        yield held[key]
        return
    _require_file(path)
    if not while_open and is_locked(path):
        raise WorkbookLocked(_locked_message(path))
    with writer_lock(path, wait=wait, on_wait=on_wait):
        _check_writable(path)
        tx = Transaction(path)
        held[key] = tx
        try:
            yield tx
        finally:
            del held[key]


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise WriteError(f"ブック「{path}」が見つかりません。")


def _signature(path: Path) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError as e:
        raise WriteError(f"ブック「{path.name}」を読めません。{describe_os_error(e, path.parent)}") from e
    return st.st_mtime_ns, st.st_size


def _check_writable(path: Path) -> None:
    """Refuse, before anyone reads it, a book the patcher could not write (Strict Open XML above all: read as
    transitional it would look empty)."""
    try:
        with open(path, "rb") as fp:
            xlsx.open_book(xlsx.Package(fp))
    except PatchError as e:
        raise WriteError(f"{path.name}: {e}") from e
    except OSError as e:
        raise WriteError(f"ブック「{path.name}」を読めません。{describe_os_error(e, path.parent)}") from e
    except Exception as e:  # a package shaped in a way nobody foresaw: refused, never a traceback
        raise WriteError(f"ブック「{path.name}」を書き込めるブックとして読めません（{type(e).__name__}: {e}）。") from e


def _replace(path: Path, append: Mapping[str, Rows], replace_sheets: Sheets,
             update: Mapping[str, Sequence[RowUpdate]], backups: int) -> None:
    """Write the patched book to a temp file beside the master, read it back, keep a backup, replace atomically."""
    backup_dir = path.parent / BACKUP_DIR
    temp: str | None = None
    try:
        _remove_leftovers(path, backup_dir)
        before = os.stat(path)
        with open(path, "rb") as source:
            pkg = xlsx.Package(source)
            plan = xlsx.make_plan(pkg, append, replace_sheets, update)
            changed, added = plan.changes()
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".~{path.name}.", suffix=_TEMP_SUFFIX)
            with os.fdopen(fd, "w+b") as out:
                xlsx.write_package(pkg, out, changed, added)
                out.flush()
                os.fsync(out.fileno())
                xlsx.verify(out, pkg, changed, added, plan.checks)
        _commit(path, Path(temp), before, backups)
        temp = None
    except (WorkbookLocked, WriteError):
        raise
    except PatchError as e:
        raise WriteError(f"{path.name}: {e}{_UNCHANGED}") from e
    except OSError as e:
        raise WriteError(f"ブック「{path.name}」に書き込めませんでした。{describe_os_error(e, path.parent)}"
                         f"{_UNCHANGED}") from e
    except Exception as e:  # a bug: still no traceback for staff, and the master is as it was
        raise WriteError(f"ブック「{path.name}」に書き込めませんでした（{type(e).__name__}: {e}）。"
                         f"{_UNCHANGED}") from e
    finally:
        if temp is not None:
            try:
                os.unlink(temp)
            except OSError:
                pass


def _commit(path: Path, staged: Path, before: os.stat_result, backups: int) -> Path | None:
    """The last steps of every write: the master's permissions on the new file, a backup, a check that nobody
    saved the master meanwhile and that Excel has not opened it, then one atomic replace."""
    os.chmod(staged, stat.S_IMODE(before.st_mode))
    backup = _backup(path, path.parent / BACKUP_DIR, backups) if backups > 0 else None
    now = os.stat(path)
    if (now.st_mtime_ns, now.st_size) != (before.st_mtime_ns, before.st_size):
        raise WriteError(f"書き込み中にブック「{path.name}」が別の場所で保存されました。"
                         f"もう一度実行してください。{_UNCHANGED}")
    if is_locked(path):
        raise WorkbookLocked(_locked_message(path))
    try:
        os.replace(staged, path)
    except PermissionError as e:  # Windows: Excel opened it in the meantime
        raise WorkbookLocked(_locked_message(path)) from e
    _fsync_dir(path.parent)
    return backup


_STAMP = "%Y%m%d-%H%M%S-%f"


def _backup(path: Path, folder: Path, keep: int) -> Path:
    """Copy the current master to folder/<stem>-YYYYmmdd-HHMMSS-ffffff<suffix>, keep the newest ``keep``."""
    folder.mkdir(exist_ok=True)
    while True:
        target = folder / f"{path.stem}-{datetime.now().strftime(_STAMP)}{path.suffix}"
        if not target.exists():
            break
        time.sleep(0.001)
    partial = folder / f".{target.name}.partial"
    shutil.copy2(path, partial)
    os.replace(partial, target)  # a half-copied backup never carries a backup's name
    pattern = re.compile(re.escape(path.stem) + r"-\d{8}-\d{6}-\d{6}" + re.escape(path.suffix) + "$")
    ours = sorted(p.name for p in folder.iterdir() if pattern.match(p.name))
    for old in ours[:-keep]:
        try:
            (folder / old).unlink()
        except OSError:
            pass
    return target


def _remove_leftovers(path: Path, backup_dir: Path) -> None:
    """Temp files and partial backups a killed earlier write left behind (safe: we hold the writer mutex)."""
    leftovers = list(path.parent.glob(f".~{glob_escape(path.name)}.*{_TEMP_SUFFIX}"))
    if backup_dir.is_dir():
        leftovers += backup_dir.glob(f".{glob_escape(path.stem)}-*.partial")
    for p in leftovers:
        try:
            p.unlink()
        except OSError:
            pass


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
