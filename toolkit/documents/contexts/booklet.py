"""成果品冊子: the cover and the 目次 of the printed booklet (the wording is in 成果品冊子.docx)."""
from __future__ import annotations

from datetime import date

from toolkit.model import Program

from .base import common


def booklet_context(program: Program, issued_on: date, parts: list[dict]) -> dict:
    """``parts``: [{"title", "page", "group"}] in booklet order; group "本編" or "資料"."""
    return {**common(program, issued_on),
            "main_parts": [p for p in parts if p["group"] == "本編"],
            "appendix_parts": [p for p in parts if p["group"] == "資料"]}
