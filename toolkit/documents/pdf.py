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

    def __init__(self, docx_written: bool = True) -> None:
        if sys.platform == "win32":
            hint = ("LibreOffice をインストールするか、Word で .docx を開いて「名前を付けて保存」から PDF を保存して"
                    "ください。")
        else:
            hint = ("Debian / Ubuntu では `sudo apt-get install libreoffice-writer-nogui` でインストールできます"
                    "（日本語フォントは fonts-ipaexfont）。")
        super().__init__("PDF を作成するには LibreOffice（soffice）が必要ですが、見つかりません。" + hint
                         + ("Word 形式（.docx）の書類はすでに作成済みです。" if docx_written else ""))


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


def _profile_uri(directory: Path) -> str:
    return directory.as_uri()


class Conversion:
    """PDFs being made by one or more LibreOffice instances; ``wait()`` returns them in input order."""

    def __init__(self, converter: Converter, clients: list[subprocess.Popen], served: list[subprocess.Popen],
                 expected: list[Path]) -> None:
        self._converter, self._clients, self._served, self.expected = converter, clients, served, expected
        self._done: list[Path] | None = None

    def wait(self) -> list[Path]:
        if self._done is not None:
            return self._done
        errors = self._converter._wait(self._clients)
        for warm in self._served:  # each exits once its request is done; one that lingers is not needed any more
            try:
                warm.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                _kill(warm)
        missing = [p.name for p in self.expected if not p.is_file()]
        if missing:
            detail = f"（LibreOffice: {errors[0][:300]}）" if errors and errors[0] else ""
            raise PdfConversionError(f"PDF を作成できなかったファイルがあります: {', '.join(missing)}{detail}")
        self._done = self.expected
        return self._done


class Converter:
    """LibreOffice for one command, kept warm.

    At ``__enter__`` one LibreOffice per core starts in the background (its start-up, most of a small conversion's
    cost, overlaps the rendering of the .docx). ``start`` hands files to instances: a second
    ``soffice --convert-to`` with the same user profile passes its request to the running instance and waits for
    it (LibreOffice's single-instance pipe), after which that instance exits. ``again`` starts fresh instances at
    once for a later call (the 目次 pass), so their start-up overlaps this conversion. With no warm instance left,
    an instance is simply started cold.
    """

    def __init__(self, *, enabled: bool = True, instances: int = INSTANCES, timeout: float = 120,
                 required: bool = False) -> None:
        """``required``: no LibreOffice is an error at once (the booklet writes no .docx of its own)."""
        self.enabled = enabled
        self.required = required
        self.instances = instances
        self.timeout = timeout
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._env: dict[str, str] = {}
        self._soffice: str | None = None
        self._warm: list[tuple[Path, subprocess.Popen]] = []
        self._running: list[subprocess.Popen] = []
        self._profiles = 0

    def __enter__(self) -> Converter:
        if not self.enabled:
            return self
        try:
            self._soffice = find_soffice()
        except LibreOfficeMissing:
            if self.required:
                raise LibreOfficeMissing(docx_written=False) from None
            return self  # raised by start(), after the .docx are written
        self._tmp = tempfile.TemporaryDirectory(prefix="toolkit-lo-", ignore_cleanup_errors=True)
        self._env = dict(os.environ)
        fonts = fontconfig_file(Path(self._tmp.name))
        if fonts is not None:
            self._env["FONTCONFIG_FILE"] = str(fonts)
        self.warm(self.instances)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in [*self._running, *(proc for _, proc in self._warm)]:
            if proc.poll() is None:
                _kill(proc)
        self._warm.clear()
        self._running.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _new_profile(self) -> Path:
        assert self._tmp is not None
        self._profiles += 1
        return Path(self._tmp.name) / f"profile{self._profiles}"

    def _popen(self, args: list[str], profile: Path) -> subprocess.Popen:
        assert self._soffice is not None and self._tmp is not None
        cmd = [self._soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={_profile_uri(profile)}", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self._env,
                                cwd=self._tmp.name, start_new_session=sys.platform != "win32")
        self._running.append(proc)
        return proc

    def warm(self, n: int) -> None:
        """Have ``n`` instances started and waiting (no more than one per core)."""
        if self._soffice is None:
            return
        for _ in range(max(0, min(n, self.instances) - len(self._warm))):
            profile = self._new_profile()
            pipe = f"toolkit{os.getpid()}_{self._profiles}"
            self._warm.append((profile, self._popen([f"--accept=pipe,name={pipe};urp;"], profile)))

    def start(self, docx_paths: Sequence[Path], out_dir: Path, *, instances: int | None = None,
              again: int = 0) -> Conversion:
        """Begin converting ``docx_paths`` into ``out_dir`` on up to ``instances`` instances (default: one per
        core), sharing the files so they finish together. ``again``: instances to start now for a later call."""
        paths = [Path(p).resolve() for p in docx_paths]
        if self._soffice is None and paths:
            raise LibreOfficeMissing()
        out_dir = Path(out_dir).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        expected = [out_dir / (p.stem + ".pdf") for p in paths]
        if len(set(expected)) != len(expected):
            raise DocumentError("同じ名前の書類が複数あり、PDF が上書きされてしまいます。ファイル名を変えてください。")
        for pdf in expected:  # an old PDF must not pass for a new one if LibreOffice fails
            pdf.unlink(missing_ok=True)
        clients, served = [], []
        for chunk in _split(paths, max(1, min(instances or self.instances, len(paths)))) if paths else []:
            if self._warm:
                profile, warm = self._warm.pop(0)
                served.append(warm)
            else:
                profile = self._new_profile()
            clients.append(self._popen(["--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out_dir),
                                        *map(str, chunk)], profile))
        if again:
            self.warm(again)
        return Conversion(self, clients, served, expected)

    def convert(self, docx_paths: Sequence[Path], out_dir: Path, *, again: int = 0) -> list[Path]:
        """PDFs of ``docx_paths`` in ``out_dir``, in the same order."""
        return self.start(docx_paths, out_dir, again=again).wait()

    def _wait(self, procs: list[subprocess.Popen]) -> list[str]:
        deadline = time.monotonic() + self.timeout
        errors = []
        for proc in procs:
            try:
                _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                for p in self._running:
                    _kill(p)
                raise PdfConversionError(f"PDF への変換が {self.timeout:g} 秒以内に終わりませんでした。") from None
            if proc.returncode:
                errors.append(err.decode(errors="replace").strip())
        return errors


def convert_to_pdf(docx_paths: Sequence[Path], out_dir: Path, *, timeout: float = 120) -> list[Path]:
    """Convert the .docx files to PDFs in ``out_dir``; returns the PDFs in the order of ``docx_paths``."""
    with Converter(timeout=timeout) as converter:
        return converter.convert(docx_paths, out_dir)
