"""The one exception of the sync: its message is Japanese and is shown to staff as is (CLI exit status 2)."""
from __future__ import annotations


class SyncError(Exception):
    """The sync could not be completed; nothing was written to the workbook."""


class AuthError(SyncError):
    """Signing in failed: configuration, secret, consent, tenant, or the sign-in expired."""
