"""Where the master workbook lives: a file on this computer, or a file in SharePoint / OneDrive (a URL).

Every command's WORKBOOK goes through ``parse_workbook``; ``toolkit.load`` reads it and the jobs write it through a
destination ("rewrite this sheet, append these rows": ``toolkit.summary.refresh_book``, ``toolkit.graph.sync``):

- a local file is read by ``toolkit.workbook.read`` and written by the zip patcher (atomic replace, backups,
  the owner-file lock);
- a SharePoint / OneDrive file is downloaded (cached by cTag) and read by the same reader, and written through
  the Excel workbook API in a session (``toolkit.workbook.cloud``), so edits merge with people co-authoring it.

A URL is what staff copy: a share link (``https://contoso.sharepoint.com/:x:/s/site/Eab…?e=…``) or the file's
address from Excel's 「リンクのコピー」/「パスのコピー」 (``https://contoso.sharepoint.com/sites/site/Shared
Documents/マスター.xlsx?web=1``, spaces and Japanese unencoded).
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from toolkit.errors import UsageError

# Characters people paste around an address (quotes from Explorer's "copy as path", angle brackets from mail).
_WRAPPERS = "\"'<>「」 \t\r\n"


class CloudUrl(str):
    """The address of a workbook in SharePoint / OneDrive, as given (a ``str``, so it prints as typed)."""

    @property
    def name(self) -> str:
        """The file name when the address shows it (``マスター.xlsx``), else the share link's last part."""
        parts = PurePosixPath(unquote(urlsplit(self).path)).parts
        return parts[-1] if len(parts) > 1 else str(self)


Location = Path | CloudUrl


def is_url(text: object) -> bool:
    return isinstance(text, str) and text.strip(_WRAPPERS).lower().startswith(("https://", "http://"))


def parse_workbook(text: str | os.PathLike) -> Location:
    """A WORKBOOK argument as a local path or a SharePoint / OneDrive address (spaces and non-ASCII encoded the
    way Graph's share encoding expects; an address already encoded is left as it is)."""
    if isinstance(text, (Path, CloudUrl)):
        return text
    raw = os.fspath(text)
    if not is_url(raw):
        return Path(raw)
    from requests.utils import requote_uri

    url = raw.strip(_WRAPPERS)
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.netloc:
        raise UsageError(f"「{url}」は https:// で始まる SharePoint / OneDrive のアドレスではありません。")
    return CloudUrl(requote_uri(url))


def is_cloud(location: object) -> bool:
    return isinstance(location, CloudUrl)


def display_name(location: Location) -> str:
    return location.name if isinstance(location, (Path, CloudUrl)) else str(location)


# ---------------------------------------------------------------- files kept for a workbook in the cloud

def cloud_files(key: str, name: str, env: Mapping[str, str] = os.environ) -> Path:
    """A stand-in path for a SharePoint workbook's sync files (queue, state, lock: ``toolkit.graph.queue`` puts
    them beside it), in the user's own configuration folder: they hold personal data, like the workbook."""
    from toolkit.graph.auth import config_dir
    from toolkit.private import private_folder

    folder = config_dir(env) / "cloud" / hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    private_folder(folder)
    return folder / (name or "workbook.xlsx")
