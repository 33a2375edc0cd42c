"""Long-running management commands (serve, demo_site) stop on Ctrl-C or SIGTERM by polling a flag, so they
can stop their child processes together instead of dying half-way."""
from __future__ import annotations

import signal


class StopRequest:
    """Becomes true on SIGINT or SIGTERM (installed on creation)."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGINT, self._request)
        signal.signal(signal.SIGTERM, self._request)

    def _request(self, *_: object) -> None:
        self.requested = True

    def __bool__(self) -> bool:
        return self.requested
