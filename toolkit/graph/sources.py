"""Fetch what the sync reads: Forms result workbooks (through their share links) and Teams attendance reports.

Microsoft Forms has no Graph API for responses; it keeps a result workbook in OneDrive/SharePoint. We resolve
its share link to a drive item, compare the item's cTag with the last successful sync, download the file
and read its first table of responses. Teams attendance comes from the online meeting's attendance reports.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote

from toolkit.graph.client import GraphClient
from toolkit.errors import SyncError


def share_id(url: str) -> str:
    """Graph's encoding of a sharing URL: ``u!`` + unpadded base64url of the URL."""
    encoded = base64.urlsafe_b64encode(url.strip().encode("utf-8")).decode("ascii")
    return "u!" + encoded.rstrip("=")


class DriveItem(NamedTuple):
    id: str
    drive_id: str
    name: str
    ctag: str | None
    etag: str | None


@dataclass(frozen=True)
class FormTable:
    """The responses of a Forms result workbook: header texts and the rows under them (raw cell values)."""

    item: DriveItem
    headers: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]


def resolve_share(client: GraphClient, url: str, *, what: str) -> DriveItem:
    body = client.get_json(f"shares/{share_id(url)}/driveItem", what=what)
    parent = body.get("parentReference") if isinstance(body.get("parentReference"), dict) else {}
    item_id, drive_id = body.get("id"), parent.get("driveId")
    if not isinstance(item_id, str) or not item_id or not isinstance(drive_id, str) or not drive_id:
        raise SyncError(f"{what}: 共有リンクの応答にファイルの ID がありません（形式が想定と違います）。")
    return DriveItem(item_id, drive_id, str(body.get("name") or ""), body.get("cTag"), body.get("eTag"))


def download_item(client: GraphClient, item: DriveItem, *, what: str) -> bytes:
    return client.download(f"drives/{quote(item.drive_id, safe='')}/items/{quote(item.id, safe='')}/content",
                           what=what)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_form_workbook(data: bytes, item: DriveItem, *, id_header: str = "ID", what: str) -> FormTable:
    """The response table of a Forms result workbook: the first sheet whose header row has an ``ID`` column."""
    from python_calamine import CalamineError, CalamineWorkbook

    from toolkit.schema import fold

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError):  # every kind of unreadable file
        raise SyncError(f"{what}: ダウンロードしたフォーム結果ブックを Excel ブックとして読めません。") from None
    try:
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=True)
            for index, row in enumerate(rows[:10]):  # the header is the first row of Forms' table
                headers = tuple("" if _is_blank(c) else str(c).strip() for c in row)
                if fold(id_header) in {fold(h) for h in headers}:
                    body = tuple(tuple(r) for r in rows[index + 1:] if not all(_is_blank(c) for c in r))
                    return FormTable(item, headers, body)
    except (CalamineError, ValueError, OSError):
        raise SyncError(f"{what}: フォーム結果ブックの読み込み中にエラーが発生しました。") from None
    finally:
        book.close()
    raise SyncError(f"{what}: フォーム結果ブックに「{id_header}」列のある表が見つかりません。"
                    "Forms の「Excel で開く」で作られたブックの共有リンクか確認してください。")


# ---------------------------------------------------------------- Teams

class AttendanceRecord(NamedTuple):
    report_id: str
    email: str | None
    name: str | None
    seconds: float | None
    role: str | None
    record_id: str | None


def _odata_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def find_meeting(client: GraphClient, organizer: str, join_url: str, *, what: str) -> str | None:
    body = client.get_json(f"users/{quote(organizer, safe='@')}/onlineMeetings", what=what,
                           params={"$filter": f"JoinWebUrl eq {_odata_quote(join_url.strip())}"})
    values = body.get("value")
    if not isinstance(values, list):
        raise SyncError(f"{what}: 会議の検索結果の形式が想定と違います。")
    if not values:
        return None
    meeting_id = values[0].get("id") if isinstance(values[0], dict) else None
    if not isinstance(meeting_id, str) or not meeting_id:
        raise SyncError(f"{what}: 会議の検索結果に会議 ID がありません。")
    return meeting_id


def fetch_attendance(client: GraphClient, organizer: str, meeting_id: str, *, what: str) -> list[AttendanceRecord]:
    base = f"users/{quote(organizer, safe='@')}/onlineMeetings/{quote(meeting_id, safe='')}/attendanceReports"
    records: list[AttendanceRecord] = []
    for report in client.iter_values(base, what=what):
        report_id = report.get("id")
        if not isinstance(report_id, str) or not report_id:
            raise SyncError(f"{what}: 出席レポートに ID がありません（形式が想定と違います）。")
        url = f"{base}/{quote(report_id, safe='')}/attendanceRecords"
        for record in client.iter_values(url, what=what):
            identity = record.get("identity") if isinstance(record.get("identity"), dict) else {}
            seconds = record.get("totalAttendanceInSeconds")
            records.append(AttendanceRecord(
                report_id,
                record.get("emailAddress") or None,
                identity.get("displayName") or None,
                float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None,
                record.get("role") or None,
                record.get("id") or None,
            ))
    return records
