"""The consulting materials a support record links to (支援記録.資料リンク, seed 5(2)イ).

A link is a path — relative to the workbook's folder, or absolute — or a SharePoint / OneDrive address; one per
line. Local files are read here; a cloud link is fetched through Graph by the caller that has a client.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from toolkit.model import SupportRecord


def links(record: SupportRecord) -> list[str]:
    """The record's links, in order, without blank lines or surrounding spaces (Alt+Enter separates them)."""
    return [line.strip() for line in (record.links or "").splitlines() if line.strip()]


def is_cloud(link: str) -> bool:
    return link.lower().startswith(("https://", "http://"))


def local_file(link: str, folder: Path | None) -> Path | None:
    """A local link as a path: relative to ``folder`` (the workbook's), ``file://`` and Windows separators allowed;
    None for a relative link when the book has no folder (opened from SharePoint)."""
    if link.lower().startswith("file:"):
        link = unquote(urlsplit(link).path)
    path = Path(link.replace("\\", "/"))
    if path.is_absolute():
        return path
    return None if folder is None else folder / path


def file_name(link: str) -> str:
    """The file name a link ends in (a cloud address's last path segment)."""
    if is_cloud(link):
        return unquote(urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]) or "資料"
    return Path(link.replace("\\", "/")).name


def _predicate(folder: Path | None, resolves: Callable[[str], bool] | None = None):
    """Whether a link resolves: a local file beside a book in ``folder`` (None, not looked up, without a folder);
    a cloud link through ``resolves`` (None without it). Each link once: records of one company name the same
    handful of files again and again."""
    @functools.cache
    def exists(link: str) -> bool | None:
        if is_cloud(link):
            return None if resolves is None else resolves(link)
        return None if folder is None else local_file(link, folder).is_file()
    return exists


def local_exists(folder: Path) -> Callable[[str], bool | None]:
    """The check's link predicate for a book in ``folder``: local files only (``check --links`` adds the cloud)."""
    return _predicate(folder)


@contextmanager
def graph_client(program, env: Mapping[str, str] = os.environ) -> Iterator[Callable[[], object]]:
    """A Graph client with the sync's sign-in, made when first asked for (a book whose links are all local needs
    no tenant), its session closed at the end."""
    from toolkit.graph.sync import make_client

    made: list = []

    def client():
        if not made:
            made.append(make_client(program, env=env))
        return made[0]

    try:
        yield client
    finally:
        for c in made:
            c.session.close()


@contextmanager
def link_predicate(program, location, *, cloud: bool,
                   env: Mapping[str, str] = os.environ) -> Iterator[Callable[[str], bool | None]]:
    """How `check` tells whether a link resolves: local paths beside a book on this computer (a book opened from
    SharePoint has no folder: its local links are not looked up); cloud links through Graph with ``cloud``."""
    from toolkit.workbook.location import is_cloud as is_cloud_book

    folder = None if is_cloud_book(location) else Path(location).resolve().parent
    if not cloud:
        yield _predicate(folder)
        return
    from toolkit.graph.client import NotFound
    from toolkit.graph.forms import resolve_share

    with graph_client(program, env) as client:
        def resolves(link: str) -> bool:
            try:
                resolve_share(client(), link, what=f"資料リンク {link}")
                return True
            except NotFound:
                return False

        yield _predicate(folder, resolves)
