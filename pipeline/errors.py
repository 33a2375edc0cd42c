"""Errors the user can act on.

A `FacereplaceError` carries a message that names the problem and what to do about it; the CLI prints it
without a traceback. Anything else escaping a stage is a bug.
"""
from __future__ import annotations


class FacereplaceError(Exception):
    """An input or setting the user can fix; the message says which and how."""


class InputError(FacereplaceError):
    """A file, track or setting given to a stage is missing, malformed or inconsistent."""


class MediaError(InputError):
    """A clip, image or sequence cannot be read or written as asked."""
