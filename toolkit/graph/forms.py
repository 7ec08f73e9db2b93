"""Microsoft Forms result workbooks: resolve the share link, download the file, read its table of responses.

Forms has no Graph API for responses; it keeps a result workbook in OneDrive/SharePoint. Its table starts with
Forms' own columns — ``ID`` (or ``Id``), ``Start time``, ``Completion time``, ``Email``, ``Name`` and, in newer
forms, ``Last modified time`` (Japanese tenants: ``ID``, ``開始時刻``, ``完了時刻``, ``メール``, ``名前``,
``最終変更時刻``) — then one column per question, titled by the question. A title used twice gets a number
(``名前2``): the question "名前" beside Forms' own 名前 column. Columns are found by title, never by position,
case and width folded.
"""
from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from toolkit.errors import GraphError
from toolkit.graph.client import Forbidden, GraphClient, NotFound
from toolkit.normalize import Invalid, parse_date
from toolkit.schema import fold

# Forms' own columns: role -> titles (English, Japanese).
OWN_COLUMNS = {
    "id": ("ID",),
    "start": ("Start time", "開始時刻"),
    "completion": ("Completion time", "完了時刻"),
    "email": ("Email", "メール", "電子メール"),
    "name": ("Name", "名前"),
    "modified": ("Last modified time", "最終変更時刻"),
}
_ENGLISH_OWN = {fold(t).casefold() for titles in OWN_COLUMNS.values() for t in titles if t.isascii()} - {"id"}
_OWN_BY_TITLE = {fold(t).casefold(): role for role, titles in OWN_COLUMNS.items() for t in titles}
_SUFFIX = re.compile(r"^(.*\D)(\d+)$")


def title_key(text: object) -> str:
    """A column title as compared: NFKC, no spaces, case folded (``Id`` = ``ID``, ``Ｅｍａｉｌ`` = ``email``)."""
    return fold(str(text)).casefold()


def share_id(url: str) -> str:
    """Graph's encoding of a sharing URL: ``u!`` + unpadded base64url of the URL."""
    encoded = base64.urlsafe_b64encode(url.strip().encode("utf-8")).decode("ascii")
    return "u!" + encoded.rstrip("=")


class DriveItem(NamedTuple):
    id: str
    drive_id: str
    name: str
    ctag: str | None
    modified: datetime | None = None  # lastModifiedDateTime: when a Forms result workbook last took a response


@dataclass(frozen=True)
class FormTable:
    """The responses of a Forms result workbook: header texts, raw rows, where Forms' own columns are."""

    item: DriveItem
    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    own: dict[str, int] = field(default_factory=dict)  # role ("id", "email", …) -> column index
    questions: dict[str, int] = field(default_factory=dict)  # title key -> first column of that question
    english: bool = False  # Forms' own titles are English: text dates are M/D/YYYY

    def column(self, titles) -> int | None:
        """The first question column titled by one of ``titles`` (a numbered duplicate title counts)."""
        for title in titles:
            index = self.questions.get(title_key(title))
            if index is not None:
                return index
        return None


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _layout(headers: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int], bool]:
    """Forms' own columns (the leading run of known titles) and the question columns after them."""
    own: dict[str, int] = {}
    index = 0
    while index < len(headers):
        role = _OWN_BY_TITLE.get(title_key(headers[index]))
        if role is None or role in own:
            break
        own[role] = index
        index += 1
    english = any(title_key(headers[i]) in _ENGLISH_OWN for i in own.values())
    questions: dict[str, int] = {}
    seen = {title_key(h) for h in headers[:index]}
    for i in range(index, len(headers)):
        key = title_key(headers[i])
        if not key:
            continue
        m = _SUFFIX.match(key)
        # "名前2" is the question "名前" when 名前 came earlier (Forms' own column or an earlier question).
        base = m.group(1) if m and m.group(1) in seen else key
        questions.setdefault(base, i)
        seen.add(key)
    return own, questions, english


def resolve_share(client: GraphClient, url: str, *, what: str) -> DriveItem:
    """The drive item a SharePoint / OneDrive address names.

    ``/shares/{id}/driveItem`` first (it takes share links and paths alike); its documented least permission
    is Files.Read.All / Files.ReadWrite.All, so an app granted only Sites.Selected on the site gets a 403 there.
    A file's path (Excel's 「パスのコピー」: ``https://host/sites/site/Shared Documents/file.xlsx``) is then
    resolved inside the site, which Sites.Selected covers: ``GET /sites/{host}:/{site path}`` (site-getbypath),
    ``GET /sites/{id}/drives`` (drive-list) for the library whose webUrl the path starts with, then
    ``GET /drives/{id}/root:/{path in the library}`` (driveitem-get). A share link (``/:x:/s/…``) names no
    path: it needs /shares."""
    try:
        body = client.get_json(f"shares/{share_id(url)}/driveItem", what=what)
    except Forbidden:
        if is_share_link(url):
            raise Forbidden(f"{what}: 共有リンク（/:x:/…）はアプリのアクセス許可 Files.Read.All 以上でないと解決できません"
                            "（Sites.Selected だけでは不可）。ブックを Excel で開き「ファイル」→「情報」→"
                            "「パスのコピー」のアドレスに置き換えてください（docs/sync.md の 2.2）。") from None
        body = _item_by_path(client, url, what)
    return _drive_item(body, what)


def _drive_item(body: dict, what: str) -> DriveItem:
    parent = body.get("parentReference") if isinstance(body.get("parentReference"), dict) else {}
    item_id, drive_id = body.get("id"), parent.get("driveId")
    if not isinstance(item_id, str) or not item_id or not isinstance(drive_id, str) or not drive_id:
        raise GraphError(f"{what}: ファイルの情報に ID がありません（応答の形式が想定と違います）。")
    return DriveItem(item_id, drive_id, str(body.get("name") or ""), body.get("cTag"),
                     _modified(body.get("lastModifiedDateTime")))


def is_share_link(url: str) -> bool:
    """``https://host/:x:/s/site/Eab…``: a sharing link, not a file's path."""
    return bool(re.match(r"^/:[a-z]:/", urlsplit(url).path))


# The URL path prefixes of a SharePoint site (the root site has none): /sites/{name}, /teams/{name}, and a
# OneDrive, /personal/{name}.
_SITE_PREFIX = re.compile(r"^/(sites|teams|personal)/[^/]+")


def _item_by_path(client: GraphClient, url: str, what: str) -> dict:
    parts = urlsplit(url)
    path = unquote(parts.path)
    m = _SITE_PREFIX.match(path)
    site_path = m.group(0) if m else ""
    site = client.get_json(f"sites/{parts.hostname}:{quote(site_path)}" if site_path else f"sites/{parts.hostname}",
                           what=what, params={"$select": "id,webUrl"})
    site_id = site.get("id")
    if not isinstance(site_id, str) or not site_id:
        raise GraphError(f"{what}: サイトの情報に ID がありません（応答の形式が想定と違います）。")
    rest = path[len(site_path):]
    for drive in client.iter_values(f"sites/{quote(site_id, safe=',')}/drives", what=what,
                                    params={"$select": "id,webUrl"}):
        library = unquote(urlsplit(str(drive.get("webUrl") or "")).path)[len(site_path):].rstrip("/")
        if library and (rest == library or rest.startswith(library + "/")) and isinstance(drive.get("id"), str):
            inside = rest[len(library):].strip("/")
            return client.get_json(f"drives/{quote(drive['id'], safe='')}/root:/{quote(inside)}", what=what)
    raise NotFound(f"{what}: サイトの中にこのアドレスのドキュメント ライブラリが見つかりません。アドレスを確認してください。")


def _modified(value: object) -> datetime | None:
    """Graph's ``lastModifiedDateTime`` (ISO 8601, UTC) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def download_item(client: GraphClient, item: DriveItem, *, what: str) -> bytes:
    return client.download(f"drives/{quote(item.drive_id, safe='')}/items/{quote(item.id, safe='')}/content",
                           what=what)


def parse_form_workbook(data: bytes, item: DriveItem, *, what: str) -> FormTable:
    """The response table of a Forms result workbook: the first sheet whose header row has an ``ID`` column."""
    import zipfile

    from python_calamine import CalamineError, CalamineWorkbook

    from toolkit.workbook.xlsx import PatchError, check_sizes

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            check_sizes(package.infolist())  # nothing is inflated from a bomb, whoever put it in the library
    except PatchError as exc:
        raise GraphError(f"{what}: {exc}") from None
    except (zipfile.BadZipFile, OSError, ValueError):
        pass  # not a zip: calamine says so below
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError):  # every kind of unreadable file
        raise GraphError(f"{what}: ダウンロードしたフォーム結果ブックを Excel ブックとして読めません。") from None
    try:
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=True)
            for index, row in enumerate(rows[:10]):  # the header is the first row of Forms' table
                headers = tuple("" if _is_blank(c) else str(c).strip() for c in row)
                own, questions, english = _layout(headers)
                if "id" in own:
                    body = tuple(tuple(r) for r in rows[index + 1:] if not all(_is_blank(c) for c in r))
                    return FormTable(item, headers, body, own, questions, english)
    except (CalamineError, ValueError, OSError):
        raise GraphError(f"{what}: フォーム結果ブックの読み込み中にエラーが発生しました。") from None
    finally:
        book.close()
    raise GraphError(f"{what}: フォーム結果ブックに「ID」列のある表が見つかりません。"
                    "Forms の「Excel で開く」で作られたブックの共有リンクか確認してください。")


# ---------------------------------------------------------------- answers as values

_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?)?\s*$")


def form_date(value: object, english: bool) -> date | None:
    """A date answered in a form. English-locale forms write text dates as M/D/YYYY (a time may follow)."""
    if english and isinstance(value, str):
        m = _US_DATE.match(value)
        if m:
            month, day, year = (int(g) for g in m.groups()[:3])
            try:
                return date(year, month, day)
            except ValueError:
                raise Invalid("存在しない日付です") from None
    return parse_date(value)
