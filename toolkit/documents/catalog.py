"""The deliverables: their names, and where their Word templates live.

A template is named after its document (``doc_templates/改善活動計画書.docx``) so staff find the one to edit in Word.
"""
from __future__ import annotations

from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "doc_templates"

PLAN = "改善活動計画書"
BUSINESS_REPORT = "委託業務報告書"
BUDGET_REPORT = "予算執行状況報告書"
KPI_REPORT = "KPI実績報告書"
SUPPORT_LOG = "支援記録簿"
MINUTES = "会議記録"

DOCUMENTS = (PLAN, BUSINESS_REPORT, BUDGET_REPORT, KPI_REPORT, SUPPORT_LOG, MINUTES)

# Fonts the templates name. Word on Windows has them; on Linux the PDF step maps them to IPA fonts (pdf.py).
MINCHO = "ＭＳ 明朝"
GOTHIC = "ＭＳ ゴシック"


def template_path(document: str, templates_dir: Path | None = None) -> Path:
    return Path(templates_dir or TEMPLATE_DIR) / f"{document}.docx"
