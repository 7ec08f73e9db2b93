"""情報管理台帳: the data of the personal-information register (the wording is in 情報管理台帳.docx)."""
from __future__ import annotations

from datetime import date

from toolkit.model import Program

from ..formats import DASH, reiwa
from .base import common


def privacy_register_context(program: Program, register: dict, issued_on: date) -> dict:
    """``register``: toolkit.privacy.register's result (the figures of `toolkit privacy --json`)."""
    copies = [c for c in register["copies"] if c["kind"] != "マスターブック"]  # the book is named in section 1
    return {
        **common(program, issued_on),
        "as_of": reiwa(issued_on),
        "workbook": register["workbook"],
        "retention_until": reiwa(date.fromisoformat(register["retention_until"])),
        "columns": [{**c, "rows": DASH if c["rows"] is None else f"{c['rows']:,}件"} for c in register["columns"]],
        "copies": copies,
        "n_copies": len(copies),
    }
