"""The deliverables: their names, and where their Word templates live.

A template is named after its document (``toolkit/doc_templates/改善活動計画書.docx``) so staff find the one to edit in Word;
a firm's own copies live in a folder given by ``--templates`` and win over the built-in ones file by file.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

# Package data (pyproject: package-data), found wherever toolkit is installed: a wheel, an editable checkout.
TEMPLATE_DIR = Path(str(resources.files("toolkit") / "doc_templates"))

PLAN = "改善活動計画書"
BUSINESS_REPORT = "委託業務報告書"
BUDGET_REPORT = "予算執行状況報告書"
KPI_REPORT = "KPI実績報告書"
SUPPORT_LOG = "支援記録簿"
MINUTES = "会議記録"
BOOKLET = "成果品冊子"  # the printed booklet's cover and 目次
STATUS_REPORT = "状況報告書"  # for a meeting with the city during the year (status.md), not a closing deliverable
PRIVACY_REGISTER = "情報管理台帳"  # the personal-information register (seed 9), `toolkit privacy`
PURGE_REPORT = "個人情報消去報告書"  # the disposal report (seed 9), `toolkit purge`

DOCUMENTS = (PLAN, BUSINESS_REPORT, BUDGET_REPORT, KPI_REPORT, SUPPORT_LOG, MINUTES, BOOKLET, STATUS_REPORT,
             PRIVACY_REGISTER, PURGE_REPORT)

# Fonts the templates name. Word on Windows has them; on Linux the PDF step maps them to IPA fonts (pdf.py).
MINCHO = "ＭＳ 明朝"
GOTHIC = "ＭＳ ゴシック"


def template_path(document: str, templates_dir: Path | None = None) -> Path:
    """The firm's own copy in ``templates_dir`` when it has one, else the built-in template."""
    if templates_dir is not None:
        own = Path(templates_dir) / f"{document}.docx"
        if own.is_file():
            return own
    return TEMPLATE_DIR / f"{document}.docx"
