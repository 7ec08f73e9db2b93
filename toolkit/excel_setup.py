"""`toolkit excel-setup`: the macro-enabled master (.xlsm) with its 操作 sheet and buttons; xlwings' settings.

How the .xlsm is made, without Excel and without re-saving the workbook through a library (docs/excel.md says
why this route was chosen over an add-in ribbon or an XlsxWriter-made workbook):

1. The master is copied part by part with the toolkit's own zip writer (``workbook.xlsx``): every part is
   copied with its original bytes except the few this build owns — workbook.xml (the new sheets, names),
   its relationships, [Content_Types].xml (macro-enabled now) and styles.xml (the 操作 sheet's few styles).
   Added: the 操作 sheet, written here as XML, and its VML drawing holding four Form-control buttons, each with
   the macro it runs. openpyxl never touches the file (it would drop the buttons and the VBA on save).
2. pyOpenVBA gives that .xlsm a VBA project, as Excel makes one for a first macro (a document module per sheet,
   code names written into the sheets), and adds the module ``toolkit/workbook_templates/toolkit_macros.bas``. It too
   rewrites only the parts it owns and copies the rest.

Run again, it never replaces the .xlsm staff work in: it refreshes the macro module (and xlwings.conf when a
Python is given) in place, after a backup, or refuses when asked to rebuild it from an .xlsx that differs.
"""
from __future__ import annotations

import os
import posixpath
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PureWindowsPath
from types import MappingProxyType
from xml.sax.saxutils import escape

from lxml import etree

from toolkit import excel, schema
from toolkit.errors import SetupError
from toolkit.outputs import OUTPUT_FOLDER

MODULE_NAME = "ToolkitMacros"
MACRO_FILE = "toolkit_macros.bas"
MAIN_MACRO_ENABLED = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_MAIN_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml")
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


# ---------------------------------------------------------------- the 操作 sheet's layout

@dataclass(frozen=True)
class Button:
    macro: str  # the VBA Sub it runs (workbook_templates/toolkit_macros.bas)
    caption: str
    row: int  # the worksheet row it sits in, in column B
    note: str  # what it does, in column C beside it


BUTTONS: tuple[Button, ...] = (
    Button("MakePlan", "計画書を作成", 5,
           f"下で選んだ企業（または「{schema.COMPANIES.sheet}」シートで選んだ行の企業）の3年間の改善活動計画書を作成します"),
    Button("MakeReports", "報告書を一括作成", 7,
           "委託業務報告書・予算執行状況報告書・KPI実績報告書・支援記録簿・会議記録をまとめて作成します"),
    Button("RunCheck", "入力チェック", 9,
           f"入力の誤りを探し、「{excel.RESULTS_SHEET}」シートに一覧にします（該当セルへのリンク付き）"),
    Button("RefreshSummary", "集計を更新", 11,
           f"予算の執行状況と KPI の進み具合を「{schema.SUMMARY_SHEET}」シートに表とグラフでまとめ直します"),
    Button("RunSync", "同期", 13,
           "Microsoft 365 の出欠・利用実績を取り込みます（ブックを開いている間に定期同期が保留した行も反映）"),
)
BUTTON_ROW_HEIGHT = 30.0  # points
COLUMN_WIDTHS = {1: 2.0, 2: 22.0, 3: 18.0, 4: 44.0}  # characters
COMPANY_ROW, PDF_ROW, DRAFT_ROW, STATUS_ROW, RUN_AT_ROW, NO_ADDIN_ROW, OUTPUT_ROW = 15, 16, 17, 18, 19, 21, 22
NO_ADDIN_MESSAGE = ("Python を呼び出せませんでした。このパソコンに Python・toolkit・xlwings アドインが"
                    "設定されているか確認してください（手順書「Excel のボタンを使う」の1〜4）。")


def _defined_names() -> dict[str, str]:
    sheet = f"'{excel.CONTROL_SHEET}'"
    ids = f"{schema.COMPANIES.name}[{schema.COMPANIES.id_column}]"
    return {
        excel.NAME_COMPANY: f"{sheet}!$C${COMPANY_ROW}",
        excel.NAME_COMPANY_NAME: f"{sheet}!$D${COMPANY_ROW}",
        excel.NAME_PDF: f"{sheet}!$C${PDF_ROW}",
        excel.NAME_DRAFT: f"{sheet}!$C${DRAFT_ROW}",
        excel.NAME_STATUS: f"{sheet}!$C${STATUS_ROW}",
        excel.NAME_RUN_AT: f"{sheet}!$C${RUN_AT_ROW}",
        excel.NAME_NO_ADDIN: f"{sheet}!$C${NO_ADDIN_ROW}",
        excel.NAME_COMPANY_IDS: ids,
    }


# ---------------------------------------------------------------- public API

@dataclass(frozen=True)
class SetupResult:
    """What `toolkit excel-setup` did, for the message the command prints."""

    path: Path
    refreshed: bool  # an existing .xlsm was kept: only its macro module (and settings) were refreshed
    backup: Path | None  # the copy of the .xlsm taken before it was refreshed
    interpreter: str | None  # the Python the book's xlwings.conf names; None: xlwings' default (python on the PATH)
    missing_buttons: tuple[str, ...] = ()  # captions of buttons this version has that the book's 操作 sheet lacks

    def message(self) -> str:
        if self.refreshed:
            lines = [f"{self.path.name} のマクロと設定を更新しました（シートの内容・書式はそのままです）: {self.path}"]
            if self.backup is not None:
                lines.append(f"更新前のブックの控え: {self.backup}")
        else:
            lines = [f"ボタン付きのブックを作成しました: {self.path}",
                     f"以後はこの {self.path.suffix} をマスターとして使ってください（定期同期の指定もこのファイルに）。"]
        lines.append(f"Excel から呼び出す Python: {self.interpreter}" if self.interpreter else
                     "Excel から呼び出す Python: 各パソコンの PATH にある python（xlwings の既定）")
        if self.missing_buttons:
            names = "・".join(f"「{b.caption}」" for b in BUTTONS if b.caption in self.missing_buttons)
            macros = "、".join(b.macro for b in BUTTONS if b.caption in self.missing_buttons)
            lines.append(f"この .xlsm の「{excel.CONTROL_SHEET}」シートには、古い版で作ったため {names} のボタンが"
                         f"ありません。Excel で Alt+F8 → {macros} → 実行 で使えます（ボタンを付けるには、"
                         f"「{excel.CONTROL_SHEET}」シートを削除して保存し、このコマンドをもう一度実行します）。")
        return "\n".join(lines)


def build_macro_workbook(master: Path, out: Path, *, python_exe: str | None = None) -> Path:
    """Write ``out`` (.xlsm) from ``master``, or refresh it when it exists; see :func:`setup_workbook`."""
    return setup_workbook(master, out, python_exe=python_exe).path


def setup_workbook(master: Path, out: Path | None = None, *, python_exe: str | None = None) -> SetupResult:
    """The macro-enabled master: ``out`` (default: ``master`` as .xlsm) with the 操作 sheet, its buttons, the VBA.

    An existing ``out`` is the live master staff work in: it is never replaced. It is refreshed in place — its
    macro module, and its xlwings.conf when ``python_exe`` is given — after a backup in ``.toolkit-backups``.
    When ``master`` is another file whose data differs from ``out``'s, nothing is written (SetupError): which of
    the two holds the staff's work is theirs to say.

    ``python_exe``: the interpreter Excel starts, kept in the book's hidden ``xlwings.conf`` sheet, in the portable
    form :func:`portable_path` gives. Omitted on a new book: on Windows the Python running this, elsewhere none
    (xlwings then uses ``python`` on the PATH); on an existing book: its setting stays.
    """
    from toolkit.workbook.read import read_raw

    master = Path(master)
    out = Path(out) if out is not None else master.with_suffix(".xlsm")
    if out.suffix.lower() != ".xlsm":
        raise SetupError(f"出力先はマクロ有効ブック（.xlsm）にしてください: {out.name}")
    if not master.is_file():
        raise SetupError(f"ブックが見つかりません: {master}")
    if python_exe is not None:
        python_exe = portable_path(check_interpreter(python_exe))
    refresh = out.exists()
    if refresh and out.resolve() != master.resolve() and read_raw(out) != read_raw(master):
        raise SetupError(
            f"{out.name} は既にあり、{master.name} と内容が違います。上書きすると {out.name} での作業が失われるため、"
            "何も書き込んでいません。\n"
            f"・{out.name} をマスターとして使っている場合: toolkit excel-setup \"{out}\" で、ブックはそのままで"
            "マクロと設定だけを更新します。\n"
            f"・{master.name} から作り直す場合: {out.name} を別の名前に変えるか別のフォルダーに移してから、"
            "もう一度実行してください。")
    source = out if refresh else master  # refreshing: everything in the live .xlsm is kept, the .xlsx is not used
    if python_exe is None and not refresh and sys.platform == "win32":
        python_exe = default_python()
    module = macro_source()
    out.parent.mkdir(parents=True, exist_ok=True)
    if refresh:
        return _refresh(source, module, python_exe)
    _build(source, out, module, python_exe)
    return SetupResult(out, False, None, python_exe)


def _build(source: Path, out: Path, module: str, python_exe: str | None) -> tuple[str, ...]:
    """Write ``out`` from ``source``; returns the captions of buttons the source's 操作 sheet lacks."""
    from toolkit.workbook.xlsx import Package, PatchError, write_package

    stage1 = out.with_name(out.stem + ".toolkit-stage.xlsm")  # pyOpenVBA decides the format by the suffix
    stage2 = out.with_name(out.stem + ".toolkit-tmp.xlsm")
    try:
        with source.open("rb") as fp:
            try:
                pkg = Package(fp)
                # The xlwings.conf sheet is written only when its settings change (a refresh leaves it alone).
                write_conf = configured_settings(source) != conf_settings(python_exe)
                changed, added, missing = _patch_parts(pkg, python_exe, write_conf)
                with stage1.open("wb") as dst:
                    write_package(pkg, dst, changed, added)
            except PatchError as exc:
                raise SetupError(str(exc)) from None
            except etree.XMLSyntaxError as exc:  # a part Excel would repair on opening (styles.xml cut short, …)
                raise SetupError(f"{source.name} の内部の XML が壊れているため、ボタンを付けられません（{exc}）。"
                                 "Excel で開いて「名前を付けて保存」で保存し直してから、もう一度実行してください。"
                                 ) from None
        _install_macros(stage1, stage2, module)
        os.replace(stage2, out)
    finally:
        for leftover in (stage1, stage2):
            leftover.unlink(missing_ok=True)
    return missing


def _refresh(path: Path, module: str, python_exe: str | None) -> SetupResult:
    """Refresh the live .xlsm in place as every toolkit write does (the writer's transaction): not while Excel has
    it open, one writer at a time, a backup first, and only if nobody saved it meanwhile."""
    from toolkit.workbook.write import transaction

    python_exe = python_exe or configured_python(path)  # the xlwings.conf sheet is rewritten: keep its interpreter

    staged = path.with_name(path.stem + ".toolkit-refresh.xlsm")
    try:
        with transaction(path) as tx:
            missing = _build(path, staged, module, python_exe)
            backup = tx.replace_with(staged)
    finally:
        staged.unlink(missing_ok=True)
    return SetupResult(path, True, backup, python_exe or configured_python(path), missing)


def configured_settings(path: Path) -> list[tuple[str, str]]:
    """The (key, value) rows of the book's xlwings.conf sheet ([] without one)."""
    from toolkit.workbook.read import read_raw

    rows = read_raw(path, sheets=[excel.CONF_SHEET]).get(excel.CONF_SHEET, [])
    return [(str(r[0]), str(r[1])) for r in rows if len(r) > 1 and r[0] not in (None, "")]


def configured_python(path: Path) -> str | None:
    """The interpreter the book's xlwings.conf sheet names, if it has one."""
    return next((v for k, v in configured_settings(path) if k.upper() == "INTERPRETER_WIN" and v), None)


# Folders Windows names by an environment variable (longest match wins). A path under one of them is written with
# the variable, which xlwings expands on each PC (its GetConfig calls ExpandEnvironmentStrings on every setting):
# one shared book then finds each user's own Python.
_PORTABLE_FOLDERS = ("LOCALAPPDATA", "APPDATA", "USERPROFILE", "ProgramFiles(x86)", "ProgramFiles")


def portable_path(path: str, env: Mapping[str, str] | None = None) -> str:
    r"""``C:\Users\yamada\AppData\Local\Programs\Python\Python311\pythonw.exe`` as
    ``%LOCALAPPDATA%\Programs\Python\Python311\pythonw.exe``; a path under no such folder is kept."""
    env = os.environ if env is None else env
    target = PureWindowsPath(path)
    best: tuple[int, str, PureWindowsPath] | None = None
    for name in _PORTABLE_FOLDERS:
        base = env.get(name)
        if not base or not PureWindowsPath(base).is_absolute():
            continue
        try:
            rest = target.relative_to(PureWindowsPath(base))  # Windows paths compare case-insensitively
        except ValueError:
            continue
        if best is None or len(base) > best[0]:
            best = (len(base), name, rest)
    return path if best is None else f"%{best[1]}%\\{best[2]}"


def check_interpreter(python_exe: str) -> str:
    """xlwings starts the interpreter by its full path (it checks that the file exists); only "python" and
    "pythonw" are looked up on the PATH. A bare "py" would end in xlwings' "Could not find Interpreter!"."""
    text = python_exe.strip().strip('"')
    if text.lower() in ("python", "pythonw"):
        return text
    if not (PureWindowsPath(text).is_absolute() or text.startswith("%") or text.startswith("/")):
        raise SetupError(f"Python はフルパスで指定してください（例: %LOCALAPPDATA%\\Programs\\Python\\Python311"
                         f"\\pythonw.exe）: {python_exe}")
    return text


def write_xlwings_conf(folder: Path, python_exe: str, pythonpath: str | None = None) -> Path:
    """``folder/xlwings.conf``: the directory-level xlwings settings for every book in that folder.

    xlwings' VBA reads the file with ``Input #``: one ``"KEY","value"`` line per setting, in the PC's ANSI code
    page (cp932 on Japanese Windows). A path that code page cannot hold belongs in the book's xlwings.conf
    sheet instead (``build_macro_workbook(python_exe=...)``).
    """
    lines = conf_settings(python_exe)
    if pythonpath:
        lines.append(("PYTHONPATH", pythonpath))
    text = "".join(f'"{key}","{value}"\r\n' for key, value in lines)
    if any('"' in value for _, value in lines):
        raise SetupError("xlwings.conf の値に「\"」は使えません。")
    try:
        data = text.encode("cp932")
    except UnicodeEncodeError:
        raise SetupError("Python のパスに xlwings.conf ファイルへ書けない文字が含まれています。"
                         "`toolkit excel-setup --python` でブックの xlwings.conf シートに設定してください。") from None
    path = Path(folder) / "xlwings.conf"
    path.write_bytes(data)
    return path


def default_python() -> str:
    """The interpreter running this, as its windowless twin when there is one (no console flashes on a click),
    written portably (:func:`portable_path`)."""
    exe = Path(sys.executable)
    windowless = exe.with_name("pythonw.exe")
    return portable_path(str(windowless if windowless.is_file() else exe))


def macro_source() -> str:
    """The VBA module's text, with the CRLF line ends VBA stores."""
    source = resources.files("toolkit") / "workbook_templates" / MACRO_FILE  # package data
    if not source.is_file():
        raise SetupError(f"マクロのソース {MACRO_FILE} が見つかりません（toolkit の導入を確認してください）。")
    text = source.read_text(encoding="ascii")
    return "\r\n".join(text.splitlines()) + "\r\n"


# ---------------------------------------------------------------- step 1: the package parts

class _Parts:
    """The parts this build reads and rewrites, by name; everything else is copied untouched."""

    def __init__(self, pkg):
        from toolkit.workbook.xlsx import open_book

        self.pkg = pkg
        self.book = open_book(pkg)
        self.changed: dict[str, bytes] = {}
        self.added: list[tuple[str, bytes]] = []

    def read(self, part: str) -> bytes:
        name = self.pkg.name(part) or part
        if name in self.changed:
            return self.changed[name]
        return self.pkg.read(part)

    def write(self, part: str, data: bytes) -> None:
        name = self.pkg.name(part)
        if name is None:
            raise KeyError(part)
        self.changed[name] = data

    def exists(self, part: str) -> bool:
        return self.pkg.name(part) is not None or any(p.lower() == part.lower() for p, _ in self.added)

    def free_part(self, pattern: str) -> str:
        n = 1
        while self.exists(pattern.format(n)):
            n += 1
        return pattern.format(n)


def _patch_parts(pkg, python_exe: str | None,
                 write_conf: bool = True) -> tuple[dict[str, bytes], list[tuple[str, bytes]], tuple[str, ...]]:
    parts = _Parts(pkg)
    names = {s.name for s in parts.book.sheets}
    missing: tuple[str, ...] = ()
    if excel.CONTROL_SHEET not in names:
        _add_control_sheet(parts)
    else:
        present = _button_macros(parts)
        missing = tuple(b.caption for b in BUTTONS if b.macro not in present)
    if write_conf:
        _set_conf_sheet(parts, python_exe, excel.CONF_SHEET in names)
    _macro_enabled(parts)
    return parts.changed, parts.added, missing


def _button_macros(parts: _Parts) -> set[str]:
    """The macros the book's buttons run: in our VML drawing, or in the control parts Excel writes on save."""
    found: set[str] = set()
    for info in parts.pkg.infos:
        name = info.filename.lower()
        if name.endswith(".vml") or name.startswith("xl/ctrlprops/"):
            text = parts.pkg.read(info.filename).decode("utf-8", "replace")
            found.update(re.findall(r"FmlaMacro>\s*(?:\[0\]!)?(\w+)\s*<", text, re.I))
            found.update(re.findall(r'fmlaMacro="(?:\[0\]!)?(\w+)"', text, re.I))
    return found


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, _PARSER)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _q(tag: str) -> str:
    return f"{{{NS_MAIN}}}{tag}"


def _add_relationship(parts: _Parts, owner: str, rel_type: str, target_part: str) -> str:
    """Append a relationship from ``owner`` to ``target_part``; returns its id."""
    from toolkit.workbook.xlsx import rels_part

    rels = rels_part(owner)
    target = posixpath.relpath(target_part, posixpath.dirname(owner))
    if parts.exists(rels) and parts.pkg.name(rels):
        text = parts.read(rels).decode("utf-8")
        used = {int(n) for n in re.findall(r'\bId="rId(\d+)"', text)}
        rid = f"rId{max(used, default=0) + 1}"
        text = text.replace("</Relationships>",
                            f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/></Relationships>', 1)
        parts.write(rels, text.encode("utf-8"))
        return rid
    rid = "rId1"
    parts.added.append((rels, (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/></Relationships>').encode("utf-8")))
    return rid


def _content_types(parts: _Parts, overrides: Mapping[str, str] = MappingProxyType({}),
                   defaults: Mapping[str, str] = MappingProxyType({}), main: str | None = None) -> None:
    root = _xml(parts.read("[Content_Types].xml"))
    ns = root.nsmap[None]
    present = {d.get("Extension", "").lower() for d in root.findall(f"{{{ns}}}Default")}
    for ext, ctype in defaults.items():
        if ext.lower() not in present:
            root.insert(0, etree.Element(f"{{{ns}}}Default", Extension=ext, ContentType=ctype))
    for part, ctype in overrides.items():
        etree.SubElement(root, f"{{{ns}}}Override", PartName="/" + part, ContentType=ctype)
    if main is not None:
        for o in root.findall(f"{{{ns}}}Override"):
            if o.get("PartName", "").lstrip("/").lower() == parts.book.workbook_part.lower():
                o.set("ContentType", main)
    parts.write("[Content_Types].xml", _serialise(root))


def _macro_enabled(parts: _Parts) -> None:
    root = _xml(parts.read("[Content_Types].xml"))
    ns = root.nsmap[None]
    for o in root.findall(f"{{{ns}}}Override"):
        if o.get("PartName", "").lstrip("/").lower() == parts.book.workbook_part.lower():
            if o.get("ContentType") not in _MAIN_TYPES + (MAIN_MACRO_ENABLED,):
                raise SetupError("このブックの形式（.xlsx 以外）からはマクロ有効ブックを作れません。")
    _content_types(parts, main=MAIN_MACRO_ENABLED)


# ---------------------------------------------------------------- the styles of the 操作 sheet

def _add_styles(parts: _Parts) -> dict[str, int]:
    """Append the 操作 sheet's cell formats to styles.xml; returns style name -> xf index."""
    part = next((r.target for r in _rels(parts, parts.book.workbook_part) if r.type.endswith("/styles")), None)
    if part is None:
        return {}
    root = _xml(parts.read(part))

    def collection(tag: str) -> etree._Element:
        found = root.find(_q(tag))
        if found is None:
            raise SetupError("ブックの書式（styles.xml）を読めません。")
        return found

    fonts, fills, borders, xfs = (collection(t) for t in ("fonts", "fills", "borders", "cellXfs"))
    title = _add_font(fonts, "16", True, "FF1F4E79")
    bold = _add_font(fonts, "11", True)
    note = _add_font(fonts, "10", False, "FF595959")
    input_fill, status_fill = _add_fill(fills, "FFFFF2CC"), _add_fill(fills, "FFE2EFDA")
    box = _add_border(borders)
    styles = {
        "title": _add_xf(xfs, font=title),
        "label": _add_xf(xfs, font=bold),
        "note": _add_xf(xfs, font=note),
        "input": _add_xf(xfs, fill=input_fill, border=box),
        "status": _add_xf(xfs, fill=status_fill, border=box, wrap=True),
        "when": _add_xf(xfs, fill=status_fill, border=box, numfmt=22),  # built-in "yyyy/m/d h:mm"
    }
    for element in (fonts, fills, borders, xfs):
        element.set("count", str(len(element)))
    parts.write(part, _serialise(root))
    return styles


def _add_font(fonts: etree._Element, size: str, bold: bool, colour: str | None = None) -> int:
    """A copy of the book's first font, at ``size``, bold or not, in ``colour``: its index."""
    font = etree.fromstring(etree.tostring(fonts[0]))
    for child in list(font):
        if etree.QName(child).localname in ("b", "sz", "color"):
            font.remove(child)
    if bold:
        font.insert(0, etree.Element(_q("b")))
    # sz and color come after b/i/u… and before name: after any style flags present.
    at = next((i for i, child in enumerate(font)
               if etree.QName(child).localname in ("name", "family", "charset", "scheme")), len(font))
    font.insert(at, etree.Element(_q("sz"), val=size))
    if colour:
        font.insert(at + 1, etree.Element(_q("color"), rgb=colour))
    fonts.append(font)
    return len(fonts) - 1


def _add_fill(fills: etree._Element, rgb: str) -> int:
    fill = etree.SubElement(fills, _q("fill"))
    pattern = etree.SubElement(fill, _q("patternFill"), patternType="solid")
    etree.SubElement(pattern, _q("fgColor"), rgb=rgb)
    etree.SubElement(pattern, _q("bgColor"), indexed="64")
    return len(fills) - 1


def _add_border(borders: etree._Element) -> int:
    border = etree.SubElement(borders, _q("border"))
    for side in ("left", "right", "top", "bottom"):
        edge = etree.SubElement(border, _q(side), style="thin")
        etree.SubElement(edge, _q("color"), rgb="FF7F7F7F")
    etree.SubElement(border, _q("diagonal"))
    return len(borders) - 1


def _add_xf(xfs: etree._Element, font: int = 0, fill: int = 0, border: int = 0, numfmt: int = 0,
            wrap: bool = False) -> int:
    xf = etree.SubElement(xfs, _q("xf"), numFmtId=str(numfmt), fontId=str(font), fillId=str(fill),
                          borderId=str(border), xfId="0")
    for flag, used in (("applyNumberFormat", numfmt), ("applyFont", font), ("applyFill", fill),
                       ("applyBorder", border)):
        if used:
            xf.set(flag, "1")
    # Centred vertically: the rows beside the buttons are taller than the text.
    xf.set("applyAlignment", "1")
    alignment = etree.SubElement(xf, _q("alignment"), vertical="center")
    if wrap:
        alignment.set("wrapText", "1")
    return len(xfs) - 1


def _rels(parts: _Parts, part: str):
    from toolkit.workbook.xlsx import read_rels

    return read_rels(parts.pkg, part)


# ---------------------------------------------------------------- the 操作 sheet

def _text_cell(ref: str, text: str, style: int | None) -> str:
    s = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def control_sheet_xml(styles: dict[str, int]) -> bytes:
    s = styles.get
    title = f"{excel.CONTROL_SHEET} — ボタンを押すと、開いているブックの内容（保存前の変更も含む）で処理します"
    cells: dict[int, list[str]] = {
        2: [_text_cell("B2", "クラウドサービス導入支援ツール", s("title"))],
        3: [_text_cell("B3", title, s("note"))],
        COMPANY_ROW: [_text_cell(f"B{COMPANY_ROW}", "計画書の企業ID", s("label")),
                      f'<c r="C{COMPANY_ROW}" s="{s("input", 0)}"/>',
                      f'<c r="D{COMPANY_ROW}" t="str"><f>IFERROR(INDEX({schema.COMPANIES.name}[企業名],'
                      f'MATCH({excel.NAME_COMPANY},{schema.COMPANIES.name}[{schema.COMPANIES.id_column}],0)),"")'
                      f'</f></c>'],
        PDF_ROW: [_text_cell(f"B{PDF_ROW}", "PDF も作成", s("label")),
                  _text_cell(f"C{PDF_ROW}", excel.NO, s("input")),
                  _text_cell(f"D{PDF_ROW}", "「はい」にすると Word と PDF を作成します（LibreOffice が必要）",
                             s("note"))],
        DRAFT_ROW: [_text_cell(f"B{DRAFT_ROW}", "案として作成", s("label")),
                    _text_cell(f"C{DRAFT_ROW}", excel.NO, s("input")),
                    _text_cell(f"D{DRAFT_ROW}", "「はい」にすると入力エラーの行があっても【案】として作成します"
                                                "（除外した行を別紙に）", s("note"))],
        STATUS_ROW: [_text_cell(f"B{STATUS_ROW}", "結果", s("label")),
                     _text_cell(f"C{STATUS_ROW}", "まだ実行していません", s("status")),
                     f'<c r="D{STATUS_ROW}" s="{s("status", 0)}"/>'],
        RUN_AT_ROW: [_text_cell(f"B{RUN_AT_ROW}", "実行日時", s("label")),
                     f'<c r="C{RUN_AT_ROW}" s="{s("when", 0)}"/>'],
        NO_ADDIN_ROW: [_text_cell(f"B{NO_ADDIN_ROW}", "ボタンが動かないとき", s("label")),
                       _text_cell(f"C{NO_ADDIN_ROW}", NO_ADDIN_MESSAGE, s("note"))],
        OUTPUT_ROW: [_text_cell(f"B{OUTPUT_ROW}", "作成した書類", s("label")),
                     _text_cell(f"C{OUTPUT_ROW}", f"このブックと同じフォルダーの「{OUTPUT_FOLDER}」フォルダーに"
                                                  "保存し、フォルダーを開きます", s("note"))],
    }
    for b in BUTTONS:
        cells[b.row] = [_text_cell(f"C{b.row}", b.note, s("note"))]
    rows = []
    for r in sorted(cells):
        height = f' ht="{BUTTON_ROW_HEIGHT}" customHeight="1"' if any(b.row == r for b in BUTTONS) else ""
        height = ' ht="36" customHeight="1"' if r == STATUS_ROW else height
        rows.append(f'<row r="{r}"{height}>{"".join(cells[r])}</row>')
    cols = "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in COLUMN_WIDTHS.items())
    validations = (
        '<dataValidations count="3">'
        f'<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
        f'promptTitle="企業ID" prompt="計画書を作成する企業を選びます" sqref="C{COMPANY_ROW}">'
        f'<formula1>{excel.NAME_COMPANY_IDS}</formula1></dataValidation>'
        f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" sqref="C{PDF_ROW}">'
        f'<formula1>"{excel.NO},{excel.YES}"</formula1></dataValidation>'
        f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" sqref="C{DRAFT_ROW}">'
        f'<formula1>"{excel.NO},{excel.YES}"</formula1></dataValidation>'
        '</dataValidations>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        '<sheetPr><tabColor rgb="FF2F75B5"/></sheetPr>'
        f'<dimension ref="B2:D{OUTPUT_ROW}"/>'
        '<sheetViews><sheetView showGridLines="0" tabSelected="1" workbookViewId="0">'
        f'<selection activeCell="C{COMPANY_ROW}" sqref="C{COMPANY_ROW}"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="18"/>'
        f'<cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>'
        f'<mergeCells count="1"><mergeCell ref="C{STATUS_ROW}:D{STATUS_ROW}"/></mergeCells>{validations}'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<legacyDrawing r:id="rId1"/></worksheet>').encode("utf-8")


def _px(width_chars: float) -> int:
    # Excel's column width in pixels at 96 dpi for the default 11pt font (7 px per character, 5 px padding).
    return int(width_chars * 7 + 5)


def buttons_vml(block: int) -> bytes:
    """The VML drawing of the buttons: legacy Form-control buttons, the form Excel reads for ``[0]!Macro``.

    ``block`` is this drawing's shape-id block (o:idmap): ids must not collide with another drawing's.
    """
    left_px = _px(COLUMN_WIDTHS[1])
    width_px = _px(COLUMN_WIDTHS[2])
    row_px = {r: 24 for r in range(1, 30)}  # 18 pt rows
    for b in BUTTONS:
        row_px[b.row] = int(BUTTON_ROW_HEIGHT * 4 / 3)
    shapes = []
    for n, b in enumerate(BUTTONS, start=1):
        top_px = sum(row_px[r] for r in range(1, b.row))
        h = row_px[b.row]
        style = (f"position:absolute;margin-left:{(left_px + 3) * 0.75:.2f}pt;margin-top:{(top_px + 2) * 0.75:.2f}pt;"
                 f"width:{(width_px - 6) * 0.75:.2f}pt;height:{(h - 4) * 0.75:.2f}pt;z-index:{n};"
                 "mso-wrap-style:tight")
        anchor = f"1, 3, {b.row - 1}, 2, 1, {width_px - 3}, {b.row - 1}, {h - 2}"
        shapes.append(
            f'<v:shape id="_x0000_s{block * 1024 + n}" type="#_x0000_t201" style="{style}" o:button="t" '
            'fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">'
            '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/><o:lock v:ext="edit" rotation="t"/>'
            '<v:textbox style="mso-direction-alt:auto" o:singleclick="f"><div style="text-align:center">'
            f'<font face="Meiryo UI" size="220" color="#000000">{escape(b.caption)}</font></div></v:textbox>'
            f'<x:ClientData ObjectType="Button"><x:Anchor>{anchor}</x:Anchor><x:PrintObject>False</x:PrintObject>'
            f'<x:AutoFill>False</x:AutoFill><x:FmlaMacro>[0]!{b.macro}</x:FmlaMacro>'
            '<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign></x:ClientData></v:shape>')
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{block}"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/><v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" '
        'o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/></v:shapetype>'
        + "".join(shapes) + "</xml>").encode("utf-8")


def _free_vml_block(parts: _Parts) -> int:
    """The next shape-id block no VML drawing in the book uses (comments use them too)."""
    used = {0}
    for info in parts.pkg.infos:
        if info.filename.lower().endswith(".vml"):
            text = parts.pkg.read(info.filename).decode("utf-8", "replace")
            for found in re.findall(r'idmap\b[^>]*\bdata="([^"]*)"', text):
                used.update(int(n) for n in re.findall(r"\d+", found))
    return max(used) + 1


def _add_control_sheet(parts: _Parts) -> None:
    folder = posixpath.dirname(parts.book.workbook_part)
    sheet_part = parts.free_part(posixpath.join(folder, "worksheets", "sheet{}.xml"))
    vml_part = parts.free_part(posixpath.join(folder, "drawings", "vmlDrawing{}.vml"))
    styles = _add_styles(parts)
    parts.added.append((sheet_part, control_sheet_xml(styles)))
    parts.added.append((vml_part, buttons_vml(_free_vml_block(parts))))
    # The sheet's only relationship is its drawing (rId1 in control_sheet_xml).
    from toolkit.workbook.xlsx import rels_part

    parts.added.append((rels_part(sheet_part), (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_VML}" '
        f'Target="{posixpath.relpath(vml_part, posixpath.dirname(sheet_part))}"/></Relationships>').encode("utf-8")))
    rid = _add_relationship(parts, parts.book.workbook_part,
                            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", sheet_part)
    _content_types(parts, overrides={sheet_part: "application/vnd.openxmlformats-officedocument.spreadsheetml"
                                                 ".worksheet+xml"}, defaults={"vml": CT_VML})
    _insert_sheet_first(parts, rid)


def _insert_sheet_first(parts: _Parts, rid: str) -> None:
    """List the 操作 sheet first and open the book on it; names scoped to a sheet keep pointing at theirs."""
    part = parts.book.workbook_part
    root = _xml(parts.read(part))
    sheets = root.find(_q("sheets"))
    sheet_id = max((int(s.get("sheetId", "0")) for s in sheets), default=0) + 1
    # With the r prefix declared where it is used: readers (pyOpenVBA among them) look for "r:id" literally.
    element = etree.Element(_q("sheet"), name=excel.CONTROL_SHEET, sheetId=str(sheet_id), nsmap={"r": NS_REL})
    element.set(f"{{{NS_REL}}}id", rid)
    sheets.insert(0, element)
    # localSheetId is a sheet's position: every one moves up by one.
    names = root.find(_q("definedNames"))
    if names is None:
        names = etree.Element(_q("definedNames"))
        sheets.addnext(names)
    for name in names:
        if name.get("localSheetId") is not None:
            name.set("localSheetId", str(int(name.get("localSheetId")) + 1))
    existing = {n.get("name") for n in names}
    for name, ref in _defined_names().items():
        if name not in existing:
            etree.SubElement(names, _q("definedName"), name=name).text = ref
    views = root.find(_q("bookViews"))
    if views is not None:
        for view in views:
            view.set("activeTab", "0")
            view.set("firstSheet", "0")
    calc = root.find(_q("calcPr"))
    if calc is not None:
        calc.set("fullCalcOnLoad", "1")  # the company-name formula has no cached value yet
    parts.write(part, _serialise(root))
    # One selected tab only: a second tabSelected would group the sheets (edits then land on both).
    for ref in parts.book.sheets:
        if ref.part:
            data = parts.read(ref.part)
            end = data.find(b"<sheetData")  # the views come before the data: never scan the rows
            head = data[:end if end >= 0 else len(data)]
            patched = re.sub(rb'\stabSelected="(1|true)"', b"", head, count=1)
            if patched != head:
                parts.write(ref.part, patched + data[len(head):])


# xlwings settings every book gets. ADD_WORKBOOK_TO_PYTHONPATH off: toolkit is an installed package, and with it on
# xlwings' RunPython hands the book's full name to prepare_sys_path, which for a book opened from SharePoint or
# OneDrive (an https name) raises "Couldn't find your SharePoint file locally" unless the library is synced — before
# toolkit runs at all (xlwings' Main.bas and utils.prepare_sys_path).
XLWINGS_SETTINGS = (("ADD_WORKBOOK_TO_PYTHONPATH", "False"),)


def conf_settings(python_exe: str | None) -> list[tuple[str, str]]:
    return ([("INTERPRETER_WIN", python_exe)] if python_exe else []) + list(XLWINGS_SETTINGS)


def _set_conf_sheet(parts: _Parts, python_exe: str | None, exists: bool) -> None:
    """A hidden ``xlwings.conf`` sheet: the keys and values xlwings' VBA reads (column A, column B, no quotes)."""
    rows = conf_settings(python_exe)
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><dimension ref="A1:B{len(rows)}"/>'
        '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="18"/>'
        '<cols><col min="1" max="1" width="30" customWidth="1"/><col min="2" max="2" width="60" customWidth="1"/>'
        '</cols><sheetData>'
        + "".join(f'<row r="{r}">' + _text_cell(f"A{r}", key, None) + _text_cell(f"B{r}", value, None) + "</row>"
                  for r, (key, value) in enumerate(rows, start=1))
        + '</sheetData></worksheet>').encode("utf-8")
    if exists:
        ref = next(s for s in parts.book.sheets if s.name == excel.CONF_SHEET)
        if ref.part is None:
            raise SetupError(f"「{excel.CONF_SHEET}」はワークシートではありません。")
        parts.write(ref.part, xml)
        return
    folder = posixpath.dirname(parts.book.workbook_part)
    sheet_part = parts.free_part(posixpath.join(folder, "worksheets", "sheet{}.xml"))
    parts.added.append((sheet_part, xml))
    rid = _add_relationship(parts, parts.book.workbook_part,
                            "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", sheet_part)
    _content_types(parts, overrides={sheet_part: "application/vnd.openxmlformats-officedocument.spreadsheetml"
                                                 ".worksheet+xml"})
    root = _xml(parts.read(parts.book.workbook_part))
    sheets = root.find(_q("sheets"))
    sheet_id = max((int(s.get("sheetId", "0")) for s in sheets), default=0) + 1
    element = etree.SubElement(sheets, _q("sheet"), name=excel.CONF_SHEET, sheetId=str(sheet_id), state="hidden",
                               nsmap={"r": NS_REL})
    element.set(f"{{{NS_REL}}}id", rid)
    parts.write(parts.book.workbook_part, _serialise(root))


# ---------------------------------------------------------------- step 2: the VBA project

def _install_macros(staged: Path, out: Path, source: str) -> None:
    try:
        from pyopenvba import ExcelFile
    except ImportError:
        raise SetupError("pyOpenVBA がありません: `pip install toolkit[excel]` を実行してください。") from None
    from pyopenvba.exceptions import PyOpenVBAError

    try:
        with ExcelFile(staged) as book:
            if book.has_vba_project():
                if MODULE_NAME in book.module_names():
                    book.set_module(MODULE_NAME, source)
                else:
                    book.vba_project().add_module(MODULE_NAME, source)
            else:
                book.add_vba_project()
                book.vba_project().add_module(MODULE_NAME, source)
            book.save(out)
    except PyOpenVBAError as exc:  # a password-protected project, a sheet kind never measured, …
        raise SetupError(f"マクロを組み込めませんでした: {exc}") from None
    _compile_on_open(out)


# [MS-OVBA] 2.3.4.1 _VBA_PROJECT: Reserved1 0x61CC, Version "MUST be 0xFFFF on write", Reserved2 0x00, Reserved3
# (2 bytes), and no PerformanceCache ("MUST NOT be present on write").
VBA_PROJECT_STREAM = bytes((0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00))


def _compile_on_open(xlsm: Path) -> None:
    """Make the project's _VBA_PROJECT stream the one MS-OVBA prescribes, so every Excel compiles the module from
    its source on first open rather than trusting compiled state (pyOpenVBA keeps a host version cookie and a
    zeroed cache). The CFB is rewritten by pyOpenVBA's reader/writer, the package by the zip patcher's writer
    (every other part copied as it is)."""
    from pyopenvba.cfb import CFB

    from toolkit.workbook.xlsx import Package, write_package

    staged = xlsm.with_name(xlsm.stem + ".toolkit-vba.xlsm")
    try:
        with xlsm.open("rb") as fp, staged.open("wb") as dst:
            pkg = Package(fp)
            part = pkg.name("xl/vbaProject.bin")
            cfb = CFB.from_bytes(pkg.read(part))
            cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
            write_package(pkg, dst, {part: cfb.to_bytes()}, [])
        staged.replace(xlsm)
    finally:
        staged.unlink(missing_ok=True)


def read_macro_module(path: Path) -> str:
    """The module's source as the built workbook holds it (for checks and support)."""
    from pyopenvba import ExcelFile

    with ExcelFile(path) as book:
        return book.get_module(MODULE_NAME)

