"""Benchmark (quality.md): every speed target, each figure beside its plain-library baseline measured in the same run.

    .venv/bin/python scripts/bench.py [--quick] [--only NAME[,NAME…]] [--rounds N] [--json] [--keep DIR]

Rules (quality.md): each figure is the median of at least 5 rounds; in every round the baseline and the toolkit run
one after the other (the order flips every round, so drift hits both alike); whole processes, imports included,
where the target says so; never a best-of-N. Every contender runs once untimed before the rounds (page cache,
LibreOffice's profile and font cache, .pyc files), then only the rounds count. Peak memory is each child process's
own ``ru_maxrss`` (``os.wait4`` in a bare launcher, see ``spawn``). A command the checkout does not have yet (its ``--help`` fails) is shown as
"n/a (未実装)", so the same script measures it once it lands.

Data, built once per run in a temporary folder (``scripts/bench_data.py``): the template's layout filled with the
demo's 20 companies, 50,000 利用実績 and 5,000 支援記録 rows, and the same book with 500,000 利用実績 rows.
``--quick`` (development only, not a verdict on the targets): 3 rounds, 10,000 / 1,000 / 100,000 rows, 2,000
form responses.

Rows (names for ``--only``): read, append, kpi, budget, check, summary, status, large, docx, pdf, booklet, demo, sync,
cloud-sync.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))

import bench_data  # noqa: E402

from toolkit import schema  # noqa: E402

PLAIN = [sys.executable, str(SCRIPTS / "bench_plain.py")]
_CONSOLE_SCRIPT = Path(sys.executable).with_name("toolkit")
# What staff run: the console script; `python -m toolkit` where it is not installed.
TOOLKIT = [str(_CONSOLE_SCRIPT)] if _CONSOLE_SCRIPT.is_file() else [sys.executable, "-m", "toolkit"]
NA = "n/a (未実装)"
USAGE_FORM_SETTING = next(s.item for s in schema.SETTING_ITEMS if s.key == "usage_form_url")
ROW_NAMES = ("read", "append", "kpi", "budget", "check", "summary", "status", "large", "docx", "pdf", "booklet", "demo",
             "sync", "cloud-sync")


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- measuring

@dataclass
class Sample:
    seconds: float
    maxrss_mb: float | None = None  # the child's own peak resident set (processes only)
    rc: int = 0
    out: str = ""
    err: str = ""


class Failed(Exception):
    """A contender did not do its job (exit status, wrong output): its row shows the error, not a time."""


# Each measured process is started by this small launcher, which times it and reads its rusage. Why not wait4
# from here: Linux carries the parent's peak RSS over into a child's ru_maxrss at exec (exec_mmap keeps the old
# mm's high-water mark), so children of this script, which holds openpyxl books and Programs, would all report at
# least its peak. The launcher is a bare interpreter (-I -S, ~10 MB), so that floor is far below any figure.
_LAUNCHER = """
import os, sys, time
t = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - t
with open(sys.argv[1], "w") as fp:
    fp.write(f"{seconds} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def spawn(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
          ok: tuple[int, ...] = (0,)) -> Sample:
    """Run one process: wall time from its start to its exit and its own peak memory (ru_maxrss), both taken by
    the launcher right around it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as measured:
        rc = subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, measured.name, *cmd],
                            stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd).returncode
        out.seek(0)
        err.seek(0)
        seconds, maxrss_kb = measured.read().split()
        sample = Sample(float(seconds), int(maxrss_kb) / 1024, rc, out.read().decode("utf-8", "replace"),
                        err.read().decode("utf-8", "replace"))
    if sample.rc not in ok:
        tail = (sample.err.strip() or sample.out.strip())[-400:]
        raise Failed(f"{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(cmd[:3]))} … "
                     f"exit {sample.rc}: {tail}")
    return sample


def timed(fn: Callable[[], object]) -> Sample:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return Sample(time.perf_counter() - t0)


def combine(*samples: Sample) -> Sample:
    """Two commands run one after the other (e.g. plan + report): their times add, peak memory is the larger."""
    return Sample(sum(s.seconds for s in samples), max((s.maxrss_mb or 0) for s in samples),
                  max(s.rc for s in samples), "".join(s.out for s in samples), "".join(s.err for s in samples))


def interleave(rounds: int, contenders: dict[str, Callable[[int], Sample]], label: str) -> dict[str, list[Sample]]:
    """One untimed run of each contender, then ``rounds`` rounds; in each round every contender runs once, in an
    order that flips every round."""
    names = list(contenders)
    for name in names:
        say(f"{label}: warm-up {name}")
        contenders[name](-1)
    results: dict[str, list[Sample]] = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            results[name].append(contenders[name](r))
        say(f"{label}: round {r + 1}/{rounds} " + " ".join(
            f"{n}={results[n][-1].seconds:.2f}s" for n in names))
    return results


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


# ---------------------------------------------------------------- rows and verdicts

@dataclass
class Target:
    kind: str  # "ratio" (ours/baseline ≤ value), "faster" (baseline/ours ≥ value), "seconds" (ours ≤ value),
    # "info" (shown beside its baseline, no target)
    value: float
    text: str

    def met(self, ours: float, baseline: float | None) -> bool | None:
        if self.kind == "info":  # a comparison the spec asks for without a target
            return None
        if self.kind == "seconds":
            return ours <= self.value
        if not baseline:
            return None
        return ours / baseline <= self.value if self.kind == "ratio" else baseline / ours >= self.value


@dataclass
class Row:
    name: str
    job: str
    target: Target
    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    baseline_name: str = ""
    unit: str = "s"
    status: str | None = None  # NA, or "error: …": no figure
    checks: dict[str, bool] = field(default_factory=dict)  # conditions beside the time (re-run adds 0, …)
    note: str = ""

    @property
    def ours_median(self) -> float | None:
        return statistics.median(self.ours) if self.ours else None

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        o, b = self.ours_median, self.baseline_median
        return o / b if o is not None and b else None

    @property
    def met(self) -> bool | None:
        if self.status is not None or self.ours_median is None:
            return None
        met = self.target.met(self.ours_median, self.baseline_median)
        return None if met is None else met and all(self.checks.values())

    @property
    def verdict(self) -> str:
        if self.status is not None:
            return self.status
        if self.target.kind == "info" and self.ours:
            return "measured" if all(self.checks.values()) else "MISSED"
        return {True: "met", False: "MISSED", None: "—"}[self.met]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "job": self.job, "unit": self.unit, "ours": self.ours_median,
                "ours_rounds": self.ours, "baseline": self.baseline_median, "baseline_name": self.baseline_name,
                "baseline_rounds": self.baseline, "ratio": self.ratio, "target": self.target.text,
                "met": self.met, "verdict": self.verdict, "checks": self.checks, "note": self.note}


# What each baseline is (printed under the table; the table names them briefly).
BASELINES = {
    "calamine": "python-calamine reads every sheet to Python values, in this process",
    "openpyxl": "openpyxl loads the book, appends the rows, saves",
    "XML splice": "plain splice: new <row>s put into the sheet XML, zip written again with zipfile",
    "calamine process": "a python process that imports python-calamine and reads every sheet",
    "toolkit kpi": "toolkit kpi --json as a process, same rounds",
    "docxtpl process": "a python process: imports matplotlib and docxtpl, renders the same templates with the "
                       "same contexts (charts as ready PNGs)",
    "LibreOffice call": "one soffice --convert-to pdf of the finished .docx, warm profile, same font aliases",
    "the --pdf pair": "plan --all --pdf + report --pdf, same rounds",
    "openpyxl process": "a python process: openpyxl loads the master and saves it",
    "local master": "toolkit sync of a copy of the same master on disk, same rounds (the cloud figure is the "
                    "toolkit's time: the fake's own serialising of the book for downloads is taken out)",
}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} MB" if unit == "MB" else f"{value:.2f} s"


# ---------------------------------------------------------------- the benchmark

class Bench:
    def __init__(self, args: argparse.Namespace):
        self.quick = args.quick
        self.rounds = args.rounds or (3 if args.quick else 5)
        self.work = args.keep or Path(tempfile.mkdtemp(prefix="toolkit-bench-"))
        self.work.mkdir(parents=True, exist_ok=True)
        self.usage = 10_000 if args.quick else bench_data.USAGE_ROWS
        self.support = 1_000 if args.quick else bench_data.SUPPORT_ROWS
        self.large_times = 10  # 500,000 (quick: 100,000) rows
        self.responses = 2_000 if args.quick else 10_000
        self.rows: list[Row] = []
        self._large: Path | None = None
        self._huge: Path | None = None
        self._tables: dict[str, list[dict]] = {}
        self._has: dict[str, bool] = {}

    # ------------------------------------------------------------ data

    @property
    def large(self) -> Path:
        """The large program (the usage form's share link set, for the sync; events without Teams links)."""
        if self._large is None:
            path = self.work / "large.xlsx"
            say(f"building the large program ({self.usage:,} 利用実績, {self.support:,} 支援記録) in {path}")
            t0 = time.perf_counter()
            self._tables = bench_data.build_large_program(
                path, usage=self.usage, support=self.support,
                settings={USAGE_FORM_SETTING: usage_share_url()}, event_links=False)
            say(f"built in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.1f} MB)")
            self._large = path
        return self._large

    @property
    def huge(self) -> Path:
        if self._huge is None:
            path = self.work / "huge.xlsx"
            bench_data.repeat_usage_rows(self.large, path, self.large_times)
            say(f"built {path.name}: {self.usage * self.large_times:,} 利用実績 ({path.stat().st_size / 1e6:.1f} MB)")
            self._huge = path
        return self._huge

    def has(self, command: str) -> bool:
        """Whether this checkout has the command: its --help must succeed (never a hard-coded list)."""
        if command not in self._has:
            try:
                spawn(TOOLKIT + [command, "--help"])
                self._has[command] = True
            except Failed:
                self._has[command] = False
        return self._has[command]

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def toolkit(self, *args: object, ok: tuple[int, ...] = (0,), env: dict[str, str] | None = None) -> Sample:
        return spawn(TOOLKIT + [str(a) for a in args], ok=ok, env=env, cwd=self.work)

    # ------------------------------------------------------------ read (in process)

    def bench_read(self) -> None:
        from python_calamine import CalamineWorkbook

        from toolkit.load import load_program

        path = self.large

        def raw() -> None:
            with CalamineWorkbook.from_path(str(path)) as book:
                for name in book.sheet_names:
                    book.get_sheet_by_name(name).to_python()

        res = interleave(self.rounds, {"calamine": lambda r: timed(raw),
                                       "ours": lambda r: timed(lambda: load_program(path))}, "read")
        self.add(Row("read", "read all sheets → records", Target("ratio", 1.3, "≤ 1.3× calamine"),
                     [s.seconds for s in res["ours"]], [s.seconds for s in res["calamine"]], "calamine"))

    # ------------------------------------------------------------ append (in process)

    def bench_append(self) -> None:
        import openpyxl

        from toolkit.workbook.write import patch_workbook

        src = self.large
        rows = append_rows(self._tables, 5_000)
        table = schema.USAGE_DAYS
        matrix = [[r.get(h) for h in table.headers] for r in rows]
        folder = self.work / "append"

        def ours(r: int) -> Sample:
            target = fresh_dir(folder / f"ours{r}") / "book.xlsx"
            shutil.copy(src, target)
            return timed(lambda: patch_workbook(target, append={table.sheet: rows}))

        def with_openpyxl(r: int) -> Sample:
            target = fresh_dir(folder / f"openpyxl{r}") / "book.xlsx"

            def run() -> None:
                book = openpyxl.load_workbook(src)
                ws = book[table.sheet]
                for values in matrix:
                    ws.append(values)
                book.save(target)
            return timed(run)

        def splice(r: int) -> Sample:
            target = fresh_dir(folder / f"splice{r}") / "book.xlsx"
            return timed(lambda: plain_splice(src, target, table, matrix))

        res = interleave(self.rounds, {"openpyxl": with_openpyxl, "splice": splice, "ours": ours}, "append")
        changed = changed_parts(src, folder / "ours0" / "book.xlsx")
        complete = {name: usage_rows_in(folder / f"{name}0" / "book.xlsx") == self.usage + len(rows)
                    for name in ("ours", "splice", "openpyxl")}
        with zipfile.ZipFile(src) as z:
            owned = {bench_data._sheet_part(z, table.sheet), table_part(z, table)}
        ours_s = [s.seconds for s in res["ours"]]
        self.add(Row("append", "append 5,000 rows + save", Target("faster", 15, "≥ 15× faster"),
                     ours_s, [s.seconds for s in res["openpyxl"]], "openpyxl",
                     checks={"every row written": complete["ours"] and complete["openpyxl"]}))
        self.add(Row("append", "append 5,000 rows + save", Target("ratio", 2.0, "≤ 2× splice"),
                     ours_s, [s.seconds for s in res["splice"]], "XML splice",
                     checks={"parts not owned byte-identical": changed <= owned,
                             "every row written": complete["ours"] and complete["splice"]},
                     note=f"parts changed: {', '.join(sorted(changed))}"))

    # ------------------------------------------------------------ commands as processes

    def bench_commands(self, selected: set[str]) -> None:
        path = self.large
        folder = self.work / "summary"
        contenders: dict[str, Callable[[int], Sample]] = {}
        if selected & {"kpi", "budget", "check"}:
            contenders["calamine"] = lambda r: spawn(PLAIN + ["read", str(path)])
        for command in ("kpi", "budget", "check"):
            if command in selected or (command == "kpi" and selected & {"summary", "status"}):
                # check exits 1 when the book has errors (the demo's C11 is over its cap on purpose)
                contenders[command] = (lambda c: lambda r: self.toolkit(c, path, "--json", ok=(0, 1)))(command)

        def summary(r: int) -> Sample:
            target = fresh_dir(folder / f"r{r}") / "book.xlsx"
            shutil.copy(path, target)
            return self.toolkit("summary", target)

        if "summary" in selected:
            contenders["summary"] = summary
        if "status" in selected:  # quality.md: status --json ≤ 1.3× kpi, same rounds
            contenders["status"] = lambda r: self.toolkit("status", path, "--json", "--as-of", "2025-12-15",
                                                          "--out", fresh_dir(folder / f"status{r}"))
        res = interleave(self.rounds, contenders, "commands")
        for command in ("kpi", "budget", "check"):
            if command in selected:
                self.add(Row(command, f"toolkit {command} --json", Target("ratio", 1.5, "≤ 1.5× calamine"),
                             [s.seconds for s in res[command]], [s.seconds for s in res["calamine"]],
                             "calamine process"))
        if "summary" in selected:
            self.add(Row("summary", "toolkit summary", Target("ratio", 1.5, "≤ 1.5× kpi"),
                         [s.seconds for s in res["summary"]], [s.seconds for s in res["kpi"]], "toolkit kpi"))
        if "status" in selected:
            self.add(Row("status", "toolkit status --json", Target("ratio", 1.3, "≤ 1.3× kpi"),
                         [s.seconds for s in res["status"]], [s.seconds for s in res["kpi"]], "toolkit kpi"))

    # ------------------------------------------------------------ 500,000 rows: time and memory

    def bench_large(self) -> None:
        path = self.huge
        res = interleave(self.rounds, {"calamine": lambda r: spawn(PLAIN + ["read", str(path)]),
                                       "check": lambda r: self.toolkit("check", path, "--json", ok=(0, 1))}, "large")
        rows = f"{self.usage * self.large_times:,}"
        self.add(Row("large", f"check, {rows} 利用実績: time", Target("ratio", 1.4, "≤ 1.4× calamine"),
                     [s.seconds for s in res["check"]], [s.seconds for s in res["calamine"]],
                     "calamine process"))
        self.add(Row("large", f"check, {rows} 利用実績: memory", Target("ratio", 1.2, "≤ 1.2× calamine"),
                     [s.maxrss_mb or 0 for s in res["check"]], [s.maxrss_mb or 0 for s in res["calamine"]],
                     "calamine process", unit="MB"))

    # ------------------------------------------------------------ documents

    def documents(self, r: int, *, pdf: bool) -> Sample:
        """20 plans + every report, as the real commands (two processes), into fresh folders."""
        base = fresh_dir(self.work / ("pdf" if pdf else "docx") / f"r{r}")
        flag = ["--pdf"] if pdf else []
        return combine(self.toolkit("plan", self.large, "--all", "--out", base / "plans", *flag),
                       self.toolkit("report", self.large, "--out", base / "reports", *flag))

    def bench_docx(self) -> None:
        jobs = self.work / "docxtpl-jobs.pickle"
        try:
            write_docxtpl_jobs(self.large, jobs)
        except Exception as exc:  # the documents' internals moved: say so instead of a wrong baseline
            self.add(Row("docx", "plan --all + report: .docx", Target("ratio", 1.5, "≤ 1.5× docxtpl"),
                         status=f"error: baseline contexts ({type(exc).__name__}: {exc})"))
            return
        out = self.work / "docxtpl"
        res = interleave(self.rounds, {
            "docxtpl": lambda r: spawn(PLAIN + ["docxtpl", str(jobs), str(fresh_dir(out / f"r{r}"))]),
            "ours": lambda r: self.documents(r, pdf=False)}, "docx")
        count = len(list((self.work / "docx" / "r0").rglob("*.docx")))
        self.add(Row("docx", f"plan --all + report: {count} .docx",
                     Target("ratio", 1.5, "≤ 1.5× docxtpl"), [s.seconds for s in res["ours"]],
                     [s.seconds for s in res["docxtpl"]], "docxtpl process"))

    def bench_pdf(self, selected: set[str]) -> None:
        from toolkit.documents.pdf import find_soffice, fontconfig_file

        booklet = self.has("booklet")
        if "pdf" not in selected and not booklet:
            self.add(Row("booklet", "toolkit booklet", Target("ratio", 1.3, "≤ 1.3× pair"), status=NA))
            return
        contenders: dict[str, Callable[[int], Sample]] = {"ours": lambda r: self.documents(r, pdf=True)}
        if "pdf" in selected:
            # The baseline converts the same finished .docx (the warm-up's), in one call, with the same font
            # aliases; its profile is made by the warm-up and reused: a warm instance, as the target asks of ours.
            soffice = find_soffice()
            profile = (self.work / "lo-profile").as_uri()
            env = dict(os.environ)
            fonts = fontconfig_file(self.work)
            if fonts is not None:
                env["FONTCONFIG_FILE"] = str(fonts)
            out = self.work / "lo-one-call"

            def one_call(r: int) -> Sample:
                docx = sorted((self.work / "pdf" / "r-1").rglob("*.docx"))
                return spawn([soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                              f"-env:UserInstallation={profile}", "--convert-to", "pdf:writer_pdf_Export",
                              "--outdir", str(fresh_dir(out / f"r{r}")), *map(str, docx)], env=env)

            contenders["libreoffice"] = one_call
        if "booklet" in selected and booklet:
            contenders["booklet"] = lambda r: self.toolkit(
                "booklet", self.large, "--out", fresh_dir(self.work / "booklet" / f"r{r}"))
        res = interleave(self.rounds, contenders, "pdf")
        ours = [s.seconds for s in res["ours"]]
        if "pdf" in selected:
            count = len(list((self.work / "pdf" / "r0").rglob("*.pdf")))
            self.add(Row("pdf", f"the same with --pdf: {count} PDFs",
                         Target("ratio", 1.0, "≤ 1.0× one call"), ours, [s.seconds for s in res["libreoffice"]],
                         "LibreOffice call"))
        if "booklet" in selected:
            row = self.add(Row("booklet", "toolkit booklet", Target("ratio", 1.3, "≤ 1.3× pair"),
                               baseline=ours, baseline_name="the --pdf pair"))
            if booklet:
                row.ours = [s.seconds for s in res["booklet"]]
            else:
                row.status = NA

    def bench_demo(self) -> None:
        res = interleave(self.rounds, {"demo": lambda r: self.toolkit(
            "demo", "--out", fresh_dir(self.work / "demo" / f"r{r}"))}, "demo")
        self.add(Row("demo", "toolkit demo (with PDFs)", Target("seconds", 10, "≤ 10 s"),
                     [s.seconds for s in res["demo"]]))

    # ------------------------------------------------------------ sync against the fake Graph in its own process

    def fake_graph(self, folder: str, *master: Path) -> FakeGraph:
        """The fake Graph serving the usage form of ``self.responses`` answers (and ``master`` as a SharePoint
        master), answering with the large program's company and service names."""
        names = self.work / "sync-names.json"
        names.write_text(json.dumps({
            "companies": [c["name"] for c in self._tables[schema.COMPANIES.sheet]],
            "services": [s["name"] for s in self._tables[schema.SERVICES.sheet]]}, ensure_ascii=False),
            encoding="utf-8")
        return FakeGraph([str(self.work / folder), str(self.responses), str(names), *map(str, master)])

    def bench_sync(self) -> None:
        path = self.large
        with self.fake_graph("fake") as fake:
            self._sync_rounds(path, {**os.environ, **fake.started["env"]}, fake)

    def _sync_rounds(self, path: Path, env: dict[str, str], fake: FakeGraph) -> None:
        folder = self.work / "sync"
        samples: dict[str, list[Sample]] = {"first": [], "openpyxl": [], "rerun": [], "changed": []}
        written: dict[str, list[int]] = {"first": [], "rerun": [], "changed": []}
        fetched_changed: list[int] = []

        def sync(book: Path) -> Sample:
            return self.toolkit("sync", book, "--json", env=env)

        def touch() -> None:
            if fake.ask("touch") != "ok":
                raise Failed("the fake Graph did not update the form")

        for r in range(-1, self.rounds):  # round -1: the warm-up
            book = fresh_dir(folder / f"r{r}") / "book.xlsx"
            shutil.copy(path, book)
            baseline = lambda r=r: spawn(PLAIN + ["openpyxl-save", str(path), str(folder / f"r{r}" / "openpyxl.xlsx")])
            if r % 2:
                base = baseline()
                first = sync(book)
            else:
                first = sync(book)
                base = baseline()
            rerun = sync(book)
            touch()
            changed = sync(book)
            if r < 0:
                continue
            for key, sample in (("first", first), ("openpyxl", base), ("rerun", rerun), ("changed", changed)):
                samples[key].append(sample)
            for key, sample in (("first", first), ("rerun", rerun), ("changed", changed)):
                written[key].append(json.loads(sample.out)["written"])
            fetched_changed.append(json.loads(changed.out)["fetched"])
            say(f"sync: round {r + 1}/{self.rounds} first={first.seconds:.2f}s (+{written['first'][-1]}) "
                f"openpyxl={base.seconds:.2f}s rerun={rerun.seconds:.2f}s changed={changed.seconds:.2f}s")
        n = f"{self.responses:,}"
        baseline = [s.seconds for s in samples["openpyxl"]]
        self.add(Row("sync", f"sync {n} responses: first run", Target("seconds", 2, "≤ 2 s"),
                     [s.seconds for s in samples["first"]], baseline, "openpyxl process",
                     checks={f"adds {n} rows": all(w == self.responses for w in written["first"])},
                     note=f"rows added per round: {written['first']}"))
        self.add(Row("sync", "sync: re-run, form unchanged", Target("seconds", 2, "≤ 2 s, adds 0"),
                     [s.seconds for s in samples["rerun"]], baseline, "openpyxl process",
                     checks={"adds 0 rows": all(w == 0 for w in written["rerun"])},
                     note=f"rows added per round: {written['rerun']}"))
        self.add(Row("sync", "sync: re-run, form file changed", Target("seconds", 2, "≤ 2 s, adds 0"),
                     [s.seconds for s in samples["changed"]], baseline, "openpyxl process",
                     checks={"adds 0 rows": all(w == 0 for w in written["changed"]),
                             "downloads again": all(f == self.responses for f in fetched_changed)},
                     note=f"rows added per round: {written['changed']}, fetched: {fetched_changed}"))

    def bench_cloud_sync(self) -> None:
        """Issue 14: the same sync into a master kept in SharePoint (the fake's Excel workbook API, in its own
        process), against the local master in the same rounds. The fake's own cost of turning the book into bytes
        for the download the toolkit makes is taken out (it is the fake's openpyxl, not the toolkit)."""
        n = f"{self.responses:,}"
        row = self.add(Row("cloud-sync", f"sync {n} into a cloud master", Target("info", 0, "比較のみ（目標なし）"),
                           baseline_name="local master"))
        try:
            help_text = spawn(TOOLKIT + ["sync", "--help"]).out
        except Failed:
            help_text = ""
        if not re.search(r"SharePoint|OneDrive", help_text):
            row.status = NA
            return
        with self.fake_graph("cloud-fake", self.large) as fake:
            started = fake.started
            env = {**os.environ, **started["env"], "TOOLKIT_CONFIG_DIR": str(self.work / "cloud-config"),
                   "TOOLKIT_CACHE_DIR": str(self.work / "cloud-cache")}
            # The dedicated account signs in once (device code; the fake approves it at once): not timed.
            self.toolkit("login", "--tenant", started["tenant"], "--client-id", started["client_id"], env=env)
            folder = self.work / "cloud-sync"
            written: dict[str, list[int]] = {"cloud": [], "local": []}
            fake_seconds: list[float] = []
            for r in range(-1, self.rounds):  # round -1: the warm-up
                if fake.ask("reset") != "ok":
                    raise Failed("the fake Graph did not reset the master")
                book = fresh_dir(folder / f"r{r}") / "book.xlsx"
                shutil.copy(self.large, book)
                before = json.loads(fake.ask("stats"))["serialise_seconds"]
                runs = [("local", book), ("cloud", started["master_url"])]
                samples = {name: self.toolkit("sync", target, "--json", env=env)
                           for name, target in (runs if r % 2 else runs[::-1])}
                spent = json.loads(fake.ask("stats"))["serialise_seconds"] - before
                if r < 0:
                    continue
                row.baseline.append(samples["local"].seconds)
                row.ours.append(samples["cloud"].seconds - spent)
                fake_seconds.append(spent)
                for name in ("cloud", "local"):
                    written[name].append(json.loads(samples[name].out)["written"])
                say(f"cloud sync: round {r + 1}/{self.rounds} cloud={samples['cloud'].seconds:.2f}s "
                    f"(fake {spent:.2f}s) local={samples['local'].seconds:.2f}s")
            row.checks = {f"adds {n} rows, as the local one": all(w == self.responses for w in written["cloud"])
                          and written["cloud"] == written["local"]}
            row.note = (f"rows added per round: {written['cloud']}; the fake's own serialising taken out: "
                        f"{', '.join(f'{s:.2f}s' for s in fake_seconds)}")


class FakeGraph:
    """``bench_fake_graph.py`` in its own process (so its serving is not timed as ours), spoken to one line at a
    time on its stdin and stdout; its first line says where it listens. Stopped when the ``with`` ends."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.started: dict[str, Any] = {}

    def __enter__(self) -> FakeGraph:
        self.proc = subprocess.Popen([sys.executable, str(SCRIPTS / "bench_fake_graph.py"), *self.args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        started = json.loads(self.proc.stdout.readline() or "null")
        if not started:
            self.__exit__()
            raise Failed("the fake Graph did not start")
        self.started = started
        return self

    def ask(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def __exit__(self, *exc: object) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- helpers of the jobs

def usage_share_url() -> str:
    """The share link the fake serves the usage form at (set in the large program's 設定)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_graph import USAGE_SHARE_URL

    return USAGE_SHARE_URL


def append_rows(tables: dict[str, list[dict]], n: int) -> list[dict[str, object]]:
    """``n`` new 利用実績 rows as the sync appends them (header -> value), for the same companies and services."""
    import random

    table = schema.USAGE_DAYS
    source = schema.VOCABULARIES["出典（利用実績）"][1]
    rows = bench_data.usage_rows(tables, n, random.Random(99))
    return [{**{c.header: r[c.key] for c in table.columns}, "出典": source, "回答ID": f"B{i:06d}"}
            for i, r in enumerate(rows, start=1)]


def usage_rows_in(path: Path) -> int:
    """Data rows of 利用実績 as python-calamine reads them back (the header row not counted)."""
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as book:
        return len(book.get_sheet_by_name(schema.USAGE_DAYS.sheet).to_python()) - 1


def table_part(z: zipfile.ZipFile, table: schema.Table) -> str:
    marker = f'displayName="{table.name}"'.encode()
    return next(n for n in z.namelist() if n.startswith("xl/tables/") and marker in z.read(n))


_ROW_NUMBER = re.compile(rb'<row [^>]*?\br="(\d+)"')
_CELL_STYLE = re.compile(rb'<c r="([A-Z]+)\d+"(?: s="(\d+)")?')


def plain_splice(src: Path, out: Path, table: schema.Table, matrix: list[list[object]]) -> None:
    """The plain way to append rows without a library: read the sheet XML, put new <row>s (inline strings, the
    last row's cell styles) before </sheetData>, grow the dimension and the Table's range, and write the zip
    again with zipfile (every member re-compressed)."""
    from xml.sax.saxutils import escape

    with zipfile.ZipFile(src) as z:
        part, tpart = bench_data._sheet_part(z, table.sheet), table_part(z, table)
        xml = z.read(part)
        end = xml.rindex(b"</sheetData>")
        last_row = xml[xml.rindex(b"<row ", 0, end):end]
        last = int(_ROW_NUMBER.match(last_row).group(1))
        styles = {col: (b' s="' + s + b'"' if s else b"") for col, s in _CELL_STYLE.findall(last_row)}
        letters = [chr(ord("A") + i).encode() for i in range(len(table.columns))]
        epoch = date(1899, 12, 30)
        parts = []
        for i, values in enumerate(matrix, start=last + 1):
            n = str(i).encode()
            cells = []
            for letter, value in zip(letters, values):
                s = styles.get(letter, b"")
                if value is None:
                    continue
                if isinstance(value, date):
                    cells.append(b'<c r="%s%s"%s><v>%d</v></c>' % (letter, n, s, (value - epoch).days))
                elif isinstance(value, (int, float)):
                    cells.append(b'<c r="%s%s"%s><v>%s</v></c>' % (letter, n, s, repr(value).encode()))
                else:
                    cells.append(b'<c r="%s%s"%s t="inlineStr"><is><t>%s</t></is></c>'
                                 % (letter, n, s, escape(str(value)).encode()))
            parts.append(b'<row r="%s">%s</row>' % (n, b"".join(cells)))
        new_last = str(last + len(matrix)).encode()
        xml = xml[:end] + b"".join(parts) + xml[end:]
        xml = re.sub(rb'(<dimension ref="[A-Z]+\d+:[A-Z]+)\d+"', rb"\g<1>" + new_last + b'"', xml, count=1)
        table_xml = re.sub(rb'(ref="[A-Z]+1:[A-Z]+)\d+"', rb"\g<1>" + new_last + b'"', z.read(tpart))
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
            for info in z.infolist():
                w.writestr(info, xml if info.filename == part else table_xml if info.filename == tpart
                           else z.read(info))


def _stored(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Each zip member as stored: (method, CRC, compressed bytes)."""
    result = {}
    with open(path, "rb") as fp, zipfile.ZipFile(fp) as z:
        for info in z.infolist():
            fp.seek(info.header_offset + 26)
            name_len, extra_len = int.from_bytes(fp.read(2), "little"), int.from_bytes(fp.read(2), "little")
            fp.seek(info.header_offset + 30 + name_len + extra_len)
            result[info.filename] = (info.compress_type, info.CRC, fp.read(info.compress_size))
    return result


def changed_parts(before: Path, after: Path) -> set[str]:
    """Members added, removed or not byte-identical (as stored) between two packages."""
    a, b = _stored(before), _stored(after)
    return {name for name in a.keys() | b.keys() if a.get(name) != b.get(name)}


def write_docxtpl_jobs(workbook: Path, target: Path) -> None:
    """The docxtpl baseline's input: every template the two commands render with the context they render it
    with (charts as PNG bytes already drawn), pickled as plain data."""
    from toolkit.documents import build, catalog, formats
    from toolkit.documents.render import Chart
    from toolkit.load import load_program

    program = load_program(workbook)
    if hasattr(build, "prepare"):  # the deliverables as Figures and Jobs
        figures = build.prepare(program, "report", None)
        ids = build.select_companies(figures.program, None)
        pairs = [(job.document, job.context)
                 for job in build.plan_jobs(figures, ids) + build.report_jobs(figures, build.charts(figures))]
    else:  # the earlier layout: contexts built by context.*, charts by draw(chart_jobs(...))
        from toolkit.documents import context

        valid, budget, kpi = build._prepare(program)
        issued_on = valid.settings.issued_on or date.today()
        pngs = build.draw(build.chart_jobs(valid, budget, kpi))
        charts = {name: Chart(pngs[name], build.CHART_WIDTH_MM) if name in pngs else ""
                  for name in build.CHART_NAMES}
        pairs = [(catalog.PLAN, context.plan_context(valid, budget, kpi, c.company_id, issued_on))
                 for c in valid.companies]
        pairs += [(document, ctx) for document, _, ctx in build.report_contexts(valid, budget, kpi, issued_on, charts)]

    def plain(value: Any) -> Any:
        if isinstance(value, Chart):
            return {"__png__": value.png, "width_mm": value.width_mm}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    jobs = [(str(catalog.template_path(document)), plain(ctx)) for document, ctx in pairs]
    with open(target, "wb") as fp:
        pickle.dump({"formats": formats.__file__, "jobs": jobs}, fp)


# ---------------------------------------------------------------- output

def print_table(bench: Bench, load: tuple[tuple[float, ...], tuple[float, ...]], seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 140)
    mode = "QUICK (development only, not a verdict)" if bench.quick else "full"
    table = Table(title=f"toolkit benchmark — {mode}, median of {bench.rounds} interleaved rounds",
                  title_justify="left")
    table.add_column("job", overflow="fold", ratio=3)
    table.add_column("ours", justify="right", no_wrap=True)
    table.add_column("baseline (same run)", overflow="fold", ratio=2)
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("verdict", overflow="fold")
    for row in bench.rows:
        base = "—" if row.baseline_median is None else f"{fmt(row.baseline_median, row.unit)} {row.baseline_name}"
        if row.ratio is None:
            ratio = "—"
        elif row.target.kind == "faster":
            ratio = f"{1 / row.ratio:.1f}× faster"
        else:
            ratio = f"{row.ratio:.2f}×"
        colour = {True: "green", False: "red"}.get(row.met, "yellow")
        verdict = f"[{colour}]{row.verdict}[/]"
        failed = [name for name, ok in row.checks.items() if not ok]
        if failed:
            verdict += f" ({'; '.join(failed)}: no)"
        table.add_row(row.job, fmt(row.ours_median, row.unit), base, ratio, row.target.text, verdict)
    console.print(table)
    for name in dict.fromkeys(r.baseline_name for r in bench.rows if r.baseline_name):
        console.print(f"  {name}: {BASELINES.get(name, '')}", highlight=False)
    for row in bench.rows:
        if row.note:
            console.print(f"  {row.job} — {row.note}", highlight=False)
    console.print(f"cores {os.cpu_count()}; load average before {fmt_load(load[0])}, after {fmt_load(load[1])}; "
                  f"took {seconds / 60:.1f} min", highlight=False)


def fmt_load(load: tuple[float, ...]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[2:]))
    parser.add_argument("--quick", action="store_true", help="3 rounds and smaller data (development only)")
    parser.add_argument("--only", help=f"comma-separated rows to run: {', '.join(ROW_NAMES)}")
    parser.add_argument("--rounds", type=int, help="rounds per job (default 5; quick 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of the table")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    selected = set(ROW_NAMES) if not args.only else {n.strip() for n in args.only.split(",") if n.strip()}
    unknown = selected - set(ROW_NAMES)
    if unknown:
        parser.error(f"unknown row(s) {', '.join(sorted(unknown))}; choose from {', '.join(ROW_NAMES)}")
    if args.rounds is not None and args.rounds < (1 if args.quick else 5):
        parser.error("--rounds: at least 5 (quality.md), or use --quick")

    bench = Bench(args)
    compiled = any((ROOT / "toolkit").rglob("*.pyc"))
    if not compiled and os.environ.get("PYTHONDONTWRITEBYTECODE"):
        say("note: toolkit's modules are not compiled and PYTHONDONTWRITEBYTECODE is set, so every toolkit process "
            "compiles them at start-up (~35 ms a process here); compile them once: python -m compileall toolkit")
    load_before, started = os.getloadavg(), time.perf_counter()
    jobs: list[tuple[set[str], Callable[[], None]]] = [
        ({"read"}, bench.bench_read),
        ({"append"}, bench.bench_append),
        ({"kpi", "budget", "check", "summary", "status"}, lambda: bench.bench_commands(selected)),
        ({"large"}, bench.bench_large),
        ({"docx"}, bench.bench_docx),
        ({"pdf", "booklet"}, lambda: bench.bench_pdf(selected)),
        ({"demo"}, bench.bench_demo),
        ({"sync"}, bench.bench_sync),
        ({"cloud-sync"}, bench.bench_cloud_sync),
    ]
    try:
        for names, job in jobs:
            if names & selected:
                before = len(bench.rows)
                try:
                    job()
                except Failed as exc:
                    del bench.rows[before:]
                    for name in sorted(names & selected):
                        bench.add(Row(name, name, Target("ratio", 0, "—"), status=f"error: {exc}"))
        load_after, took = os.getloadavg(), time.perf_counter() - started
        if args.json:
            json.dump({"mode": "quick" if bench.quick else "full", "rounds": bench.rounds, "cores": os.cpu_count(),
                       "toolkit_compiled": compiled,
                       "load_before": load_before, "load_after": load_after, "seconds": round(took, 1),
                       "data": {"usage_rows": bench.usage, "support_rows": bench.support,
                                "large_usage_rows": bench.usage * bench.large_times,
                                "form_responses": bench.responses},
                       "rows": [r.as_json() for r in bench.rows]}, sys.stdout, ensure_ascii=False, indent=2)
            print()
        else:
            print_table(bench, (load_before, load_after), took)
    finally:
        if not args.keep:
            shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
