"""toolkit as real software (issue 23): the release script builds a wheel with the templates and the VBA module
inside; installed (not editable) into a fresh environment, it runs demo, init, report and excel-setup from a
folder outside the checkout."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_release_wheel_carries_its_templates_and_runs_outside_the_checkout(tmp_path):
    done = subprocess.run(["bash", str(ROOT / "scripts" / "release.sh"), str(tmp_path / "dist")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    [wheel] = (tmp_path / "dist").glob("toolkit-*-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"toolkit/doc_templates/状況報告書.docx", "toolkit/doc_templates/改善活動計画書.docx",
            "toolkit/workbook_templates/master.xlsx", "toolkit/workbook_templates/toolkit_macros.bas"} <= names
    [docs] = (tmp_path / "dist").glob("toolkit-*-docs.zip")
    assert {"README.md", "docs/excel.md", "scripts/register_task.ps1"} <= set(zipfile.ZipFile(docs).namelist())

    # A fresh environment with the wheel installed (not editable). Its dependencies come from this environment's
    # site-packages through a .pth (no download); the .pth files in there, such as this checkout's editable one,
    # are not processed, so the checkout is not on the path.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                              "--disable-pip-version-check", str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr

    elsewhere = tmp_path / "work"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["TOOLKIT_CACHE"] = str(tmp_path / "cache")

    def toolkit(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(python), "-m", "toolkit", *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True)

    where = subprocess.run([str(python), "-c", "import toolkit; print(toolkit.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(site)), where
    demo = toolkit("demo", "--out", "demo", "--no-pdf")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    [book] = (elsewhere / "demo").glob("*.xlsx")
    assert len(list((elsewhere / "demo").rglob("*.docx"))) >= 30
    assert toolkit("init", "new.xlsx").returncode == 0 and (elsewhere / "new.xlsx").is_file()
    report = toolkit("report", str(book), "--out", "reports")
    assert report.returncode == 0, report.stdout + report.stderr
    assert (elsewhere / "reports" / "KPI実績報告書.docx").is_file()
    setup = toolkit("excel-setup", str(book), "--out", str(elsewhere / "master.xlsm"))
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert (elsewhere / "master.xlsm").is_file()
