"""A write being planned: the package as it will be after the write, built up change by change.

Every edit goes through the plan, so a second change sees the first (two sheets added in one write get distinct
part names and relationship ids). Small XML parts (relationships, content types, workbook, styles, drawings) are
edited as lxml trees and serialised once at the end; big sheet parts are put as bytes.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from lxml import etree

from toolkit.workbook.xlsx._opc import (CONTENT_TYPES, NS_CT, NS_PKG_REL, parse_xml, rels_part, relative, resolve,
                                        serialise)
from toolkit.workbook.xlsx._zip import Package, PatchError


@dataclass
class SheetCheck:
    """What the verification reads back in a sheet part the write produced."""

    label: str  # the sheet's name, for messages
    cells: list[tuple[int, int]] = field(default_factory=list)  # (row, col), 1-based, that must hold a value
    # Byte spans of the row XML the write made, for a write into a big sheet (its other rows are byte-identical
    # to the part before the write and are not read again). None: the whole part is the write's.
    new_rows: list[tuple[int, int]] | None = None


class Plan:
    def __init__(self, pkg: Package):
        self.pkg = pkg
        self._bytes: dict[str, tuple[str, bytes | None]] = {}  # key -> (name, content; None = dropped)
        self._trees: dict[str, tuple[str, etree._Element]] = {}  # key -> (name, tree being edited)
        self.checks: dict[str, SheetCheck] = {}  # part name -> what to read back

    # --- the package as it will be --------------------------------------------------------------------------
    @staticmethod
    def _key(part: str) -> str:
        return part.lstrip("/").lower()

    def name(self, part: str) -> str | None:
        key = self._key(part)
        if key in self._trees:
            return self._trees[key][0]
        if key in self._bytes:
            name, content = self._bytes[key]
            return None if content is None else name
        return self.pkg.name(part)

    def read(self, part: str) -> bytes:
        key = self._key(part)
        if key in self._trees:
            return serialise(self._trees[key][1])
        if key in self._bytes and self._bytes[key][1] is not None:
            return self._bytes[key][1]
        if self.name(part) is None:
            raise PatchError(f"ブックの構成要素 {part} がありません。")
        return self.pkg.read(part)

    def view(self, part: str) -> etree._Element:
        """The part's XML for reading only (edits to it are not written)."""
        key = self._key(part)
        if key in self._trees:
            return self._trees[key][1]
        return parse_xml(self.read(part), part)

    # --- changes ----------------------------------------------------------------------------------------------
    def edit(self, part: str, new_root: etree._Element | None = None) -> etree._Element:
        """The part's XML tree to change in place (``new_root`` creates the part); written at the end."""
        key = self._key(part)
        if key not in self._trees:
            name = self.name(part) or part.lstrip("/")
            root = new_root if new_root is not None else parse_xml(self.read(part), part)
            self._trees[key] = (name, root)
            self._bytes.pop(key, None)
        return self._trees[key][1]

    def put(self, part: str, content: bytes, check: SheetCheck | None = None) -> str:
        key = self._key(part)
        name = self.name(part) or self.pkg.name(part) or part.lstrip("/")
        self._trees.pop(key, None)
        self._bytes[key] = (name, content)
        if check is not None:
            self.checks[name] = check
        return name

    def drop(self, part: str) -> None:
        name = self.name(part)
        if name is None:
            return
        key = self._key(part)
        self._trees.pop(key, None)
        self._bytes[key] = (name, None)
        self.checks.pop(name, None)
        self.remove_override(name)

    def new_part_name(self, pattern: str) -> str:
        """The first free name of the form pattern.format(n), n = 1, 2, …"""
        n = 1
        while self.name(pattern.format(n)) is not None:
            n += 1
        return pattern.format(n)

    def changes(self) -> tuple[dict[str, bytes | None], list[tuple[str, bytes]]]:
        """(content of existing members, None for dropped ones; new members in creation order)."""
        final: dict[str, tuple[str, bytes | None]] = dict(self._bytes)
        for key, (name, root) in self._trees.items():
            final[key] = (name, serialise(root))
        changed: dict[str, bytes | None] = {}
        added: list[tuple[str, bytes]] = []
        for name, content in final.values():
            stored = self.pkg.name(name)
            if stored is not None:
                changed[stored] = content
            elif content is not None:
                added.append((name, content))
        return changed, added

    # --- relationships ----------------------------------------------------------------------------------------
    def add_rel(self, source: str, rel_type: str, target: str) -> str:
        """A new relationship from source to target part; returns its id (unique in source's rels)."""
        rels = rels_part(source)
        if self.name(rels) is None:
            root = self.edit(rels, etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL}))
        else:
            root = self.edit(rels)
        used = {el.get("Id") for el in root}
        k = len(used) + 1
        while f"rId{k}" in used:
            k += 1
        etree.SubElement(root, f"{{{NS_PKG_REL}}}Relationship", Id=f"rId{k}", Type=rel_type,
                         Target=relative(source, target))
        return f"rId{k}"

    def remove_rels(self, source: str, ids: set[str]) -> None:
        rels = rels_part(source)
        if not ids or self.name(rels) is None:
            return
        root = self.edit(rels)
        for el in list(root):
            if el.get("Id") in ids:
                root.remove(el)
        if len(root) == 0:
            self.drop(rels)

    def rel_target(self, source: str, rel_id: str) -> str | None:
        rels = rels_part(source)
        if self.name(rels) is None:
            return None
        for el in self.view(rels).iter(f"{{{NS_PKG_REL}}}Relationship"):
            if el.get("Id") == rel_id and el.get("TargetMode") != "External":
                return self.name(resolve(source, el.get("Target", "")))
        return None

    # --- content types ----------------------------------------------------------------------------------------
    def set_override(self, part: str, content_type: str) -> None:
        root = self.edit(CONTENT_TYPES)
        wanted = "/" + part.lstrip("/")
        for el in root.iter(f"{{{NS_CT}}}Override"):
            if el.get("PartName", "").lower() == wanted.lower():
                el.set("ContentType", content_type)
                return
        etree.SubElement(root, f"{{{NS_CT}}}Override", PartName=wanted, ContentType=content_type)

    def remove_override(self, part: str) -> None:
        if self.name(CONTENT_TYPES) is None:
            return
        wanted = "/" + part.lstrip("/").lower()
        found = [el for el in self.view(CONTENT_TYPES).iter(f"{{{NS_CT}}}Override")
                 if el.get("PartName", "").lower() == wanted]
        if found:
            root = self.edit(CONTENT_TYPES)
            for el in list(root.iter(f"{{{NS_CT}}}Override")):
                if el.get("PartName", "").lower() == wanted:
                    root.remove(el)

    def drop_tree(self, part: str) -> None:
        """Drop a part with its relationships part and every part only it pointed to (a chart's style parts)."""
        name = self.name(part)
        if name is None:
            return
        rels = rels_part(name)
        if self.name(rels) is not None:
            for el in self.view(rels).iter(f"{{{NS_PKG_REL}}}Relationship"):
                if el.get("TargetMode") != "External":
                    target = resolve(name, el.get("Target", ""))
                    if posixpath.dirname(target).startswith(posixpath.dirname(name)):
                        self.drop_tree(target)
            self.drop(rels)
        self.drop(name)
