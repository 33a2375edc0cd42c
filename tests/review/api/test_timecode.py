"""A shot's start timecode: set through the API (checked at the shot's rate, stored canonical) or taken from
the plate's own metadata when the plate clip is published, and handed to the player with the shot."""
from __future__ import annotations

from review.models import Shot
from tests.review.factories import ShotFactory
from tests.review.media import encode_clip


def test_a_shot_is_created_with_a_drop_frame_start_timecode_and_refused_one_its_rate_cannot_have(world):
    client = world.client("supervisor")
    made = client.post("/api/shots/", {"project": "dance", "sequence": "SQ010", "code": "SH020", "frame_start": 1001,
                                       "frame_end": 1100, "fps_num": 30000, "fps_den": 1001,
                                       "start_timecode": "1:00:00.00"}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["start_timecode"] == "01:00:00;00"
    refused = client.post("/api/shots/", {"project": "dance", "sequence": "SQ010", "code": "SH030", "fps_num": 25,
                                          "start_timecode": "01:00:00;00"}, format="json")
    assert refused.status_code == 400
    assert "start_timecode" in refused.content.decode() and "drop-frame" in refused.content.decode()
    assert not Shot.objects.filter(code="SH030").exists()


def test_the_start_timecode_is_changed_on_the_shot_and_a_label_that_cannot_exist_is_refused(world):
    client = world.client("producer")
    url = f"/api/shots/{world.shot.id}/"
    answer = client.patch(url, {"start_timecode": "10:00:00:00"}, format="json")
    assert answer.status_code == 200, answer.content
    assert client.get(url).json()["start_timecode"] == "10:00:00:00"
    refused = client.patch(url, {"start_timecode": "10:00:00:24"}, format="json")
    assert refused.status_code == 400 and "out of range" in refused.content.decode()
    assert client.patch(url, {"start_timecode": "10:00:00:00"}, format="json").status_code == 200
    assert world.client("artist").patch(url, {"start_timecode": "01:00:00:00"}, format="json").status_code == 403


def test_the_plates_timecode_becomes_the_shots_start_timecode(world, tmp_path):
    shot = ShotFactory(sequence=world.sequence, code="SH040", frame_start=1001, frame_end=1012, fps_num=30000,
                       fps_den=1001)
    plate = encode_clip(tmp_path / "plate.mp4", fps="30000/1001", timecode="00:59:59;28")
    with plate.open("rb") as f:
        answer = world.client("pipeline").put(f"/api/shots/{shot.id}/plate/", {"clip": f}, format="multipart")
    assert answer.status_code == 200, answer.content
    assert answer.json()["start_timecode"] == "00:59:59;28"
    shot.refresh_from_db()
    assert shot.start_timecode == "00:59:59;28"
