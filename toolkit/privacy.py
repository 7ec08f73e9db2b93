"""The 情報管理台帳 (seed 9: personal information handled under the city's memorandum): which columns hold personal
data and how many rows fill them, every place a copy of them exists on this PC, why they are held and until when.

``personal_columns`` and ``retention_until`` are pure functions of the Program; ``copies`` looks at the file
system (the book's backups, the sync's queue and state, the SharePoint download cache, output documents that print
names). ``register`` puts them together as ``toolkit privacy --json`` prints it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from toolkit import schema
from toolkit.documents import catalog
from toolkit.graph.queue import queue_path, state_path
from toolkit.model import PROGRAM_FIELDS, Program
from toolkit.workbook.cloud import cache_dir
from toolkit.workbook.lock import BACKUP_DIR

# Deliverables that print personal names: the minutes (出席者), the support log (the staff who visited), the
# booklet (both, bound in). Their file names start with the document's name (documents/names.py).
NAMED_DOCUMENTS = {catalog.MINUTES: "会議の出席者の氏名", catalog.SUPPORT_LOG: "支援した担当者・確認した企業の方の氏名",
                   catalog.BOOKLET: "会議の出席者・担当者の氏名（会議記録・支援記録簿を綴じたもの）"}
DOCUMENT_SUFFIXES = (".docx", ".pdf")
HANDOVER_PREFIX = "引渡し_"  # toolkit.handover's folder and zip names
ERASED = "（消去済）"  # what `toolkit purge` leaves in place of a name


def retention_until(program: Program) -> date:
    """設定.個人情報の保存期限, else one year after 契約終了日 (29 February falls back to the 28th)."""
    s = program.settings
    if s.personal_data_until is not None:
        return s.personal_data_until
    end = s.contract_end
    try:
        return end.replace(year=end.year + 1)
    except ValueError:
        return end.replace(year=end.year + 1, day=28)


def personal_columns(program: Program) -> list[dict]:
    """Each column of ``schema.PERSONAL_DATA``: its sheet and header, how many rows hold a value (None when the
    book has no such sheet), and what it is held for."""
    out = []
    for table, key, purpose in schema.PERSONAL_DATA:
        records = getattr(program, PROGRAM_FIELDS[table.sheet])
        rejected = program.rejected.get(table.sheet, ())
        present = table.sheet not in program.missing
        rows = (sum(1 for r in (*records, *rejected) if getattr(r, key, None) not in (None, "", ERASED))
                if present else None)
        out.append({"sheet": table.sheet, "column": table.header(key), "rows": rows, "purpose": purpose})
    return out


def _files(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(p for p in folder.glob(pattern) if p.is_file())
    except OSError:
        return []


def copies(book, output_dirs: Iterable[Path], env: Mapping[str, str] = os.environ) -> list[dict]:
    """Every place on this PC a copy of the personal data exists: the book, its backups, the sync's queue and
    state beside it, the downloaded copies of a SharePoint master, and documents in ``output_dirs`` that print
    names. Each as {kind, path, holds}."""
    from toolkit.workbook.location import is_cloud

    if is_cloud(book):  # in SharePoint / OneDrive: its queue and state live in the settings folder
        from toolkit.workbook.cloud import CloudBook

        with CloudBook(book, env=env) as cloud:
            sync = cloud.sync_path()
        found = [{"kind": "マスターブック", "path": str(book),
                  "holds": "個人情報の列すべて（ライブラリのバージョン履歴にも以前の版が残ります）"}]
    else:
        book = sync = Path(book)
        found = [{"kind": "マスターブック", "path": str(book), "holds": "個人情報の列すべて"}]
        found += [{"kind": "ブックの控え（自動バックアップ）", "path": str(p), "holds": "個人情報の列すべて（控えを取った時点）"}
                  for p in _files(book.parent / BACKUP_DIR, f"{book.stem}-*{book.suffix}")]
    for path, what in ((queue_path(sync), "同期で取り込み待ちの出欠・利用実績（氏名・メール・アカウント）"),
                       (state_path(sync), "同期済みの回答の記録（回答ID）")):
        if path.is_file():
            found.append({"kind": "同期の記録", "path": str(path), "holds": what})
    found += [{"kind": "SharePoint から取得したブックの控え", "path": str(p), "holds": "個人情報の列すべて"}
              for p in _files(cache_dir(env) / "workbooks", "*/*.xls*")]  # workbook/cloud.py's download cache
    for folder in dict.fromkeys(Path(d) for d in output_dirs):
        for p in _files(folder, "*"):
            holds = next((what for name, what in NAMED_DOCUMENTS.items()
                          if p.name.startswith(name) and p.suffix.lower() in DOCUMENT_SUFFIXES), None)
            if holds:
                found.append({"kind": "成果品", "path": str(p), "holds": holds})
        # `toolkit handover` packages: the company's 支援記録簿 (names) and the materials handed over.
        packages = sorted(p for p in folder.glob(f"{HANDOVER_PREFIX}*") if p.suffix == ".zip" or p.is_dir()) \
            if folder.is_dir() else []
        found += [{"kind": "成果品", "path": str(p), "holds": "支援記録簿（担当者・確認した企業の方の氏名）と提供資料"}
                  for p in packages]
    return found


def register(program: Program, book: Path, output_dirs: Iterable[Path],
             env: Mapping[str, str] = os.environ) -> dict:
    """The 情報管理台帳 as ``toolkit privacy --json`` prints it."""
    return {"workbook": str(book), "retention_until": retention_until(program).isoformat(),
            "columns": personal_columns(program), "copies": copies(book, output_dirs, env)}
