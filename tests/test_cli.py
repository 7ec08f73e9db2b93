"""The command contract of cli.md: JSON shapes, exit codes, and a README that documents every command."""
import json
import re
import subprocess

import pytest
import sys
from pathlib import Path

from click.testing import CliRunner

from builders import write_workbook
from toolkit.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


def sample(tmp_path, **extra):
    sheets = {
        "企業": [["C01", "株式会社Ａ"]],
        "サービス": [["S01", "会計", None, "経理"]],
        "経費": [["E1", "2025/10/1", "C01", "クラウドサービス経費", "１２万円"]],
        "利用実績": [["C01", "S01", "経理", "2025/9/2"], ["C01", "S01", "経理", "R7.9.2"]],
    }
    sheets.update(extra)
    return write_workbook(tmp_path / "m.xlsx", sheets)


def test_check_json_and_exit_code(tmp_path):
    code, output = run("check", sample(tmp_path, 経費=[["E1", "2025/10/1", "C99", "クラウドサービス経費", "1"]]),
                       "--json")
    data = json.loads(output)
    assert code == 1
    assert data["errors"] >= 1 and data["warnings"] >= 1
    finding = next(f for f in data["findings"] if f["code"] == "unknown-company")
    assert finding == {"level": "error", "code": "unknown-company", "sheet": "経費", "row": 2, "column": "企業ID",
                       "value": "C99", "message": finding["message"]}
    assert "C99" in finding["message"]


def test_check_without_errors_exits_0_and_prints_japanese(tmp_path):
    code, output = run("check", sample(tmp_path))
    assert code == 0
    assert "警告" in output and "エラー 0 件" in output


def test_budget_and_kpi_json(tmp_path):
    path = sample(tmp_path)
    code, output = run("budget", path, "--json")
    assert code == 0
    budget = json.loads(output)
    assert budget["companies"]["C01"]["cloud_service"] == 120000
    assert set(budget) >= {"cap_default", "companies", "common", "grand_total"}
    code, output = run("kpi", path, "--json")
    kpi = json.loads(output)
    assert code == 0 and kpi["usage"]["total"] == 1 and kpi["productivity"]["missing"] == ["C01"]


def test_kpi_detail_traces_rows(tmp_path):
    code, output = run("kpi", sample(tmp_path), "--company", "C01", "--detail", "--json")
    trace = json.loads(output)
    assert code == 0
    assert [r["row"] for r in trace["usage"]["counted"]] == [2]
    assert trace["usage"]["left_out"][0]["row"] == 3 and "重複" in trace["usage"]["left_out"][0]["reason"]
    code, output = run("kpi", sample(tmp_path), "--company", "C77")
    assert code == 2


def test_unreadable_file_exits_2(tmp_path):
    bogus = tmp_path / "x.xlsx"
    bogus.write_bytes(b"not a workbook")
    code, output = run("check", bogus)
    assert code == 2


def test_plan_needs_company_or_all(tmp_path):
    code, _ = run("plan", sample(tmp_path))
    assert code == 2


def test_python_m_toolkit_prints_only_json(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "toolkit", "kpi", str(sample(tmp_path)), "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["fiscal_year"] == 2025


def test_readme_command_table_is_the_one_help_generates():
    proc = subprocess.run([sys.executable, "-m", "cogapp", "--check", "README.md"], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 0, "README.md is out of date: run `cog -r README.md`\n" + proc.stdout + proc.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert re.search(rf"`toolkit {re.escape(name)}\b", readme), f"README does not document `toolkit {name}`"


def test_every_command_has_japanese_help_with_examples():
    for name in main.commands:
        code, output = run(name, "--help")
        assert code == 0 and "使い方:" in output and "例:" in output and f"toolkit {name}" in output, name
        assert "Show this message" not in output and "Options" not in output, name


def test_company_ids_take_commas_and_normalise_like_the_workbook(tmp_path):
    path = sample(tmp_path, 企業=[["C01", "株式会社Ａ"], ["C02", "有限会社Ｂ"], ["Ｃ０３", "株式会社Ｃ"]])
    code, output = run("plan", path, "--company", "c01,Ｃ０２", "--company", "C03", "--out", tmp_path / "out")
    assert code == 0, output
    assert sorted(p.name.split("_")[1] for p in (tmp_path / "out").glob("*.docx")) == ["C01", "C02", "C03"]


def test_init_writes_a_clean_master_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "new.xlsx"
    assert run("init", target)[0] == 0
    code, _ = run("check", target, "--json")
    assert code == 0  # an empty master has warnings (empty catalogue) but no errors
    before = target.read_bytes()
    assert run("init", target)[0] == 2
    assert target.read_bytes() == before


def test_demo_then_plan_and_report_from_the_cli(tmp_path):
    code, output = run("demo", "--out", tmp_path / "demo", "--no-pdf")
    assert code == 0, output
    workbook = tmp_path / "demo" / "デモ_マスターブック.xlsx"
    docs = sorted((tmp_path / "demo" / "成果品").glob("*.docx"))
    assert workbook.is_file() and len(docs) >= 25
    assert any(p.name.startswith("改善活動計画書_C01_") for p in docs)
    assert {"委託業務報告書.docx", "予算執行状況報告書.docx", "KPI実績報告書.docx", "支援記録簿.docx"} <= {p.name for p in docs}
    code, output = run("plan", workbook, "--company", "C02", "--out", tmp_path / "plans")
    assert code == 0 and [p.name[:12] for p in (tmp_path / "plans").glob("*.docx")] == ["改善活動計画書_C02_"]
    assert run("plan", workbook, "--company", "C99", "--out", tmp_path / "none")[0] == 2


def test_init_refuses_a_name_that_is_not_xlsx(tmp_path):
    code, output = run("init", str(tmp_path / "master.xls"))
    assert code == 2 and "マスターブックは .xlsx で作成します。名前を「master.xlsx」のように指定してください" in output
    assert not (tmp_path / "master.xls").exists()
    code, output = run("--version")
    assert code == 0 and output.strip() == f"toolkit {__import__('toolkit').__version__}"


@pytest.mark.parametrize("columns", [80, 100])
def test_every_help_fits_the_terminal_and_breaks_japanese_where_japanese_breaks(columns):
    """click counts characters and breaks at spaces only; help is wrapped in terminal cells (a kanji is two), and
    no line starts with closing punctuation nor ends with an opening bracket."""
    from click.testing import CliRunner

    from toolkit.japanese import display_width

    for name in ["", *main.commands]:
        result = CliRunner().invoke(main, [name, "--help"] if name else ["--help"], terminal_width=columns)
        assert result.exit_code == 0, name
        for line in result.output.splitlines():
            assert display_width(line) <= columns, (name, line)
            assert not line.strip() or line.strip()[0] not in "、。）」", (name, line)
            assert not line.rstrip().endswith(("（", "「")), (name, line)


def test_wrap_cells_keeps_words_and_punctuation_together():
    from toolkit.japanese import wrap_cells

    # 「企業ID。…複数指定」 is 20 two-cell characters and "ID" (42 cells); 「（例」 makes 46, ":" 47 and a space 48.
    # At 48 cells "C01,C02" (7) does not fit: it goes down whole, and 「）。」 follow it rather than start a line.
    text = "企業ID。カンマ区切りか、繰り返して複数指定（例: C01,C02）。"
    assert wrap_cells(text, 48) == ["企業ID。カンマ区切りか、繰り返して複数指定（例:", "C01,C02）。"]
    # At 46 the ":" would start a line: it takes 「例」 down, and 「（」 may not end one: 「（例:」 go down together.
    assert wrap_cells(text, 46) == ["企業ID。カンマ区切りか、繰り返して複数指定", "（例: C01,C02）。"]
    # 「状況報告書（」 is 12 cells; at 14 cells 「Word」 (4) does not fit after it, and 「（」 goes down with it.
    assert wrap_cells("状況報告書（Word）を作成", 14) == ["状況報告書", "（Word）を作成"]
    assert wrap_cells("短い", 10, "  ", "    ") == ["  短い"]
