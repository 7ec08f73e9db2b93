"""`toolkit status`: the status at an as-of date, compared with the previous 状況報告 kept in the output folder.

Each run keeps its JSON as ``状況報告_YYYYMMDD.json`` (the as-of date) in the output folder; the newest one dated
before this run's as-of date is the comparison (status.md: ``changes``).
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from toolkit.errors import DocumentError, describe_os_error
from toolkit.model import Program
from toolkit.status import Status, compute_status

RECORD = "状況報告_{:%Y%m%d}.json"


def previous_record(folder: Path, as_of: date) -> dict | None:
    """The newest 状況報告 JSON dated before ``as_of`` in ``folder`` (an unreadable one is passed over)."""
    earlier = sorted(p for p in folder.glob("状況報告_????????.json") if p.name < RECORD.format(as_of))
    for path in reversed(earlier):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    return None


def run_status(program: Program, as_of: date, out_dir: Path) -> Status:
    out_dir = Path(out_dir)
    result = compute_status(program, as_of, previous_record(out_dir, as_of) if out_dir.is_dir() else None)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / RECORD.format(as_of)).write_text(
            json.dumps(result.as_json(), ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8")
    except OSError as exc:
        raise DocumentError(f"状況報告の記録を保存できません。{describe_os_error(exc, out_dir)}") from None
    return result
