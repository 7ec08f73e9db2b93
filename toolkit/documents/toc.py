"""Where headings fall in a finished PDF: the page numbers of a 目次.

LibreOffice prints a Word TOC field with the entries it was saved with and does not update it, so the numbers are
read from the PDF and written into the field's entries before the final conversion. LibreOffice exports each
heading as a PDF bookmark with its page, so the numbers come from the bookmarks (pypdf), exact and quick; text
search would also find a heading's words where the body mentions them.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

_SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Text compared without spacing or width differences."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def bookmarks(pdf: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of every bookmark, in document order."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    out: list[tuple[str, int]] = []

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                page = reader.get_destination_page_number(item)
                if page is not None and page >= 0:
                    out.append((str(item.title), page + 1))

    walk(reader.outline)
    return out


def heading_pages(pdf: Path, titles: Sequence[str]) -> dict[str, int]:
    """1-based page of each title that is a heading of ``pdf`` (the first heading of that text)."""
    found: dict[str, int] = {}
    for title, page in bookmarks(pdf):
        found.setdefault(squeeze(title), page)
    return {t: found[squeeze(t)] for t in titles if squeeze(t) in found}
