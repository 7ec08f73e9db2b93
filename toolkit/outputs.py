"""Where deliverables go, and how a rerun never overwrites a document staff edited by hand.

One place for the CLI, the Excel buttons and the demo: 成果品 beside the workbook (``--out`` overrides); for a book
opened from SharePoint / OneDrive, which has no folder beside it, 設定.出力フォルダ under the user's Documents, else
Documents/成果品.

Each output folder keeps a small record of the Word files the toolkit wrote (``.toolkit-written.json``: size and
modified time). A file changed since — staff finished the wording in Word — is kept, and the new one is written
beside it as ``名前（YYYYMMDD-HHMMSS 作成）.docx``; the commands and the buttons say so.
"""
from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

OUTPUT_FOLDER = "成果品"
LEDGER = ".toolkit-written.json"
_BESIDE = re.compile(r"（\d{8}-\d{6} 作成）(_\d+)?$")


def default_folder(location: object, output_folder: str = "") -> Path:
    """成果品 beside a book on this computer; for one in SharePoint / OneDrive, 設定.出力フォルダ (a relative one
    under Documents), else Documents/成果品."""
    from toolkit.workbook.location import is_cloud

    if not is_cloud(location):
        return Path(location).resolve().parent / OUTPUT_FOLDER
    from platformdirs import user_documents_path

    folder = os.path.expandvars(os.path.expanduser((output_folder or "").strip()))
    return user_documents_path() / (folder or OUTPUT_FOLDER)


def _read(folder: Path) -> dict[str, list[int]]:
    try:
        data = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def claim(target: Path, now: datetime | None = None) -> Path:
    """The path to write ``target`` to: itself when it does not exist or is as the toolkit left it; a new name
    beside it when it changed since (edited by hand) or was not written by the toolkit at all."""
    if not target.exists():
        return target
    if _read(target.parent).get(target.name) == _stamp(target):
        return target
    moment = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    beside, n = target.with_name(f"{target.stem}（{moment} 作成）{target.suffix}"), 1
    while beside.exists():
        n += 1
        beside = target.with_name(f"{target.stem}（{moment} 作成）_{n}{target.suffix}")
    return beside


def remember(paths: Iterable[Path]) -> None:
    """Record the Word files as written now (after every pass over them: the 目次 pass rewrites one). Best effort:
    a folder the record cannot be written to only costs a file beside the next time."""
    by_folder: dict[Path, list[Path]] = {}
    for p in paths:
        if p.suffix.lower() == ".docx" and p.exists():
            by_folder.setdefault(p.parent, []).append(p)
    for folder, files in by_folder.items():
        data = _read(folder)
        data.update({p.name: _stamp(p) for p in files})
        try:
            (folder / LEDGER).write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")
        except OSError:
            pass


def kept_notes(paths: Iterable[Path]) -> list[str]:
    """What to tell staff for each document written beside one they had edited."""
    notes = []
    for p in paths:
        if p.suffix.lower() == ".docx" and _BESIDE.search(p.stem):
            original = _BESIDE.sub("", p.stem)
            notes.append(f"「{original}{p.suffix}」は作成後に編集されていたため上書きせず、新しい版を「{p.name}」に"
                         "作成しました。")
    return notes


def remembered(build: Callable[..., list[Path]]) -> Callable[..., list[Path]]:
    """A document builder whose Word files are recorded once it has written them all."""
    @functools.wraps(build)
    def wrapper(*args, **kwargs) -> list[Path]:
        paths = build(*args, **kwargs)
        remember(paths)
        return paths
    return wrapper
