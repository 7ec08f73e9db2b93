"""`toolkit handover`: one company's support records with the materials they link to, packed for the city.

Seed 5(2)イ: support is recorded per company and day and handed over, on request, with the consulting materials
made and provided. The package is a folder and a zip of it: 00_目録 (.xlsx and .pdf: every material with its
record, size, SHA-256 and source), the company's 支援記録簿 for the period (Word and PDF), every linked file under
資料/ (Office files and images also as PDF under 資料/PDF/), and one bookmarked PDF of everything. A material that
cannot be found is listed in the 目録 as missing — never skipped — and the command then exits 1. A 履歴 row
records what was handed over (company, period, file count, the zip's SHA-256).
"""
from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from toolkit import schema
from toolkit.audit import audit_row
from toolkit.errors import UnknownCompany, UsageError
from toolkit.japanese import display_width
from toolkit.materials import file_name, graph_client, is_cloud, links, local_file
from toolkit.model import Program, SupportRecord
from toolkit.privacy import HANDOVER_PREFIX

# Converted to PDF for the bound copy (LibreOffice opens them); anything else is packed as it is.
CONVERTIBLE = {".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt", ".odt", ".ods", ".odp", ".rtf", ".png",
               ".jpg", ".jpeg"}
MATERIALS_DIR = "資料"
CATALOGUE = "00_目録"
MISSING = "見つかりません"
UNLINKED = "資料リンクなし"
CATALOGUE_HEADERS = ("記録ID", "支援日", "形態", "担当者", "時間", "提供資料", "ファイル名", "サイズ（バイト）",
                     "SHA-256", "出典", "状態")


@dataclass
class Material:
    """One linked file of one support record, as the 目録 lists it."""

    record: SupportRecord
    link: str
    file: str | None = None  # its path inside the package; None when it was not found
    size: int | None = None
    sha256: str | None = None
    note: str = ""  # why it is missing

    @property
    def source(self) -> str:
        return "SharePoint / OneDrive" if is_cloud(self.link) else "このパソコン"


def select_records(program: Program, company_id: str, start: date | None, end: date | None) -> list[SupportRecord]:
    """The company's records in the period (both ends included), by date."""
    if company_id not in program.company_map:
        known = "、".join(c.company_id for c in program.companies[:10])
        raise UnknownCompany(f"企業ID「{company_id}」は企業シートにありません（ある企業ID: {known} …）。")
    if start and end and end < start:
        raise UsageError(f"期間の終わり（{end:%Y-%m-%d}）が始まり（{start:%Y-%m-%d}）より前です。")
    return sorted((r for r in program.support if r.company_id == company_id
                   and (start is None or r.date >= start) and (end is None or r.date <= end)),
                  key=lambda r: (r.date, r.row))


def _packed_name(record: SupportRecord, link: str, taken: set[str]) -> str:
    """資料/{支援日}_{記録ID}_{file name}: sorted by day; a second file of the same name (or of the same name but
    its extension: both would become the same PDF) gets _2."""
    from toolkit.documents.names import safe_part

    original = Path(file_name(link))
    stem = safe_part(original.stem, 60)
    suffix = "".join(ch for ch in original.suffix if ch.isalnum() or ch == ".")[:10]
    base = f"{record.date:%Y%m%d}_{safe_part(record.record_id, 20)}_{stem}"
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name.casefold())
    return name + suffix


def gather(records: list[SupportRecord], book_folder: Path | None, fetch_cloud: Callable[[str], bytes | None],
           target: Path) -> list[Material]:
    """Copy every linked file into ``target`` (資料/), hashing what was written; a link that does not resolve is a
    Material without a file. A relative path needs the book's folder (None for a book opened from SharePoint)."""
    target.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    out = []
    for r in records:
        for link in links(r):
            item = Material(r, link)
            path = None if is_cloud(link) else local_file(link, book_folder)
            if is_cloud(link):
                data = fetch_cloud(link)
            elif path is None:
                data, item.note = None, "ブックがパソコン上にないため、相対パスを解決できません"
            else:
                data = path.read_bytes() if path.is_file() else None
            if data is None:
                item.note = item.note or MISSING
            else:
                name = _packed_name(r, link, taken)
                (target / name).write_bytes(data)
                item.file, item.size = f"{MATERIALS_DIR}/{name}", len(data)
                item.sha256 = hashlib.sha256(data).hexdigest()
            out.append(item)
    return out


@contextmanager
def cloud_fetcher(program: Program, env) -> Iterator[Callable[[str], bytes | None]]:
    """Download a SharePoint / OneDrive link through Graph with the sync's sign-in; None for a link that no longer
    resolves."""
    from toolkit.graph.client import NotFound
    from toolkit.graph.forms import download_item, resolve_share

    with graph_client(program, env) as client:
        def fetch(link: str) -> bytes | None:
            what = f"資料 {link}"
            try:
                return download_item(client(), resolve_share(client(), link, what=what), what=what)
            except NotFound:
                return None

        yield fetch


def unlinked(records: list[SupportRecord]) -> list[SupportRecord]:
    """Records that name 提供資料 but link no file: the material cannot be handed over (listed, and exit 1)."""
    return [r for r in records if r.materials and not links(r)]


def catalogue_rows(materials: list[Material], records: list[SupportRecord]) -> list[tuple]:
    """The 目録's rows: each material, and each record that names 提供資料 without any link (so nothing the log
    says was provided is silently absent from the package)."""
    rows = []
    for m in materials:
        r = m.record
        rows.append((r.record_id, r.date, r.form, r.staff, r.hours, r.materials, m.file or Path(file_name(m.link)).name,
                     m.size, m.sha256, m.link, "同梱" if m.file else m.note))
    for r in unlinked(records):
        rows.append((r.record_id, r.date, r.form, r.staff, r.hours, r.materials, None, None, None, None, UNLINKED))
    rows.sort(key=lambda row: (row[1], row[0]))
    return rows


def _shown(value: object) -> str:
    return value.strftime("%Y/%m/%d") if isinstance(value, (date, datetime)) else "" if value is None else str(value)


def write_catalogue(path: Path, title: str, rows: list[tuple]) -> Path:
    """00_目録.xlsx: a title, the header row and one row per material, laid out to print on A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.page import PageMargins

    wb = Workbook()
    ws = wb.active
    ws.title = "目録"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    ws.append(list(CATALOGUE_HEADERS))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E2F3")
    for row in rows:
        ws.append(list(row))
        ws.cell(ws.max_row, 2).number_format = "yyyy/mm/dd"
    widths = (8, 11, 11, 10, 5, 24, 30, 9, 34, 30, 12)
    for column, width in zip("ABCDEFGHIJK", widths):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        # LibreOffice prints a wrapped cell in the row's stored height: set it from the longest cell's lines.
        lines = max(-(-display_width(_shown(c.value)) // max(1, w - 1)) or 1 for c, w in zip(row, widths))
        ws.row_dimensions[row[0].row].height = 14 * lines
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    wb.save(path)
    return path


def _zip(folder: Path) -> Path:
    target = folder.with_suffix(".zip")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                z.write(path, Path(folder.name) / path.relative_to(folder))
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_handover(program: Program, book: Path | None, company_id: str, start: date | None, end: date | None,
                 out_dir: Path, *, env, now: datetime, issued_on: date, templates_dir: Path | None = None,
                 progress: Callable[[str], None] | None = None) -> dict:
    """Make the package; returns what the CLI prints (and --json shows). ``book``: the master on this computer (its
    folder resolves relative links and its 履歴 gets the row), None for one opened from SharePoint."""
    from toolkit.documents import catalog, contexts
    from toolkit.documents.names import safe_part
    from toolkit.documents.paging import bind
    from toolkit.documents.pdf import Converter
    from toolkit.documents.render import render_docx
    from toolkit.workbook.write import patch_workbook

    step = progress or (lambda _: None)
    program.require(schema.NEEDS["handover"], "資料の引渡し")  # a renamed 支援記録 must not pass for an empty one
    records = select_records(program, company_id, start, end)
    company = program.company_map[company_id]
    first = start or (records[0].date if records else issued_on)
    last = end or (records[-1].date if records else issued_on)
    folder = Path(out_dir) / safe_part(f"{HANDOVER_PREFIX}{company_id}_{first:%Y%m%d}-{last:%Y%m%d}", 80)
    if folder.exists():
        shutil.rmtree(folder)  # a package is remade whole: a file of an earlier run must not pass for this one
    folder.mkdir(parents=True)
    step("資料を集めています…")
    with cloud_fetcher(program, env) as fetch:
        materials = gather(records, None if book is None else book.parent, fetch, folder / MATERIALS_DIR)
    title = (f"{company.name}（{company_id}）　支援記録と提供資料の目録　{contexts.base.reiwa(first)}〜"
             f"{contexts.base.reiwa(last)}")
    catalogue = write_catalogue(folder / f"{CATALOGUE}.xlsx", title, catalogue_rows(materials, records))
    step("支援記録簿を作成しています…")
    only = replace(program, companies=(company,), support=tuple(records))
    log = render_docx(catalog.template_path(catalog.SUPPORT_LOG, templates_dir),
                      contexts.support_log_context(only, issued_on),
                      folder / f"{catalog.SUPPORT_LOG}_{safe_part(company_id, 20)}.docx")
    packed = [m for m in materials if m.file]
    office = [folder / m.file for m in packed if Path(m.file).suffix.lower() in CONVERTIBLE]
    step("PDF に変換しています…")
    with Converter(required=True) as converter:
        catalogue_pdf, log_pdf = converter.convert([catalogue, log], folder)
        converted = dict(zip(office, converter.convert(office, folder / MATERIALS_DIR / "PDF"))) if office else {}
    parts = [("目録", catalogue_pdf), (catalog.SUPPORT_LOG, log_pdf)]
    for m in packed:
        path = folder / m.file
        pdf = converted.get(path) or (path if path.suffix.lower() == ".pdf" else None)
        if pdf is not None:
            parts.append((f"{m.record.record_id} {Path(m.file).name}", pdf))
    bound = folder / f"支援記録と資料_{safe_part(company_id, 20)}.pdf"
    bind([], parts, None, bound)  # each part bookmarked, keeping its own page numbers
    archive = _zip(folder)
    digest = _sha256(archive)
    missing = [m for m in materials if not m.file]
    without_link = unlinked(records)
    if book is not None:
        patch_workbook(book, append={schema.AUDIT_LOG.sheet: [audit_row(
            now, "資料の引渡し", schema.SUPPORT_LOG.sheet, company_id,
            f"{first:%Y-%m-%d}〜{last:%Y-%m-%d}、記録 {len(records)}件、資料 {len(packed)}件"
            + (f"（見つからない資料 {len(missing)}件）" if missing else "")
            + (f"（資料リンクのない記録 {len(without_link)}件）" if without_link else "") + f"、zip SHA-256 {digest}")]})
    return {
        "company": company_id, "from": first.isoformat(), "to": last.isoformat(), "records": len(records),
        "folder": str(folder), "zip": str(archive), "zip_sha256": digest, "bound_pdf": str(bound),
        "materials": [{"record": m.record.record_id, "link": m.link, "file": m.file, "size": m.size,
                       "sha256": m.sha256, "status": "同梱" if m.file else m.note} for m in materials],
        "missing": len(missing),
        "unlinked": [{"record": r.record_id, "materials": r.materials} for r in without_link],
    }
