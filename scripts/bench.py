"""Benchmark (quality.md): our figures beside the plain-library baselines, measured in the same run.

    .venv/bin/python scripts/bench.py [--keep DIR] [--skip-pdf] [--skip-sync]

Builds the large program (20 companies, 50,000 利用実績, 5,000 支援記録) with XlsxWriter in the master's
layout (one Excel Table per sheet), then times each job. Nothing here is asserted: it prints numbers.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from toolkit import schema  # noqa: E402

USAGE_ROWS, SUPPORT_ROWS, COMPANIES = 50_000, 5_000, 20


def build_large_workbook(path: Path, seed: int = 7, settings: dict | None = None) -> None:
    """The benchmark program, written with XlsxWriter (fast, real Excel Tables)."""
    import xlsxwriter

    rng = random.Random(seed)
    start = date(2025, 9, 1)
    companies = [f"C{i:02d}" for i in range(1, COMPANIES + 1)]
    services = [(f"S{i:02d}", schema.BUSINESS_AREAS[i % 10]) for i in range(1, 31)]

    def day(span: int = 180) -> datetime:
        return datetime.combine(start + timedelta(days=rng.randrange(span)), datetime.min.time())

    data: dict[str, list[list]] = {
        "設定": [[s.item, (settings or {}).get(s.item, s.default if s.default != "" else None)]
                 for s in schema.SETTING_ITEMS],
        "企業": [[c, f"株式会社ベンチ{c}", None, "製造業", "岡山市北区", rng.randint(5, 80), "2"] for c in companies],
        "サービス": [[sid, f"クラウド{sid}", "ベンチ社", area, "月額", 3000, 10000] for sid, area in services],
        "導入": [[f"U{i:03d}", c, services[(i * 7) % 30][0], services[(i * 7) % 30][1], 1, day(30), None, 15000, 20000,
                 "導入済"] for i, c in enumerate(companies * 3, start=1)],
        "経費": [[f"E{i:05d}", day(), companies[i % COMPANIES],
                 [schema.COST_CLOUD, schema.COST_SETUP, schema.COST_CONSULTING][i % 3], 1000 + i % 7 * 100]
                for i in range(1, 2001)],
        "支援記録": [[f"R{i:05d}", companies[i % COMPANIES], day(), "対面" if i <= COMPANIES else "オンライン",
                      "担当A", 1.5, "定例支援", "資料"] for i in range(1, SUPPORT_ROWS + 1)],
        "利用実績": [[companies[rng.randrange(COMPANIES)], *services[rng.randrange(30)], day(), "user", "ヒアリング"]
                     for _ in range(USAGE_ROWS)],
        "決算": [[c, period, datetime(2025 + (period == "実績"), 3, 31), 1_000_000, 20_000_000, 500_000,
                 10 + (period == "実績")] for c in companies for period in ("基準", "実績")],
        "改善計画": [[c, y, "経理", "請求書の電子化", "月10時間削減"] for c in companies for y in (2025, 2026, 2027)],
        "イベント": [["EV1", "説明会・ワークショップ", "キックオフ", datetime(2025, 9, 10)]],
        "出欠": [["EV1", c, "山田太郎", None, "出席", None, "手入力"] for c in companies],
        "会議記録": [[f"M{i:02d}", datetime(2025, 9 + i % 4, 15), "オンライン", "市・受託者", "定例"] for i in range(12)],
        "履歴": [],
    }
    book = xlsxwriter.Workbook(str(path), {"default_date_format": "yyyy/mm/dd"})
    for table in schema.TABLES:
        ws = book.add_worksheet(table.sheet)
        rows = data.get(table.sheet, [])
        width = len(table.columns)
        rows = [list(r) + [None] * (width - len(r)) for r in rows] or [[None] * width]
        ws.add_table(0, 0, len(rows), width - 1, {
            "name": table.name, "data": rows, "columns": [{"header": h} for h in table.headers]})
    book.add_worksheet(schema.SUMMARY_SHEET)
    book.close()


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


ROWS: list[tuple[str, str, str, str, str]] = []


def report(job: str, ours: float | None, baseline_name: str, baseline: float | None, target: str) -> None:
    if ours is None:
        ROWS.append((job, "—", f"{baseline_name} —", "—", target))
        return
    if baseline:
        ratio = f"{ours / baseline:.2f}× of baseline" if ours >= baseline else f"{baseline / ours:.1f}× faster"
        base_text = f"{baseline_name} {baseline:.2f} s"
    else:
        ratio, base_text = "—", baseline_name
    ROWS.append((job, f"{ours:.2f} s", base_text, ratio, target))
    print(f"  {job}: ours {ours:.2f} s | {base_text} | {ratio} | target {target}", flush=True)


# ---------------------------------------------------------------- jobs

def bench_read(path: Path) -> None:
    from python_calamine import CalamineWorkbook

    from toolkit.workbook.read import load_program

    def raw_calamine():
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()
        book.close()

    def openpyxl_read_only():
        import openpyxl
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for ws in book.worksheets:
            for _ in ws.iter_rows(values_only=True):
                pass
        book.close()

    calamine = timed(raw_calamine, 3)
    ours = timed(lambda: load_program(path), 3)
    report("read all sheets → Program", ours, "raw python-calamine", calamine, "≤ 1.5× calamine")
    report("  (reference) openpyxl read-only", timed(openpyxl_read_only), "raw python-calamine", calamine, "—")


def _append_rows(n: int) -> list[dict]:
    rng = random.Random(1)
    return [{"企業ID": f"C{rng.randint(1, COMPANIES):02d}", "サービスID": "S01", "利用領域": "人事",
             "利用日": date(2025, 10, 1) + timedelta(days=i % 100), "アカウント": "new", "出典": "Forms",
             "回答ID": f"R{i}"} for i in range(n)]


def bench_append(path: Path, work: Path) -> None:
    import openpyxl

    from toolkit.workbook.write import patch_workbook

    rows = _append_rows(5000)
    ours_copy, theirs_copy = work / "append_ours.xlsx", work / "append_openpyxl.xlsx"
    shutil.copy(path, ours_copy)
    shutil.copy(path, theirs_copy)
    ours = timed(lambda: patch_workbook(ours_copy, append={schema.USAGE_DAYS.sheet: rows}))

    def openpyxl_append():
        book = openpyxl.load_workbook(theirs_copy)
        ws = book[schema.USAGE_DAYS.sheet]
        for r in rows:
            ws.append([r.get(h) for h in schema.USAGE_DAYS.headers])
        book.save(theirs_copy)

    baseline = timed(openpyxl_append)
    report("append 5,000 rows + save", ours, "openpyxl load+append+save", baseline, "≥ 9× faster")


def bench_commands(path: Path) -> None:
    for command in ("check", "budget", "kpi"):
        ours = timed(lambda: subprocess.run([sys.executable, "-m", "toolkit", command, str(path), "--json"],
                                            stdout=subprocess.DEVNULL, cwd=ROOT, check=False), 3)
        report(f"toolkit {command} (whole process)", ours, "—", None, "≤ 2 s")


def bench_documents(work: Path, pdf: bool) -> None:
    from docxtpl import DocxTemplate

    from toolkit.demo import build_demo_workbook
    from toolkit.documents import build_plans, build_reports, convert_to_pdf
    from toolkit.workbook.read import load_program

    demo = work / "demo.xlsx"
    build_demo_workbook(demo)
    program = load_program(demo)
    docx_dir = work / "docs"

    def ours_docx():
        shutil.rmtree(docx_dir, ignore_errors=True)
        return build_plans(program, None, docx_dir / "plans") + build_reports(program, docx_dir / "reports")

    ours = timed(ours_docx, 2)
    paths = [p for p in ours_docx() if p.suffix == ".docx"]

    # docxtpl alone: the same number of documents from a plain python-docx template (a heading, a paragraph and
    # a 10-row table loop), no charts, no custom filters: the library's own cost per document.
    import docx

    plain = docx.Document()
    plain.add_heading("{{ title }}", 1)
    plain.add_paragraph("{{ company }} の計画")
    table = plain.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(1, 0).text, table.cell(1, 1).text = "{%tr for r in rows %}", "{{ r.a }}", "{{ r.b }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    template = work / "plain_template.docx"
    plain.save(str(template))
    context = {"title": "改善活動計画書", "company": "株式会社A", "rows": [{"a": i, "b": f"{i * 1000:,}円"} for i in range(10)]}

    def docxtpl_alone():
        for i in range(len(paths)):
            doc = DocxTemplate(str(template))
            doc.render(context, autoescape=True)
            doc.save(str(work / f"plain_{i}.docx"))

    baseline = timed(docxtpl_alone)
    report(f"{len(paths)} documents as .docx (20 plans + reports)", ours, "docxtpl alone", baseline, "≤ 1.5 s")
    if not pdf or not shutil.which("soffice"):
        return
    pdf_dir = work / "pdf"
    ours_pdf = timed(lambda: convert_to_pdf(paths, pdf_dir))
    plain_dir = work / "pdf_plain"
    profile = tempfile.mkdtemp(prefix="lo-bench-")

    def one_call():
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(plain_dir), *map(str, paths)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)

    one_call()  # first start of a fresh profile is slow for everyone; time the warm call
    baseline = timed(one_call)
    report(f"the same {len(paths)} to PDF", ours_pdf, "one LibreOffice call", baseline, "≤ 4 s")
    out = work / "demo_run"
    demo_time = timed(lambda: subprocess.run([sys.executable, "-m", "toolkit", "demo", "--out", str(out)],
                                             stdout=subprocess.DEVNULL, cwd=ROOT, check=True))
    report("toolkit demo end to end with PDFs", demo_time, "—", None, "≤ 12 s")


def bench_sync(work: Path) -> None:
    """10,000 usage responses from the loopback HTTPS fake of Graph (tests/fake_graph.py), real msal + requests."""
    from fake_graph import USAGE_SHARE_URL, serve_usage_responses

    from toolkit.graph.sync import run_sync

    target = work / "sync.xlsx"
    build_large_workbook(target, settings={"利用実績フォーム結果URL": USAGE_SHARE_URL})
    companies = [f"株式会社ベンチC{i:02d}" for i in range(1, COMPANIES + 1)]
    services = [f"クラウドS{i:02d}" for i in range(1, 31)]
    (work / "fake").mkdir(exist_ok=True)
    _, _, env = serve_usage_responses(10_000, companies, services, work / "fake")
    env = {**os.environ, **env}
    results = []
    first = timed(lambda: results.append(run_sync(target, env=env)))
    second = timed(lambda: results.append(run_sync(target, env=env)))
    added = [r.as_json()["written"] for r in results]
    report(f"sync 10,000 form responses (added {added[0]:,})", first, "—", None, "≤ 3 s")
    report(f"  re-run (added {added[1]})", second, "—", None, "adds 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--skip-sync", action="store_true")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="toolkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "large.xlsx"
    print(f"building the large program in {path} …", flush=True)
    print(f"  built in {timed(lambda: build_large_workbook(path)):.1f} s "
          f"({path.stat().st_size / 1e6:.1f} MB, cores: {os.cpu_count()})", flush=True)
    bench_read(path)
    bench_append(path, work)
    bench_commands(path)
    bench_documents(work, pdf=not args.skip_pdf)
    if not args.skip_sync:
        bench_sync(work)
    print()
    widths = [max(len(r[i]) for r in ROWS + [("job", "ours", "baseline", "ratio", "target")]) for i in range(5)]
    for r in [("job", "ours", "baseline (same run)", "ratio", "target")] + ROWS:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
