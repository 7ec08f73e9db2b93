"""Damage a master workbook the way staff and Excel do, at the zip level (so nothing else changes).

Renaming a sheet, renaming a header, deleting a table, putting an Excel error value or an unsaved formula in a
cell, saving as Strict Open XML: each edits only the XML Excel itself would change.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr


def _rewrite(path: Path, edit) -> None:
    """Apply edit(name, data) -> data to every member; written to a new file, then moved over the old one."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, edit(info.filename, src.read(info.filename)))
    shutil.move(tmp, path)


def _sheet_part(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name=' + re.escape(quoteattr(sheet)) + r'[^>]*r:id="([^"]+)"', wb).group(1)
    target = re.search(r'Id="' + rid + r'"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="' + rid + '"', rels)
    target = target.group(1) or target.group(2)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def rename_sheet(path: Path, old: str, new: str) -> None:
    def edit(name, data):
        if name == "xl/workbook.xml":
            return data.replace(f'name={quoteattr(old)}'.encode(), f'name={quoteattr(new)}'.encode())
        return data
    _rewrite(path, edit)


def corrupt_sheet(path: Path, sheet: str) -> None:
    """The sheet's XML cut off mid-row, as a crashed save or a broken sync client leaves it."""
    part = _sheet_part(path, sheet)

    def edit(name, data):
        return data[: data.index(b"<row ", data.index(b"<row ") + 1) + 12] if name == part else data
    _rewrite(path, edit)


def _col_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def set_cell(path: Path, sheet: str, ref: str, cell_xml: str) -> None:
    """Replace cell ``ref`` (e.g. "H2") of ``sheet`` by ``cell_xml`` (a whole <c> element with r=ref), adding the
    cell (and its row) where there is none."""
    part = _sheet_part(path, sheet)
    row = int(re.sub(r"[A-Z]+", "", ref))

    def edit(name, data):
        if name != part:
            return data
        text = data.decode("utf-8")
        cell = re.compile(r'<c r="' + ref + r'"(?:[^>]*/>|[^>]*>.*?</c>)', re.S)
        if cell.search(text):
            return cell.sub(lambda _: cell_xml, text, count=1).encode("utf-8")
        row_el = re.compile(r'(<row r="' + str(row) + r'"[^>]*>)(.*?)(</row>)', re.S)
        if row_el.search(text):  # append the cell at the end of its row (Excel order is not checked by readers)
            return row_el.sub(lambda m: m.group(1) + m.group(2) + cell_xml + m.group(3), text, count=1).encode()
        return text.replace("</sheetData>", f'<row r="{row}">{cell_xml}</row></sheetData>').encode("utf-8")
    _rewrite(path, edit)


def error_cell(ref: str, code: str) -> str:
    return f'<c r="{ref}" t="e"><v>{escape(code)}</v></c>'


def formula_cell(ref: str, formula: str, cached: str | None = None) -> str:
    value = f"<v>{escape(cached)}</v>" if cached is not None else ""
    kind = ' t="e"' if cached is not None and cached.startswith("#") else ""
    return f'<c r="{ref}"{kind}><f>{escape(formula)}</f>{value}</c>'


def number_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}"><v>{text}</v></c>'


def cell_ref(header_row: list[str], header: str, row: int) -> str:
    return f"{_col_letter(header_row.index(header))}{row}"


def rename_header(path: Path, sheet: str, old: str, new: str) -> None:
    """The header cell and the table column, as Excel renames both together."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for cell in ws[1]:
        if cell.value == old:
            cell.value = new
    for table in ws.tables.values():
        for column in table.tableColumns:
            if column.name == old:
                column.name = new
    wb.save(path)


def drop_table(path: Path, sheet: str) -> None:
    """Excel's 「範囲に変換」: the cells stay, the table is gone."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for name in list(ws.tables):
        del ws.tables[name]
    wb.save(path)


def make_strict(path: Path) -> None:
    """What Excel's 「Strict Open XML スプレッドシート」 save changes at the top: the namespaces."""
    def edit(name, data):
        if name.endswith(".xml") or name.endswith(".rels"):
            data = data.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                                b"http://purl.oclc.org/ooxml/spreadsheetml/main")
            data = data.replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                b"http://purl.oclc.org/ooxml/officeDocument/relationships")
        return data
    _rewrite(path, edit)
