"""The `toolkit` command: arguments in, one library call, Japanese text or JSON out. No rules live here.

Exit status (cli.md): 0 done; 1 the workbook has errors that stop the job (a sheet or header it needs is missing,
…); 2 usage error, unreadable file, failed connection, a sync source that could not be read. Every failure staff
can meet is a ``ToolkitError`` and is shown in one place (``ToolkitGroup.main``), click's own messages included;
anything else is a bug: it is logged to a file and reported in one Japanese line, never as a traceback.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from toolkit import __version__, cli_ja
from toolkit.errors import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, ToolkitError, UsageError, file_access_error

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

PIPED_WIDTH = 180  # piped output (a log, a file) gets a wide page so amounts are never cut to "350,…"


# ---------------------------------------------------------------- output

_consoles: dict[bool, "Console"] = {}


def console(stderr: bool = False) -> "Console":
    """A rich console on the current stdout or stderr, made on first use (importing rich is most of a command's
    start-up time otherwise) and again when the stream changes (tests capture each run's output)."""
    stream = sys.stderr if stderr else sys.stdout
    current = _consoles.get(stderr)
    if current is None or current.file is not stream:
        from rich.console import Console

        current = _consoles[stderr] = Console(file=stream, highlight=False,
                                              width=None if stream.isatty() else PIPED_WIDTH)
    return current


def say(text: str) -> None:
    console().print(text)


def warn(text: str) -> None:
    """A Japanese sentence on stderr, wrapped with 禁則 to the terminal (rich breaks at the first space, leaving
    「記録 R2」 alone on a line)."""
    from toolkit.cli_views import Prose

    console(True).print(Prose(text))


def emit_json(data: object) -> None:
    """One strict JSON document on stdout (no NaN or Infinity: cli.md)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str, allow_nan=False))


@contextmanager
def progress(label: str, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A spinner with the current step, on stderr so --json stays clean."""
    err = console(True)
    if not enabled or not err.is_terminal:
        yield lambda step: None
        return
    with err.status(label) as status:
        yield lambda step: status.update(f"{label} {step}")


# ---------------------------------------------------------------- the group: one place for every failure

class ToolkitGroup(click.Group):
    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra) -> None:
        cli_ja.install()
        extra.pop("standalone_mode", None)
        try:
            result = super().main(args, prog_name or "toolkit", standalone_mode=False, **extra)
        except ToolkitError as exc:
            _show_error(exc.title, str(exc))
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            _show_error("中止", "中止しました。")
            sys.exit(130)
        except click.ClickException as exc:
            _show_error("指定に誤りがあります", cli_ja.describe(exc))
            context = getattr(exc, "ctx", None)
            if context is not None:
                warn(f"使い方は「{context.command_path} --help」で表示できます。")
            sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_ERRORS)
        except (KeyboardInterrupt, BrokenPipeError):
            sys.exit(130)
        except OSError as exc:  # a file open in Word, a read-only folder, a full disk: said in words
            known = file_access_error(exc)
            if known is None:
                _unexpected(exc)
            _show_error(known.title, str(known))
            sys.exit(known.exit_code)
        except Exception as exc:  # a bug: never a traceback for staff, but kept for the developer
            _unexpected(exc)
        sys.exit(result if isinstance(result, int) else EXIT_OK)


def _unexpected(exc: BaseException) -> None:
    """A bug: never a traceback for staff, but kept for the developer."""
    log = _log_unexpected(exc)
    where = f"詳細は {log} に記録しました。" if log else ""
    _show_error("予期しないエラー", f"処理を完了できませんでした（{type(exc).__name__}）。{where}"
                "このメッセージとファイルを担当者に伝えてください。")
    sys.exit(EXIT_USAGE)


def _show_error(title: str, message: str) -> None:
    from rich.markup import escape

    console(True).print(f"[red]{escape(title)}:[/red] {escape(message)}")


def _log_unexpected(exc: BaseException) -> Path | None:
    import traceback
    from datetime import datetime

    from platformdirs import user_log_path

    try:
        folder = user_log_path("toolkit", appauthor=False, ensure_exists=True)
        path = folder / f"error-{datetime.now():%Y%m%d-%H%M%S}.log"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return path
    except OSError:
        return None


# ---------------------------------------------------------------- parameter types (Japanese messages)

class WorkbookPath(click.ParamType):
    """A master workbook that exists (the reader says the rest: not a workbook, encrypted, …), or the address of
    one in SharePoint / OneDrive (``toolkit.workbook.location``): a share link or Excel's 「リンクのコピー」."""

    name = "WORKBOOK"

    def __init__(self, cloud: bool = True):
        self.cloud = cloud

    def convert(self, value, param, ctx):
        from toolkit.workbook.location import is_url, parse_workbook

        if is_url(value):
            if not self.cloud:
                self.fail(f"「{value}」は SharePoint / OneDrive のアドレスです。このコマンドにはパソコン上のブックを"
                          "指定してください。", param, ctx)
            try:
                return parse_workbook(value)
            except UsageError as exc:
                self.fail(str(exc), param, ctx)
        path = Path(value)
        if not path.exists():
            self.fail(f"ブック「{value}」が見つかりません。パスを確かめてください。", param, ctx)
        if path.is_dir():
            self.fail(f"「{value}」はフォルダです。マスターブック（.xlsx / .xlsm）を指定してください。", param, ctx)
        return path


class NewPath(click.ParamType):
    """A file to create (its folder may not exist yet)."""

    name = "PATH"

    def convert(self, value, param, ctx) -> Path:
        path = Path(value)
        if path.is_dir():
            self.fail(f"「{value}」はフォルダです。作るファイルの名前を指定してください。", param, ctx)
        return path


class Folder(click.ParamType):
    name = "DIR"

    def __init__(self, must_exist: bool = False):
        self.must_exist = must_exist

    def convert(self, value, param, ctx) -> Path:
        path = Path(value)
        if path.exists() and not path.is_dir():
            self.fail(f"「{value}」はファイルです。フォルダを指定してください。", param, ctx)
        if self.must_exist and not path.is_dir():
            self.fail(f"フォルダ「{value}」が見つかりません。", param, ctx)
        return path


class DocumentDate(click.ParamType):
    """--date: 2026-03-27, 2026/3/27 or 令和8年3月27日."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> date:
        from toolkit.normalize import Invalid, parse_date

        if isinstance(value, date):
            return value
        try:
            parsed = parse_date(value)
        except Invalid:
            parsed = None
        if parsed is None:
            self.fail(f"日付「{value}」を読めません（例: 2026-03-27、令和8年3月27日）。", param, ctx)
        return parsed


def company_ids(values: Sequence[str]) -> list[str]:
    """--company C01,C02 --company ｃ０３ → the IDs as the workbook reads them (NFKC, no spaces)."""
    from toolkit.normalize import parse_id

    ids = [parse_id(part) for value in values for part in value.replace("、", ",").split(",")]
    return list(dict.fromkeys(i for i in ids if i))


def match_company_ids(program, wanted: Sequence[str]) -> list[str]:
    """The workbook's spelling of each wanted ID (c01 finds C01); an unknown ID stays as given."""
    known = {c.company_id.casefold(): c.company_id for c in program.companies}
    return [known.get(w.casefold(), w) for w in wanted]


WORKBOOK = click.argument("workbook", type=WorkbookPath())
JSON_FLAG = click.option("--json", "as_json", is_flag=True, help="結果を JSON で標準出力に出します（他の出力なし）。")


def _load(workbook, job: str | None = None):
    """The Program of a local file or of a workbook in SharePoint / OneDrive (downloaded, cached by cTag); with a
    ``job``, only the sheets it reads (schema.NEEDS): `budget` never parses 50,000 usage rows."""
    from toolkit import schema
    from toolkit.load import load_program

    return load_program(workbook, None if job is None else schema.sheets_needed(job))


def _excluded_note(count: int, by_sheet: dict[str, int]) -> None:
    if count:
        detail = "、".join(f"{sheet} {n}行" for sheet, n in by_sheet.items())
        say(f"[yellow]注意:[/yellow] エラーのある {count} 行（{detail}）を集計から除外しています。"
            "「toolkit check」で確かめてください。")


@click.group(cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="toolkit", help="バージョンを表示して終了します。",
                      message="%(prog)s %(version)s")
def main() -> None:
    """クラウドサービス導入支援業務のマスターブックを検査・集計し、成果品を作成します。

    \b
    まず試す:
      toolkit demo --out demo-output   架空の20社でマスターブックと全成果品を作成
      toolkit check マスター.xlsx       入力チェック
    各コマンドの説明と例は「toolkit コマンド --help」で表示します。
    終了コード: 0 完了 / 1 ブックにエラーがあり処理できない /
                2 指定の誤り・読めないファイル・接続の失敗
    """


# ---------------------------------------------------------------- init / demo

@main.command()
@click.argument("workbook", type=NewPath())
def init(workbook: Path) -> None:
    """テンプレートから新しい空のマスターブックを作成します。

    既にあるファイルは上書きしません。

    \b
    例:
      toolkit init マスター.xlsx
    """
    from toolkit.workbook.template import write_template

    if workbook.suffix.lower() != ".xlsx":  # the template is an .xlsx: another name would mislead Excel and staff
        raise UsageError(f"マスターブックは .xlsx で作成します。名前を「{workbook.with_suffix('.xlsx').name}」のように"
                         f"指定してください（指定: {workbook.name}）。")
    try:
        write_template(workbook)
    except FileExistsError:
        raise UsageError(f"{workbook} は既にあります。上書きはしません。別の名前を指定してください。") from None
    except OSError as exc:
        raise UsageError(f"{workbook} を作成できません（{exc.strerror or exc}）。") from None
    say(f"マスターブックを作成しました: {workbook}")


@main.command()
@click.option("--out", "out_dir", type=Folder(), default=Path("demo-output"), show_default=True, help="出力先フォルダ")
@click.option("--no-pdf", is_flag=True, help="PDF を作成しません（Word のみ）。")
def demo(out_dir: Path, no_pdf: bool) -> None:
    """架空の20社・1年分のデモ用マスターブックを作り、すべての成果品を作成します（通信なし）。

    \b
    例:
      toolkit demo --out demo-output
      toolkit demo --out demo-output --no-pdf
    """
    from toolkit.demo_job import run_demo

    with progress("デモを作成中…") as step:
        result = run_demo(out_dir, pdf=not no_pdf, progress=step)
    say(result.summary())


# ---------------------------------------------------------------- check

@main.command()
@WORKBOOK
@JSON_FLAG
@click.option("--all", "show_all", is_flag=True, help="同じ内容の指摘もまとめずに1行ずつ表示します。")
@click.option("--as-of", "as_of", type=DocumentDate(),
              help="この日の時点の事業の見込み（toolkit status の注意）も警告に含めます。省略時は今日。")
@click.option("--links", "cloud_links", is_flag=True,
              help="支援記録の資料リンクのうち SharePoint / OneDrive のものも Microsoft 365 に問い合わせて確かめます。")
def check(workbook: Path, as_json: bool, show_all: bool, as_of: date | None, cloud_links: bool) -> None:
    """入力内容を検査し、エラーと警告をシート・行・列つきで表示します。

    ブックに足りないシート・列があれば最初に示します。同じ内容の指摘は行番号をまとめて1行にします
    （--all で1件ずつ）。toolkit status の注意（上限超過の見込み、連絡の空き、期限切れの課題など）も
    警告として示します。支援記録の資料リンクのファイルがないときも警告します（クラウドのリンクは
    --links のときだけ確かめます）。エラーがあれば終了コード 1 です。

    \b
    例:
      toolkit check マスター.xlsx
      toolkit check マスター.xlsx --all
      toolkit check マスター.xlsx --links
      toolkit check マスター.xlsx --json
    """
    from toolkit.checks import counts, run_checks
    from toolkit.materials import link_predicate

    program = _load(workbook)
    with link_predicate(program, workbook, cloud=cloud_links) as exists:
        findings = run_checks(program, as_of or date.today(), exists)
    errors, warnings = counts(findings)
    if as_json:
        emit_json({"errors": errors, "warnings": warnings, "findings": [f.as_json() for f in findings]})
    else:
        from toolkit.cli_views import print_findings

        print_findings(console(), findings, errors, warnings, group=not show_all)
    sys.exit(EXIT_ERRORS if errors else EXIT_OK)


# ---------------------------------------------------------------- budget

@main.command()
@WORKBOOK
@JSON_FLAG
def budget(workbook: Path, as_json: bool) -> None:
    """企業ごと・事業全体の予算執行状況（実績・計画額・上限・状態）を表示します。

    必要なシートや列が欠けているときは集計せず、終了コード 1 で理由を示します。

    \b
    例:
      toolkit budget マスター.xlsx
      toolkit budget マスター.xlsx --json
    """
    from toolkit.budget import compute_budget

    report = compute_budget(_load(workbook, "budget"))
    if as_json:
        emit_json(report.as_json())
        return
    from toolkit.cli_views import print_budget

    print_budget(console(), report)
    _excluded_note(report.excluded_rows, report.excluded_by_sheet)


# ---------------------------------------------------------------- kpi

@main.command()
@WORKBOOK
@JSON_FLAG
@click.option("--company", "company_id", metavar="ID", help="この企業だけを表示します（--detail と併用）。")
@click.option("--detail", is_flag=True, help="数えた行と、数えなかった行とその理由を表示します（--company が必要）。")
def kpi(workbook: Path, as_json: bool, company_id: str | None, detail: bool) -> None:
    """KPI（利用回数・労働生産性）を企業ごと・事業全体で表示します。

    \b
    例:
      toolkit kpi マスター.xlsx
      toolkit kpi マスター.xlsx --company C01 --detail
      toolkit kpi マスター.xlsx --json
    """
    from toolkit.kpi import compute_kpis
    from toolkit.trace import trace_company

    if detail and company_id is None:
        raise UsageError("--detail には --company ID を指定してください。")
    program = _load(workbook, "kpi")
    report = compute_kpis(program)
    if company_id is not None:
        wanted = company_ids([company_id])
        company_id = match_company_ids(program, wanted)[0] if wanted else company_id
        if program.company(company_id) is None:
            raise UsageError(f"企業ID {company_id} は 企業 シートにありません。")
    if detail:
        trace = trace_company(program, company_id)
        if as_json:
            emit_json(trace)
        else:
            from toolkit.cli_views import print_trace

            print_trace(console(), trace)
        return
    if as_json:
        data = report.as_json()
        if company_id is not None:
            data = _only_company(data, company_id)
        emit_json(data)
        return
    from toolkit.cli_views import print_kpis

    print_kpis(console(), report, company_id, {c.company_id: c.name for c in program.companies})
    _excluded_note(report.excluded_rows, report.excluded_by_sheet)


def _only_company(data: dict, company_id: str) -> dict:
    data["usage"]["by_company"] = {company_id: data["usage"]["by_company"].get(company_id, 0)}
    p = data["productivity"]
    p["by_company"] = {k: v for k, v in p["by_company"].items() if k == company_id}
    return data


# ---------------------------------------------------------------- summary

@main.command()
@WORKBOOK
def summary(workbook: Path) -> None:
    """ブック内の「集計」シートを最新の予算状況・KPI 進捗で書き換えます（他のシートは変更しません）。

    Excel でブックを開いているときは書き込まず、終了コード 2 で知らせます（Excel の「集計を更新」ボタンを
    使ってください）。SharePoint / OneDrive のブック（URL）は、共同編集中でも Excel のブック API で
    書き換えます（`toolkit login` でサインインしたアカウントが必要です）。

    \b
    例:
      toolkit summary マスター.xlsx
      toolkit summary "https://contoso.sharepoint.com/:x:/s/program/Eab…"
    """
    from toolkit.summary import refresh_book

    refresh_book(workbook, on_wait=lambda: warn("別の toolkit の処理（定期同期など）がこのブックに書き込み中です。"
                                                "終わるのを待ってから集計します…"))
    say(f"「集計」シートを更新しました: {workbook}")


# ---------------------------------------------------------------- documents

OUT_DIR = click.option("--out", "out_dir", type=Folder(), metavar="DIR",
                       help="出力先フォルダ。省略時はブックと同じフォルダの「成果品」。")
PDF = click.option("--pdf", is_flag=True, help="Word に加えて PDF も作成します（LibreOffice が必要）。")
TEMPLATES = click.option("--templates", "templates_dir", type=Folder(must_exist=True),
                         help="自社で Word 編集したテンプレート（.docx）のフォルダ。無いファイルは標準のものを使います。")
DRAFT = click.option("--draft", is_flag=True,
                     help="入力エラーのある行があっても「案」として作成します（各ページに【案】、除外した行を別紙に）。")
DATE = click.option("--date", "issued_on", type=DocumentDate(),
                    help="書類の作成日（例: 2026-03-27）。省略時は設定シートの「作成日」、それも空なら今日。")


def _print_written(paths) -> None:
    from toolkit.outputs import kept_notes

    for p in paths:
        say(f"  {p}")
    say(f"{len(paths)} ファイルを作成しました。")
    for note in kept_notes(paths):
        warn(note)


def _out(out_dir: Path | None, workbook, program) -> Path:
    """``--out``, else the one output place (toolkit.outputs): 成果品 beside the book."""
    from toolkit.outputs import default_folder
    from toolkit.workbook.location import parse_workbook

    return out_dir or default_folder(parse_workbook(workbook), program.settings.output_folder)


@main.command()
@WORKBOOK
@click.option("--company", "company_values", multiple=True, metavar="ID",
              help="企業ID。カンマ区切りか、繰り返して複数指定（例: C01,C02）。")
@click.option("--all", "all_companies", is_flag=True, help="全企業の計画書を作成します。")
@OUT_DIR
@PDF
@TEMPLATES
@DATE
@DRAFT
def plan(workbook: Path, company_values: tuple[str, ...], all_companies: bool, out_dir: Path, pdf: bool,
         templates_dir: Path | None, issued_on: date | None, draft: bool) -> None:
    """改善活動計画書（3年間）を企業ごとに作成します。

    \b
    例:
      toolkit plan マスター.xlsx --company C01
      toolkit plan マスター.xlsx --company C01,C02 --pdf
      toolkit plan マスター.xlsx --all --out 成果品 --date 2026-03-27
    """
    wanted = company_ids(company_values)
    if bool(wanted) == all_companies:
        raise UsageError("--company ID（複数可）か --all のどちらか一方を指定してください。")
    from toolkit.documents import build_plans

    program = _load(workbook, "plan")
    with progress("計画書を作成中…") as step:  # an unknown ID: UnknownCompany, exit 2
        paths = build_plans(program, match_company_ids(program, wanted) or None, _out(out_dir, workbook, program),
                            pdf=pdf, progress=step,
                            issued_on=issued_on, templates_dir=templates_dir, draft=draft)
    _print_written(paths)


@main.command()
@WORKBOOK
@OUT_DIR
@PDF
@TEMPLATES
@DATE
@DRAFT
def report(workbook: Path, out_dir: Path, pdf: bool, templates_dir: Path | None, issued_on: date | None,
           draft: bool) -> None:
    """委託業務報告書・予算執行状況報告書・KPI実績報告書・支援記録簿・会議記録を作成します。

    \b
    例:
      toolkit report マスター.xlsx
      toolkit report マスター.xlsx --pdf --out 成果品
      toolkit report マスター.xlsx --templates 自社テンプレート --date 2026-03-27
    """
    from toolkit.documents import build_reports

    program = _load(workbook, "report")
    with progress("報告書を作成中…") as step:
        paths = build_reports(program, _out(out_dir, workbook, program), pdf=pdf, progress=step, issued_on=issued_on,
                              templates_dir=templates_dir, draft=draft)
    _print_written(paths)


@main.command()
@WORKBOOK
@OUT_DIR
@TEMPLATES
@DATE
@DRAFT
def booklet(workbook: Path, out_dir: Path, templates_dir: Path | None, issued_on: date | None, draft: bool) -> None:
    """成果品冊子（表紙・目次・全成果品を通しページで1冊にした A4 の PDF）を作成します。

    仕様書 8(2)ア の「冊子 1 部（A4・簡易製本）」用です。3 つの報告書のあとに、資料として改善活動計画書・
    支援記録簿・会議記録を綴じ、目次にページ番号を入れます（LibreOffice が必要）。

    \b
    例:
      toolkit booklet マスター.xlsx --out 成果品
      toolkit booklet マスター.xlsx --date 2026-03-27
    """
    from toolkit.documents import build_booklet

    program = _load(workbook, "report")
    with progress("成果品冊子を作成中…") as step:
        path = build_booklet(program, _out(out_dir, workbook, program), progress=step, issued_on=issued_on,
                             templates_dir=templates_dir,
                             draft=draft)
    _print_written([path])


@main.command()
@WORKBOOK
@click.option("--as-of", "as_of", type=DocumentDate(), help="この日の時点で見ます（例: 2025-12-15）。省略時は今日。")
@click.option("--out", "out_dir", type=Folder(), metavar="DIR",
              help="状況報告書と、その記録（状況報告_YYYYMMDD.json）を置くフォルダ。前回の記録と比べて変化を示します。"
                   "省略時はブックと同じフォルダの「成果品」")
@PDF
@TEMPLATES
@JSON_FLAG
def status(workbook: Path, as_of: date | None, out_dir: Path, pdf: bool, templates_dir: Path | None,
           as_json: bool) -> None:
    """事業の今の状況と見込みを示し、委託者との会議用の状況報告書（Word）を作成します。

    目標の利用回数に届くか、どの企業がいつ上限を超えるか、決算書が契約期間内に出るか、
    連絡の空いた企業、会議記録の遅れ、期限切れの課題をまとめます。--json では数値だけを出力し、
    報告書は作りません。

    \b
    例:
      toolkit status マスター.xlsx
      toolkit status マスター.xlsx --as-of 2025-12-15 --pdf
      toolkit status マスター.xlsx --as-of 2025-12-15 --json
    """
    from toolkit.status_job import run_status

    from toolkit.budget import excluded

    program = _load(workbook, "status")
    out_dir = _out(out_dir, workbook, program)
    result = run_status(program, as_of or date.today(), out_dir)
    if as_json:
        emit_json(result.as_json())
        return
    from toolkit.cli_views import print_status
    from toolkit.documents import build_status_report

    print_status(console(), result)
    _excluded_note(*excluded(program, "status"))  # as budget and kpi say it: the figures lack those rows
    with progress("状況報告書を作成中…") as step:
        paths = build_status_report(program, result, out_dir, pdf=pdf, progress=step, templates_dir=templates_dir)
    _print_written(paths)


def _document_dirs(workbook, program, given: tuple[Path, ...]) -> tuple[Path, ...]:
    """Where documents that print names are looked for: the folders given, else the one output place (成果品 beside
    the book) and where earlier versions wrote them (./output for the commands, 出力 beside the book for the
    buttons)."""
    from toolkit.workbook.location import is_cloud, parse_workbook

    location = parse_workbook(workbook)
    default = _out(None, workbook, program)
    if is_cloud(location):
        return given or (default, Path("output"))
    return given or (default, Path(location).parent / "出力", Path("output"))


@main.command()
@WORKBOOK
@click.option("--documents", "output_dirs", type=Folder(), multiple=True, metavar="DIR",
              help="氏名を載せた成果品を探すフォルダ（繰り返して複数指定）。省略時はブックの横の「成果品」（と以前の「出力」、./output）。")
@OUT_DIR
@PDF
@TEMPLATES
@JSON_FLAG
def privacy(workbook: Path, output_dirs: tuple[Path, ...], out_dir: Path, pdf: bool, templates_dir: Path | None,
            as_json: bool) -> None:
    """個人情報の情報管理台帳（項目・件数・目的・保存期限・控えの場所）を示し、Word で作成します。

    委託者との覚書に基づく個人情報の管理のために、マスターブックの個人情報の列と、自動バックアップ・
    同期の記録・SharePoint から取得したブックの控え・氏名を載せた成果品の場所を一覧にします。

    \b
    例:
      toolkit privacy マスター.xlsx --pdf
      toolkit privacy マスター.xlsx --documents 成果品 --json
    """
    from toolkit.privacy import register

    program = _load(workbook, "privacy")
    data = register(program, workbook, _document_dirs(workbook, program, output_dirs))
    if as_json:
        emit_json(data)
        return
    from toolkit.cli_views import print_privacy
    from toolkit.documents import build_single, catalog, contexts

    print_privacy(console(), data)
    today = date.today()
    with progress("情報管理台帳を作成中…") as step:
        paths = build_single(catalog.PRIVACY_REGISTER, contexts.privacy_register_context(program, data, today), today,
                             _out(out_dir, workbook, program), pdf=pdf, progress=step, templates_dir=templates_dir)
    _print_written(paths)


@main.command()
@WORKBOOK
@click.option("--before", "before", type=DocumentDate(), required=True,
              help="この日より前の行の個人情報を消去します（企業の連絡先は契約終了日より後の日を指定したとき）。")
@click.option("--dry-run", is_flag=True, help="消去せず、消去する件数と削除するファイルを示します。")
@click.option("--documents", "output_dirs", type=Folder(), multiple=True, metavar="DIR",
              help="氏名を載せた成果品を探すフォルダ（削除はせず一覧に示します）。省略時はブックの横の「成果品」（と以前の「出力」、./output）。")
@click.option("--by", "by", metavar="NAME", help="実施者（個人情報消去報告書に記載）。省略時はこのパソコンのユーザー名。")
@OUT_DIR
@PDF
@TEMPLATES
@JSON_FLAG
def purge(workbook: Path, before: date, dry_run: bool, output_dirs: tuple[Path, ...], by: str | None, out_dir: Path,
          pdf: bool, templates_dir: Path | None, as_json: bool) -> None:
    """個人情報を消去します（氏名は「（消去済）」に、メール・アカウントは空欄に。ID・日付・件数は残します）。

    マスターブックは書き込みの仕組み（控え・検証つき）で書き換え、履歴に記録します。自動バックアップ・
    同期の記録・SharePoint から取得したブックの控えは削除します。提出済みの成果品は削除せず一覧にします。
    予算と KPI の数値は消去の前後で変わりません。個人情報消去報告書（Word）を作成します。

    \b
    例:
      toolkit purge マスター.xlsx --before 2027-04-01 --dry-run
      toolkit purge マスター.xlsx --before 2027-04-01
    """
    from datetime import datetime

    from toolkit.purge import run_purge

    program = _load(workbook, "privacy")
    done = run_purge(program, workbook, before, _document_dirs(workbook, program, output_dirs),
                     dry_run=dry_run, now=datetime.now().replace(microsecond=0), env=os.environ)
    if not dry_run:
        import getpass

        from toolkit.documents import build_single, catalog, contexts

        today = date.today()
        context = contexts.purge_report_context(program, done, by or getpass.getuser(), today)
        done["report"] = [str(p) for p in build_single(catalog.PURGE_REPORT, context, today,
                                                       _out(out_dir, workbook, program), pdf=pdf,
                                                       templates_dir=templates_dir)]
    if as_json:
        emit_json(done)
        return
    verb = "消去します（試行。何も変更していません）" if dry_run else "消去しました"
    for c in done["columns"]:
        say(f"  {c['sheet']}.{c['column']}: {c['rows']:,}件")
    say(f"個人情報 {done['erased_cells']:,}件を{verb}。")
    for d in done["deleted"]:
        say(f"  {'削除する' if dry_run else '削除しました'}: {d['path']}（{d['kind']}）")
    if done["documents"]:
        say(f"氏名を載せた成果品 {len(done['documents'])}件は削除していません（提出済みの書類の扱いは委託者と協議）:")
        for path in done["documents"]:
            say(f"  {path}")
    for path in done.get("report", ()):
        say(f"個人情報消去報告書: {path}")


@main.command()
@WORKBOOK
@click.option("--company", "company_id", required=True, metavar="ID", help="引き渡す企業の企業ID（例: C05）。")
@click.option("--from", "start", type=DocumentDate(), help="期間の始め（支援日）。省略時はその企業の最初の記録から。")
@click.option("--to", "end", type=DocumentDate(), help="期間の終わり（支援日）。省略時は最後の記録まで。")
@OUT_DIR
@TEMPLATES
@JSON_FLAG
def handover(workbook, company_id: str, start: date | None, end: date | None, out_dir: Path,
             templates_dir: Path | None, as_json: bool) -> None:
    """1社の支援記録と提供資料を、委託者に渡す一式（フォルダと zip）にまとめます。

    00_目録（Excel と PDF: 記録ID・支援日・資料・サイズ・SHA-256・出典）、その期間の支援記録簿
    （Word と PDF）、資料リンクのファイル（SharePoint / OneDrive のものは Microsoft 365 から取得。
    Office ファイルと画像は PDF も）、すべてを1冊にしたしおり付き PDF を作り、履歴に記録します。
    見つからない資料と資料リンクのない提供資料は目録に示し、終了コード 1 にします。

    \b
    例:
      toolkit handover マスター.xlsx --company C05
      toolkit handover マスター.xlsx --company C05 --from 2025-09-01
        --to 2025-12-31
    """
    from datetime import datetime

    from toolkit.documents.contexts.base import document_date
    from toolkit.handover import run_handover
    from toolkit.workbook.location import is_cloud, parse_workbook

    program = _load(workbook, "handover")
    location = parse_workbook(workbook)
    book = None if is_cloud(location) else Path(location)
    with progress("引渡しの一式を作成中…") as step:
        [company] = match_company_ids(program, company_ids([company_id]) or [company_id])  # ｃ０１ finds C01
        done = run_handover(program, book, company, start, end, _out(out_dir, workbook, program),
                            env=os.environ,
                            now=datetime.now().replace(microsecond=0), issued_on=document_date(program),
                            templates_dir=templates_dir, progress=step)
    if as_json:
        emit_json(done)
    else:
        say(f"{done['company']} の支援記録 {done['records']}件（{done['from']}〜{done['to']}）と資料 "
            f"{sum(1 for m in done['materials'] if m['file'])}件をまとめました。")
        say(f"  フォルダ: {done['folder']}")
        say(f"  zip: {done['zip']}")
        say(f"  SHA-256: {done['zip_sha256']}")
        for m in done["materials"]:
            if not m["file"]:
                warn(f"記録 {m['record']} の資料「{m['link']}」: {m['status']}（目録に記載しました）")
        for r in done["unlinked"]:
            warn(f"記録 {r['record']} の提供資料「{r['materials']}」に資料リンクがなく、渡せません（目録に記載しました）")
        if book is None:
            warn("SharePoint / OneDrive のブックのため、履歴には記録していません。")
    sys.exit(EXIT_ERRORS if done["missing"] or done["unlinked"] else EXIT_OK)


# ---------------------------------------------------------------- Microsoft 365

@main.command()
@WORKBOOK
@click.option("--dry-run", is_flag=True, help="取得と照合だけを行い、ブックには書き込みません。")
@click.option("--full", is_flag=True, help="開催から1週間を過ぎて取り込み済みの Teams のイベントも、もう一度読みます。")
@JSON_FLAG
def sync(workbook: Path, dry_run: bool, full: bool, as_json: bool) -> None:
    """Microsoft 365（Forms の結果ブック・Teams の出席レポートとウェビナー）から出欠と利用実績を取り込みます。

    取得元（イベントごとのフォーム・Teams 会議、利用実績フォーム）は1つずつ読み込みます。取得できなかった
    取得元があれば、その名前と理由を示し、ほかの取得元を書き込んだうえで終了コード 2 で終わります。
    Excel でブックを開いているときは、取得した行をブックの横の待ち行列に保存し、次回の同期か Excel の
    「同期」ボタンで書き込みます。開催から1週間を過ぎたイベントの Teams の出席は、その後に一度読んだら
    読み直しません（--full で読み直します）。SharePoint / OneDrive のブック（URL）には、共同編集中でも Excel のブック
    API で行を追加します（`toolkit login` でサインインしたアカウントが必要です）。設定は docs/sync.md を
    参照してください。

    \b
    例:
      toolkit sync マスター.xlsm --dry-run
      toolkit sync マスター.xlsm --json
      toolkit sync "https://contoso.sharepoint.com/:x:/s/program/Eab…"
    """
    from contextlib import nullcontext

    from toolkit.errors import ToolkitError
    from toolkit.workbook.location import is_cloud
    from toolkit.workbook.lock import writer_lock

    # The writer lock before the sync's imports: a 集計 refresh started just after this command waits for it
    # (and then counts its rows) instead of slipping in first (run_sync takes the same lock again, re-entrantly).
    with (nullcontext() if dry_run or is_cloud(workbook) else writer_lock(workbook)):
        from toolkit.graph.sync import run_sync

        try:
            with progress("Microsoft 365 から取得中…", enabled=not as_json):
                result = run_sync(workbook, dry_run=dry_run, full=full)
        except ToolkitError as exc:  # nothing was written (configuration, sign-in, the workbook itself)
            if as_json:
                emit_json({"error": str(exc)})
            raise  # shown once, with its exit status, by ToolkitGroup
    if as_json:
        emit_json(result.as_json())
    else:
        say(result.summary())
        for line in result.failures():
            console(True).print(line, style="red", markup=False)  # a form answer may hold "[...]": never markup
        for line in result.details():
            console().print(line, markup=False)
    # A source that could not be read fails the run (the scheduler shows it); the others are written.
    sys.exit(result.exit_code)


@main.command()
@click.option("--workbook", type=WorkbookPath(cloud=False),
              help="テナントID・クライアントIDを読む設定シートのブック（環境変数でも指定可）")
@click.option("--tenant", metavar="ID", help="テナントID（SharePoint のブックを使う場合など、ブックを読む前に）")
@click.option("--client-id", metavar="ID", help="アプリ登録のクライアントID")
@click.option("--device-code", is_flag=True,
              help="ブラウザーのないサーバーで、別の端末のブラウザーにコードを入力してサインインします")
def login(workbook: Path | None, tenant: str | None, client_id: str | None, device_code: bool) -> None:
    """Microsoft 365 にサインインし、トークンを本人だけが読める場所に保存します。

    ブラウザーでサインインします（ブラウザーのない環境ではデバイスコード）。SharePoint / OneDrive の
    マスターへの書き込み（同期・集計）は、ここでサインインしたアカウントで行います。定期実行には専用の
    アカウントで一度サインインしておきます（docs/sync.md）。

    \b
    例:
      toolkit login --workbook マスター.xlsm
      toolkit login --tenant contoso.onmicrosoft.com --client-id 00000000-…
      toolkit login --device-code    （SSH で入ったサーバーなど）
    """
    from toolkit.graph.auth import login as sign_in

    sign_in(_graph_env(tenant, client_id), settings=_login_settings(workbook), out=say, device_code=device_code)


@main.command()
@click.option("--workbook", type=WorkbookPath(cloud=False), help="テナントID・クライアントIDを読む設定シートのブック")
def logout(workbook: Path | None) -> None:
    """サインインしたアカウントのトークンをこのパソコンから削除します。

    \b
    例:
      toolkit logout
    """
    from toolkit.graph.auth import logout as sign_out

    sign_out(_graph_env(None, None), settings=_login_settings(workbook), out=say)


def _graph_env(tenant: str | None, client_id: str | None) -> dict[str, str]:
    import os

    return {**os.environ, **({"TOOLKIT_TENANT_ID": tenant} if tenant else {}),
            **({"TOOLKIT_CLIENT_ID": client_id} if client_id else {})}


def _login_settings(workbook: Path | None):
    return _load(workbook, "settings").settings if workbook else None


# ---------------------------------------------------------------- Excel

@main.command("excel-setup")
@click.argument("workbook", type=WorkbookPath(cloud=False))
@click.option("--out", "out_path", type=NewPath(),
              help="ボタン付きのブック（.xlsm）。省略時はマスターと同じ場所・同じ名前の .xlsm。既にあれば上書きせず、"
                   "マクロと設定だけを更新します")
@click.option("--python", "python_exe", metavar="EXE",
              help="Excel から呼び出す pythonw.exe（フルパス。%LOCALAPPDATA% などの環境変数も可）。省略時: 新しいブックには"
                   "この Python、既存の .xlsm は今の設定のまま")
def excel_setup(workbook: Path, out_path: Path | None, python_exe: str | None) -> None:
    """ボタン付きのマクロ有効ブック（.xlsm）と xlwings の設定を作成します。

    既にある .xlsm は置き換えません（スタッフの作業を残し、控えを取ってからマクロと設定だけを更新します）。

    \b
    例:
      toolkit excel-setup マスター.xlsx      最初の1回
      toolkit excel-setup マスター.xlsm      toolkit を更新した後
    """
    from toolkit.excel_setup import setup_workbook

    say(setup_workbook(workbook, out_path, python_exe=python_exe).message())


if __name__ == "__main__":  # pragma: no cover
    main()
