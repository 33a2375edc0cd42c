"""Notes from a CSV made by another tool (or exported here): frame or timecode, text, author. All rows or none: every
row is checked first and every bad row is reported (its row number in the file, what is wrong), then the notes are
written in one transaction."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from review.models import Note, Shot
from review.permissions import Action, require
from review.selectors.notes_export import shot_rate
from review.services.activity import activity_record
from review.services.notifications import notify_assignees

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
# Column names other tools use (compared lower case, spaces and dashes as underscores) -> ours.
ALIASES = {
    "frame": ("frame", "frame_start", "start_frame", "start", "in", "frame_in"),
    "frame_end": ("frame_end", "end_frame", "end", "out", "frame_out"),
    "timecode": ("timecode", "tc", "start_tc", "start_timecode", "timecode_in", "tc_in", "source_in"),
    "text": ("text", "note", "notes", "comment", "body", "description"),
    "author": ("author", "user", "by", "from", "created_by", "artist"),
}


@dataclass(frozen=True)
class _Row:
    number: int
    frame_start: int
    frame_end: int
    text: str
    author: Any


def notes_import_csv(*, shot: Shot, actor: Any, data: bytes | str) -> list[Note]:
    """Create one note per row of the CSV; a ValidationError listing each bad row ("row 4: ...") writes none.

    An author who is a member of the shot's project (by username, full name or e-mail) becomes the note's author;
    another tool's name that matches no one is kept in the text ("(from Jane Doe) ...") under the importer.
    """
    require(actor, shot.sequence.project_id, Action.NOTE_CREATE)
    rows = _parse(shot, data)
    return _create(shot=shot, actor=actor, rows=rows)


@transaction.atomic
def _create(*, shot: Shot, actor: Any, rows: list[_Row]) -> list[Note]:
    notes = []
    for row in rows:
        note = Note(shot=shot, frame_start=row.frame_start, frame_end=row.frame_end, text=row.text,
                    author=row.author if row.author is not None else actor)
        try:
            note.full_clean()
        except ValidationError as exc:
            raise ValidationError({"csv": [f"row {row.number}: {m}" for m in exc.messages]}) from None
        note.save()
        notes.append(note)
    activity_record(shot=shot, actor=actor, verb="notes.imported",
                    summary=f"{shot}: {len(notes)} note(s) imported from CSV by {actor}",
                    data={"notes": [n.id for n in notes]},
                    message={"type": "notes.imported", "notes": [n.id for n in notes]})
    # one entry for the whole file, not one per row: an import of 200 notes is one thing to read
    notify_assignees(shot=shot, actor=actor, verb="notes.imported",
                     summary=f"{shot}: {len(notes)} note(s) imported from CSV by {actor}")
    return notes


def _parse(shot: Shot, data: bytes | str) -> list[_Row]:
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError({"csv": [f"the file is {len(raw)} bytes, more than {MAX_IMPORT_BYTES}; split it"]})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError({"csv": [f"not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"]}) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ValidationError({"csv": ["the file is empty; the first row names the columns (frame or timecode, "
                                       "text, author)"]})
    columns = _columns(header)
    users = _members(shot)
    rows, errors = [], []
    for values in reader:
        number = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_IMPORT_ROWS:
            raise ValidationError({"csv": [f"more than {MAX_IMPORT_ROWS} rows; split the file"]})
        cell = {name: values[i].strip() if i < len(values) else "" for name, i in columns.items()}
        problems: list[str] = []
        start = _frame(cell, shot, problems)
        end = _number(cell.get("frame_end", ""), "frame_end", problems) if cell.get("frame_end") else start
        if start is not None and end is not None:
            if end < start:
                problems.append(f"frame_end {end} is before frame {start}")
            elif start < shot.frame_start or end > shot.frame_end:
                problems.append(f"frames {start}-{end} are outside the shot ({shot.frame_start}-{shot.frame_end})")
        body = cell.get("text", "")
        if not body:
            problems.append("no text")
        name = cell.get("author", "")
        author = users.get(name.lower()) if name else None
        if name and author is None:
            body = f"(from {name}) {body}"
        if problems:
            errors.append(f"row {number}: {'; '.join(problems)}")
        else:
            rows.append(_Row(number, start, end, body, author))  # type: ignore[arg-type]
    if errors:
        raise ValidationError({"csv": errors})
    if not rows:
        raise ValidationError({"csv": ["no notes in the file (only a header row)"]})
    return rows


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        for ours, names in ALIASES.items():
            if key in names and ours not in found:
                found[ours] = i
    missing = [what for what, ok in (("frame or timecode", "frame" in found or "timecode" in found),
                                     ("text", "text" in found)) if not ok]
    if missing:
        raise ValidationError({"csv": [f"row 1 (the header): no {' and no '.join(missing)} column among "
                                       f"{', '.join(repr(h) for h in header)}; name them e.g. frame, text, author"]})
    return found


def _number(value: str, column: str, problems: list[str]) -> int | None:
    try:
        return int(value)
    except ValueError:
        problems.append(f"{column} {value!r} is not a whole frame number")
        return None


def _frame(cell: dict[str, str], shot: Shot, problems: list[str]) -> int | None:
    if cell.get("frame"):
        return _number(cell["frame"], "frame", problems)
    if cell.get("timecode"):
        import opentimelineio as otio

        try:
            return int(otio.opentime.from_timecode(cell["timecode"], shot_rate(shot)).value)
        except ValueError as exc:
            problems.append(f"timecode {cell['timecode']!r} is not HH:MM:SS:FF at {shot_rate(shot):g} fps ({exc})")
            return None
    problems.append("no frame and no timecode")
    return None


def _members(shot: Shot) -> dict[str, Any]:
    """The project's members by lower-case username, full name and e-mail."""
    users = get_user_model().objects.filter(
        Q(review_memberships__project_id=shot.sequence.project_id)).distinct()
    found: dict[str, Any] = {}
    for user in users:
        for key in (user.username, user.get_full_name(), user.email):
            if key:
                found.setdefault(key.lower(), user)
    return found
