"""The 履歴 (AuditLog) row every toolkit write adds, built in one place through the contract's headers."""
from __future__ import annotations

from datetime import datetime

from toolkit import schema


def audit_row(at: datetime, operation: str, sheet: str = "", key: str = "", detail: str = "") -> dict[str, object]:
    return dict(zip(schema.AUDIT_LOG.headers, (at, operation, sheet, key, detail)))
