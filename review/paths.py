"""The server's folders and the people who use the site.

Folders the site builds on the server's storage from names people chose (project, sequence and shot codes,
engine folder names) are resolved and checked to stay inside their root, so no name (`../..`, `/etc`, an
absolute path, a symlink) can lead a job to another project's files or anywhere else on the machine; and what
jobs tell people (errors, messages, logs) names those folders by their settings, never by their paths."""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError


def path_inside(root: str | Path, *names: str, setting: str) -> Path:
    """`root/names...`, resolved; refused unless every name is one plain folder name and the result lies
    inside `root` (the setting `setting` names it; the error says which setting, never the server's path)."""
    for name in names:
        if not name or name in (".", "..") or any(c in name for c in "/\\\0"):
            raise ValidationError(f"{name!r} is not a plain folder name, so it cannot be a folder inside {setting}; "
                                  "codes and names are letters, digits, '-' and '_'")
    base = Path(root).resolve()
    path = base.joinpath(*names).resolve()
    if not path.is_relative_to(base):
        raise ValidationError(f"{'/'.join(names)!r} leads outside {setting}; refused")
    return path


# An absolute path not under a known root: a slash at the start of a word, then folders.
_OTHER_PATH = re.compile(r"(?<![\w$:/.~-])/(?:[^\s/'\"(),:;]+/)+")


def without_server_paths(text: str) -> str:
    """`text` (a job's error, message or log; a render's log) as people may see it: the server's folders named
    by their settings ($FACEREPLACE_ENGINE_ROOT/dance/SQ010/SH010/shot.toml) or, for other absolute paths, cut
    to the file name. The server's own log keeps the full paths."""
    roots = {"$FACEREPLACE_ENGINE_ROOT": settings.FACEREPLACE_ENGINE_ROOT,
             "$FACEREPLACE_WORK_ROOT": settings.FACEREPLACE_WORK_ROOT, "$MEDIA_ROOT": settings.MEDIA_ROOT,
             "$FACEREPLACE_HOME": settings.FACEREPLACE_HOME, "$SITE": settings.BASE_DIR, "$PYTHON": sys.prefix,
             "$PYTHON_BASE": sys.base_prefix, "$TMP": tempfile.gettempdir()}
    folders = sorted(((str(Path(path)), name) for name, path in roots.items()), key=lambda pair: -len(pair[0]))
    for folder, name in folders:
        if folder != "/":
            text = re.sub(re.escape(folder) + r"(?![\w.-])", lambda _, name=name: name, text)
    return _OTHER_PATH.sub(".../", text)
