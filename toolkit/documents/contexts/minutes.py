"""会議記録: one meeting with the city (the wording is in 会議記録.docx)."""
from __future__ import annotations

from datetime import date

from toolkit.model import Meeting, Program

from ..formats import free_text, or_dash, reiwa
from .base import WEEKDAYS, common


def ordered(program: Program) -> list[Meeting]:
    return sorted(program.meetings, key=lambda m: (m.date, m.row))


def attendees(meeting: Meeting) -> str:
    """Who attended, 委託者 and 受託者 on their own lines when staff split them, else the older 出席者 column."""
    sides = [f"{side}：{free_text(names)}" for side, names in (("委託者", meeting.client_attendees),
                                                               ("受託者", meeting.contractor_attendees)) if names]
    return "\n".join(sides) if sides else or_dash(meeting.attendees)


def meeting_context(program: Program, meeting: Meeting, issued_on: date, number: int) -> dict:
    """``issued_on`` is the document date; the minutes show their own 作成日 when staff filled it."""
    return {
        **common(program, issued_on),
        "meeting": {
            "id": meeting.meeting_id, "number": number,
            "date": reiwa(meeting.date), "weekday": WEEKDAYS[meeting.date.weekday()], "time": free_text(meeting.time),
            "style": or_dash(meeting.style), "venue": or_dash(meeting.venue), "attendees": attendees(meeting),
            "remarks": or_dash(meeting.remarks),
            "agenda": or_dash(meeting.agenda), "reports": or_dash(meeting.reports),
            "decisions": or_dash(meeting.decisions), "issues": or_dash(meeting.issues),
            "next": or_dash(meeting.next_meeting),
            "written_on": meeting.written_on or issued_on,
        },
    }
