"""Word → PDF with the real LibreOffice: one conversion call for the checks that need it (skipped without soffice).

The failure paths (no LibreOffice, a hung or failing soffice) run everywhere: they use PATH and TOOLKIT_SOFFICE.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from toolkit.documents import LibreOfficeMissing, PdfConversionError, build_plans, build_reports, convert_to_pdf
from toolkit.documents import pdf as pdf_module
from toolkit.documents.names import file_name

from click.testing import CliRunner
from test_documents import TRICKY, small_program

from toolkit.cli import main

ISSUED = date(2026, 3, 31)
POPPLER = all(shutil.which(t) for t in ("pdfinfo", "pdftotext", "pdffonts"))


@pytest.fixture(scope="module", autouse=True)
def chart_cache(tmp_path_factory):
    """Charts drawn by these tests are kept in a folder of their own, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOOLKIT_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


def _soffice_available() -> bool:
    try:
        pdf_module.find_soffice()
    except LibreOfficeMissing:
        return False
    return True


needs_soffice = pytest.mark.skipif(not (_soffice_available() and POPPLER),
                                   reason="LibreOffice (soffice) or poppler-utils not installed")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    """A plan (with the tricky company name) and the KPI report (with charts), converted in one call."""
    out = tmp_path_factory.mktemp("pdf")
    program = small_program()
    plan = build_plans(program, ["C01"], out, issued_on=ISSUED)[0]
    kpi = next(p for p in build_reports(program, out, issued_on=ISSUED) if p.name.startswith("KPI"))
    return convert_to_pdf([plan, kpi], out / "pdf")


def run(tool: str, path: Path) -> str:
    args = [tool, str(path)] + (["-"] if tool == "pdftotext" else [])  # pdftotext writes to stdout with "-"
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@needs_soffice
def test_pdfs_are_a4_in_input_order(pdfs):
    assert [p.name for p in pdfs] == [file_name("改善活動計画書", "C01", TRICKY, suffix=".pdf"), "KPI実績報告書.pdf"]
    for path in pdfs:
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", run("pdfinfo", path))
        assert size and round(float(size[1])) == 595 and round(float(size[2])) == 842, path.name


@needs_soffice
def test_pdf_text_is_real_japanese(pdfs):
    plan = run("pdftotext", pdfs[0])
    assert "改善活動計画書" in plan and TRICKY in plan and "令和8年3月31日" in re.sub(r"\s", "", plan)
    assert "クラウドサービス利用回数" in run("pdftotext", pdfs[1])


@needs_soffice
def test_pdf_embeds_the_ipa_fonts_the_word_names_map_to(pdfs):
    for path in pdfs:
        fonts = run("pdffonts", path)
        embedded = [line for line in fonts.splitlines()[2:] if line.split()[-5] == "yes"]
        assert any("IPAexMincho" in line for line in embedded), fonts  # body: ＭＳ 明朝 → IPAex明朝
        assert any("IPAexGothic" in line for line in embedded), fonts  # headings: ＭＳ ゴシック → IPAexゴシック
        assert "DejaVu" not in fonts  # no Japanese text fell back to a Latin font


@pytest.mark.skipif(sys.platform == "win32" or not shutil.which("fc-match"), reason="fontconfig only")
def test_fontconfig_file_maps_word_font_names_to_ipa(tmp_path):
    conf = pdf_module.fontconfig_file(tmp_path)
    env = {"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin"}
    for word, ipa in (("ＭＳ 明朝", "IPAex"), ("ＭＳ ゴシック", "IPAexGothic"), ("游明朝", "IPAexMincho")):
        found = subprocess.run(["fc-match", "-f", "%{family}", word], capture_output=True, text=True, env=env).stdout
        assert ipa in found, (word, found)


def test_missing_libreoffice_is_a_japanese_error_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TOOLKIT_SOFFICE", raising=False)
    monkeypatch.setattr(pdf_module, "_WINDOWS_PATHS", ())
    monkeypatch.setattr(pdf_module, "_MAC_PATH", str(tmp_path / "none"))
    docx_file = tmp_path / "a.docx"
    docx_file.write_bytes(b"")
    with pytest.raises(LibreOfficeMissing) as caught:
        convert_to_pdf([docx_file], tmp_path)
    message = str(caught.value)
    assert "LibreOffice" in message and ("libreoffice-writer-nogui" in message or "Word" in message)


@needs_soffice
def test_one_libreoffice_per_core_serves_every_conversion_of_a_command(tmp_path):
    """The instances started with the command convert everything it hands them (start-up is most of a small
    conversion's cost) and end with it."""
    program = small_program()
    docx = build_plans(program, None, tmp_path / "docx", issued_on=ISSUED)
    with pdf_module.Converter() as converter:
        started = [instance.proc for instance in converter._pool]
        first = converter.convert(docx[:1], tmp_path / "one")
        later = converter.start(docx[1:], tmp_path / "rest", instances=2)
        rest = later.wait()
        assert all(proc.poll() is None for proc in started)  # still up after serving three requests
        assert [instance.proc for instance in converter._pool] == started
        spawned = {" ".join(map(str, proc.args)) for proc in converter._running}
    assert len(started) == pdf_module.INSTANCES
    assert sum("--accept=" in args for args in spawned) == pdf_module.INSTANCES  # no instance started cold
    assert all(proc.poll() is not None for proc in started)  # and they end with the command
    for path in [*first, *rest]:
        assert path.stat().st_size > 1000 and run("pdfinfo", path).count("A4") == 1


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for a hung soffice")
def test_a_hung_libreoffice_is_stopped_at_the_timeout(tmp_path, monkeypatch):
    hung = tmp_path / "soffice"
    hung.write_text("#!/bin/sh\nsleep 30\n")
    hung.chmod(0o755)
    monkeypatch.setenv("TOOLKIT_SOFFICE", str(hung))
    docx_file = tmp_path / "a.docx"
    docx_file.write_bytes(b"x")
    started = time.monotonic()
    with pytest.raises(PdfConversionError, match="秒以内"):
        convert_to_pdf([docx_file], tmp_path / "out", timeout=1)
    assert time.monotonic() - started < 10


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell script stands in for a failing soffice")
def test_a_pdf_that_was_not_made_is_reported_and_an_old_one_is_not_kept(tmp_path, monkeypatch):
    failing = tmp_path / "soffice"
    failing.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("TOOLKIT_SOFFICE", str(failing))
    docx_file = tmp_path / "a.docx"
    docx_file.write_bytes(b"x")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.pdf").write_bytes(b"old")
    with pytest.raises(PdfConversionError, match="a.pdf"):
        convert_to_pdf([docx_file], out)
    assert not (out / "a.pdf").exists()


# ------------------------------------------------------------------------------------------------ the booklet

@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """`toolkit demo` as the command runs it: the workbook, every document as Word and PDF, and the booklet."""
    from toolkit.demo_job import run_demo

    return run_demo(tmp_path_factory.mktemp("demo"), pdf=True)


def pdf_pages(path: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed): its lines, spacing removed."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return ["\n".join(line for line in (re.sub(r"[ \t\u3000]", "", x) for x in page.splitlines()) if line)
            for page in text.split("\f")][:-1]


def toc_entries(page: str) -> list[tuple[str, int]]:
    """(title, page) of each 目次 line: the title, a dot leader, the number."""
    return [(m[1], int(m[2])) for line in page.splitlines() if (m := re.fullmatch(r"(.+?)[.…]{3,}(\d+)", line))]


@needs_soffice
def test_the_demo_writes_one_booklet_numbered_straight_through(demo_run):
    booklet = next(p for p in demo_run.documents if p.name == "成果品冊子.pdf")
    assert "成果品冊子" in demo_run.summary()
    pages = pdf_pages(booklet)
    assert "成果品" in pages[0] and "令和8年3月27日" in pages[0] and "委託者岡山市" in pages[0]
    for number, page in enumerate(pages[1:], start=1):  # the cover has none; then 1, 2, 3 … to the end
        assert page.endswith(f"－{number}－"), (number, page[-40:])
    entries = toc_entries(pages[1])
    titles = [t for t, _ in entries]
    assert titles[:3] == ["委託業務報告書", "予算執行状況報告書", "KPI実績報告書"]
    assert sum(t.startswith("改善活動計画書") for t in titles) == 20 and "支援記録簿" in titles
    assert sum(t.startswith("会議記録") for t in titles) == 9
    numbers = [n for _, n in entries]
    assert numbers == sorted(numbers) and numbers[0] == 2
    for title, number in entries:  # each entry points at the first page of its part
        page = pages[number]
        first_words = re.sub(r"（.*", "", title)
        assert first_words in page.replace("\n", ""), (title, number)
        if title.startswith("改善活動計画書"):
            company = re.search(r"（C\d+(.+)）", title)[1]
            assert company in page and company not in pages[number - 1]
    # the business report's own 目次 shows booklet pages: each heading is on the page it names
    report_toc = next(i for i, p in enumerate(pages) if "目次" in p and "1業務概要" in p and i > 1)
    for title, number in toc_entries(pages[report_toc]):
        assert title in pages[number].replace("\n", ""), (title, number)
    labels = subprocess.run(["pdfinfo", "-f", "1", "-l", "3", str(booklet)], capture_output=True, text=True).stdout
    assert "Pages:" in labels
    from pypdf import PdfReader

    reader = PdfReader(str(booklet))
    assert reader.page_labels[:3] == ["表紙", "1", "2"] and reader.page_labels[-1] == str(len(pages) - 1)
    assert reader.metadata.title == "クラウドサービス導入支援業務 成果品冊子"
    assert [item.title for item in reader.outline if not isinstance(item, list)][:3] == [
        "委託業務報告書", "予算執行状況報告書", "KPI実績報告書"]  # each part bookmarked, its headings nested


@needs_soffice
def test_the_business_report_pdf_shows_its_own_toc_page_numbers(demo_run):
    report = next(p for p in demo_run.documents if p.name == "委託業務報告書.pdf")
    pages = pdf_pages(report)
    toc = next(i for i, p in enumerate(pages) if "目次" in p)
    entries = toc_entries(pages[toc])
    assert len(entries) >= 20
    for title, number in entries:
        assert title in pages[number - 1].replace("\n", ""), (title, number)
    assert all(p.endswith(f"－{i}－") for i, p in enumerate(pages[1:], start=2))  # its own numbers, from 2


@needs_soffice
def test_pdfs_of_every_document_are_on_disk_as_printed(demo_run):
    pdfs = [p for p in demo_run.documents if p.suffix == ".pdf"]
    docx_files = [p for p in demo_run.documents if p.suffix == ".docx"]
    assert len(pdfs) == len(docx_files) + 1  # and the booklet
    from toolkit.outputs import LEDGER

    on_disk = {p.name for p in demo_run.documents_dir.iterdir()}
    assert {p.name for p in demo_run.documents} | {LEDGER} == on_disk  # and the record of the Word files written


@needs_soffice
def test_a_long_support_log_is_converted_in_two_halves_numbered_straight_through(tmp_path, monkeypatch):
    from dataclasses import replace

    from toolkit.documents import build
    from toolkit.model import Company, SupportRecord

    monkeypatch.setattr(build, "SPLIT_SUPPORT_RECORDS", 4)
    base = small_program()
    companies = tuple(Company(i + 2, f"C{i + 1:02d}", f"株式会社テスト{i + 1}", *([None] * 16)) for i in range(3))
    forms = ("対面", "電話・メール", "オンライン")
    support = tuple(SupportRecord(n + 2, f"R{n}", f"C{n % 3 + 1:02d}", date(2025, 10, 10 + n), forms[n // 3], "山本 健一",
                                  6.5 if n % 3 == 0 else 1.5, f"支援内容{n}", None, None) for n in range(9))
    program = replace(base, companies=companies, support=support, subscriptions=(), expenses=(), usage=(),
                      financials=(), plan_items=())
    written = build_reports(program, tmp_path, pdf=True, issued_on=ISSUED)
    log = tmp_path / "支援記録簿.pdf"
    assert log in written and sorted(p.name for p in tmp_path.glob("*.pdf")) == sorted(
        p.name for p in written if p.suffix == ".pdf")
    pages = [re.sub(r"\s", "", p) for p in run("pdftotext", log).split("\f")][:-1]
    assert len(pages) == 4  # the three companies on a page each, then the totals; no blank page at the seam
    for number, page in enumerate(pages, start=1):
        assert re.findall(r"－(\d+)－", page) == [str(number)], page[-30:]  # one number per page, in order
    for i in range(3):
        assert f"株式会社テスト{i + 1}" in pages[i]
    lines = run("pdftotext", log).replace(" ", "")  # line breaks kept: what wrapped in a cell shows here
    for unbroken in ("19.5時間", "電話・メール", "令和7年10月17日", "オンライン"):
        assert unbroken in lines, unbroken  # 19.5時間 is C01's total (6.5 × 3)


def test_the_booklet_without_libreoffice_says_so_before_rendering(tmp_path, monkeypatch):
    from toolkit.documents import build_booklet

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TOOLKIT_SOFFICE", raising=False)
    monkeypatch.setattr(pdf_module, "_WINDOWS_PATHS", ())
    monkeypatch.setattr(pdf_module, "_MAC_PATH", str(tmp_path / "none"))
    with pytest.raises(LibreOfficeMissing) as caught:
        build_booklet(small_program(), tmp_path / "out", issued_on=ISSUED)
    assert "作成済み" not in str(caught.value)  # the booklet leaves no .docx behind to point at
    assert not list((tmp_path / "out").iterdir())


def _words(pdf: Path, page: int) -> list[tuple[str, float]]:
    """(word, x of its left edge in points) on a 1-based page, from pdftotext's bounding boxes."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(m[2], float(m[1])) for m in re.finditer(r'<word xMin="([\d.]+)"[^>]*>([^<]+)</word>', html)]


@needs_soffice
def test_the_booklet_leaves_a_5_mm_binding_gutter_on_the_inner_side(demo_run):
    booklet = next(p for p in demo_run.documents if p.name == "成果品冊子.pdf")
    budget = next(p for p in demo_run.documents if p.name == "予算執行状況報告書.pdf")
    from pypdf import PdfReader

    outline = PdfReader(str(booklet)).outline
    reader = PdfReader(str(booklet))
    start = next(reader.get_destination_page_number(o) for o in outline
                 if not isinstance(o, list) and o.title == "予算執行状況報告書") + 1  # 1-based
    gutter = 5 * 72 / 25.4  # 14.17 pt
    for k in (1, 2):  # two facing pages of the same report: the content moves away from the binding
        page = start + k
        alone = dict(_words(budget, 1 + k))
        bound = dict(_words(booklet, page))
        shared = [w for w in alone if w in bound and len(w) > 3]
        assert shared
        expected = gutter if page % 2 == 1 else -gutter  # odd pages (recto) to the right, even to the left
        assert all(abs(bound[w] - alone[w] - expected) < 0.5 for w in shared), (page, shared[:3])


@needs_soffice
def test_report_without_pdf_fills_the_toc_page_numbers_of_the_word_file(tmp_path):
    import docx

    from builders import write_workbook
    from test_status import sheets

    book = write_workbook(tmp_path / "m.xlsx", sheets())
    result = CliRunner().invoke(main, ["report", str(book), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    word = tmp_path / "out" / "委託業務報告書.docx"
    entries = [p.text.split("\t") for p in docx.Document(str(word)).paragraphs if p.style.name.startswith("toc")]
    assert entries and all(len(e) == 2 and e[1].isdigit() for e in entries), entries
    # Converted on its own (with the fonts the toolkit maps for LibreOffice), the Word file has each heading on the
    # page its 目次 line names.
    [converted] = convert_to_pdf([word], tmp_path)
    pages = pdf_pages(converted)
    for title, number in entries:
        assert re.sub(r"[ \t\u3000]", "", title) in pages[int(number) - 1].replace("\n", ""), (title, number)


def _blank_below(pdf: Path, tmp: Path) -> list[float]:
    """Per page, the share of the text area (between the header and the footer) left blank below the last mark."""
    import numpy as np
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp / "p")], check=True)
    shares = []
    for png in sorted(tmp.glob("p-*.pgm")):
        ink = np.array(Image.open(png)) < 200
        top, bottom = int(ink.shape[0] * 0.08), int(ink.shape[0] * 0.90)
        rows = np.where(ink[top:bottom].any(axis=1))[0]
        shares.append((bottom - top - (rows.max() if len(rows) else 0)) / (bottom - top))
    return shares


@needs_soffice
def test_no_figure_leaves_more_than_a_third_of_a_page_blank(demo_run, tmp_path):
    """A bar chart comes in parts of at most 9 bars, each in its own paragraph: a figure that does not fit at the
    foot of a page flows over it part by part. The one page left short on purpose is the 要約 (a page of its own)."""
    for name in ("委託業務報告書", "予算執行状況報告書", "KPI実績報告書"):
        pdf = next(p for p in demo_run.documents if p.name == f"{name}.pdf")
        work = tmp_path / name
        work.mkdir()
        pages = pdf_pages(pdf)
        for number, share in enumerate(_blank_below(pdf, work)[:-1], start=1):
            if share > 1 / 3:
                assert name == "委託業務報告書" and pages[number - 1].startswith("クラウドサービス導入支援業務\n要約"), (
                    name, number, round(share, 2))
    # The 20 companies' usage chart: 3 parts (7 + 7 + 6 bars), one picture each, in the KPI report's Word file.
    import docx

    word = next(p for p in demo_run.documents if p.name == "KPI実績報告書.docx")
    document = docx.Document(str(word))
    caption = next(i for i, p in enumerate(document.paragraphs) if p.text.startswith("図1"))
    figure = [p for p in document.paragraphs[caption - 4:caption] if p._p.xpath(".//w:drawing")]
    assert len(figure) == 3
    # Every part is at most a third of the text area high (A4 297 mm less the 25 mm and 20 mm margins).
    assert all(shape.height.mm <= (297 - 25 - 20) / 3 for shape in document.inline_shapes)
