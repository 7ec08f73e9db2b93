"""個人情報消去報告書: the data of the disposal report (the wording is in 個人情報消去報告書.docx)."""
from __future__ import annotations

from datetime import date, datetime

from toolkit.model import Program

from ..formats import reiwa
from .base import common


def purge_report_context(program: Program, done: dict, by: str, issued_on: date) -> dict:
    """``done``: toolkit.purge.run_purge's result (what, how many, how, when), ``by``: who did it."""
    at = datetime.fromisoformat(done["at"])
    return {
        **common(program, issued_on),
        "summary": [{"label": "消去した日時", "value": f"{reiwa(at)} {at:%H:%M}"},
                    {"label": "実施者", "value": by},
                    {"label": "対象", "value": f"{reiwa(date.fromisoformat(done['before']))}より前の行の個人情報"
                                             "（企業の連絡先は契約終了後に限る）"},
                    {"label": "件数", "value": f"{done['erased_cells']:,}件"},
                    {"label": "方法", "value": "toolkit purge によりマスターブックの該当セルを書き換え、控えを削除"}],
        "columns": [{**c, "rows": f"{c['rows']:,}件"} for c in done["columns"]],
        "deleted": done["deleted"],
        "documents": done["documents"],
        "cloud": done.get("cloud", False),  # the master is in SharePoint: its version history is the IT person's step
    }
