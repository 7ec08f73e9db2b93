"""The plain-library baselines of the benchmark, each run as its own process by ``scripts/bench.py``.

Kept apart from bench.py so a baseline process imports only its library (a baseline that imported the benchmark's
own modules would be slower and flatter the toolkit).

    python scripts/bench_plain.py read WORKBOOK                 # python-calamine: every sheet to Python values
    python scripts/bench_plain.py openpyxl-save WORKBOOK OUT    # openpyxl: load the whole book, save it again
    python scripts/bench_plain.py docxtpl JOBS.pickle OUT_DIR   # docxtpl: render the given templates + contexts
"""
from __future__ import annotations

import sys


def read(path: str) -> None:
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(path) as book:
        rows = sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)
    print(rows)


def openpyxl_save(path: str, out: str) -> None:
    import openpyxl

    openpyxl.load_workbook(path).save(out)


def docxtpl(jobs_path: str, out_dir: str) -> None:
    """Render every (template, context) of the pickle with docxtpl's own environment plus the template filters,
    after importing matplotlib as a report that draws charts must. Charts arrive as PNG bytes already drawn."""
    import importlib.util
    import io
    import pickle
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401

    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import Environment

    with open(jobs_path, "rb") as fp:
        data = pickle.load(fp)
    # The templates use the toolkit's filters (|reiwa, |yen, …): load that one module by path, without the package.
    spec = importlib.util.spec_from_file_location("formats", data["formats"])
    formats = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(formats)
    env = Environment(autoescape=True)
    env.filters.update({"reiwa": formats.reiwa, "yen": formats.yen, "pct": formats.pct, "number": formats.number,
                        "fiscal_year": formats.fiscal_year_label})

    def bind(value, template):
        if isinstance(value, dict):
            if "__png__" in value:
                return InlineImage(template, io.BytesIO(value["__png__"]), width=Mm(value["width_mm"]))
            return {k: bind(v, template) for k, v in value.items()}
        if isinstance(value, list):
            return [bind(v, template) for v in value]
        return value

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for i, (template_path, context) in enumerate(data["jobs"]):
        template = DocxTemplate(template_path)
        template.render(bind(context, template), jinja_env=env, autoescape=True)
        template.save(out / f"{i:03d}.docx")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"read": read, "openpyxl-save": openpyxl_save, "docxtpl": docxtpl}[command](*args)
