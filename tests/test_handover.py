"""`toolkit handover` (issue 24): one company's support records and every material they link to, packed with a
目録 whose SHA-256 match the files, a 支援記録簿 of the period, one bookmarked PDF and a 履歴 row; a missing
material is listed, never skipped, and exits 1; a SharePoint link is fetched through Graph (the loopback fake)."""
from __future__ import annotations

import hashlib
import unicodedata
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from cloud_setup import env, fake  # noqa: F401 (fixtures)
from openpyxl import load_workbook

from builders import write_workbook
from test_pdf import needs_soffice
from test_status import sheets
from toolkit.cli import main
from toolkit.demo import build_demo_workbook

pytestmark = needs_soffice


def _records(book: Path, company: str) -> list[tuple]:
    """(記録ID, 支援日, 資料リンク lines) of the company's rows, read straight from the sheet."""
    ws = load_workbook(book)["支援記録"]
    header = [c.value for c in ws[1]]
    rid, cid, day, links = (header.index(h) for h in ("記録ID", "企業ID", "支援日", "資料リンク"))
    return [(r[rid], r[day].date(), (r[links] or "").splitlines()) for r in ws.iter_rows(min_row=2, values_only=True)
            if r[cid] == company]


def _catalogue(folder: Path) -> list[dict]:
    ws = load_workbook(folder / "00_目録.xlsx").active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    build_demo_workbook(folder / "master.xlsx")
    return folder / "master.xlsx"


def test_the_package_holds_the_catalogue_the_log_and_every_linked_file_with_its_hash(demo, tmp_path):
    result = CliRunner().invoke(main, ["handover", str(demo), "--company", "C01", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    records = _records(demo, "C01")
    first, last = min(d for _, d, _ in records), max(d for _, d, _ in records)
    folder = tmp_path / f"引渡し_C01_{first:%Y%m%d}-{last:%Y%m%d}"
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive) as z:
        names = {Path(n).relative_to(folder.name).as_posix(): n for n in z.namelist()}
        for fixed in ("00_目録.xlsx", "00_目録.pdf", "支援記録簿_C01.docx", "支援記録簿_C01.pdf", "支援記録と資料_C01.pdf"):
            assert fixed in names
        # Every link of every C01 record: in 資料/ as {支援日}_{記録ID}_{name}, byte for byte the source file.
        expected = {}
        for rid, day, links in records:
            for link in links:
                # The name as a file name: NFKC (利用ルール（案） → 利用ルール(案)), like every output name.
                packed = unicodedata.normalize("NFKC", f"資料/{day:%Y%m%d}_{rid}_{Path(link).name}")
                assert packed in names, packed
                data = z.read(names[packed])
                assert data == (demo.parent / link).read_bytes()
                expected[packed] = hashlib.sha256(data).hexdigest()
    assert len(expected) == sum(len(links) for _, _, links in records) > 10
    catalogue = _catalogue(folder)
    assert {row["ファイル名"]: row["SHA-256"] for row in catalogue} == expected
    assert {row["状態"] for row in catalogue} == {"同梱"}
    # The period's 支援記録簿 holds C01's records only (its heading, and no other company's).
    import docx

    log = docx.Document(str(folder / "支援記録簿_C01.docx"))
    headings = [p.text for p in log.paragraphs if p.style.name == "Heading 1"]
    assert headings[0].startswith("1\u3000C01\u3000") and not any("C02" in h for h in headings)
    # One PDF: the catalogue, the log, then one bookmark per packed file (Office files converted).
    from pypdf import PdfReader

    outline = [o.title for o in PdfReader(str(folder / "支援記録と資料_C01.pdf")).outline if not isinstance(o, list)]
    assert outline[:2] == ["目録", "支援記録簿"] and len(outline) == 2 + len(expected)
    # The 履歴 row: what was handed over, with the zip's SHA-256.
    audit = list(load_workbook(demo)["履歴"].values)[-1]
    assert audit[1:4] == ("資料の引渡し", "支援記録", "C01")
    assert hashlib.sha256(archive.read_bytes()).hexdigest() in audit[4]
    assert f"記録 {len(records)}件、資料 {len(expected)}件" in audit[4]


def test_a_missing_material_is_listed_as_missing_and_exits_1(tmp_path):
    rows = sheets()
    (tmp_path / "資料").mkdir()
    (tmp_path / "資料" / "手順書.docx").write_bytes(b"not really a document")
    rows["支援記録"][0] += [None] * 4 + ["資料/手順書.docx\n資料/なくした表.xlsx"]  # R1, 2025-09-05
    rows["支援記録"][1][7:8] = ["比較表"]  # R2 (10/20) names a material and links none: it cannot be handed over
    book = write_workbook(tmp_path / "m.xlsx", rows)
    result = CliRunner().invoke(main, ["handover", str(book), "--company", "C01", "--to", "2025-12-31",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "資料/なくした表.xlsx" in result.output and "見つかりません" in result.output
    assert "記録 R2 の提供資料「比較表」に資料リンクがなく、渡せません" in result.output.replace("\n", "")
    # The period to 12/31: R1 (9/5) and R2 (10/20); R3 (2026-01-10) is outside it.
    folder = tmp_path / "out" / "引渡し_C01_20250905-20251231"
    catalogue = _catalogue(folder)
    assert [(r["記録ID"], r["ファイル名"], r["状態"]) for r in catalogue] == [
        ("R1", "資料/20250905_R1_手順書.docx", "同梱"), ("R1", "なくした表.xlsx", "見つかりません"),
        ("R2", None, "資料リンクなし")]
    assert catalogue[0]["SHA-256"] == hashlib.sha256(b"not really a document").hexdigest()
    assert folder.with_suffix(".zip").is_file()


def test_an_unknown_company_is_refused_in_words(tmp_path):
    book = write_workbook(tmp_path / "m.xlsx", sheets())
    result = CliRunner().invoke(main, ["handover", str(book), "--company", "C99", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "企業ID「C99」は企業シートにありません" in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_a_sharepoint_link_is_downloaded_through_graph(fake, env, tmp_path):  # noqa: F811
    url = "https://contoso.sharepoint.com/:w:/s/program/EMaterial01?e=m1"
    content = b"%PDF-1.4 material held in SharePoint"
    fake.add_file(url, content, name="提案書.pdf")
    gone = "https://contoso.sharepoint.com/:w:/s/program/EGone?e=g"  # never added: 404 itemNotFound
    rows = sheets()
    rows["支援記録"][3].append(f"{url}\n{gone}")  # R4: C02, 2025-10-02 (its 次回予定日 is the 10th column)
    book = write_workbook(tmp_path / "m.xlsx", rows)
    result = CliRunner().invoke(main, ["handover", str(book), "--company", "C02", "--out", str(tmp_path / "out")],
                                env=env)
    assert result.exit_code == 1, result.output
    catalogue = _catalogue(tmp_path / "out" / "引渡し_C02_20251002-20251002")
    assert [(r["出典"], r["状態"]) for r in catalogue] == [(url, "同梱"), (gone, "見つかりません")]
    assert catalogue[0]["SHA-256"] == hashlib.sha256(content).hexdigest()
    assert len(fake.requests_to("/download/")) >= 1


def test_check_links_asks_graph_whether_a_sharepoint_link_still_resolves(fake, env, tmp_path):  # noqa: F811
    url = "https://contoso.sharepoint.com/:w:/s/program/EMaterial02?e=m2"
    fake.add_file(url, b"x", name="議事メモ.docx")
    gone = "https://contoso.sharepoint.com/:w:/s/program/EGone2?e=g"
    rows = sheets()
    rows["支援記録"][3].append(f"{url}\n{gone}")
    book = write_workbook(tmp_path / "m.xlsx", rows)
    import json

    def missing(*extra):
        result = CliRunner().invoke(main, ["check", str(book), "--json", *extra], env=env)
        return [f["value"] for f in json.loads(result.output)["findings"] if f["code"] == "material-missing"]

    assert missing() == []  # without --links a cloud link is not looked up
    assert missing("--links") == [gone]


def test_a_renamed_support_sheet_is_refused_not_read_as_empty(tmp_path):
    book = write_workbook(tmp_path / "m.xlsx", sheets(), omit=["支援記録"])
    result = CliRunner().invoke(main, ["handover", str(book), "--company", "C01", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "シート「支援記録」がありません" in result.output
    assert not (tmp_path / "o").exists()


def test_check_links_needs_no_sign_in_when_no_link_is_in_the_cloud(tmp_path, monkeypatch):
    for name in ("TOOLKIT_TENANT_ID", "TOOLKIT_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    rows = sheets()
    rows["支援記録"][0] += [None] * 4 + ["資料/ない.docx"]
    book = write_workbook(tmp_path / "m.xlsx", rows)
    result = CliRunner().invoke(main, ["check", str(book), "--links", "--json"])
    assert result.exit_code == 0, result.output
    assert "資料/ない.docx" in result.output


def test_a_material_named_without_a_link_alone_exits_1(tmp_path):
    rows = sheets()
    rows["支援記録"][1][7:8] = ["比較表"]  # R2 names a material; no record links a file
    book = write_workbook(tmp_path / "m.xlsx", rows)
    result = CliRunner().invoke(main, ["handover", str(book), "--company", "C01", "--json",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    import json

    assert json.loads(result.output)["unlinked"] == [{"record": "R2", "materials": "比較表"}]
