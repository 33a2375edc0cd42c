"""The media folder's storage: Django's file system storage whose refused writes (a read-only or full
MEDIA_ROOT) become `MediaUnwritable`, answered with a reason naming the setting instead of a bare 500, and
leave no half-written file behind."""
from __future__ import annotations

import contextlib
import errno
import logging
import os
from typing import Any

from django.core.files.storage import FileSystemStorage

from review.errors import MediaUnwritable

logger = logging.getLogger(__name__)

_REFUSED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT})


class MediaStorage(FileSystemStorage):
    def _save(self, name: str, content: Any) -> str:
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            return super()._save(name, content)
        except OSError as exc:
            if exc.errno not in _REFUSED:
                raise
            if not existed:  # what a full disk let through of this file is no file
                with contextlib.suppress(OSError):
                    os.remove(path)
            logger.error("cannot store %s in MEDIA_ROOT %s: %s", name, self.location, exc)
            raise MediaUnwritable(exc) from exc
