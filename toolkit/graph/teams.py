"""Teams attendance: online meetings and their attendance reports, webinars and town halls (virtual events).

- Meetings are looked up under the organizer's **object ID** (``/users/{id}/onlineMeetings``; staff type a UPN,
  resolved once with ``/users/{upn}``), or under ``/me`` with a delegated token.
- A meeting is found by its join URL (``JoinWebUrl``); a short link (``https://teams.microsoft.com/meet/<id>``)
  may not match it, so ``joinMeetingIdSettings/joinMeetingId`` is tried next.
- A recurring or channel meeting returns every session's report: only reports whose ``meetingStartDateTime``
  falls on the event's 開催日 (Japan time) are kept.
- Webinars and town halls are virtual events: the session whose ``joinWebUrl`` is the event's link gives the
  attendance; a webinar's registrations are the 申込.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from toolkit.errors import GraphError
from toolkit.graph.client import Forbidden, GraphClient, NotFound

JAPAN = timezone(timedelta(hours=9))  # no daylight saving: a fixed offset needs no tz database (Windows)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SHORT_LINK = re.compile(r"^/meet/(\d+)/?$")
VIRTUAL_EVENT_KINDS = ("webinars", "townhalls")


class AttendanceRecord(NamedTuple):
    report_id: str
    record_id: str
    email: str | None
    name: str | None
    seconds: float | None
    role: str | None


class Registration(NamedTuple):
    id: str
    email: str | None
    name: str | None
    status: str  # registered, canceled, waitlisted, pendingApproval, rejectedByOrganizer, …


class SessionRef(NamedTuple):
    kind: str  # "webinars" or "townhalls"
    event_id: str
    session_id: str


def _odata_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


# ---------------------------------------------------------------- the organizer

def resolve_organizer(client: GraphClient, organizer: str, known: dict[str, str], *, what: str) -> str:
    """The organizer's object ID: as typed when it is one, else looked up once by UPN (``known`` caches it)."""
    organizer = organizer.strip()
    if _GUID.match(organizer):
        return organizer
    key = organizer.casefold()
    if key in known:
        return known[key]
    try:
        body = client.get_json(f"users/{quote(organizer, safe='@')}", what=what, params={"$select": "id"})
    except NotFound:
        raise GraphError(f"{what}: 設定シートの「Teams主催者」（{organizer}）のユーザーが見つかりません。"
                        "UPN かオブジェクトIDを確認してください。") from None
    object_id = body.get("id")
    if not isinstance(object_id, str) or not object_id:
        raise GraphError(f"{what}: ユーザー情報にオブジェクトIDがありません（形式が想定と違います）。")
    known[key] = object_id
    return object_id


def meetings_base(client: GraphClient, organizer_id: str | None) -> str:
    """``me`` for a delegated token (the signed-in person's meetings), else ``users/{object id}``."""
    return "me" if client.delegated else f"users/{quote(organizer_id or '', safe='')}"


# ---------------------------------------------------------------- meetings

def short_link_id(join_url: str) -> str | None:
    """The joinMeetingId of a short Teams link ``https://teams.microsoft.com/meet/<digits>?p=…``."""
    m = _SHORT_LINK.match(urlsplit(join_url.strip()).path)
    return m.group(1) if m else None


def find_meeting(client: GraphClient, base: str, join_url: str, *, what: str) -> str | None:
    filters = [f"JoinWebUrl eq {_odata_quote(join_url.strip())}"]
    short = short_link_id(join_url)
    if short:
        filters.append(f"joinMeetingIdSettings/joinMeetingId eq {_odata_quote(short)}")
    for flt in filters:
        body = client.get_json(f"{base}/onlineMeetings", what=what, params={"$filter": flt})
        values = body.get("value")
        if not isinstance(values, list):
            raise GraphError(f"{what}: 会議の検索結果の形式が想定と違います。")
        if values:
            meeting_id = values[0].get("id") if isinstance(values[0], dict) else None
            if not isinstance(meeting_id, str) or not meeting_id:
                raise GraphError(f"{what}: 会議の検索結果に会議 ID がありません。")
            return meeting_id
    return None


def _on_day(stamp: object, day: date | None) -> bool:
    """Whether an ISO timestamp (UTC) falls on ``day`` in Japan; no day given keeps everything."""
    if day is None:
        return True
    if isinstance(stamp, dict):  # dateTimeTimeZone of a virtual event session
        stamp = stamp.get("dateTime")
    if not isinstance(stamp, str) or not stamp:
        return False
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(JAPAN).date() == day


def _records(client: GraphClient, reports_url: str, day: date | None, *, what: str) -> Iterator[AttendanceRecord]:
    for report in client.iter_values(reports_url, what=what):
        report_id = report.get("id")
        if not isinstance(report_id, str) or not report_id:
            raise GraphError(f"{what}: 出席レポートに ID がありません（形式が想定と違います）。")
        if not _on_day(report.get("meetingStartDateTime"), day):
            continue  # another session of a recurring or channel meeting
        url = f"{reports_url}/{quote(report_id, safe='')}/attendanceRecords"
        for record in client.iter_values(url, what=what):
            record_id = record.get("id")
            if not isinstance(record_id, str) or not record_id:
                raise GraphError(f"{what}: 出席記録に ID がありません（形式が想定と違います）。")
            identity = record.get("identity") if isinstance(record.get("identity"), dict) else {}
            seconds = record.get("totalAttendanceInSeconds")
            yield AttendanceRecord(
                report_id, record_id, _text(record.get("emailAddress")), _text(identity.get("displayName")),
                float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None,
                _text(record.get("role")))


def meeting_attendance(client: GraphClient, base: str, meeting_id: str, day: date | None, *,
                       what: str) -> list[AttendanceRecord]:
    url = f"{base}/onlineMeetings/{quote(meeting_id, safe='')}/attendanceReports"
    return list(_records(client, url, day, what=what))


# ---------------------------------------------------------------- webinars and town halls

def _same_link(a: str, b: str) -> bool:
    """Join links compared by their decoded path (the query carries context that may be encoded differently)."""
    pa, pb = urlsplit(unquote(a.strip())), urlsplit(unquote(b.strip()))
    return (pa.netloc.casefold(), pa.path.rstrip("/")) == (pb.netloc.casefold(), pb.path.rstrip("/"))


class VirtualEvents:
    """The organizer's webinars and town halls, listed once per run and searched by join link."""

    def __init__(self, client: GraphClient, organizer_id: str | None):
        self.client = client
        self.organizer_id = organizer_id
        self._sessions: list[tuple[SessionRef, str]] | None = None

    def _list(self, what: str) -> list[tuple[SessionRef, str]]:
        sessions: list[tuple[SessionRef, str]] = []
        for kind in VIRTUAL_EVENT_KINDS:
            if self.client.delegated:
                url = f"solutions/virtualEvents/{kind}/getByUserRole(role='organizer')"
            else:
                url = (f"solutions/virtualEvents/{kind}/getByUserIdAndRole("
                       f"userId={_odata_quote(self.organizer_id or '')},role='organizer')")
            for event in self.client.iter_values(url, what=what):
                event_id = event.get("id")
                if not isinstance(event_id, str) or not event_id:
                    continue
                base = f"solutions/virtualEvents/{kind}/{quote(event_id, safe='')}/sessions"
                for session in self.client.iter_values(base, what=what):
                    link, session_id = session.get("joinWebUrl"), session.get("id")
                    if isinstance(link, str) and isinstance(session_id, str):
                        sessions.append((SessionRef(kind, event_id, session_id), link))
        return sessions

    def find(self, join_url: str, *, what: str) -> SessionRef | None:
        if self._sessions is None:
            try:
                self._sessions = self._list(what)
            except (NotFound, Forbidden):
                # No VirtualEvent permission (or no webinars visible): the link is looked up as a meeting.
                self._sessions = []
        return next((ref for ref, link in self._sessions if _same_link(link, join_url)), None)


def session_attendance(client: GraphClient, ref: SessionRef, day: date | None, *,
                       what: str) -> list[AttendanceRecord]:
    url = (f"solutions/virtualEvents/{ref.kind}/{quote(ref.event_id, safe='')}/sessions/"
           f"{quote(ref.session_id, safe='')}/attendanceReports")
    return list(_records(client, url, day, what=what))


def registrations(client: GraphClient, ref: SessionRef, *, what: str) -> list[Registration]:
    """A webinar's registrations (town halls take none)."""
    if ref.kind != "webinars":
        return []
    url = f"solutions/virtualEvents/webinars/{quote(ref.event_id, safe='')}/registrations"
    found = []
    for item in client.iter_values(url, what=what):
        reg_id = item.get("id")
        if not isinstance(reg_id, str) or not reg_id:
            raise GraphError(f"{what}: 登録情報に ID がありません（形式が想定と違います）。")
        name = " ".join(p for p in (_text(item.get("lastName")), _text(item.get("firstName"))) if p) or None
        found.append(Registration(reg_id, _text(item.get("email")), name, _text(item.get("status")) or ""))
    return found
