"""`toolkit demo`: the demo master workbook, then every deliverable from it, with a short summary."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DEMO_WORKBOOK = "デモ_マスターブック.xlsx"


@dataclass(frozen=True)
class DemoResult:
    workbook: Path
    out_dir: Path
    companies: int
    services: int
    usage_total: int
    usage_target: int
    average_change_pct: float | None
    grand_total: int
    errors: int
    warnings: int
    documents: list[Path]
    documents_dir: Path

    def summary(self) -> str:
        average = "—" if self.average_change_pct is None else f"{self.average_change_pct:+.2f}%"
        pdfs = sum(1 for p in self.documents if p.suffix == ".pdf")
        booklet = [p for p in self.documents if p.stem == "成果品冊子"]
        return "\n".join([
            f"デモのマスターブック: {self.workbook}",
            f"  企業 {self.companies} 社、サービス {self.services} 件",
            f"  利用回数 {self.usage_total:,} 回（目標 {self.usage_target:,} 回）、労働生産性 平均 {average}",
            f"  予算 総合計 {self.grand_total:,} 円",
            f"  検査: エラー {self.errors} 件、警告 {self.warnings} 件（デモには上限超過などの例を含めています）",
            f"成果品 Word {len(self.documents) - pdfs} 件・PDF {pdfs} 件: {self.documents_dir}",
            *([f"成果品冊子（通しページの PDF）: {booklet[0]}"] if booklet else []),
        ])


def run_demo(out_dir: Path, *, pdf: bool = True, progress: Callable[[str], None] | None = None) -> DemoResult:
    from toolkit.checks import counts, run_checks
    from toolkit.demo import build_demo_workbook
    from toolkit.documents import build_plans, build_reports
    from toolkit.documents.booklet import build_all
    from toolkit.load import load_program
    from toolkit.summary import refresh_summary
    from toolkit.workbook.write import Edits, patch_workbook

    step = progress or (lambda _: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workbook = out_dir / DEMO_WORKBOOK
    step("マスターブック")
    workbook.unlink(missing_ok=True)  # the demo is generated: a fresh one each run
    build_demo_workbook(workbook)
    program = load_program(workbook)
    errors, warnings = counts(run_checks(program))
    # The demo opens on a filled 集計, as after 「集計を更新」.
    edits = Edits()
    budget, kpis = refresh_summary(program, edits, datetime.now().replace(microsecond=0))
    patch_workbook(workbook, append=edits.rows, replace_sheets=edits.sheets, backups=0)
    documents_dir = out_dir / "成果品"
    if pdf:  # every document and the booklet from one LibreOffice pass
        documents = build_all(program, documents_dir, progress=step)
    else:
        documents = build_plans(program, None, documents_dir, progress=step)
        documents += build_reports(program, documents_dir, progress=step)
    return DemoResult(workbook, out_dir, len(program.companies), len(program.services), kpis.usage.total,
                      kpis.usage.target, kpis.productivity.average_change_pct, budget.grand_total, errors, warnings,
                      documents, documents_dir)
