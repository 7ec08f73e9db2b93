"""What the CLI prints for people: findings, budget, KPIs, a company's trace (rich tables, Japanese).

Layouts are chosen for an 80-column terminal first: a company name wraps instead of pushing amounts off the
screen, and identical findings share one line with their rows as ranges.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from toolkit.japanese import display_width, wrap_cells
from toolkit.model import Finding
from toolkit.status import AREAS, headlines, lights

STATUS_COLOURS = {"ok": "green", "warning": "yellow", "plan_over": "dark_orange", "over": "red"}


def yen(value: int) -> str:
    return f"{value:,}"


class Prose:
    """A table cell of Japanese prose, wrapped with 禁則 (toolkit.japanese.wrap_cells) to the width the table gives
    it: rich's own folding would start a line with 、 or ） and cut a Latin word."""

    def __init__(self, text: str, style: str = "") -> None:
        self.text, self.style = text, style

    def __rich_measure__(self, console, options) -> Measurement:
        widest = max((display_width(u) for u in self.text.split()), default=0)
        return Measurement(min(widest, 12), max(1, display_width(self.text)))

    def __rich_console__(self, console, options):
        for line in wrap_cells(self.text, max(1, options.max_width)):
            yield Text(line, style=self.style, no_wrap=True, overflow="crop")


def _table(title: str | None = None) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)


# ---------------------------------------------------------------- findings

class Group(NamedTuple):
    first: Finding
    rows: tuple[int, ...]
    values: tuple[str, ...]


def row_ranges(rows: Sequence[int]) -> str:
    """2, 3, 4, 7 → 2–4, 7."""
    parts: list[str] = []
    ordered = sorted(set(rows))
    start = prev = None
    for r in ordered + [None]:
        if start is not None and (r is None or r != prev + 1):
            parts.append(str(start) if start == prev else f"{start}–{prev}")
            start = None
        if r is not None and start is None:
            start = r
        prev = r
    return ", ".join(parts)


def group_findings(findings: Iterable[Finding]) -> list[Group]:
    """Findings that say the same thing about the same column, one group each, in first-seen order."""
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.level, f.sheet, f.column, f.code, f.message), []).append(f)
    out = []
    for items in groups.values():
        values = tuple(dict.fromkeys("" if f.value is None else str(f.value) for f in items))
        out.append(Group(items[0], tuple(f.row for f in items if f.row is not None), values))
    return out


def print_findings(out: Console, findings: Sequence[Finding], errors: int, warnings: int, *, group: bool) -> None:
    if not findings:
        out.print("[green]問題は見つかりませんでした。[/green]")
        return
    by_sheet: dict[str, list[Finding]] = {}
    for f in findings:
        by_sheet.setdefault(f.sheet, []).append(f)
    for sheet, items in by_sheet.items():
        table = _table(f"{sheet} シート")
        table.add_column("区分", no_wrap=True)
        table.add_column("行", justify="right", overflow="fold", max_width=18)
        table.add_column("列", overflow="fold", max_width=14)
        table.add_column("値", overflow="fold", max_width=16)
        table.add_column("内容", overflow="fold", ratio=1, min_width=20)
        rows = group_findings(items) if group else [Group(f, (f.row,) if f.row else (), (str(f.value or ""),))
                                                     for f in items]
        for g in rows:
            f = g.first
            level = "[red]エラー[/red]" if f.level == "error" else "[yellow]警告[/yellow]"
            where = row_ranges(g.rows)
            if len(g.rows) > 1:
                where = f"{where}（{len(g.rows)}行）"
            value = g.values[0] if len(g.values) == 1 else f"{g.values[0]} ほか"
            table.add_row(level, where, escape(f.column or ""), escape(value), Prose(f.message))
        out.print(table)
    out.print(f"エラー {errors} 件、警告 {warnings} 件")


# ---------------------------------------------------------------- budget

def print_budget(out: Console, report) -> None:
    """Two tables so each fits 80 columns: (1) against its cap, then the cost lines and total."""
    caps = _table("予算執行状況（円）: (1)クラウドサービス経費と上限")
    caps.add_column("ID", no_wrap=True)
    caps.add_column("企業名", overflow="fold", ratio=1, min_width=8)
    for header in ("実績", "計画額", "上限", "執行率"):
        caps.add_column(header, justify="right", no_wrap=True)
    caps.add_column("状態", no_wrap=True)
    lines = _table("費目別（円）")
    lines.add_column("ID", no_wrap=True)
    lines.add_column("企業名", overflow="fold", ratio=1, min_width=8)
    for header in ("(1)クラウド", "(2)設定", "(3)コンサル等", "合計"):
        lines.add_column(header, justify="right", no_wrap=True)
    for cid, c in report.companies.items():
        name = escape(c.name)
        status = f"[{STATUS_COLOURS[c.status]}]{c.status_label}[/]" + ("※" if c.excluded_rows else "")
        caps.add_row(cid, name, yen(c.cloud_service), yen(c.planned_cloud_service), yen(c.cap),
                     f"{c.execution_rate:.0%}", status)
        lines.add_row(cid, name, yen(c.cloud_service), yen(c.setup_support), yen(c.consulting_support), yen(c.total))
    out.print(caps)
    if any(c.excluded_rows for c in report.companies.values()):
        out.print("※ エラーのため集計から除外した行がある企業です（実際の額はこれより多い場合があります）。")
    out.print(lines)
    out.print(f"共通経費 {yen(report.common)} 円 / 総合計 {yen(report.grand_total)} 円"
              f"（既定の上限 {yen(report.cap_default)} 円/社）")


# ---------------------------------------------------------------- KPIs

def signed_pct(value: float | None) -> str:
    """+1.23% / △0.95% (the documents' notation for a fall)."""
    if value is None:
        return "—"
    return f"+{value:.2f}%" if value >= 0 else f"△{-value:.2f}%"


def print_kpis(out: Console, report, company_id: str | None, names: dict[str, str]) -> None:
    u, p = report.usage, report.productivity
    mark = "[green]達成[/green]" if u.achieved else "[red]未達[/red]"
    out.print(f"[bold]KPI 1 利用回数[/bold]（{report.fiscal_year}年度）: {u.total:,} 回 / 目標 {u.target:,} 回 {mark}")
    table = _table("企業別 利用回数")
    table.add_column("ID", no_wrap=True)
    table.add_column("企業名", overflow="fold", ratio=1, min_width=8)
    table.add_column("利用回数", justify="right", no_wrap=True)
    for cid, n in u.by_company.items():
        if company_id in (None, cid):
            table.add_row(cid, escape(names.get(cid, "")), f"{n:,} 回")
    out.print(table)
    mark = "[green]達成[/green]" if p.achieved else "[red]未達[/red]"
    out.print(f"[bold]KPI 2 労働生産性[/bold]: 平均増加率 {signed_pct(p.average_change_pct)} / 目標 "
              f"+{p.target_pct:.1f}% {mark}（測定 {len(p.by_company)} 社）")
    table = _table("企業別 労働生産性（付加価値額 ÷ 労働投入量）")
    table.add_column("ID", no_wrap=True)
    table.add_column("企業名", overflow="fold", ratio=1, min_width=8)
    for h in ("基準", "実績", "増加率"):
        table.add_column(h, justify="right", no_wrap=True)
    for cid, c in p.by_company.items():
        if company_id in (None, cid):
            unit = "円/時間" if c.basis == "hours" else "円/人"
            table.add_row(cid, escape(names.get(cid, "")), f"{c.base:,.0f}{unit}", f"{c.actual:,.0f}{unit}",
                          signed_pct(c.change_pct))
    out.print(table)
    for cid in p.missing:
        if company_id in (None, cid):
            out.print(f"  未測定 {cid} {escape(names.get(cid, ''))}: {escape(p.missing_reasons[cid])}")


def print_trace(out: Console, trace: dict) -> None:
    out.print(f"[bold]{escape(trace['company_id'])} {escape(trace['name'] or '')}[/bold] "
              f"利用回数 {trace['usage']['total']} 回")
    for title, rows in (("数えた行", trace["usage"]["counted"]), ("数えなかった行", trace["usage"]["left_out"])):
        table = _table(f"利用実績: {title}")
        for h in ("行", "サービスID", "利用領域", "利用日", "理由"):
            table.add_column(h, overflow="fold")
        for r in rows:
            table.add_row(str(r["row"]), r.get("service_id") or "", r.get("area") or "", r.get("date") or "",
                          escape(r.get("reason", "")))
        out.print(table)
    prod = trace["productivity"]
    out.print(f"[bold]労働生産性[/bold]: {escape(prod['summary'])}")
    for r in prod["rows"]:
        out.print(f"  決算 {r['row']}行目 {r.get('period') or ''} {r.get('period_end') or ''}: {escape(r['status'])}")


# ---------------------------------------------------------------- status

_LIGHT = {"green": "[green]● 順調[/]", "yellow": "[yellow]● 注意[/]", "red": "[red]● 要対応[/]"}


def print_status(out: Console, status) -> None:
    """One screen: a traffic light per area with its headline, then the warnings."""
    headline = headlines(status)
    table = _table(f"事業の状況（{status.as_of:%Y/%m/%d} 時点）")
    table.add_column("分野", no_wrap=True)
    table.add_column("状態", no_wrap=True)
    table.add_column("いま", overflow="fold", ratio=1)
    for area, light in lights(status).items():
        table.add_row(AREAS[area], _LIGHT[light], Prose(headline[area]))
    out.print(table)
    for w in status.warnings:
        out.print(f"・{escape(w['message'])}", overflow="fold")
    if status.changes:
        moved = status.changes["figures"]
        if moved:
            out.print("前回（" + str(status.changes["since"]) + "）から: " + "、".join(
                f"{k} {v['from']} → {v['to']}" for k, v in moved.items()))


# ---------------------------------------------------------------- privacy

def print_privacy(out: Console, data: dict) -> None:
    """The 情報管理台帳: the personal columns with their row counts and purpose, then every copy on this PC."""
    table = _table(f"情報管理台帳（保存期限 {data['retention_until']}）")
    for header in ("シート", "列", "件数", "目的"):
        table.add_column(header, overflow="fold", justify="right" if header == "件数" else "left")
    for c in data["columns"]:
        table.add_row(escape(c["sheet"]), escape(c["column"]), "シートなし" if c["rows"] is None else f"{c['rows']:,}",
                      Prose(c["purpose"]))
    out.print(table)
    places = _table("個人情報の控えがある場所")
    places.add_column("種類", overflow="fold")
    places.add_column("場所", overflow="fold", ratio=1)
    places.add_column("含むもの", overflow="fold")
    for c in data["copies"]:
        places.add_row(Prose(c["kind"]), escape(c["path"]), Prose(c["holds"]))
    out.print(places)
