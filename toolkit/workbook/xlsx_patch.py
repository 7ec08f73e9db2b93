"""Byte-level patching of an .xlsx package: the engine under ``toolkit.workbook.write``.

Why hand-written: no library appends rows to an .xlsx without re-saving the whole package, and re-saving loses
what the library does not understand (openpyxl drops shapes, form controls, images, some charts, VBA, unknown
custom XML). So a write here rewrites only the parts it owns (the target sheet XML and its table XML, or a sheet
it replaces or adds); every other zip member is copied with its original compressed bytes, untouched.

Speed: a 50,000-row sheet is never parsed into a tree. Rows are found by byte search from the end of
``<sheetData>`` and new row XML is spliced in before ``</sheetData>``. Small parts (table, workbook, rels,
styles) are read with lxml.
"""
from __future__ import annotations

import math
import numbers
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO, Mapping, Sequence

from lxml import etree

from toolkit.errors import WriteError
from toolkit.japanese import display_width
from toolkit.schema import fold

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_WORKSHEET = NS_REL + "/worksheet"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MAX_TEXT = 32767  # Excel's limit for one cell's text
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class PatchError(WriteError):
    """A write cannot be done as asked; the message is for staff (Japanese)."""


# ---------------------------------------------------------------------------------------------------------------
# Zip: read members raw, write a new package copying untouched members' compressed bytes as they are.

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # local file header
_CENTRAL = struct.Struct("<4sBBBBHHHHIIIHHHHHII")  # central directory entry
_END = struct.Struct("<4sHHHHIIH")  # end of central directory
_ZIP64_EXTRA = 0x0001


class Package:
    """An .xlsx opened for reading: members by (case-insensitive) name, parsed small parts."""

    def __init__(self, fp: BinaryIO):
        self.fp = fp
        try:
            self.zip = zipfile.ZipFile(fp)
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise PatchError("Excel ブック（.xlsx）として読めません（zip 形式ではありません）。") from e
        self.infos = self.zip.infolist()
        self._by_lower = {i.filename.lower(): i for i in self.infos}
        if len(self.infos) >= 0xFFFF:
            raise PatchError("部品の数が多すぎる（ZIP64 形式の）ブックには対応していません。")
        for info in self.infos:
            if info.flag_bits & 0x1:
                raise PatchError("暗号化（パスワード保護）されたブックには書き込めません。")
            if max(info.file_size, info.compress_size, info.header_offset) >= 0xFFFFFFFF:
                raise PatchError("4GB を超える（ZIP64 形式の）ブックには対応していません。")

    def name(self, part: str) -> str | None:
        info = self._by_lower.get(part.lstrip("/").lower())
        return info.filename if info else None

    def read(self, part: str) -> bytes:
        name = self.name(part)
        if name is None:
            raise PatchError(f"ブックの構成要素 {part} がありません。")
        return self.zip.read(name)

    def xml(self, part: str) -> etree._Element:
        return etree.fromstring(self.read(part), _SAFE_PARSER)

    def raw(self, info: zipfile.ZipInfo) -> tuple[bytes, bytes, bytes]:
        """(name bytes, local extra, compressed data) exactly as stored."""
        self.fp.seek(info.header_offset)
        header = _LOCAL.unpack(self.fp.read(_LOCAL.size))
        if header[0] != b"PK\x03\x04":
            raise PatchError(f"ブックの zip 構造が壊れています（{info.filename}）。")
        name = self.fp.read(header[9])
        extra = self.fp.read(header[10])
        data = self.fp.read(info.compress_size)
        if len(data) != info.compress_size:
            raise PatchError(f"ブックの zip 構造が壊れています（{info.filename}）。")
        return name, extra, data


def _drop_zip64(extra: bytes) -> bytes:
    """Remove a ZIP64 extra field: we write real 32-bit sizes, so a stale one would contradict them."""
    out, i = [], 0
    while i + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, i)
        if kind != _ZIP64_EXTRA:
            out.append(extra[i:i + 4 + size])
        i += 4 + size
    return b"".join(out)


def _dos_time(dt: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = dt
    return (h << 11) | (mi << 5) | (s // 2), (max(y - 1980, 0) << 9) | (mo << 5) | d


def write_package(pkg: Package, out: BinaryIO, changed: Mapping[str, bytes | None],
                  added: Sequence[tuple[str, bytes]], level: int = 5) -> None:
    """Write pkg to out: members in ``changed`` get new content (None drops them), ``added`` go at the end,
    every other member is copied with its original compressed bytes."""
    central: list[bytes] = []

    def emit(name: bytes, flags: int, method: int, dostime: int, dosdate: int, crc: int, data: bytes,
             size: int, local_extra: bytes, info: zipfile.ZipInfo | None) -> None:
        offset = out.tell()
        if offset >= 0xFFFFFFFF:
            raise PatchError("書き込み後のブックが 4GB を超えます。")
        version = info.extract_version if info else 20
        out.write(_LOCAL.pack(b"PK\x03\x04", version, flags, method, dostime, dosdate, crc, len(data), size,
                              len(name), len(local_extra)))
        out.write(name)
        out.write(local_extra)
        out.write(data)
        if info is not None:
            extra = _drop_zip64(info.extra)
            comment = info.comment
            made = (info.create_version, info.create_system)
            attrs = (info.internal_attr, info.external_attr)
        else:
            extra, comment, made, attrs = b"", b"", (20, 0), (0, 0)
        central.append(_CENTRAL.pack(b"PK\x01\x02", made[0], made[1], version, 0, flags, method, dostime, dosdate,
                                     crc, len(data), size, len(name), len(extra), len(comment), 0, attrs[0],
                                     attrs[1], offset) + name + extra + comment)

    def deflate(content: bytes, stored: bool) -> tuple[int, bytes]:
        if stored:
            return zipfile.ZIP_STORED, content
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        return zipfile.ZIP_DEFLATED, c.compress(content) + c.flush()

    changed_lower = {k.lower(): v for k, v in changed.items()}
    for info in pkg.infos:
        name_b, local_extra, raw = pkg.raw(info)
        flags = info.flag_bits & ~0x08  # sizes go in the local header: no data descriptor
        dostime, dosdate = _dos_time(info.date_time)
        key = info.filename.lower()
        if key not in changed_lower:
            emit(name_b, flags, info.compress_type, dostime, dosdate, info.CRC, raw, info.file_size,
                 _drop_zip64(local_extra), info)
            continue
        content = changed_lower[key]
        if content is None:
            continue
        method, data = deflate(content, info.compress_type == zipfile.ZIP_STORED)
        emit(name_b, flags & 0x800, method, dostime, dosdate, zlib.crc32(content), data, len(content),
             b"", info)
    for name, content in added:
        name_b = name.encode("utf-8")
        method, data = deflate(content, False)
        emit(name_b, 0x800 if not name.isascii() else 0, method, 0, (0 << 9) | (1 << 5) | 1,
             zlib.crc32(content), data, len(content), b"", None)
    start = out.tell()
    for entry in central:
        out.write(entry)
    comment = pkg.zip.comment or b""
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, len(comment)))
    out.write(comment)


# ---------------------------------------------------------------------------------------------------------------
# Package navigation (OPC): which part holds which sheet, table, styles.

@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str  # resolved part name, no leading slash ("" for external targets)


def rels_part(part: str) -> str:
    folder, file = posixpath.split(part)
    return posixpath.join(folder, "_rels", file + ".rels")


def read_rels(pkg: Package, part: str) -> list[Rel]:
    name = pkg.name(rels_part(part))
    if name is None:
        return []
    out = []
    for el in pkg.xml(name).iter(f"{{{NS_PKG_REL}}}Relationship"):
        target = el.get("Target", "")
        if el.get("TargetMode") == "External":
            target = ""
        elif target.startswith("/"):
            target = target[1:]
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(part), target))
        out.append(Rel(el.get("Id", ""), el.get("Type", ""), target))
    return out


@dataclass(frozen=True)
class SheetRef:
    name: str
    sheet_id: int
    rel_id: str
    part: str | None  # None when the relationship points nowhere in the package


@dataclass
class Book:
    pkg: Package
    workbook_part: str
    sheets: list[SheetRef]
    date1904: bool
    _styles: "Styles | None" = None

    def sheet(self, name: str) -> SheetRef | None:
        for s in self.sheets:
            if s.name == name:
                return s
        for s in self.sheets:  # Excel sheet names are case-insensitive
            if s.name.casefold() == name.casefold():
                return s
        return None

    @property
    def styles(self) -> "Styles":
        if self._styles is None:
            part = next((r.target for r in read_rels(self.pkg, self.workbook_part) if r.type.endswith("/styles")), None)
            self._styles = Styles(self.pkg.xml(part) if part and self.pkg.name(part) else None)
        return self._styles


def open_book(pkg: Package) -> Book:
    part = next((r.target for r in read_rels(pkg, "") if r.type.endswith("/officeDocument")), "xl/workbook.xml")
    if pkg.name(part) is None:
        raise PatchError("Excel ブックではありません（ブック本体 workbook.xml がありません）。")
    root = pkg.xml(part)
    rels = {r.id: r for r in read_rels(pkg, part)}
    sheets = []
    for el in root.iter(f"{{{NS_MAIN}}}sheet"):
        rel = rels.get(el.get(f"{{{NS_REL}}}id", ""))
        target = rel.target if rel and rel.type == REL_WORKSHEET and pkg.name(rel.target) else None
        sheets.append(SheetRef(el.get("name", ""), int(el.get("sheetId", "0") or 0), el.get(f"{{{NS_REL}}}id", ""),
                               pkg.name(target) if target else None))
    pr = root.find(f"{{{NS_MAIN}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    return Book(pkg, pkg.name(part) or part, sheets, date1904)


# ---------------------------------------------------------------------------------------------------------------
# Styles: only what a writer needs — which cell formats show a date.

_DATE_BUILTINS = frozenset([14, 15, 16, 17, 22, *range(27, 32), 34, 35, 36, *range(50, 59)])
_TIME_BUILTINS = frozenset([18, 19, 20, 21, 22, 45, 46, 47, 32, 33])


def _format_kind(code: str) -> tuple[bool, bool]:
    """(shows a date, shows a time) for a custom number format code."""
    code = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code.split(";")[0])
    code = re.sub(r"\[(?![hms]+\])[^\]]*\]", "", code, flags=re.I)  # colours, locales; keep [h] [mm]
    code = re.sub(r"general|[eE][+-]", "", code, flags=re.I)
    low = code.lower()
    has_time = bool(re.search(r"[hs]", low))
    return bool(re.search(r"[ydeg]", low)) or ("m" in low and not has_time), has_time


class Styles:
    def __init__(self, root: etree._Element | None):
        custom: dict[int, str] = {}
        self.xf_formats: list[int] = []
        if root is not None:
            for el in root.iter(f"{{{NS_MAIN}}}numFmt"):
                custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
            xfs = root.find(f"{{{NS_MAIN}}}cellXfs")
            if xfs is not None:
                self.xf_formats = [int(xf.get("numFmtId", "0")) for xf in xfs.iter(f"{{{NS_MAIN}}}xf")]
        self._kinds = {}
        for fmt in set(self.xf_formats):
            if fmt in custom:
                self._kinds[fmt] = _format_kind(custom[fmt])
            else:
                self._kinds[fmt] = (fmt in _DATE_BUILTINS, fmt in _TIME_BUILTINS)

    def is_date(self, xf: int) -> bool:
        return 0 <= xf < len(self.xf_formats) and self._kinds[self.xf_formats[xf]][0]

    def date_xf(self, with_time: bool) -> int | None:
        """An existing cell format that shows a date (format 14 first; one with a time for date-times)."""
        dates = [i for i, f in enumerate(self.xf_formats) if self._kinds[f][0]]
        if not dates:
            return None
        if with_time:
            timed = [i for i in dates if self._kinds[self.xf_formats[i]][1]]
            if timed:
                return timed[0]
        plain = [i for i in dates if self.xf_formats[i] == 14]
        return (plain or dates)[0]


# ---------------------------------------------------------------------------------------------------------------
# Cells: Python values to cell XML.

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EXCEL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
_NEEDS_CLEANING = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")


def col_letters(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """'B2:D9' -> (first col, first row, last col, last row)."""
    ends = [_REF.fullmatch(p) for p in ref.split(":")]
    if not ends or any(m is None for m in ends) or len(ends) > 2:
        raise PatchError(f"セル範囲 {ref} を読めません。")
    cols = [col_number(m.group(1)) for m in ends]
    rows = [int(m.group(2)) for m in ends]
    return min(cols), min(rows), max(cols), max(rows)


def format_range(c1: int, r1: int, c2: int, r2: int) -> str:
    first, last = f"{col_letters(c1)}{r1}", f"{col_letters(c2)}{r2}"
    return first if first == last else f"{first}:{last}"


def _escape(text: str) -> str:
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def clean_text(text: str) -> str:
    """Text as Excel will show it back: no characters XML forbids, line ends as LF, literal _xHHHH_ protected
    (Excel reads _xHHHH_ as an escaped character), at most Excel's cell limit."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if _NEEDS_CLEANING.search(text) is None:  # the common case: one scan, no copies
        return text
    text = _ILLEGAL_XML.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _EXCEL_ESCAPE.sub(r"_x005F_\1", text)


def excel_serial(value: date | datetime | time, date1904: bool) -> float | None:
    """Excel's day number (None before the date system's start, which Excel cannot show)."""
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)  # wall clock time of this office
        day = value.date()
        frac = excel_serial(value.time(), date1904)
    else:
        day, frac = value, 0.0
    if date1904:
        days = (day - date(1904, 1, 1)).days
    else:
        days = (day - date(1899, 12, 31)).days
        if days >= 60:  # Excel counts the non-existent 1900-02-29
            days += 1
    if days < (0 if date1904 else 1):
        return None
    return days + frac


@dataclass
class CellWriter:
    styles: Styles
    date1904: bool
    p: str = ""  # the sheet's prefix for the main namespace ("x:" in Open XML SDK files)

    def cell(self, ref: str, value: object, style: int | None) -> str | None:
        """The <c> element for value, or None when the cell stays empty."""
        if value is None:
            return None
        if isinstance(value, bool):
            p = self.p
            return f'<{p}c r="{ref}"{_s(style)} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
        if isinstance(value, (datetime, date, time)):
            serial = excel_serial(value, self.date1904)
            if serial is None:
                return self.cell(ref, value.isoformat(), style)
            if style is None or not self.styles.is_date(style):
                found = self.styles.date_xf(not isinstance(value, date) or isinstance(value, datetime))
                style = found if found is not None else style
            return f'<{self.p}c r="{ref}"{_s(style)}><{self.p}v>{_number(serial)}</{self.p}v></{self.p}c>'
        if isinstance(value, str):
            text = clean_text(value)
            if not text:
                return None
            space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() or "\n" in text else ""
            p = self.p
            return (f'<{p}c r="{ref}"{_s(style)} t="inlineStr"><{p}is><{p}t{space}>{_escape(text)}</{p}t></{p}is>'
                    f'</{p}c>')
        if isinstance(value, (numbers.Real, Decimal)):
            number = float(value)
            if not math.isfinite(number):
                raise PatchError(f"セル {ref} に書く数値 {value} は Excel で扱えません。")
            text = str(value) if isinstance(value, (numbers.Integral, Decimal)) else _number(number)
            return f'<{self.p}c r="{ref}"{_s(style)}><{self.p}v>{text}</{self.p}v></{self.p}c>'
        raise PatchError(f"セル {ref} に書く値（{type(value).__name__}）は文字・数値・日付のいずれでもありません。")

    def formula(self, ref: str, formula: str, style: int | None) -> str:
        p = self.p
        # The formula comes from the table XML, already in Excel's escaped form: no _xHHHH_ protection here.
        return f'<{p}c r="{ref}"{_s(style)}><{p}f>{_escape(_ILLEGAL_XML.sub("", formula))}</{p}f></{p}c>'


def _s(style: int | None) -> str:
    return f' s="{style}"' if style else ""


def _number(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


# ---------------------------------------------------------------------------------------------------------------
# Worksheet XML by bytes.

class Sheet:
    """A worksheet part's bytes with the positions a patch needs. Nothing is parsed beyond what is asked."""

    def __init__(self, data: bytes, label: str):
        head = data[:200]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or re.search(rb"encoding=[\"'](?!utf-8)", head, re.I):
            raise PatchError(f"シート「{label}」の XML が UTF-8 ではないため書き込めません。")
        m = re.search(rb"<(\w+:)?worksheet[\s>]", data)
        if m is None:
            raise PatchError(f"「{label}」はワークシートではありません。")
        self.label = label
        self.p = m.group(1) or b""
        p = self.p
        open_at = data.find(b"<" + p + b"sheetData", m.end())
        if open_at < 0:
            raise PatchError(f"シート「{label}」にセルの領域（sheetData）がありません。")
        tag_end = data.find(b">", open_at)
        if data[tag_end - 1:tag_end] == b"/":  # <sheetData/>: make it a pair so rows can go in
            data = data[:open_at] + b"<" + p + b"sheetData></" + p + b"sheetData>" + data[tag_end + 1:]
            tag_end = data.find(b">", open_at)
        self.data = data
        self.open_at = open_at
        self.body_start = tag_end + 1
        self.body_end = data.rfind(b"</" + p + b"sheetData>")
        self.close_end = data.find(b">", self.body_end) + 1
        pe = re.escape(p)
        self._row_tag = re.compile(rb"<" + pe + rb"row\b[^>]*>")
        self._cell = re.compile(rb"<" + pe + rb"c\b([^>]*?)(?:/>|>(.*?)</" + pe + rb"c>)", re.S)
        self._content = re.compile(rb"<" + pe + rb"(?:v|f|is)\b")

    # rows ----------------------------------------------------------------------------------------------------
    def row_before(self, stop: int) -> tuple[int, int] | None:
        """(row number, start) of the last row element starting before ``stop`` inside sheetData."""
        needle = b"<" + self.p + b"row"
        while True:
            start = self.data.rfind(needle, self.body_start, stop)
            if start < 0:
                return None
            if self.data[start + len(needle):start + len(needle) + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
                return self.row_number(start), start
            stop = start

    def row_number(self, start: int) -> int:
        tag = self._row_tag.match(self.data, start)
        m = re.search(rb"\sr=[\"'](\d+)[\"']", tag.group(0)) if tag else None
        if m is None:
            raise PatchError(f"シート「{self.label}」に行番号のない行があるため書き込めません。")
        return int(m.group(1))

    def cells(self, start: int, stop: int):
        """(column, style, has content, raw bytes) for each cell of the row in data[start:stop]."""
        for m in self._cell.finditer(self.data, start, stop):
            attrs = m.group(1)
            ref = re.search(rb"\sr=[\"']([A-Za-z]+)\d+[\"']", attrs)
            if ref is None:
                raise PatchError(f"シート「{self.label}」にセル番地のないセルがあるため書き込めません。")
            s = re.search(rb"\ss=[\"'](\d+)[\"']", attrs)
            body = m.group(2) or b""
            yield col_number(ref.group(1).decode()), int(s.group(1)) if s else None, \
                bool(self._content.search(body)), m.group(0)

    def has_content(self, start: int, stop: int, c1: int, c2: int) -> bool:
        return any(c1 <= col <= c2 and full for col, _, full, _ in self.cells(start, stop))

    def cell_styles(self, start: int, stop: int) -> dict[int, int]:
        return {col: s for col, s, _, _ in self.cells(start, stop) if s is not None}

    def col_styles(self) -> dict[int, int]:
        """Column default styles from <cols>."""
        head = self.data[:self.open_at]
        out = {}
        for m in re.finditer(rb"<" + re.escape(self.p) + rb"col\b([^>]*)>", head):
            a = dict(re.findall(rb"(\w+)=[\"']([^\"']*)[\"']", m.group(1)))
            if b"style" in a and b"min" in a:
                for c in range(int(a[b"min"]), int(a.get(b"max", a[b"min"])) + 1):
                    out[c] = int(a[b"style"])
        return out

    def merge_row(self, start: int, stop: int, new_cells: dict[int, str], c1: int, c2: int) -> str:
        """An existing (content-free within c1..c2) row with new cells put in, keeping its other cells."""
        tag = self._row_tag.match(self.data, start).group(0).decode()
        p = self.p.decode()
        kept: list[tuple[int, str]] = []
        for col, _, full, raw in self.cells(start, stop):
            if full and c1 <= col <= c2:
                raise PatchError(
                    f"シート「{self.label}」のテーブルのすぐ下（{self.row_number(start)}行目）に入力があるため、"
                    "上書きを避けて追記を中止しました。その行を移動するか削除してから再実行してください。")
            if col not in new_cells:
                kept.append((col, raw.decode()))
        tag = re.sub(r"\sspans=[\"'][^\"']*[\"']", "", tag)  # the span hint would be stale
        if tag.endswith("/>"):
            tag = tag[:-2].rstrip() + ">"
        cells = sorted(kept + list(new_cells.items()))
        return tag + "".join(c for _, c in cells) + f"</{p}row>"

    # sheet-level attributes ----------------------------------------------------------------------------------
    def dimension_patched(self, head: bytes, last_col: int, last_row: int, replace: bool = False) -> bytes:
        """head with <dimension ref> grown to cover (last_col, last_row), or set to exactly A1:that."""
        pat = re.compile(rb"(<" + re.escape(self.p) + rb"dimension\b[^>]*?\sref=[\"'])([^\"']*)([\"'])")

        def fix(m: re.Match) -> bytes:
            if replace or not m.group(2):
                c1, r1, c2, r2 = 1, 1, last_col, last_row
            else:
                try:
                    c1, r1, c2, r2 = parse_range(m.group(2).decode())
                except PatchError:
                    c1, r1, c2, r2 = 1, 1, 1, 1
                c2, r2 = max(c2, last_col), max(r2, last_row)
            return m.group(1) + format_range(c1, r1, max(c2, 1), max(r2, 1)).encode() + m.group(3)

        return pat.sub(fix, head, count=1)


_SQREF_ATTR = re.compile(rb"(<(?:\w+:)?(?:conditionalFormatting|dataValidation)\b[^>]*?\ssqref=[\"'])([^\"']*)([\"'])")
_SQREF_EL = re.compile(rb"(<(?:\w+:)?sqref>)([^<]*)(</(?:\w+:)?sqref>)")


def extend_ranges(tail: bytes, c1: int, first_row: int, c2: int, old_last: int, new_last: int) -> bytes:
    """Grow conditional-format and validation ranges that ended at the table's last row, as Excel does when a
    table grows, so drop-downs and highlights reach the new rows."""
    def fix_list(text: bytes) -> bytes:
        out = []
        for part in text.decode().split():
            try:
                a, r1, b, r2 = parse_range(part)
            except PatchError:
                out.append(part)
                continue
            if r2 == old_last and r1 >= first_row and c1 <= a and b <= c2:
                part = format_range(a, r1, b, new_last)
            out.append(part)
        return " ".join(out).encode()

    def fix(m: re.Match) -> bytes:
        return m.group(1) + fix_list(m.group(2)) + m.group(3)

    return _SQREF_EL.sub(fix, _SQREF_ATTR.sub(fix, tail))


# ---------------------------------------------------------------------------------------------------------------
# Tables.

@dataclass
class TableInfo:
    part: str
    root: etree._Element
    name: str
    c1: int
    r1: int
    c2: int
    r2: int
    header_rows: int
    totals_rows: int
    columns: list[str]
    formulas: list[str | None]

    @property
    def first_data_row(self) -> int:
        return self.r1 + self.header_rows

    def column_of(self, header: str) -> int | None:
        """0-based index of a header: exact, else the folded form (full-width, spaces)."""
        if header in self.columns:
            return self.columns.index(header)
        folded = [fold(c) for c in self.columns]
        key = fold(str(header))
        return folded.index(key) if key in folded else None

    def with_last_row(self, last: int) -> bytes:
        old = self.r2
        ref = format_range(self.c1, self.r1, self.c2, last)
        self.root.set("ref", ref)
        for el in self.root.iter(f"{{{NS_MAIN}}}autoFilter"):
            el.set("ref", ref)
        for el in self.root.iter(f"{{{NS_MAIN}}}sortState"):
            try:
                a, b, c, d = parse_range(el.get("ref", ""))
            except PatchError:
                continue
            if d == old:
                el.set("ref", format_range(a, b, c, last))
        return _XML_DECLARATION + etree.tostring(self.root, encoding="UTF-8", xml_declaration=False)


def _unescape_excel(text: str) -> str:
    """Excel stores a header's line break as _x000a_ in the table XML."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)


def sheet_tables(book: Book, sheet: SheetRef) -> list[TableInfo]:
    out = []
    for rel in read_rels(book.pkg, sheet.part):
        if not rel.type.endswith("/table") or book.pkg.name(rel.target) is None:
            continue
        part = book.pkg.name(rel.target)
        root = book.pkg.xml(part)
        c1, r1, c2, r2 = parse_range(root.get("ref", ""))
        cols = root.findall(f"{{{NS_MAIN}}}tableColumns/{{{NS_MAIN}}}tableColumn")
        formulas = []
        for col in cols:
            f = col.find(f"{{{NS_MAIN}}}calculatedColumnFormula")
            formulas.append(f.text if f is not None and f.text else None)
        out.append(TableInfo(part, root, root.get("displayName") or root.get("name", ""), c1, r1, c2, r2,
                             int(root.get("headerRowCount", "1") or 1), int(root.get("totalsRowCount", "0") or 0),
                             [_unescape_excel(c.get("name", "")) for c in cols], formulas))
    return out


def pick_table(book: Book, sheet: SheetRef, headers: set[str]) -> TableInfo:
    """The sheet's table (the contract has one per sheet; with several, the one that has every header)."""
    tables = sheet_tables(book, sheet)
    if not tables:
        raise PatchError(f"シート「{sheet.name}」にテーブルがありません"
                         "（Excel の「テーブルとして書式設定」が必要です）。")
    if len(tables) > 1:
        fitting = [t for t in tables if all(t.column_of(h) is not None for h in headers)]
        if len(fitting) != 1:
            raise PatchError(f"シート「{sheet.name}」にはテーブルが {len(tables)} 個あり、"
                             "どれに書くか決められません。")
        return fitting[0]
    missing = sorted(h for h in headers if tables[0].column_of(h) is None)
    if missing:
        raise PatchError(f"シート「{sheet.name}」のテーブルに列「{'」「'.join(missing)}」がありません。")
    return tables[0]


# ---------------------------------------------------------------------------------------------------------------
# The patches.

@dataclass
class Plan:
    changed: dict[str, bytes | None] = field(default_factory=dict)
    added: list[tuple[str, bytes]] = field(default_factory=list)
    expect: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # sheet -> (row0, col0) with values


def append_rows(book: Book, sheet_ref: SheetRef, rows: Sequence[Mapping[str, object]], plan: Plan) -> None:
    headers = {h for row in rows for h in row}
    table = pick_table(book, sheet_ref, headers)
    if table.totals_rows:
        raise PatchError(f"シート「{sheet_ref.name}」のテーブル {table.name} に集計行があるため追記できません。"
                         "集計行をオフにしてから再実行してください。")
    sheet = Sheet(book.pkg.read(sheet_ref.part), sheet_ref.name)
    data, c1, c2 = sheet.data, table.c1, table.c2

    # Walk back from </sheetData> over rows below the table and empty table rows to the last row with data.
    trailing: list[tuple[int, int, int]] = []  # (row, start, stop), bottom first
    last_data: tuple[int, int, int] | None = None
    stop = sheet.body_end
    while (found := sheet.row_before(stop)) is not None:
        r, start = found
        if r < table.first_data_row:
            break
        if r > table.r2 or not sheet.has_content(start, stop, c1, c2):
            trailing.append((r, start, stop))
            stop = start
            continue
        last_data = (r, start, stop)
        break
    insert_at = stop
    first_new = last_data[0] + 1 if last_data else table.first_data_row
    last_new = first_new + len(rows) - 1

    # Styles: the last data row's cells, else the (empty) first table row's, else <col style>.
    styles = sheet.col_styles()
    if last_data:
        styles.update(sheet.cell_styles(last_data[1], last_data[2]))
    else:
        placeholder = next((t for t in trailing if t[0] == table.first_data_row), None)
        if placeholder:
            styles.update(sheet.cell_styles(placeholder[1], placeholder[2]))

    index = {h: table.column_of(h) for h in headers}
    letters = [col_letters(c1 + i) for i in range(len(table.columns))]
    col_style = [styles.get(c1 + i) for i in range(len(table.columns))]
    writer = CellWriter(book.styles, book.date1904, sheet.p.decode())
    existing = {r: (start, stop_) for r, start, stop_ in trailing if r <= last_new}
    expect = plan.expect.setdefault(sheet_ref.name, [])
    out: list[str] = []
    p = sheet.p.decode()
    for offset, row in enumerate(rows):
        r = first_new + offset
        values: list[object] = [None] * len(table.columns)
        for h, v in row.items():
            values[index[h]] = v
        cells: dict[int, str] = {}
        for i, v in enumerate(values):
            ref = f"{letters[i]}{r}"
            if v is None and table.formulas[i]:
                # A calculated column staff added: the new row gets the column's formula (a given value wins).
                cells[c1 + i] = writer.formula(ref, table.formulas[i], col_style[i])
                continue
            xml = writer.cell(ref, v, col_style[i])
            if xml is not None:
                cells[c1 + i] = xml
                expect.append((r - 1, c1 + i - 1))
        if r in existing:
            out.append(sheet.merge_row(*existing[r], cells, c1, c2))
        else:
            out.append(f'<{p}row r="{r}">' + "".join(cells[c] for c in sorted(cells)) + f"</{p}row>")
    # Rows below the new ones stay as they were.
    below = [start for r, start, _ in trailing if r > last_new]
    rest_at = min(below) if below else sheet.body_end

    head = sheet.dimension_patched(data[:sheet.open_at], c2, last_new)
    tail = data[sheet.body_end:]
    if last_new > table.r2:
        tail = extend_ranges(tail, c1, table.first_data_row, c2, table.r2, last_new)
    plan.changed[sheet_ref.part] = b"".join([head, data[sheet.open_at:insert_at], "".join(out).encode("utf-8"),
                                             data[rest_at:sheet.body_end], tail])
    plan.changed[table.part] = table.with_last_row(max(last_new, table.r2))


def update_rows(book: Book, sheet_ref: SheetRef, updates: Mapping[int, Mapping[str, object]], plan: Plan) -> None:
    """Rewrite cells of existing table rows in place: worksheet row -> {header: value} (None empties the cell).

    The sync uses it when a form response was edited after it was imported. Only the named cells change; each
    keeps its style, and every other cell of the row (staff's own columns, formulas) stays byte for byte.
    """
    headers = {h for row in updates.values() for h in row}
    table = pick_table(book, sheet_ref, headers)
    sheet = Sheet(plan.changed.get(sheet_ref.part) or book.pkg.read(sheet_ref.part), sheet_ref.name)
    data, p = sheet.data, sheet.p.decode()
    wanted = set(updates)
    bad = sorted(r for r in wanted if not table.first_data_row <= r <= table.r2)
    if bad:
        raise PatchError(f"シート「{sheet_ref.name}」の {bad[0]}行目はテーブル {table.name} の行ではないため更新できません。")
    starts = []  # (row, start) of every row element, in order; the stop of one is the start of the next
    for m in sheet._row_tag.finditer(data, sheet.body_start, sheet.body_end):
        starts.append((sheet.row_number(m.start()), m.start()))
    spans = {r: (start, starts[i + 1][1] if i + 1 < len(starts) else sheet.body_end)
             for i, (r, start) in enumerate(starts) if r in wanted}
    missing = sorted(wanted - set(spans))
    if missing:
        raise PatchError(f"シート「{sheet_ref.name}」に {missing[0]}行目がないため更新できません。")
    col_styles = sheet.col_styles()
    writer = CellWriter(book.styles, book.date1904, p)
    expect = plan.expect.setdefault(sheet_ref.name, [])
    pieces, at = [], 0
    for r in sorted(spans):
        start, stop = spans[r]
        tag = sheet._row_tag.match(data, start).group(0).decode()
        cells = {col: (style, raw.decode()) for col, style, _, raw in sheet.cells(start, stop)}
        for header, value in updates[r].items():
            col = table.c1 + table.column_of(header)
            style = cells[col][0] if col in cells else col_styles.get(col)
            ref = f"{col_letters(col)}{r}"
            xml = writer.cell(ref, value, style)
            if xml is None:
                xml = f'<{p}c r="{ref}"{_s(style)}/>' if style else None
            else:
                expect.append((r - 1, col - 1))
            if xml is None:
                cells.pop(col, None)
            else:
                cells[col] = (style, xml)
        tag = re.sub(r"\sspans=[\"'][^\"']*[\"']", "", tag)  # the span hint may no longer hold
        if tag.endswith("/>"):
            tag = tag[:-2].rstrip() + ">"
        row_xml = tag + "".join(cells[c][1] for c in sorted(cells)) + f"</{p}row>"
        pieces += [data[at:start], row_xml.encode("utf-8")]
        at = stop
    pieces.append(data[at:])
    plan.changed[sheet_ref.part] = b"".join(pieces)


def _matrix_xml(matrix: Sequence[Sequence[object]], writer: CellWriter, row1: dict[int, int],
                row2: dict[int, int], p: str, expect: list[tuple[int, int]]) -> tuple[str, int]:
    out, width = [], 0
    letters: list[str] = []
    for r, values in enumerate(matrix, start=1):
        styles = row1 if r == 1 else row2
        cells = []
        for c, v in enumerate(values, start=1):
            while len(letters) < c:
                letters.append(col_letters(len(letters) + 1))
            xml = writer.cell(f"{letters[c - 1]}{r}", v, styles.get(c))
            if xml is not None:
                cells.append(xml)
                expect.append((r - 1, c - 1))
                width = max(width, c)
        if cells:
            out.append(f'<{p}row r="{r}">' + "".join(cells) + f"</{p}row>")
    return "".join(out), width


def replace_sheet(book: Book, sheet_ref: SheetRef, matrix: Sequence[Sequence[object]], plan: Plan) -> bool:
    """Replace the sheet's cells, keeping everything around them. Returns whether old cells held formulas."""
    sheet = Sheet(book.pkg.read(sheet_ref.part), sheet_ref.name)
    data = sheet.data
    row_styles: dict[int, dict[int, int]] = {1: {}, 2: {}}
    stop = sheet.body_end
    while (found := sheet.row_before(stop)) is not None:
        r, start = found
        if r in row_styles:
            row_styles[r] = sheet.cell_styles(start, stop)
        stop = start
    writer = CellWriter(book.styles, book.date1904, sheet.p.decode())
    expect = plan.expect.setdefault(sheet_ref.name, [])
    body, width = _matrix_xml(matrix, writer, row_styles[1], row_styles[2], sheet.p.decode(), expect)
    had_formulas = re.compile(rb"<" + re.escape(sheet.p) + rb"f[\s>/]").search(
        data, sheet.body_start, sheet.body_end) is not None
    for table in sheet_tables(book, sheet_ref):
        header = [str(v) for v in matrix[0]] if matrix else []
        if (table.c1, table.r1, table.header_rows) != (1, 1, 1) or header[:len(table.columns)] != table.columns:
            raise PatchError(f"シート「{sheet_ref.name}」のテーブル {table.name} の見出しが書き込む内容と合わないため、"
                             "置き換えられません。")
        plan.changed[table.part] = table.with_last_row(max(len(matrix), 2))
    head = sheet.dimension_patched(data[:sheet.open_at], width, len(matrix), replace=True)
    p = sheet.p
    plan.changed[sheet_ref.part] = b"".join([head, b"<" + p + b"sheetData>", body.encode("utf-8"),
                                             b"</" + p + b"sheetData>", data[sheet.close_end:]])
    return had_formulas


def new_sheet_xml(book: Book, name: str, matrix: Sequence[Sequence[object]], plan: Plan) -> bytes:
    writer = CellWriter(book.styles, book.date1904)
    body, width = _matrix_xml(matrix, writer, {}, {}, "", plan.expect.setdefault(name, []))
    widths = {}
    for row in matrix:
        for c, v in enumerate(row, start=1):
            if v is not None:
                widths[c] = max(widths.get(c, 0), display_width(str(v)[:80]))
    cols = "".join(f'<col min="{c}" max="{c}" width="{min(max(w + 2, 8), 60)}" customWidth="1"/>'
                   for c, w in sorted(widths.items()))
    freeze = ('<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
              '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>') if len(matrix) > 1 else ""
    dim = format_range(1, 1, max(width, 1), max(len(matrix), 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><dimension ref="{dim}"/>'
            f'<sheetViews><sheetView workbookViewId="0">{freeze}</sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="18"/>{"<cols>" + cols + "</cols>" if cols else ""}'
            f'<sheetData>{body}</sheetData>'
            f'<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
            f'</worksheet>').encode("utf-8")


_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _splice_before_close(xml: bytes, local: str, insert: str, part: str) -> bytes:
    closes = list(re.finditer(rb"</(\w+:)?" + local.encode() + rb">", xml))
    if not closes:
        raise PatchError(f"ブックの構成要素 {part} に {local} がありません。")
    m = closes[-1]
    prefix = (m.group(1) or b"").decode()
    return xml[:m.start()] + insert.replace("<§", "<" + prefix).encode("utf-8") + xml[m.start():]


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def add_sheet(book: Book, name: str, matrix: Sequence[Sequence[object]], plan: Plan) -> None:
    """A new worksheet part, listed in workbook.xml, its rels and [Content_Types].xml."""
    if not name or len(name) > 31 or _BAD_SHEET_NAME.search(name) or name.startswith("'") or name.endswith("'"):
        raise PatchError(f"「{name}」はシート名に使えません。")
    pkg = book.pkg
    folder = posixpath.dirname(book.workbook_part)
    n = 1
    while pkg.name(posixpath.join(folder, "worksheets", f"sheet{n}.xml")) is not None:
        n += 1
    part = posixpath.join(folder, "worksheets", f"sheet{n}.xml")
    rels_name = pkg.name(rels_part(book.workbook_part))
    if rels_name is None:
        raise PatchError("ブックの構成要素 workbook.xml.rels がありません。")
    used = {r.id for r in read_rels(pkg, book.workbook_part)}
    k = len(used) + 1
    while f"rId{k}" in used:
        k += 1
    rid = f"rId{k}"
    sheet_id = max((s.sheet_id for s in book.sheets), default=0) + 1

    wb_xml = plan.changed.get(book.workbook_part) or pkg.read(book.workbook_part)
    root = etree.fromstring(wb_xml, _SAFE_PARSER)
    r_prefix = next((k for k, v in root.nsmap.items() if v == NS_REL and k), None)
    rel_attr = f'{r_prefix}:id="{rid}"' if r_prefix else f'xmlns:r="{NS_REL}" r:id="{rid}"'
    plan.changed[book.workbook_part] = _splice_before_close(
        wb_xml, "sheets", f'<§sheet name="{_attr(name)}" sheetId="{sheet_id}" {rel_attr}/>', book.workbook_part)

    rels_xml = plan.changed.get(rels_name) or pkg.read(rels_name)
    target = posixpath.relpath(part, folder) if folder else part
    plan.changed[rels_name] = _splice_before_close(
        rels_xml, "Relationships", f'<§Relationship Id="{rid}" Type="{REL_WORKSHEET}" Target="{target}"/>', rels_name)

    ct_name = pkg.name("[Content_Types].xml")
    ct_xml = plan.changed.get(ct_name) or pkg.read(ct_name)
    plan.changed[ct_name] = _splice_before_close(
        ct_xml, "Types", f'<§Override PartName="/{part}" ContentType="{CT_WORKSHEET}"/>', ct_name)

    plan.added.append((part, new_sheet_xml(book, name, matrix, plan)))
    book.sheets.append(SheetRef(name, sheet_id, rid, part))


def drop_calc_chain(book: Book, plan: Plan) -> None:
    """Remove calcChain.xml: after formulas disappear from a replaced sheet, a chain still naming those cells makes
    Excel report the file as damaged; without a chain Excel simply rebuilds it."""
    rels_name = book.pkg.name(rels_part(book.workbook_part))
    chain = next((r for r in read_rels(book.pkg, book.workbook_part) if r.type.endswith("/calcChain")), None)
    if chain is None or rels_name is None or book.pkg.name(chain.target) is None:
        return
    plan.changed[book.pkg.name(chain.target)] = None
    rels_xml = plan.changed.get(rels_name) or book.pkg.read(rels_name)
    rel_id = re.escape(chain.id.encode())
    plan.changed[rels_name] = re.sub(
        rb"<(\w+:)?Relationship\b[^>]*\sId=[\"']" + rel_id + rb"[\"'][^>]*?(/>|>\s*</(\w+:)?Relationship>)",
        b"", rels_xml)
    ct_name = book.pkg.name("[Content_Types].xml")
    ct_xml = plan.changed.get(ct_name) or book.pkg.read(ct_name)
    plan.changed[ct_name] = re.sub(
        rb"<(\w+:)?Override\b[^>]*\sPartName=[\"']/" + re.escape(chain.target.encode()) + rb"[\"'][^>]*?/>",
        b"", ct_xml, flags=re.I)


def make_plan(pkg: Package, append: Mapping[str, Sequence[Mapping[str, object]]],
              replace_sheets: Mapping[str, Sequence[Sequence[object]]],
              update: Mapping[str, Mapping[int, Mapping[str, object]]] | None = None) -> Plan:
    book = open_book(pkg)
    plan = Plan()
    clash = (set(append) | set(update or {})) & set(replace_sheets)
    if clash:
        raise PatchError(f"シート「{'」「'.join(sorted(clash))}」に追記と置き換えを同時には行えません。")
    for name, rows in append.items():
        ref = book.sheet(name)
        if ref is None:
            raise PatchError(f"シート「{name}」が見つかりません。")
        if ref.part is None:
            raise PatchError(f"「{name}」はワークシートではないため追記できません。")
        rows = [row for row in rows if any(v is not None for v in row.values())]  # an empty row adds nothing
        if rows:
            append_rows(book, ref, rows, plan)
    for name, rows_by_number in (update or {}).items():
        ref = book.sheet(name)
        if ref is None or ref.part is None:
            raise PatchError(f"シート「{name}」が見つかりません。")
        if rows_by_number:
            update_rows(book, ref, rows_by_number, plan)  # after the append: it edits rows above the new ones
    drop_chain = False
    for name, matrix in replace_sheets.items():
        matrix = [list(r) for r in matrix]
        ref = book.sheet(name)
        if ref is None:
            add_sheet(book, name, matrix, plan)
        elif ref.part is None:
            raise PatchError(f"「{name}」はワークシートではないため置き換えられません。")
        else:
            drop_chain |= replace_sheet(book, ref, matrix, plan)
    if drop_chain:
        drop_calc_chain(book, plan)
    return plan


def table_headers(pkg: Package, sheet: str) -> list[str]:
    book = open_book(pkg)
    ref = book.sheet(sheet)
    if ref is None or ref.part is None:
        raise PatchError(f"シート「{sheet}」が見つかりません。")
    tables = sheet_tables(book, ref)
    if not tables:
        raise PatchError(f"シート「{sheet}」にテーブルがありません。")
    return list(tables[0].columns)
