"""Package navigation (Open Packaging Conventions): relationships, content types, which part holds which sheet."""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Protocol

from lxml import etree

from toolkit.workbook.xlsx._zip import PatchError

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_DRAWING = NS_REL + "/drawing"
REL_CHART = NS_REL + "/chart"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CONTENT_TYPES = "[Content_Types].xml"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class PartSource(Protocol):
    """What navigation needs: the package as stored, or a plan's view of it with the write's changes."""

    def name(self, part: str) -> str | None: ...

    def read(self, part: str) -> bytes: ...


def parse_xml(data: bytes, part: str = "") -> etree._Element:
    try:
        return etree.fromstring(data, _SAFE_PARSER)
    except etree.XMLSyntaxError as e:
        raise PatchError(f"ブックの構成要素 {part} の XML が壊れていて読めません。") from e


def serialise(root: etree._Element) -> bytes:
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str  # resolved part name, no leading slash ("" for external targets)


def rels_part(part: str) -> str:
    folder, file = posixpath.split(part)
    return posixpath.join(folder, "_rels", file + ".rels")


def resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


def relative(source_part: str, target_part: str) -> str:
    """The Target a relationship from source_part to target_part is written with."""
    folder = posixpath.dirname(source_part)
    return posixpath.relpath(target_part, folder) if folder else target_part


def read_rels(pkg: PartSource, part: str) -> list[Rel]:
    name = pkg.name(rels_part(part))
    if name is None:
        return []
    out = []
    for el in parse_xml(pkg.read(name), name).iter(f"{{{NS_PKG_REL}}}Relationship"):
        target = el.get("Target", "")
        target = "" if el.get("TargetMode") == "External" else resolve(part, target)
        out.append(Rel(el.get("Id", ""), el.get("Type", ""), target))
    return out


@dataclass(frozen=True)
class SheetRef:
    name: str
    sheet_id: int
    rel_id: str
    part: str | None  # None when the relationship points nowhere in the package (a chartsheet, a broken link)


@dataclass
class Book:
    pkg: PartSource
    workbook_part: str
    sheets: list[SheetRef]
    date1904: bool

    def sheet(self, name: str) -> SheetRef | None:
        for s in self.sheets:
            if s.name == name:
                return s
        for s in self.sheets:  # Excel sheet names are case-insensitive
            if s.name.casefold() == name.casefold():
                return s
        return None

    def related(self, rel_suffix: str) -> str | None:
        """The part the workbook relates to with a relationship type ending in rel_suffix ("/styles")."""
        part = next((r.target for r in read_rels(self.pkg, self.workbook_part) if r.type.endswith(rel_suffix)),
                    None)
        return self.pkg.name(part) if part else None


STRICT_MESSAGE = ("このブックは「Strict Open XML スプレッドシート」形式で保存されているため、toolkit は読み書きできません。"
                  "Excel で開き、「名前を付けて保存」でファイルの種類に「Excel ブック (*.xlsx)」を選んで保存し直して"
                  "から、もう一度実行してください。")


def open_book(pkg: PartSource) -> Book:
    part = next((r.target for r in read_rels(pkg, "") if r.type.endswith("/officeDocument")), "xl/workbook.xml")
    if pkg.name(part) is None:
        raise PatchError("Excel ブックではありません（ブック本体 workbook.xml がありません）。")
    root = parse_xml(pkg.read(part), part)
    if etree.QName(root).namespace == NS_STRICT_MAIN:
        # Strict books use other namespaces throughout; reading them as transitional would see no sheets at all.
        raise PatchError(STRICT_MESSAGE)
    if etree.QName(root).namespace != NS_MAIN:
        raise PatchError("Excel ブックではありません（ブック本体 workbook.xml の形式が違います）。")
    rels = {r.id: r for r in read_rels(pkg, part)}
    sheets = []
    for el in root.iter(f"{{{NS_MAIN}}}sheet"):
        rel = rels.get(el.get(f"{{{NS_REL}}}id", ""))
        target = rel.target if rel and rel.type == REL_WORKSHEET and pkg.name(rel.target) else None
        sheet_id = el.get("sheetId", "")
        sheets.append(SheetRef(el.get("name", ""), int(sheet_id) if sheet_id.isdigit() else 0,
                               el.get(f"{{{NS_REL}}}id", ""), pkg.name(target) if target else None))
    pr = root.find(f"{{{NS_MAIN}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    return Book(pkg, pkg.name(part) or part, sheets, date1904)
