"""Word → PDF with LibreOffice in headless mode.

Many files go to one ``soffice --convert-to pdf`` call (start-up is most of its cost), split over two instances
with separate user profiles so both cores work. The templates name the fonts Word has (ＭＳ 明朝 / ＭＳ ゴシック);
on Linux LibreOffice finds fonts through fontconfig, which does not know those names, so the conversion runs with a
fontconfig file that maps them to the IPA fonts and the PDF embeds real Japanese faces.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from toolkit.errors import DocumentError

INSTANCES = 2
# Word's Japanese font names → fonts on Debian (fonts-ipaexfont, fonts-ipafont), best first.
FONT_ALIASES = {
    "ＭＳ 明朝": ("IPAexMincho", "IPAMincho"), "MS Mincho": ("IPAexMincho", "IPAMincho"),
    "ＭＳ Ｐ明朝": ("IPAexMincho", "IPAPMincho"), "游明朝": ("IPAexMincho", "IPAMincho"),
    "Yu Mincho": ("IPAexMincho", "IPAMincho"),
    "ＭＳ ゴシック": ("IPAexGothic", "IPAGothic"), "MS Gothic": ("IPAexGothic", "IPAGothic"),
    "ＭＳ Ｐゴシック": ("IPAexGothic", "IPAPGothic"), "游ゴシック": ("IPAexGothic", "IPAGothic"),
    "Yu Gothic": ("IPAexGothic", "IPAGothic"), "メイリオ": ("IPAexGothic", "IPAGothic"),
    "Meiryo": ("IPAexGothic", "IPAGothic"),
}
_WINDOWS_PATHS = (r"C:\Program Files\LibreOffice\program\soffice.exe",
                  r"C:\Program Files (x86)\LibreOffice\program\soffice.exe")
_MAC_PATH = "/Applications/LibreOffice.app/Contents/MacOS/soffice"


class LibreOfficeMissing(DocumentError):
    """LibreOffice is not installed, so no PDF can be made."""

    def __init__(self) -> None:
        if sys.platform == "win32":
            hint = ("LibreOffice をインストールするか、Word で .docx を開いて「名前を付けて保存」から PDF を保存して"
                    "ください。")
        else:
            hint = ("Debian / Ubuntu では `sudo apt-get install libreoffice-writer-nogui` でインストールできます"
                    "（日本語フォントは fonts-ipaexfont）。")
        super().__init__("PDF を作成するには LibreOffice（soffice）が必要ですが、見つかりません。" + hint
                         + "Word 形式（.docx）の書類はすでに作成済みです。")


class PdfConversionError(DocumentError):
    """LibreOffice ran but did not produce every PDF (timeout, crash, a broken document)."""


def find_soffice() -> str:
    """The LibreOffice executable: $TOOLKIT_SOFFICE, then PATH, then the usual install folders."""
    configured = os.environ.get("TOOLKIT_SOFFICE")
    if configured and Path(configured).is_file():
        return configured
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (*_WINDOWS_PATHS, _MAC_PATH):
        if Path(candidate).is_file():
            return candidate
    raise LibreOfficeMissing()


def fontconfig_file(directory: Path) -> Path | None:
    """A fontconfig file: the aliases for Word's font names, then the system configuration. None off Linux."""
    if sys.platform in ("win32", "darwin"):
        return None
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    aliases = "\n".join(
        f'  <alias binding="same"><family>{escape(word)}</family><prefer>'
        + "".join(f"<family>{escape(f)}</family>" for f in fonts) + "</prefer></alias>"
        for word, fonts in FONT_ALIASES.items())
    text = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            f"{aliases}\n  <include ignore_missing=\"yes\">{escape(system)}</include>\n</fontconfig>\n")
    path = directory / "fonts.conf"
    path.write_text(text, encoding="utf-8")
    return path


def _cost(path: Path) -> int:
    """LibreOffice's time on a document follows the size of its text XML (images barely count); plus a fixed part."""
    try:
        with zipfile.ZipFile(path) as z:
            return z.getinfo("word/document.xml").file_size + 20_000
    except (OSError, KeyError, zipfile.BadZipFile):
        return path.stat().st_size + 20_000


def _split(paths: Sequence[Path], parts: int) -> list[list[Path]]:
    """Share the files between the instances so both finish at about the same time (longest first, greedy)."""
    buckets: list[list[Path]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for cost, path in sorted(((_cost(p), p) for p in paths), key=lambda x: x[0], reverse=True):
        i = loads.index(min(loads))
        buckets[i].append(path)
        loads[i] += cost
    return [b for b in buckets if b]


def _kill(proc: subprocess.Popen) -> None:
    try:
        if sys.platform == "win32":  # soffice.exe starts soffice.bin: end the tree
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(proc.pid)], capture_output=True, check=False)
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)  # soffice starts soffice.bin: end the whole group
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def convert_to_pdf(docx_paths: Sequence[Path], out_dir: Path, *, timeout: float = 120) -> list[Path]:
    """Convert the .docx files to PDFs in ``out_dir``; returns the PDFs in the order of ``docx_paths``."""
    paths = [Path(p).resolve() for p in docx_paths]
    if not paths:
        return []
    soffice = find_soffice()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    expected = [out_dir / (p.stem + ".pdf") for p in paths]
    if len(set(expected)) != len(expected):
        raise ValueError("同じ名前の書類が複数あり、PDF が上書きされてしまいます。ファイル名を変えてください。")
    for pdf in expected:  # an old PDF must not pass for a new one if LibreOffice fails
        pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="toolkit-lo-", ignore_cleanup_errors=True) as tmp:
        tmp_path = Path(tmp)
        env = dict(os.environ)
        fonts = fontconfig_file(tmp_path)
        if fonts is not None:
            env["FONTCONFIG_FILE"] = str(fonts)
        procs = []
        for i, chunk in enumerate(_split(paths, INSTANCES)):
            profile = (tmp_path / f"profile{i}").as_uri()
            cmd = [soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                   f"-env:UserInstallation={profile}", "--convert-to", "pdf:writer_pdf_Export",
                   "--outdir", str(out_dir), *map(str, chunk)]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                          cwd=tmp, start_new_session=sys.platform != "win32"))
        deadline = time.monotonic() + timeout
        errors = []
        for proc in procs:
            try:
                _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                for p in procs:
                    _kill(p)
                raise PdfConversionError(f"PDF への変換が {timeout:g} 秒以内に終わりませんでした。") from None
            if proc.returncode:
                errors.append(err.decode(errors="replace").strip())
    missing = [p.name for p in expected if not p.is_file()]
    if missing:
        detail = f"（LibreOffice: {errors[0][:300]}）" if errors and errors[0] else ""
        raise PdfConversionError(f"PDF を作成できなかったファイルがあります: {', '.join(missing)}{detail}")
    return expected
