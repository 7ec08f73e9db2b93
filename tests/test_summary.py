"""`toolkit summary` rewrites only the 集計 sheet (and logs to 履歴); figures match budget and KPIs."""
import zipfile

from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from toolkit.budget import compute_budget
from toolkit.cli import main
from toolkit.demo import build_demo_workbook
from toolkit.kpi import compute_kpis
from toolkit.workbook.read import load_program


def members(path):
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def test_summary_sheet_holds_the_figures_and_nothing_else_changes(tmp_path):
    path = tmp_path / "master.xlsx"
    build_demo_workbook(path)
    before = members(path)
    program = load_program(path)
    budget, kpis = compute_budget(program), compute_kpis(program)

    result = CliRunner().invoke(main, ["summary", str(path)])
    assert result.exit_code == 0, result.output

    after = members(path)
    changed = {name for name in before if before[name] != after.get(name)}
    # the 集計 sheet, the 履歴 sheet and its table: nothing else
    assert len(changed) == 3 and all(n.startswith(("xl/worksheets/sheet", "xl/tables/table")) for n in changed)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("集計").to_python()
    start = next(i for i, r in enumerate(rows) if r[0] == "企業ID") + 1
    end = next(i for i, r in enumerate(rows) if r[0] == "共通経費")
    by_company = {r[0]: r for r in rows[start:end]}
    assert list(by_company) == list(budget.companies)
    over = [cid for cid, b in budget.companies.items() if b.status == "over"]
    assert over and all(by_company[cid][9] == "超過" for cid in over)
    first = next(iter(budget.companies.values()))
    assert by_company[first.company_id][2] == first.cloud_service
    usage_row = next(r for r in rows if r[0] == "利用回数（回）")
    assert usage_row[1:4] == [kpis.usage.total, kpis.usage.target, "達成" if kpis.usage.achieved else "未達"]
    sheet_xml = next(after[n] for n in changed if b"<conditionalFormatting" in after[n])
    assert b"\xe8\xb6\x85\xe9\x81\x8e" in sheet_xml  # the colour rule for 超過 survives the rewrite
    audit = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("履歴").to_python()
    assert audit[-1][1] == "集計"
