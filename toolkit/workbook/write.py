"""Writing to the master workbook without losing staff work.

Only the parts a write owns are rewritten — the target sheet XML and its table XML (or a sheet the toolkit
replaces or adds) — and every other zip member is copied byte for byte, with its original compressed bytes.
No library can do that: re-saving through openpyxl drops shapes, controls, images, some charts and VBA.
The zip and XML work is in ``xlsx_patch``; this module is the transaction around it: lock detection, a temp
file beside the master, verification, a bounded backup, and an atomic replace.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from toolkit.errors import WorkbookLocked, WriteError
from toolkit.workbook import xlsx_patch
from toolkit.workbook.xlsx_patch import PatchError

BACKUP_DIR = ".toolkit-backups"
_TEMP_SUFFIX = ".toolkit-tmp"
_UNCHANGED = "元のファイルは変更していません。"
_MUTEX_WAIT = 5.0  # seconds a second toolkit process waits for the first one's write to finish


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
            return xlsx_patch.table_headers(xlsx_patch.Package(fp), sheet)
    except PatchError as e:
        raise WriteError(f"{path.name}: {e}") from e
    except OSError as e:
        raise WriteError(f"ブック「{path.name}」を読めません: {e}") from e


def patch_workbook(path: str | os.PathLike, *, append: Mapping[str, Sequence[Mapping[str, object]]] = {},
                   replace_sheets: Mapping[str, Sequence[Sequence[object]]] = {},
                   update: Mapping[str, Mapping[int, Mapping[str, object]]] = {},
                   backups: int = 10) -> None:
    """Append rows to sheets' tables and/or replace (or add) whole sheets, as one all-or-nothing write.

    ``append``: sheet -> rows, each a mapping of table header -> value (str, int, float, bool, date, datetime;
    None leaves the cell empty; a row of only None is skipped). Text is always written as text, never as a
    formula. ``replace_sheets``: sheet -> matrix of values, row 1 first; a missing sheet is added.
    ``update``: sheet -> {worksheet row: {table header: value}}: those cells of existing table rows are
    rewritten in place (their styles kept, the rest of the row untouched).
    Raises WorkbookLocked when Excel has the file open, WriteError for anything else; the master is then unchanged.
    """
    path = Path(path)
    append = {sheet: list(rows) for sheet, rows in append.items() if rows}
    if not path.is_file():
        raise WriteError(f"ブック「{path}」が見つかりません。")
    if is_locked(path):
        raise WorkbookLocked(_locked_message(path))
    update = {sheet: dict(rows) for sheet, rows in update.items() if rows}
    if not append and not replace_sheets and not update:
        return
    backup_dir = path.parent / BACKUP_DIR
    with _writer_mutex(path, backup_dir):
        _remove_leftovers(path, backup_dir)
        temp: str | None = None
        try:
            before = os.stat(path)
            with open(path, "rb") as source:
                pkg = xlsx_patch.Package(source)
                plan = xlsx_patch.make_plan(pkg, append, replace_sheets, update)
                fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".~{path.name}.", suffix=_TEMP_SUFFIX)
                with os.fdopen(fd, "wb") as out:
                    xlsx_patch.write_package(pkg, out, plan.changed, plan.added)
                    out.flush()
                    os.fsync(out.fileno())
            _verify(Path(temp), plan)
            os.chmod(temp, stat.S_IMODE(before.st_mode))
            if backups > 0:
                _backup(path, backup_dir, backups)
            now = os.stat(path)
            if (now.st_mtime_ns, now.st_size) != (before.st_mtime_ns, before.st_size):
                raise WriteError(f"書き込み中にブック「{path.name}」が別の場所で保存されました。"
                                 "もう一度実行してください。")
            if is_locked(path):
                raise WorkbookLocked(_locked_message(path))
            try:
                os.replace(temp, path)
            except PermissionError as e:  # Windows: Excel opened it in the meantime
                raise WorkbookLocked(_locked_message(path)) from e
            temp = None
            _fsync_dir(path.parent)
        except (WorkbookLocked, WriteError):
            raise
        except PatchError as e:
            raise WriteError(f"{path.name}: {e}") from e
        except Exception as e:
            raise WriteError(f"ブック「{path.name}」に書き込めませんでした"
                             f"（元のファイルは変更していません）: {e}") from e
        finally:
            if temp is not None:
                try:
                    os.unlink(temp)
                except OSError:
                    pass


def _verify(temp: Path, plan: xlsx_patch.Plan) -> None:
    """Re-open what was written: every zip member's CRC, then python-calamine reads every sheet and finds a value
    in every cell the write filled (so the appended rows are all there, at their rows)."""
    import python_calamine

    with zipfile.ZipFile(temp) as z:
        bad = z.testzip()
    if bad is not None:
        raise WriteError(f"書き込んだブックの検証に失敗しました（{bad} が壊れています）。{_UNCHANGED}")
    with python_calamine.CalamineWorkbook.from_path(str(temp)) as wb:
        for name in wb.sheet_names:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            expected = plan.expect.get(name, ())
            # Every value written is read back at its row and column: the rows landed where they should.
            if any(r >= len(rows) or c >= len(rows[r]) or rows[r][c] == "" for r, c in expected):
                raise WriteError(f"書き込んだブックの検証に失敗しました"
                                 f"（シート「{name}」の行が期待どおりに読めません）。{_UNCHANGED}")
        missing = set(plan.expect) - set(wb.sheet_names)
        if missing:
            raise WriteError(f"書き込んだブックの検証に失敗しました"
                             f"（シート「{'」「'.join(sorted(missing))}」がありません）。{_UNCHANGED}")


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


@contextmanager
def _writer_mutex(path: Path, backup_dir: Path) -> Iterator[None]:
    """One toolkit writer per workbook at a time (CLI and the scheduled sync may overlap); an OS lock so a
    killed process never leaves it held."""
    backup_dir.mkdir(exist_ok=True)
    handle = open(backup_dir / f"{path.name}.lock", "a+b")
    try:
        deadline = time.monotonic() + _MUTEX_WAIT
        while True:
            try:
                if os.name == "nt":
                    import msvcrt
                    handle.seek(0)
                    msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                else:
                    import fcntl
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise WorkbookLocked(f"ブック「{path.name}」には別の toolkit の処理が書き込み中です。"
                                         "終わってから再実行してください。") from None
                time.sleep(0.05)
        yield
    finally:
        if os.name == "nt":
            import msvcrt
            try:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            except OSError:
                pass
        handle.close()  # on POSIX closing releases the lock


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
