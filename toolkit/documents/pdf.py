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
import threading
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

    def __init__(self, converter: Converter, requests: list[_Request], expected: list[Path]) -> None:
        self._converter, self._requests, self.expected = converter, requests, expected
        self._done: list[Path] | None = None

    def wait(self) -> list[Path]:
        if self._done is not None:
            return self._done
        errors = self._converter._wait(self._requests)
        missing = [p.name for p in self.expected if not p.is_file()]
        if missing:
            detail = f"（LibreOffice: {errors[0][:300]}）" if errors and errors[0] else ""
            raise PdfConversionError(f"PDF を作成できなかったファイルがあります: {', '.join(missing)}{detail}")
        self._done = self.expected
        return self._done


class _Instance:
    """One LibreOffice kept running for the whole command, and the conversions handed to it not yet done."""

    def __init__(self, profile: Path, proc: subprocess.Popen, anchor: Path) -> None:
        self.profile, self.proc, self.anchor = profile, proc, anchor
        self.queued: list[_Request] = []
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        """Until it holds its file open (LibreOffice's lock file appears beside it). A request that arrives before
        is served first, and the instance, with nothing open yet, exits after it."""
        lock = self.anchor.with_name(f".~lock.{self.anchor.name}#")
        deadline = time.monotonic() + timeout
        while not self.ready and self.proc.poll() is None and time.monotonic() < deadline:
            self.ready = lock.exists()
            if not self.ready:
                time.sleep(0.02)
        self.ready = True  # asked once: one that is late is no worse than an instance started for the request

    def load(self) -> int:
        self.queued = [request for request in self.queued if request.pending()]
        return sum(request.cost for request in self.queued)


class _Request:
    """One ``soffice --convert-to`` handed to an instance: sent at once if the instance is ready, otherwise by a
    thread that waits for it, so that the command goes on rendering meanwhile."""

    def __init__(self, converter: Converter, instance: _Instance, args: list[str], cost: int) -> None:
        self.cost = cost
        self.proc: subprocess.Popen | None = None
        self._sender: threading.Thread | None = None
        if instance.ready:
            self.proc = converter._popen(args, instance.profile)
        else:
            self._sender = threading.Thread(target=self._send, args=(converter, instance, args), daemon=True)
            self._sender.start()

    def _send(self, converter: Converter, instance: _Instance, args: list[str]) -> None:
        instance.wait_ready(min(converter.timeout, 20))
        if not converter.closing:
            self.proc = converter._popen(args, instance.profile)

    def pending(self) -> bool:
        if self._sender is not None and self._sender.is_alive():
            return True
        return self.proc is not None and self.proc.poll() is None

    def sent(self, timeout: float) -> subprocess.Popen | None:
        """The client process, once it is started (None if that took longer than ``timeout``)."""
        if self._sender is not None:
            self._sender.join(timeout)
        return self.proc


class Converter:
    """LibreOffice for one command: one instance per core, started at ``__enter__`` and kept until ``__exit__``.

    Start-up is most of a small conversion's cost, so the instances start while the .docx are rendered and serve
    every conversion of the command. ``start`` hands files to them: a second ``soffice --convert-to`` with the same
    user profile passes its request to the running instance and waits for it (LibreOffice's single-instance pipe).
    An instance exits once it has no document open, so each holds an empty text file open to stay up for the next
    request; a request to a busy instance waits its turn, and work goes to the instance with the least queued.
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
        self._pool: list[_Instance] = []
        self._requests: list[_Request] = []
        self._running: list[subprocess.Popen] = []
        self._profiles = 0
        self.closing = False

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
        self._pool = [self._instance() for _ in range(self.instances)]
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing = True  # a request still waiting for its instance is not sent any more
        self._kill_all()
        for request in self._requests:
            request.sent(10)
        self._kill_all()  # one sent just before the flag was seen
        self._pool.clear()
        self._requests.clear()
        self._running.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _kill_all(self) -> None:
        for proc in list(self._running):
            if proc.poll() is None:
                _kill(proc)

    def _popen(self, args: list[str], profile: Path, *, errors: bool = True) -> subprocess.Popen:
        """``errors``: keep its stderr for the message (not for an instance: a pipe nobody reads could fill)."""
        assert self._soffice is not None and self._tmp is not None
        cmd = [self._soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={_profile_uri(profile)}", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE if errors else subprocess.DEVNULL, env=self._env,
                                cwd=self._tmp.name, start_new_session=sys.platform != "win32")
        self._running.append(proc)
        return proc

    def _instance(self) -> _Instance:
        """A new instance on a profile of its own, listening on its pipe, with an empty file open."""
        assert self._tmp is not None
        self._profiles += 1
        profile = Path(self._tmp.name) / f"profile{self._profiles}"
        pipe = f"toolkit{os.getpid()}_{self._profiles}"
        anchor = Path(self._tmp.name) / f"anchor{self._profiles}.txt"  # its own: a file open elsewhere is locked
        anchor.touch()
        proc = self._popen([f"--accept=pipe,name={pipe};urp;", str(anchor)], profile, errors=False)
        return _Instance(profile, proc, anchor)

    def _least_busy(self) -> _Instance:
        """The instance with the least queued work; one that has died (a crash) is replaced first."""
        for i, instance in enumerate(self._pool):
            if instance.proc.poll() is not None and not instance.load():
                self._pool[i] = self._instance()
        return min(self._pool, key=lambda instance: instance.load())

    def start(self, docx_paths: Sequence[Path], out_dir: Path, *, instances: int | None = None) -> Conversion:
        """Begin converting ``docx_paths`` into ``out_dir``, shared between up to ``instances`` instances (default:
        all) so they finish together."""
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
        requests = []
        for chunk in _split(paths, max(1, min(instances or self.instances, len(paths)))) if paths else []:
            instance = self._least_busy()
            # "pdf": LibreOffice picks the export filter of the document's kind (Writer, Calc, Impress, Draw).
            request = _Request(self, instance, ["--convert-to", "pdf", "--outdir", str(out_dir),
                                                *map(str, chunk)], sum(_cost(p) for p in chunk))
            instance.queued.append(request)
            requests.append(request)
        self._requests += requests
        return Conversion(self, requests, expected)

    def convert(self, docx_paths: Sequence[Path], out_dir: Path) -> list[Path]:
        """PDFs of ``docx_paths`` in ``out_dir``, in the same order."""
        return self.start(docx_paths, out_dir).wait()

    def _wait(self, requests: list[_Request]) -> list[str]:
        deadline = time.monotonic() + self.timeout
        errors = []
        for request in requests:
            try:
                proc = request.sent(max(0.1, deadline - time.monotonic()))
                if proc is None:
                    raise subprocess.TimeoutExpired("soffice", self.timeout)
                _, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._kill_all()
                raise PdfConversionError(f"PDF への変換が {self.timeout:g} 秒以内に終わりませんでした。") from None
            if proc.returncode:
                errors.append(err.decode(errors="replace").strip())
        return errors


def convert_to_pdf(docx_paths: Sequence[Path], out_dir: Path, *, timeout: float = 120) -> list[Path]:
    """Convert the .docx files to PDFs in ``out_dir``; returns the PDFs in the order of ``docx_paths``."""
    with Converter(timeout=timeout) as converter:
        return converter.convert(docx_paths, out_dir)
