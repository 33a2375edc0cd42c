"""Domain errors the services raise; the API and the pages turn them into 409 / 400 / 413 with the message."""
from __future__ import annotations

from collections.abc import Iterable


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
