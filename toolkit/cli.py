"""The `toolkit` command: arguments in, one library call, Japanese text or JSON out. No rules live here.

Exit status (cli.md): 0 done; 1 the workbook has errors, or the job could not be completed because of them;
2 usage error, unreadable file or failed connection.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from toolkit import __version__

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2

# Piped output (a log, a file) gets a wide page so amounts are never cut to "350,…".
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 180)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class ToolkitGroup(click.Group):
    """click exits 2 on usage errors already; this also maps our own failures to 2 with a clear message."""

    def invoke(self, ctx: click.Context):
        from toolkit.workbook.read import WorkbookError

        try:
            return super().invoke(ctx)
        except WorkbookError as exc:
            err.print(f"[red]エラー:[/red] {exc}")
            sys.exit(EXIT_USAGE)


def _emit_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _load(workbook: Path):
    from toolkit.workbook.read import load_program

    return load_program(workbook)


def _yen(value: int) -> str:
    return f"{value:,}"


def _pct(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:+.{digits}f}%"


@contextmanager
def _progress(label: str, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A spinner with the current step, on stderr so --json stays clean."""
    if not enabled or not err.is_terminal:
        yield lambda step: None
        return
    with err.status(label) as status:
        yield lambda step: status.update(f"{label} {step}")


WORKBOOK = click.argument("workbook", type=click.Path(dir_okay=False, path_type=Path))
EXISTING_WORKBOOK = click.argument("workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path))
JSON_FLAG = click.option("--json", "as_json", is_flag=True, help="JSON を1つだけ標準出力に出します。")


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toolkit")
def main() -> None:
    """クラウドサービス導入支援業務のマスターブックを検査・集計し、成果品を作成します。"""


# ---------------------------------------------------------------- init / demo

@main.command()
@WORKBOOK
def init(workbook: Path) -> None:
    """テンプレートから新しい空のマスターブックを作成します（既存のファイルは上書きしません）。"""
    from toolkit.workbook.template import write_template

    try:
        write_template(workbook)
    except FileExistsError:
        err.print(f"[red]エラー:[/red] {workbook} は既にあります。上書きはしません。")
        sys.exit(EXIT_USAGE)
    out.print(f"マスターブックを作成しました: {workbook}")


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"),
              show_default=True, help="出力先フォルダ")
@click.option("--no-pdf", is_flag=True, help="PDF を作成しません（Word のみ）。")
def demo(out_dir: Path, no_pdf: bool) -> None:
    """架空の20社・1年分のデモ用マスターブックを作り、すべての成果品を作成します（通信なし）。"""
    from toolkit.demo_job import run_demo

    with _progress("デモを作成中…") as step:
        result = _documents_call(run_demo, out_dir, pdf=not no_pdf, progress=step)
    out.print(result.summary())


# ---------------------------------------------------------------- check

@main.command()
@EXISTING_WORKBOOK
@JSON_FLAG
def check(workbook: Path, as_json: bool) -> None:
    """入力内容を検査し、エラーと警告をシート・行・列つきで表示します（エラーがあれば終了コード 1）。"""
    from toolkit.checks import counts, run_checks

    findings = run_checks(_load(workbook))
    errors, warnings = counts(findings)
    if as_json:
        _emit_json({"errors": errors, "warnings": warnings, "findings": [f.as_json() for f in findings]})
    else:
        _print_findings(findings, errors, warnings)
    sys.exit(EXIT_ERRORS if errors else EXIT_OK)


def _print_findings(findings, errors: int, warnings: int) -> None:
    if not findings:
        out.print("[green]問題は見つかりませんでした。[/green]")
        return
    by_sheet: dict[str, list] = {}
    for f in findings:
        by_sheet.setdefault(f.sheet, []).append(f)
    for sheet, items in by_sheet.items():
        table = Table(title=f"{sheet} シート", title_justify="left", show_lines=False)
        table.add_column("区分")
        table.add_column("行", justify="right")
        table.add_column("列")
        table.add_column("値")
        table.add_column("内容", overflow="fold", ratio=1)
        for f in items:
            level = "[red]エラー[/red]" if f.level == "error" else "[yellow]警告[/yellow]"
            value = "" if f.value is None else str(f.value)
            table.add_row(level, "" if f.row is None else str(f.row), f.column or "", value, f.message)
        out.print(table)
    out.print(f"エラー {errors} 件、警告 {warnings} 件")


# ---------------------------------------------------------------- budget

@main.command()
@EXISTING_WORKBOOK
@JSON_FLAG
def budget(workbook: Path, as_json: bool) -> None:
    """企業ごと・事業全体の予算執行状況（実績・計画額・上限・状態）を表示します。"""
    from toolkit.budget import compute_budget

    report = compute_budget(_load(workbook))
    if as_json:
        _emit_json(report.as_json())
        return
    table = Table(title="予算執行状況（円）", title_justify="left")
    for header in ("企業ID", "企業名", "(1)実績", "(1)計画額", "上限", "執行率", "(2)設定", "(3)コンサル等",
                   "合計", "状態"):
        if header == "企業名":
            table.add_column(header, overflow="fold", ratio=1)
        else:
            table.add_column(header, justify="left" if header in ("企業ID", "状態") else "right", no_wrap=True)
    colours = {"ok": "green", "warning": "yellow", "plan_over": "dark_orange", "over": "red"}
    for cid, c in report.companies.items():
        table.add_row(cid, c.name, _yen(c.cloud_service), _yen(c.planned_cloud_service), _yen(c.cap),
                      f"{c.execution_rate:.0%}", _yen(c.setup_support), _yen(c.consulting_support), _yen(c.total),
                      f"[{colours[c.status]}]{c.status_label}[/]")
    out.print(table)
    out.print(f"共通経費 {_yen(report.common)} 円 / 総合計 {_yen(report.grand_total)} 円"
              f"（既定の上限 {_yen(report.cap_default)} 円/社）")


# ---------------------------------------------------------------- kpi

@main.command()
@EXISTING_WORKBOOK
@JSON_FLAG
@click.option("--company", "company_id", help="この企業の内訳だけを表示します（--detail と併用）。")
@click.option("--detail", is_flag=True, help="各数値に数えた行と、数えなかった行とその理由を表示します。")
def kpi(workbook: Path, as_json: bool, company_id: str | None, detail: bool) -> None:
    """KPI（利用回数・労働生産性）を企業ごと・事業全体で表示します。"""
    from toolkit.kpi import compute_kpis
    from toolkit.trace import trace_company

    program = _load(workbook)
    report = compute_kpis(program)
    if company_id is not None and program.company(company_id) is None:
        err.print(f"[red]エラー:[/red] 企業ID {company_id} は 企業 シートにありません")
        sys.exit(EXIT_USAGE)
    if detail:
        if company_id is None:
            err.print("[red]エラー:[/red] --detail には --company ID を指定してください")
            sys.exit(EXIT_USAGE)
        trace = trace_company(program, company_id)
        if as_json:
            _emit_json(trace)
        else:
            _print_trace(trace)
        return
    if as_json:
        data = report.as_json()
        if company_id is not None:
            data = _only_company(data, company_id)
        _emit_json(data)
        return
    _print_kpis(report, company_id)


def _only_company(data: dict, company_id: str) -> dict:
    data["usage"]["by_company"] = {company_id: data["usage"]["by_company"].get(company_id, 0)}
    p = data["productivity"]
    p["by_company"] = {k: v for k, v in p["by_company"].items() if k == company_id}
    return data


def _print_kpis(report, company_id: str | None) -> None:
    u, p = report.usage, report.productivity
    mark = "[green]達成[/green]" if u.achieved else "[red]未達[/red]"
    out.print(f"[bold]KPI 1 利用回数[/bold]（{report.fiscal_year}年度）: {u.total:,} 回 / 目標 {u.target:,} 回 {mark}")
    table = Table(title="企業別 利用日数", title_justify="left")
    table.add_column("企業ID")
    table.add_column("利用回数", justify="right")
    for cid, n in u.by_company.items():
        if company_id in (None, cid):
            table.add_row(cid, f"{n:,}")
    out.print(table)
    mark = "[green]達成[/green]" if p.achieved else "[red]未達[/red]"
    out.print(f"[bold]KPI 2 労働生産性[/bold]: 平均増加率 {_pct(p.average_change_pct)} / 目標 "
              f"{p.target_pct:+.1f}% {mark}（測定 {len(p.by_company)} 社）")
    table = Table(title="企業別 労働生産性（円/人 または 円/時間）", title_justify="left")
    for h in ("企業ID", "基準", "実績", "増加率", "労働投入量"):
        table.add_column(h, justify="left" if h in ("企業ID", "労働投入量") else "right")
    for cid, c in p.by_company.items():
        if company_id in (None, cid):
            table.add_row(cid, f"{c.base:,.1f}", f"{c.actual:,.1f}", _pct(c.change_pct),
                          "総就業時間" if c.basis == "hours" else "労働者数")
    out.print(table)
    for cid in p.missing:
        if company_id in (None, cid):
            out.print(f"  未測定 {cid}: {p.missing_reasons[cid]}")


def _print_trace(trace: dict) -> None:
    out.print(f"[bold]{trace['company_id']} {trace['name']}[/bold] 利用回数 {trace['usage']['total']} 回")
    for title, rows in (("数えた行", trace["usage"]["counted"]), ("数えなかった行", trace["usage"]["left_out"])):
        table = Table(title=f"利用実績: {title}", title_justify="left")
        for h in ("行", "サービスID", "利用領域", "利用日", "理由"):
            table.add_column(h)
        for r in rows:
            table.add_row(str(r["row"]), r.get("service_id") or "", r.get("area") or "", r.get("date") or "",
                          r.get("reason", ""))
        out.print(table)
    prod = trace["productivity"]
    out.print(f"[bold]労働生産性[/bold]: {prod['summary']}")
    for r in prod["rows"]:
        out.print(f"  決算 {r['row']}行目 {r.get('period') or ''} {r.get('period_end') or ''}: {r['status']}")


# ---------------------------------------------------------------- summary

@main.command()
@EXISTING_WORKBOOK
def summary(workbook: Path) -> None:
    """ブック内の「集計」シートを最新の予算状況・KPI 進捗で書き換えます（他のシートは変更しません）。"""
    from toolkit.summary import write_summary
    from toolkit.workbook.write import WorkbookLocked, WriteError

    try:
        write_summary(workbook)
    except WorkbookLocked as exc:
        err.print(f"[red]書き込めません:[/red] {exc}")
        sys.exit(EXIT_USAGE)
    except WriteError as exc:
        err.print(f"[red]エラー:[/red] {exc}")
        sys.exit(EXIT_USAGE)
    out.print(f"「集計」シートを更新しました: {workbook}")


# ---------------------------------------------------------------- documents

OUT_DIR = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
                       show_default=True, help="出力先フォルダ")
PDF = click.option("--pdf", is_flag=True, help="Word に加えて PDF も作成します（LibreOffice が必要）。")
TEMPLATES = click.option("--templates", "templates_dir", metavar="DIR",
                         type=click.Path(exists=True, file_okay=False, path_type=Path),
                         help="自社で編集したテンプレート（.docx）のフォルダ。無いファイルは標準のものを使います。")
DATE = click.option("--date", "issued_on", metavar="YYYY-MM-DD", type=click.DateTime(formats=["%Y-%m-%d"]),
                    help="書類の作成日（YYYY-MM-DD）。省略時は設定シートの作成日、それも空なら今日。")


def _day(value):
    return value.date() if value is not None else None


def _print_written(paths) -> None:
    for p in paths:
        out.print(f"  {p}")
    out.print(f"{len(paths)} ファイルを作成しました。")


def _documents_call(fn: Callable, *args, **kwargs):
    from toolkit.documents import LibreOfficeMissing, PdfConversionError, UnknownCompany

    try:
        return fn(*args, **kwargs)
    except (LibreOfficeMissing, PdfConversionError) as exc:
        err.print(f"[red]PDF を作成できません:[/red] {exc}")
        sys.exit(EXIT_USAGE)
    except UnknownCompany as exc:
        err.print(f"[red]エラー:[/red] {exc}")
        sys.exit(EXIT_USAGE)


@main.command()
@EXISTING_WORKBOOK
@click.option("--company", "company_ids", multiple=True, help="企業ID（複数指定可）")
@click.option("--all", "all_companies", is_flag=True, help="全企業の計画書を作成します。")
@OUT_DIR
@PDF
@TEMPLATES
@DATE
def plan(workbook: Path, company_ids: tuple[str, ...], all_companies: bool, out_dir: Path, pdf: bool,
         templates_dir: Path | None, issued_on) -> None:
    """改善活動計画書（3年間）を企業ごとに作成します。"""
    if bool(company_ids) == all_companies:
        raise click.UsageError("--company ID（複数可）か --all のどちらか一方を指定してください。")
    from toolkit.documents import build_plans

    program = _load(workbook)
    with _progress("計画書を作成中…") as step:  # an unknown ID: UnknownCompany, exit 2 (_documents_call)
        paths = _documents_call(build_plans, program, list(company_ids) or None, out_dir, pdf=pdf, progress=step,
                                issued_on=_day(issued_on), templates_dir=templates_dir)
    _print_written(paths)


@main.command()
@EXISTING_WORKBOOK
@OUT_DIR
@PDF
@TEMPLATES
@DATE
def report(workbook: Path, out_dir: Path, pdf: bool, templates_dir: Path | None, issued_on) -> None:
    """委託業務報告書・予算執行状況報告書・KPI実績報告書・支援記録簿・会議記録を作成します。"""
    from toolkit.documents import build_reports

    program = _load(workbook)
    with _progress("報告書を作成中…") as step:
        paths = _documents_call(build_reports, program, out_dir, pdf=pdf, progress=step,
                                issued_on=_day(issued_on), templates_dir=templates_dir)
    _print_written(paths)


@main.command()
@EXISTING_WORKBOOK
@OUT_DIR
@TEMPLATES
@DATE
def booklet(workbook: Path, out_dir: Path, templates_dir: Path | None, issued_on) -> None:
    """成果品冊子（表紙・目次・全成果品を通しページで1冊にした A4 の PDF）を作成します。"""
    from toolkit.documents import build_booklet

    program = _load(workbook)
    with _progress("成果品冊子を作成中…") as step:
        path = _documents_call(build_booklet, program, out_dir, progress=step, issued_on=_day(issued_on),
                               templates_dir=templates_dir)
    _print_written([path])


# ---------------------------------------------------------------- Microsoft 365

@main.command()
@EXISTING_WORKBOOK
@click.option("--dry-run", is_flag=True, help="取得と照合だけを行い、ブックには書き込みません。")
@JSON_FLAG
def sync(workbook: Path, dry_run: bool, as_json: bool) -> None:
    """Microsoft 365（Forms の結果ブック・Teams の出席レポート）から出欠と利用実績を取り込みます。"""
    from toolkit.graph.sync import SyncError, run_sync

    try:
        with _progress("Microsoft 365 から取得中…", enabled=not as_json):
            result = run_sync(workbook, dry_run=dry_run)
    except SyncError as exc:
        if as_json:
            _emit_json({"error": str(exc)})
        err.print(f"[red]同期できませんでした:[/red] {exc}")
        sys.exit(EXIT_USAGE)
    if as_json:
        _emit_json(result.as_json())
    else:
        out.print(result.summary())
        for line in result.details():
            out.print(line)


@main.command()
@click.option("--workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="テナントID・クライアントIDを読む設定シートのブック（環境変数でも指定可）")
def login(workbook: Path | None) -> None:
    """デバイスコードで Microsoft 365 にサインインし、トークンを本人だけが読めるファイルに保存します。"""
    from toolkit.graph.auth import AuthError, login_device_code

    settings = _load(workbook).settings if workbook else None
    try:
        login_device_code(settings=settings, out=out.print)
    except AuthError as exc:
        err.print(f"[red]サインインできませんでした:[/red] {exc}")
        sys.exit(EXIT_USAGE)


# ---------------------------------------------------------------- Excel

@main.command("excel-setup")
@EXISTING_WORKBOOK
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="作成するマクロ有効ブック（.xlsm）。省略時はマスターと同じ場所・同じ名前")
@click.option("--python", "python_exe", help="Excel から呼び出す Python（省略時はこの Python）")
def excel_setup(workbook: Path, out_path: Path | None, python_exe: str | None) -> None:
    """ボタン付きのマクロ有効ブック（.xlsm）と xlwings の設定を作成します。"""
    from toolkit.excel_setup import SetupError, build_macro_workbook

    try:
        target = build_macro_workbook(workbook, out_path or workbook.with_suffix(".xlsm"), python_exe=python_exe)
    except SetupError as exc:
        err.print(f"[red]作成できませんでした:[/red] {exc}")
        sys.exit(EXIT_USAGE)
    out.print(f"ボタン付きのブックを作成しました: {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
