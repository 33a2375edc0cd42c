"""Notes (frames, drawings, attachments, replies, resolve) and frame fixes (real images, frames from names)."""
from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from review.choices import FrameFixState
from review.errors import UploadRejected
from review.services.fixes import fix_create, fix_review
from review.services.notes import note_create, note_reply, note_resolve


def png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_note_with_drawing_attachment_reply_and_resolve(world):
    artist, supervisor = world.users["artist"], world.users["supervisor"]
    drawing = {"strokes": [{"points": [[0.1, 0.2], [0.3, 0.4]], "colour": "#ff0000", "width": 2}]}
    note = note_create(shot=world.shot, actor=supervisor, frame_start=1003, frame_end=1005, text="hairline pops",
                       drawing=drawing, attachments=[png("ref.png")])
    assert note.attachments.get().original_name == "ref.png"
    assert "ref" not in note.attachments.get().file.name
    reply = note_reply(note=note, actor=artist, text="fixed in v2")
    assert reply.parent == note and (reply.frame_start, reply.frame_end) == (1003, 1005)
    note_resolve(note=note, actor=artist)
    note.refresh_from_db()
    assert note.resolved and note.resolved_by == artist


@pytest.mark.parametrize("kwargs, message", [
    ({"frame_start": 990}, "outside the shot"),
    ({"frame_start": 1005, "frame_end": 1003}, "before first frame"),
    ({"text": "  "}, "needs some text"),
    ({"drawing": {"lines": []}}, "strokes"),
])
def test_bad_notes_are_refused(world, kwargs, message):
    args = {"frame_start": 1001, "text": "x", **kwargs}
    with pytest.raises(ValidationError, match=message):
        note_create(shot=world.shot, actor=world.users["artist"], **args)


def test_producer_cannot_write_notes(world):
    with pytest.raises(PermissionDenied, match="supervisor"):
        note_create(shot=world.shot, actor=world.users["producer"], frame_start=1001, text="x")


def test_fix_frames_come_from_file_names_and_supervisor_accepts(world):
    fix = fix_create(shot=world.shot, actor=world.users["artist"], frame_start=1004, frame_end=1006,
                     files=[png("head.1006.png"), png("head.1004.png")])
    assert sorted(i.frame for i in fix.images.all()) == [1004, 1006]
    fix_review(fix=fix, actor=world.users["supervisor"], state=FrameFixState.ACCEPTED)
    fix.refresh_from_db()
    assert fix.state == FrameFixState.ACCEPTED


def test_fix_refuses_non_images(world):
    text = SimpleUploadedFile("fix.1004.png", b"not an image at all", content_type="image/png")
    with pytest.raises(UploadRejected, match="not a readable image"):
        fix_create(shot=world.shot, actor=world.users["artist"], frame_start=1004, frame_end=1004, files=[text])
