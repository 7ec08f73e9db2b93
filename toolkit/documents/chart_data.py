"""What each chart of the reports shows, as plain data (no matplotlib here: it is imported only to draw)."""
from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

from toolkit import schema
from toolkit.budget import BudgetReport
from toolkit.kpi import KpiReport
from toolkit.model import Program

from .formats import free_text

CHART_NAMES = ("chart_usage_company", "chart_usage_service", "chart_productivity", "chart_budget_cap",
               "chart_budget_month")
COST_LINES = (schema.COST_CLOUD, schema.COST_SETUP, schema.COST_CONSULTING, schema.COST_COMMON)
CHART_LINE_NAMES = ("（1）クラウドサービス経費", "（2）設定費用", "（3）コンサル・訪問費用等", "共通経費")
# One colour per 業務分類 (matplotlib's tab10), so a service's bar shows its area at a glance.
AREA_PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22",
                "#17BECF")

Jobs = dict[str, tuple[str, tuple, dict]]
# A bar chart is drawn in parts of at most this many bars, each about a third of a page: a figure that does not
# fit at the foot of a page never leaves more than that blank — its parts flow over the page break like lines.
BARS_PER_PART = 9
PART = "/"  # a part's job name: chart_usage_service/2


def bar_parts(name: str, fn: str, labels: list[str], columns: list[list], kwargs: dict, scale: list,
              legend: bool = False) -> Jobs:
    """The jobs of one bar chart, split into parts of at most BARS_PER_PART bars (as even as they go). Every part
    gets the whole chart's values (``scale``) and labels, so they share one axis and one label column; with
    ``legend`` only the last part draws the legend. A per-bar ``colours`` list is split with the bars."""
    n = len(labels)
    k = max(1, -(-n // BARS_PER_PART))
    if k == 1:
        return {name: (fn, (labels, *columns), kwargs)}
    base, extra = divmod(n, k)
    jobs, start = {}, 0
    for i in range(k):
        end = start + base + (i < extra)
        part = {**kwargs, "scale": scale, "margin_labels": labels}
        if isinstance(kwargs.get("colours"), list):
            part["colours"] = kwargs["colours"][start:end]
        if legend:
            part["legend"] = i == k - 1
        jobs[f"{name}{PART}{i + 1}"] = (fn, (labels[start:end], *(c[start:end] for c in columns)), part)
        start = end
    return jobs


def chart_jobs(program: Program, budget: BudgetReport, kpi: KpiReport) -> Jobs:
    """Every chart the reports show, as (function of charts.py, args, kwargs). Labels are whole: charts.py wraps
    a long one onto two lines rather than cutting it."""
    labels = {cid: f"{cid} {free_text(c.name)}" for cid, c in program.company_map.items()}
    jobs: Jobs = {}
    u = kpi.usage
    by_company = list(u.by_company.values())
    jobs.update(bar_parts("chart_usage_company", "horizontal_bars", [labels.get(c, c) for c in u.by_company],
                          [by_company], {"xlabel": "利用回数（回）"}, by_company))
    services = program.service_map
    service_labels = [f"{free_text(services[s].name)}（{services[s].area}）" if s in services else s
                      for s in u.by_service]
    colours = [AREA_PALETTE[schema.BUSINESS_AREAS.index(services[s].area) % len(AREA_PALETTE)]
               if s in services and services[s].area in schema.BUSINESS_AREAS else AREA_PALETTE[-1]
               for s in u.by_service]
    by_service = list(u.by_service.values())
    jobs.update(bar_parts("chart_usage_service", "horizontal_bars", service_labels, [by_service],
                          {"xlabel": "利用回数（回）", "colours": colours}, by_service))
    p = kpi.productivity
    if p.by_company:
        changes = [x.change_pct for x in p.by_company.values()]
        jobs.update(bar_parts("chart_productivity", "change_bars", [labels.get(c, c) for c in p.by_company],
                              [changes], {"target": p.target_pct, "average": p.average_change_pct}, changes,
                              legend=True))
    b = list(budget.companies.values())
    if b:
        columns = [[x.cloud_service for x in b], [x.planned_cloud_service for x in b], [x.cap for x in b],
                   [x.status for x in b]]
        jobs.update(bar_parts("chart_budget_cap", "cap_bars", [labels.get(x.company_id, x.company_id) for x in b],
                              columns, {}, [v for c in columns[:3] for v in c], legend=True))
    if budget.by_month:
        months = list(budget.by_month)
        series = [(name, [budget.by_month[m].get(line, 0) for m in months])
                  for name, line in zip(CHART_LINE_NAMES, COST_LINES)]
        jobs["chart_budget_month"] = ("stacked_months", ([f"{int(m[5:])}月" for m in months], series), {})
    return jobs


def status_chart_jobs(program: Program, curve: list, projected: int, as_of) -> Jobs:
    """The 状況報告書's chart: the usage KPI's cumulative count (status.usage_curve) against the target line."""
    s = program.settings
    return {"chart_usage_pace": ("usage_pace", ([d for d, _ in curve], [n for _, n in curve], s.usage_start,
                                                s.usage_end, s.usage_target, as_of, projected), {})}


CACHE_FILES = 200  # charts kept; the oldest go first


def cache_dir() -> Path:
    """Where drawn charts are kept between runs ($TOOLKIT_CACHE, else the user's cache folder)."""
    configured = os.environ.get("TOOLKIT_CACHE")
    if configured:
        return Path(configured) / "charts"
    from platformdirs import user_cache_path

    return user_cache_path("toolkit", appauthor=False) / "charts"


def _key(job: tuple[str, tuple, dict]) -> str:
    """The chart's data and the code that draws it: a chart is redrawn when either changes."""
    code = (Path(__file__).with_name("charts.py").read_bytes() + metadata.version("matplotlib").encode())
    return hashlib.sha256(code + repr(job).encode()).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _keep(folder: Path, name: str, png: bytes) -> None:
    """Best effort: a cache that cannot be written (read-only profile, full disk) only costs a redraw next time."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f"{name}.{os.getpid()}.tmp"
        staged.write_bytes(png)
        staged.replace(folder / f"{name}.png")
        kept = sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-CACHE_FILES]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def draw(jobs: Jobs) -> dict[str, bytes]:
    """Every chart as PNG bytes: from the cache when the same data was drawn before (matplotlib is then not even
    imported), else drawn and kept."""
    folder = cache_dir()
    keys = {name: _key(job) for name, job in jobs.items()}
    pngs = {name: png for name in jobs if (png := _read(folder / f"{keys[name]}.png")) is not None}
    if len(pngs) < len(jobs):
        from . import charts  # matplotlib is imported only when a chart has to be drawn

        for name, (fn, args, kwargs) in jobs.items():
            if name not in pngs:
                pngs[name] = getattr(charts, fn)(*args, **kwargs)
                _keep(folder, keys[name], pngs[name])
    return pngs
