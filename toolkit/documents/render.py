"""Fill a Word template with a context (docxtpl) in a sandboxed, autoescaping Jinja environment.

Autoescape keeps a company called ``A&B <テスト>`` intact (``&amp;`` in the XML, ``&`` in Word) instead of corrupting
the document; the sandbox keeps a template edited by staff from reaching Python internals. Charts arrive in the
context as ``Chart`` values and become docxtpl InlineImages of the document being rendered.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from . import formats


@dataclass(frozen=True)
class Chart:
    """A PNG for the document, with the width it takes on the page."""

    png: bytes
    width_mm: float = 160


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _finalize(value: Any) -> Any:
    # A staff-edited template may name a field that is empty: show nothing rather than "None". A control
    # character pasted into a cell (a vertical tab from Word) would make document.xml unreadable: dropped.
    if value is None:
        return ""
    if isinstance(value, str) and _XML_FORBIDDEN.search(value):
        return _XML_FORBIDDEN.sub("", value)
    return value


class _Environment(SandboxedEnvironment):
    """Compiles each distinct template source once.

    docxtpl hands the whole document XML to ``from_string`` on every render; for twenty plans from one template
    that is twenty identical compilations, most of a render's time. The cache is keyed by the source text, so an
    edited template compiles afresh.
    """

    _MAX = 64  # distinct sources kept: each template's body, header and footer

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002 (jinja's signature)
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) >= self._MAX:
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template


class _DocxTemplate(DocxTemplate):
    """docxtpl's template with its XML clean-up (a pure function of the text) done once per distinct part."""

    _patched: dict[str, str] = {}

    def patch_xml(self, src_xml: str) -> str:
        if len(src_xml) < 4000:
            return super().patch_xml(src_xml)
        patched = self._patched.get(src_xml)
        if patched is None:
            if len(self._patched) >= 32:
                self._patched.clear()
            patched = self._patched[src_xml] = super().patch_xml(src_xml)
        return patched


def make_environment(*, strict: bool = False) -> SandboxedEnvironment:
    """The rendering environment; ``strict`` makes a name the context lacks an error (used by the tests)."""
    options: dict[str, Any] = {"undefined": StrictUndefined} if strict else {}
    env = _Environment(autoescape=True, finalize=_finalize, **options)
    env.filters.update({
        "reiwa": formats.reiwa,
        "yen": formats.yen,
        "pct": formats.pct,
        "number": formats.number,
        "fiscal_year": formats.fiscal_year_label,
    })
    return env


@lru_cache(maxsize=16)
def _template_bytes(path: Path, _mtime_ns: int) -> bytes:
    # Read each template once per run (keyed by mtime so an edited template is picked up).
    return path.read_bytes()


def load_template(path: Path) -> DocxTemplate:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"書類のテンプレートが見つかりません: {path}")
    return _DocxTemplate(io.BytesIO(_template_bytes(path, path.stat().st_mtime_ns)))


def _bind_charts(value: Any, template: DocxTemplate) -> Any:
    """Replace every Chart in the context by an InlineImage of ``template`` (InlineImage is bound to one document)."""
    if isinstance(value, Chart):
        return InlineImage(template, io.BytesIO(value.png), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {k: _bind_charts(v, template) for k, v in value.items()}
    if isinstance(value, list):
        return [_bind_charts(v, template) for v in value]
    return value


def template_variables(path: Path) -> set[str]:
    """The top-level names a template uses (for the coverage test and for staff who edit templates)."""
    return set(load_template(path).get_undeclared_template_variables(jinja_env=make_environment()))


@lru_cache(maxsize=1)
def shared_environment() -> SandboxedEnvironment:
    return make_environment()


def render_docx(template_path: Path, context: dict[str, Any], out_path: Path, *,
                env: SandboxedEnvironment | None = None) -> Path:
    template = load_template(template_path)
    bound = {k: _bind_charts(v, template) for k, v in context.items()}
    template.render(bound, jinja_env=env or shared_environment(), autoescape=True)
    props = template.docx.core_properties  # the template's fixed build date would otherwise show in Word
    props.created = props.modified = datetime.now().replace(microsecond=0)
    template.save(out_path)
    return out_path
