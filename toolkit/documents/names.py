"""Safe file names for documents named after companies.

A company name is typed by staff, so it may hold slashes, ``..``, control characters or Windows-reserved names.
Every output path is built here and checked to lie inside the output folder.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from toolkit.errors import DocumentError

MAX_PART = 40  # characters per name part: Japanese takes 3 bytes each in UTF-8, file systems allow 255 bytes
_FORBIDDEN = re.compile(r'[\\/:*?"<>|]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


def safe_part(text: object, max_len: int = MAX_PART) -> str:
    """One part of a file name: NFKC, no separators, no control characters, no leading/trailing dots, bounded."""
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")
    value = _FORBIDDEN.sub("_", value)
    value = re.sub(r"\s+", "_", value)
    value = re.sub(r"\.{2,}", ".", value)
    value = value[:max_len].strip(" ._")
    if value.split(".")[0].upper() in _WINDOWS_RESERVED:
        value = "_" + value
    return value or "無題"


def file_name(*parts: object, suffix: str = ".docx") -> str:
    """``改善活動計画書_C01_株式会社サンプル.docx`` from its parts; empty parts are left out."""
    kept = [safe_part(p) for p in parts if p not in (None, "")]
    return "_".join(kept) + suffix


class UniqueNames:
    """File names for one run, each different from the others: ``C/01`` and ``C_01`` both sanitise to ``C_01``,
    so the second becomes ``…_C_01_2.docx`` instead of overwriting the first. Compared case-folded, as Windows
    and macOS folders do."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def __call__(self, *parts: object, suffix: str = ".docx") -> str:
        base = file_name(*parts, suffix="")
        name, n = base, 1
        while (name + suffix).casefold() in self._taken:
            n += 1
            name = f"{base}_{n}"
        self._taken.add((name + suffix).casefold())
        return name + suffix


def inside(out_dir: Path, name: str) -> Path:
    """The path of ``name`` in ``out_dir``; ValueError if it would resolve anywhere else."""
    base = Path(out_dir).resolve()
    path = (base / name).resolve()
    if path.parent != base:
        raise DocumentError(f"出力先フォルダの外にファイルを書こうとしました: {name}")
    return path
