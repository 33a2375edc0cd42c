"""Notes out and in: each export read back by its reader (the CSV by the importer, the OTIO by opentimelineio, the
PDF by its pages and the image embedded on a page), and a foreign CSV imported all-or-nothing with errors per row."""
from __future__ import annotations

import csv
import io
import re
import struct
import zlib

import numpy as np
import opentimelineio as otio
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from review.models import Note
from review.selectors.notes_export import notes_csv, notes_otio, notes_pdf
from review.services.notes_import import notes_import_csv
from tests.review.factories import EditFactory, NoteFactory, VariantFactory
from tests.review.media import encode_clip

STROKE = {"strokes": [{"tool": "pen", "color": "#ff0000", "width": 0.03,
                       "points": [[0.2, 0.3], [0.5, 0.3], [0.8, 0.3]]}]}


@pytest.fixture
def noted(world):
    """The world's shot (1001-1012 at 24 fps) with a note with a drawing, a range note and a resolved note."""
    artist, supervisor = world.users["artist"], world.users["supervisor"]
    NoteFactory(shot=world.shot, frame_start=1003, frame_end=1003, text="chin wobbles", author=artist, drawing=STROKE)
    NoteFactory(shot=world.shot, frame_start=1005, frame_end=1009, text='hair edge, "soft"\nsecond line',
                author=supervisor)
    NoteFactory(shot=world.shot, frame_start=1012, frame_end=1012, text="fine now", author=artist, resolved=True)
    return world


def _notes(shot) -> list[tuple]:
    return [(n.frame_start, n.frame_end, n.text, n.author.username)
            for n in Note.objects.filter(shot=shot, parent__isnull=True).order_by("frame_start", "id")]


def test_csv_export_is_read_back_by_the_importer(noted):
    exported = notes_csv(noted.shot)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["frame"], r["timecode"]) for r in rows] == [("1003", "00:00:41:19"), ("1005", "00:00:41:21"),
                                                          ("1012", "00:00:42:04")]
    before = _notes(noted.shot)
    Note.objects.all().delete()
    notes_import_csv(shot=noted.shot, actor=noted.users["supervisor"], data=exported.encode())
    assert _notes(noted.shot) == before  # frames, multi-line quoted text and each author (a member) come back


def test_otio_export_is_read_by_opentimelineio_with_a_marker_per_note(noted):
    variant = VariantFactory(shot=noted.shot, label="rigid")
    EditFactory(shot=noted.shot, segments=[{"variant": variant.id, "frame_start": 1001, "frame_end": 1012,
                                            "transition": 0}])
    timeline = otio.adapters.read_from_string(notes_otio(noted.shot), "otio_json")
    track = timeline.tracks[0]
    assert [c.name for c in track] == ["rigid 1001-1012"]
    rate = 24.0
    markers = [(m.marked_range.start_time.to_frames() + 1001, m.marked_range.duration.to_frames(), m.comment, m.color)
               for m in track.markers]
    assert markers == [(1003, 1, "chin wobbles", "RED"), (1005, 5, 'hair edge, "soft"\nsecond line', "RED"),
                       (1012, 1, "fine now", "GREEN")]
    assert timeline.global_start_time == otio.opentime.RationalTime(1001, rate)
    assert track.markers[0].metadata["facereplace"]["author"] == "artist1"


def _pdf_string(literal: bytes) -> bytes:
    """The bytes of a PDF literal string's body: backslash escapes (\\n, \\(, \\ddd octal...) undone."""
    named = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    return re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit()
                  else named.get(m.group(1), m.group(1)), literal, flags=re.S)


def _pdf_images(pdf: bytes) -> list[np.ndarray]:
    """Every image XObject of a PDF as HxWx3 uint8, as matplotlib writes them (Flate with PNG predictors; RGB, or
    an indexed palette when the image has few colours): decoded by rebuilding the PNG it came from."""
    images = []
    for match in re.finditer(rb"/Subtype /Image /Width (\d+) /Height (\d+)(.*?)>>\nstream\n", pdf, re.S):
        width, height, params = int(match.group(1)), int(match.group(2)), match.group(3)
        data = pdf[match.end():pdf.index(b"\nendstream", match.end())]
        indexed = re.search(rb"/Indexed /DeviceRGB \d+\s*\((.*)\)\s*\]", params, re.S)
        bits = int(re.search(rb"/BitsPerComponent (\d+)", params).group(1))

        def chunk(kind: bytes, body: bytes) -> bytes:
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

        colour_type = 3 if indexed else 2
        palette = chunk(b"PLTE", _pdf_string(indexed.group(1))) if indexed else b""
        png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, colour_type, 0, 0, 0))
               + palette + chunk(b"IDAT", data) + chunk(b"IEND", b""))
        # matplotlib stores rows bottom-up (its image matrix flips them back when drawn)
        images.append(np.flipud(np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))))
    return images


def test_pdf_has_a_page_per_note_with_its_frame_and_drawing_composited(noted, tmp_path):
    from pipeline.media.clip import open_clip

    plate = encode_clip(tmp_path / "plate.mp4", size="320x240")
    with plate.open("rb") as f:
        noted.shot.plate_clip.save("plate.mp4", File(f))
    pdf = notes_pdf(noted.shot)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type /Page\b", pdf)) == 3
    images = _pdf_images(pdf)
    assert len(images) == 3 and images[0].shape == (240, 320, 3)
    with open_clip(plate, first_frame=1001, fps="24") as clip:
        frame = clip.read_srgb8(1003).astype(int)
    page = images[0].astype(int)
    stroke_rows, clear_rows = slice(69, 75), slice(120, 240)  # the stroke at 0.3 of 240 rows, 0.03 of it thick
    red = page[stroke_rows, 80:240]
    assert (red[..., 0] > 220).all() and (red[..., 1] < 40).all() and (red[..., 2] < 40).all()  # the drawing
    assert np.abs(page[clear_rows] - frame[clear_rows]).max() <= 2  # the plate's own frame 1003 elsewhere
    assert np.abs(page[clear_rows] - frame[clear_rows]).mean() < 0.5


def test_pdf_without_clips_still_has_a_page_per_note(noted):
    pdf = notes_pdf(noted.shot)
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 3
    assert all((image == 96).mean() > 0.9 for image in _pdf_images(pdf)[1:])  # grey: no frame to show


def test_pdf_leaves_out_characters_no_font_can_print(world):
    import warnings

    NoteFactory(shot=world.shot, frame_start=1003, frame_end=1003, text="chin\x0e wobbles\x15 \U00100c18here",
                author=world.users["artist"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of each glyph its font lacks (and draws an empty box)
        pdf = notes_pdf(world.shot)
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1


FOREIGN = """Start TC;Note;From
00:00:41:17;matte edge on the left;Jane Doe
00:00:41:20;eyes drift;artist1
"""


def test_foreign_csv_by_timecode_with_semicolons_and_unknown_authors(world):
    notes = notes_import_csv(shot=world.shot, actor=world.users["supervisor"], data=("\ufeff" + FOREIGN).encode())
    assert [(n.frame_start, n.text, n.author.username) for n in notes] == [
        (1001, "(from Jane Doe) matte edge on the left", "supervisor1"), (1004, "eyes drift", "artist1")]


def test_import_reports_every_bad_row_and_writes_nothing(world):
    data = ("frame,frame_end,text,author\n"
            "1002,,fine,artist1\n"
            "abc,,not a frame,artist1\n"
            "1005,1003,backwards,artist1\n"
            "990,,before the shot,artist1\n"
            "1006,,,artist1\n"
            "\n"
            "1007,,also fine,artist1\n")
    with pytest.raises(ValidationError) as caught:
        notes_import_csv(shot=world.shot, actor=world.users["artist"], data=data)
    assert caught.value.message_dict["csv"] == [
        "row 3: frame 'abc' is not a whole frame number",
        "row 4: frame_end 1003 is before frame 1005",
        "row 5: frames 990-990 are outside the shot (1001-1012)",
        "row 6: no text",
    ]
    assert not Note.objects.exists()


@pytest.mark.parametrize("data, message", [
    ("", "the file is empty"),
    ("frame,author\n1001,x\n", "row 1 (the header): no text column"),
    ("text\nhello\n", "no frame or timecode column"),
    ("frame,text\n", "no notes in the file"),
    (b"frame,text\n1001,\xff\xfe\n", "not UTF-8 text"),
    ("timecode,text\n01:02,soon\n", "row 2: timecode '01:02' is not HH:MM:SS:FF"),
])
def test_import_refuses_files_it_cannot_read(world, data, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        notes_import_csv(shot=world.shot, actor=world.users["artist"], data=data)


@pytest.mark.parametrize("role, allowed", [("supervisor", True), ("artist", True), ("producer", False),
                                           ("pipeline", False)])
def test_import_is_for_those_who_write_notes(world, role, allowed):
    data = "frame,text\n1001,from the client\n"
    if allowed:
        assert len(notes_import_csv(shot=world.shot, actor=world.users[role], data=data)) == 1
    else:
        with pytest.raises(PermissionDenied):
            notes_import_csv(shot=world.shot, actor=world.users[role], data=data)


def test_api_exports_and_imports(noted):
    client = noted.client("producer")
    url = f"/api/shots/{noted.shot.id}/notes/"
    exported = client.get(f"{url}export/csv/")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    assert "attachment" in exported["Content-Disposition"]
    assert client.get(f"{url}export/otio/").status_code == 200
    assert client.get(f"{url}export/docx/").status_code == 404
    body = exported.content
    refused = client.post(f"{url}import/", {"csv": SimpleUploadedFile("n.csv", body)}, format="multipart")
    assert refused.status_code == 403  # a producer reads notes, does not write them
    bad = noted.client("artist").post(f"{url}import/", {"csv": SimpleUploadedFile(
        "n.csv", b"frame,text\n1001,ok\n2000,late\n")}, format="multipart")
    assert bad.status_code == 400 and bad.json()["errors"]["csv"] == [
        "row 3: frames 2000-2000 are outside the shot (1001-1012)"]
    made = noted.client("artist").post(f"{url}import/", {"csv": SimpleUploadedFile("n.csv", body)},
                                       format="multipart")
    assert made.status_code == 201 and [n["frame_start"] for n in made.json()] == [1003, 1005, 1012]
    assert noted.client("outsider").get(f"{url}export/csv/").status_code == 404


def test_shot_page_links_exports_and_imports_through_its_form(client, noted):
    client.force_login(noted.users["artist"])
    html = client.get(f"/shots/{noted.shot.id}/").content.decode()
    for fmt in ("csv", "pdf", "otio"):
        assert f'href="/shots/{noted.shot.id}/notes.{fmt}"' in html
    assert f'action="/shots/{noted.shot.id}/notes/import"' in html
    pdf = client.get(f"/shots/{noted.shot.id}/notes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    upload = SimpleUploadedFile("client.csv", b"frame,text\n1001,from the page\n1002,\n")
    page = client.post(f"/shots/{noted.shot.id}/notes/import", {"csv": upload}, follow=True).content.decode()
    assert "row 3: no text" in page and not Note.objects.filter(text="from the page").exists()
    upload = SimpleUploadedFile("client.csv", b"frame,text\n1001,from the page\n")
    page = client.post(f"/shots/{noted.shot.id}/notes/import", {"csv": upload}, follow=True).content.decode()
    assert "1 note(s) imported from client.csv" in page and Note.objects.filter(text="from the page").exists()
    client.force_login(noted.users["producer"])
    assert f'action="/shots/{noted.shot.id}/notes/import"' not in client.get(f"/shots/{noted.shot.id}/").content.decode()
