"""Uploads a hostile member sends: nothing they upload is ever served as a page in the site's origin, images are
judged by decoding them within a pixel limit checked before a pixel is decoded, and a media URL names exactly
the shot whose permission was checked (issue 28, findings 1, 3 and the images of 6)."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from review.models import FrameFix, NoteAttachment
from review.services.variants import variant_publish
from tests.review.factories import MembershipFactory, SequenceFactory, ShotFactory, UserFactory
from tests.review.media import uploaded

EVIL_PAGE = b"<html><body><script>fetch('/api/shots/').then(r => r.text()).then(alert)</script></body></html>"


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header claims `width` x `height` pixels (a decompression bomb's shape)."""
    data = bytearray(png_bytes((1, 1)))
    ihdr = data.index(b"IHDR")
    data[ihdr + 4:ihdr + 12] = struct.pack(">II", width, height)
    data[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(data[ihdr:ihdr + 17])))
    return bytes(data)


def exr_declaring(tmp_path, width: int, height: int) -> bytes:
    """A real 4x4 EXR whose data and display windows are rewritten to claim `width` x `height` pixels."""
    from pipeline.media.image import write_exr

    path = tmp_path / "small.exr"
    write_exr(path, {c: np.zeros((4, 4), np.float32) for c in "RGB"})
    data = bytearray(path.read_bytes())
    for attribute in (b"dataWindow\0box2i\0", b"displayWindow\0box2i\0"):
        at = data.index(attribute) + len(attribute) + 4
        data[at:at + 16] = struct.pack("<4i", 0, 0, width - 1, height - 1)
    return bytes(data)


def note(client, shot, *files):
    return client.post(f"/api/shots/{shot.id}/notes/", {"frame_start": 1001, "text": "see attached",
                                                        "attachments": list(files)}, format="multipart")


def fix(client, shot, *files):
    return client.post(f"/api/shots/{shot.id}/fixes/", {"frame_start": 1011, "frame_end": 1011,
                                                        "files": list(files)}, format="multipart")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.mark.parametrize("name, data, message", [
    ("evil.html", EVIL_PAGE, "HTML, SVG and other web pages are not accepted"),
    ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "HTML, SVG"),
    ("readme.txt", b"notes\n" + EVIL_PAGE, "holds HTML or SVG markup"),
    ("picture.png", b"<svg onload=alert(1)>", "holds HTML or SVG markup"),
    ("archive.zip", b"PK\x03\x04" + bytes(range(256)) * 4, "not an accepted attachment"),
])
def test_active_or_unknown_attachments_are_refused_with_the_reason(world, name, data, message):
    response = note(world.client("artist"), world.shot, upload(name, data))
    assert response.status_code == 400 and message in response.json()["detail"], response.content
    assert not NoteAttachment.objects.exists()


@pytest.mark.parametrize("name, data, suffix, served_as", [
    ("ref.png", png_bytes(), ".png", "image/png"),
    ("brief.pdf", b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", ".pdf", "application/pdf"),
    ("feedback.html.txt", "the jaw line slips at 1012 — fix the hairline\n".encode(), ".txt",
     "text/plain; charset=utf-8"),
])
def test_accepted_attachments_are_stored_by_content_and_always_downloaded(client, world, name, data, suffix, served_as):
    response = note(world.client("artist"), world.shot, upload(name, data))
    assert response.status_code == 201, response.content
    attachment = NoteAttachment.objects.get()
    assert attachment.file.name.endswith(suffix) and attachment.original_name == name
    client.force_login(world.users["supervisor"])
    served = client.get(attachment.file.url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == data
    assert served["Content-Type"] == served_as and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in served["Content-Security-Policy"]


def test_a_page_stored_before_the_checks_is_downloaded_as_opaque_bytes(client, world):
    """An HTML attachment uploaded before uploads were judged (still on disk) no longer opens as a page."""
    name = default_storage.save(f"shots/{world.shot.id}/attachments/0123abcd.html", ContentFile(EVIL_PAGE))
    client.force_login(world.users["supervisor"])
    served = client.get(f"/media/{name}")
    assert served.status_code == 200 and served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment;") and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"].startswith("default-src 'none'")


def test_review_clips_stay_inline_for_the_player(client, world, clips):
    variant, _ = variant_publish(shot=world.shot, actor=world.users["pipeline"], kind="rigid", label="r",
                                 clip=uploaded(clips["good"]))
    client.force_login(world.users["artist"])
    served = client.get(variant.clip.url, HTTP_RANGE="bytes=0-99")
    assert served.status_code == 206 and served["Content-Type"] == "video/mp4"
    assert served["Content-Disposition"] == "inline" and served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_fix_is_verified_by_decoding_not_by_its_first_bytes(world):
    fake_exr = b"\x76\x2f\x31\x01" + EVIL_PAGE
    response = fix(world.client("artist"), world.shot, upload("fix.1011.html", fake_exr))
    assert response.status_code == 400 and "not a readable image" in response.json()["detail"]
    assert not FrameFix.objects.exists()
    response = fix(world.client("artist"), world.shot, upload("fix.1011.html", png_bytes()))
    assert response.status_code == 201
    assert FrameFix.objects.get().images.get().file.name.endswith(".png")  # the content's suffix, not the name's


@pytest.mark.parametrize("what, declared", [
    ("900 Mpx PNG bomb", (30000, 30000)),
    ("120 Mpx PNG", (12000, 10000)),
])
def test_oversized_png_fixes_are_refused_before_decoding(world, what, declared):
    response = fix(world.client("artist"), world.shot, upload("fix.1011.png", png_declaring(*declared)))
    detail = response.json()["detail"]
    assert response.status_code == 400 and "FACEREPLACE_MAX_IMAGE_PIXELS" in detail, (what, detail)
    assert not FrameFix.objects.exists()


def test_a_two_billion_pixel_square_exr_fix_is_refused_before_decoding(world, tmp_path):
    huge = exr_declaring(tmp_path, 2_000_000_000, 2_000_000_000)
    response = fix(world.client("artist"), world.shot, upload("fix.1011.exr", huge))
    detail = response.json()["detail"]
    assert response.status_code == 400 and "2000000000x2000000000" in detail
    assert "FACEREPLACE_MAX_IMAGE_PIXELS" in detail and not FrameFix.objects.exists()


def test_the_pixel_limit_is_a_setting(world, settings):
    settings.FACEREPLACE_MAX_IMAGE_PIXELS = 63
    response = fix(world.client("artist"), world.shot, upload("fix.1011.png", png_bytes((8, 8))))
    assert response.status_code == 400 and "8x8 (64 pixels), over the site's limit of 63" in response.json()["detail"]


@pytest.fixture
def two_projects(world):
    """The world's project holds an attachment; a member of a second project only tries to reach it."""
    response = note(world.client("artist"), world.shot, upload("ref.png", png_bytes()))
    assert response.status_code == 201
    other_shot = ShotFactory(sequence=SequenceFactory(code="SQ900"))
    stranger = UserFactory(username="stranger")
    MembershipFactory(project=other_shot.sequence.project, user=stranger, role="supervisor")
    world.other_shot, world.stranger = other_shot, stranger
    return world


@pytest.mark.parametrize("form", ["{other}/../{shot}", "{other}/%2e%2e/{shot}", "{other}/..%2F{shot}",
                                  "{other}/%2E%2E%2F{shot}", "{other}/./../{shot}", "{shot}"])
def test_a_media_url_cannot_climb_into_another_project(client, two_projects, form):
    world = two_projects
    name = NoteAttachment.objects.get().file.name  # shots/<shot>/attachments/<file>
    rest = name.split("/", 2)[2]
    url = "/media/shots/" + form.format(other=world.other_shot.id, shot=world.shot.id) + "/" + rest
    client.force_login(world.stranger)
    assert client.get(url).status_code == 404
    client.force_login(world.users["supervisor"])
    assert client.get(f"/media/{name}").status_code == 200  # the file is there for its own project
