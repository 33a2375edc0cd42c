"""Domain errors the services raise; the API and the pages turn them into 409 / 400 / 413 with the message.
What the server cannot do right now (a locked database, a media folder it cannot write) is answered by
`review.middleware.Unavailable` (503 / 507) with the reason."""
from __future__ import annotations

import errno
from collections.abc import Iterable

from django.db import OperationalError


class Conflict(Exception):
    """The request is valid but clashes with the current state (already decided, superseded, in use)."""


class TransitionNotAllowed(Conflict):
    """A shot cannot move from its current status to the one asked for."""

    def __init__(self, *, current: str, target: str, allowed: Iterable[str], why: str = "") -> None:
        self.current, self.target, self.allowed = current, target, sorted(allowed)
        allowed_text = ", ".join(self.allowed) or "none"
        super().__init__(f"cannot move a shot from {current} to {target}{why}; allowed from {current}: {allowed_text}")


class UploadRejected(Exception):
    """An uploaded file is not what it claims to be, is broken, or is too large (status 413)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class MediaUnwritable(Exception):
    """The media folder (MEDIA_ROOT) refused a write: full (507) or read-only / not permitted (503). The
    message names the setting, never the server's path."""

    FULL = frozenset({errno.ENOSPC, errno.EDQUOT})

    def __init__(self, error: OSError) -> None:
        full = error.errno in self.FULL
        problem = "is full" if full else f"cannot be written to ({error.strerror or 'refused'})"
        super().__init__(f"the upload could not be stored: the media folder (MEDIA_ROOT) {problem}; the site's "
                         f"administrator must {'free space there' if full else 'make it writable'}")
        self.status = 507 if full else 503


def database_busy(exc: BaseException) -> bool:
    """Whether a database error means another writer held the lock too long (SQLite's "database is locked",
    PostgreSQL's lock timeout): the request or job is worth trying again, it did nothing wrong."""
    return isinstance(exc, OperationalError) and (
        "database is locked" in str(exc) or getattr(exc.__cause__, "sqlstate", None) == "55P03")
