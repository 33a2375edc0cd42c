"""Folders the site builds on the server's storage from names people chose (project, sequence and shot codes,
engine folder names): each one resolved and checked to stay inside its root, so no name (`../..`, `/etc`, an
absolute path, a symlink) can lead a job to another project's files or anywhere else on the machine."""
from __future__ import annotations

from pathlib import Path

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
