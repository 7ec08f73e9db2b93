"""The consulting materials a support record links to (支援記録.資料リンク, seed 5(2)イ).

A link is a path — relative to the workbook's folder, or absolute — or a SharePoint / OneDrive address; one per
line. Local files are read here; a cloud link is fetched through Graph by the caller that has a client.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from toolkit.model import SupportRecord


def links(record: SupportRecord) -> list[str]:
    """The record's links, in order, without blank lines or surrounding spaces (Alt+Enter separates them)."""
    return [line.strip() for line in (record.links or "").splitlines() if line.strip()]


def is_cloud(link: str) -> bool:
    return link.lower().startswith(("https://", "http://"))


def local_path(link: str, folder: Path) -> Path:
    """A local link as a path: relative to ``folder`` (the workbook's), ``file://`` and Windows separators allowed."""
    if link.lower().startswith("file:"):
        link = unquote(urlsplit(link).path)
    path = Path(link.replace("\\", "/"))
    return path if path.is_absolute() else folder / path


def file_name(link: str) -> str:
    """The file name a link ends in (a cloud address's last path segment)."""
    if is_cloud(link):
        return unquote(urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]) or "資料"
    return Path(link.replace("\\", "/")).name


def local_exists(folder: Path):
    """The check's link predicate for a book in ``folder``: a local file exists or not; a cloud link is not
    looked up (None) unless ``toolkit check --links`` asks Graph. Each link once: records of one company name the
    same handful of files again and again."""
    @functools.cache
    def exists(link: str) -> bool | None:
        return None if is_cloud(link) else local_path(link, folder).is_file()
    return exists


def _graph_exists(client: Callable[[], object], folder: Path | None):
    from toolkit.graph.client import NotFound
    from toolkit.graph.forms import resolve_share

    found: dict[str, bool] = {}

    def exists(link: str) -> bool | None:
        if not is_cloud(link):
            return None if folder is None else local_path(link, folder).is_file()
        if link not in found:
            try:
                resolve_share(client(), link, what=f"資料リンク {link}")
                found[link] = True
            except NotFound:
                found[link] = False
        return found[link]
    return exists


@contextmanager
def link_predicate(program, location, *, cloud: bool) -> Iterator[Callable[[str], bool | None]]:
    """How `check` tells whether a link resolves: local paths beside a book on this computer (a book opened from
    SharePoint has no folder: its relative links are not looked up); cloud links through Graph with ``cloud``."""
    from toolkit.workbook.location import is_cloud as is_cloud_book

    folder = None if is_cloud_book(location) else Path(location).resolve().parent
    if not cloud:
        yield (lambda link: None) if folder is None else local_exists(folder)
        return
    from toolkit.graph.sync import make_client

    made: list = []  # signed in only when a cloud link is met: a book without one needs no tenant

    def client():
        if not made:
            made.append(make_client(program))
        return made[0]

    try:
        yield _graph_exists(client, folder)
    finally:
        for c in made:
            c.session.close()
