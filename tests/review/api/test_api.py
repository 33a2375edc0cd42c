"""The API's answers a client relies on: 404, 409 with statuses, idempotent publish, upload refusals,
filters and pagination, the schema and its docs page, and the shot's JSON in the player's shape."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from review.models import Variant
from tests.review.factories import ShotFactory, UserFactory, VariantFactory


def publish(client, shot, clip, *, key=None, label="rigid A"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    with clip.open("rb") as f:
        return client.post(f"/api/shots/{shot.id}/variants/", {"kind": "rigid", "label": label, "clip": f,
                                                               "qc": '[{"frame": 1001, "coverage": 0.9}]'},
                           format="multipart", **headers)


def stored(shot) -> list[str]:
    folder = f"shots/{shot.id}/variants"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def test_unknown_shot_is_404_naming_it(world):
    response = world.client("supervisor").get("/api/shots/999999/")
    assert response.status_code == 404 and "999999" in response.json()["detail"]


def test_anonymous_is_refused(world):
    assert APIClient().get(f"/api/shots/{world.shot.id}/").status_code in (401, 403)


def test_disallowed_transition_is_409_with_current_and_allowed(world):
    response = world.client("supervisor").post(f"/api/shots/{world.shot.id}/status/", {"status": "on_hold"},
                                               format="json")
    assert response.status_code == 200
    response = world.client("supervisor").post(f"/api/shots/{world.shot.id}/status/", {"status": "training"},
                                               format="json")
    body = response.json()
    assert response.status_code == 409
    assert body["current"] == "on_hold" and body["requested"] == "training"
    assert body["allowed"] == ["omitted", "waiting"] and "on_hold" in body["detail"]


def test_publish_is_idempotent_over_http(world, clips):
    client = world.client("pipeline")
    first = publish(client, world.shot, clips["good"], key="shot-SH010-rigid-1")
    again = publish(client, world.shot, clips["good"], key="shot-SH010-rigid-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and Variant.objects.count() == 1
    assert len(stored(world.shot)) == 1
    assert first.json()["qc"] == [{"frame": 1001, "coverage": 0.9}]
    clash = publish(client, world.shot, clips["good2"], key="shot-SH010-rigid-1", label="other")
    assert clash.status_code == 409 and "Idempotency-Key" in clash.json()["detail"]


@pytest.mark.parametrize("name, status, message", [
    ("text", 400, "not a video or image this engine can read"),
    ("truncated", 400, "truncated video, its header promises 12 frames"),
    ("truncated_moov_last", 400, "not a video or image this engine can read"),
])
def test_broken_uploads_are_refused_and_nothing_is_stored(world, clips, name, status, message):
    response = publish(world.client("pipeline"), world.shot, clips[name])
    assert response.status_code == status and message in response.json()["detail"]
    assert stored(world.shot) == [] and not Variant.objects.exists()


def test_too_large_upload_is_413_and_nothing_is_stored(world, clips, settings):
    settings.FACEREPLACE_MAX_UPLOAD_BYTES = 2000
    response = publish(world.client("pipeline"), world.shot, clips["good"])
    assert response.status_code == 413 and "2000" in response.json()["detail"]
    assert stored(world.shot) == []


def test_too_large_body_is_413_before_it_is_read(world, clips, settings):
    settings.FACEREPLACE_MAX_UPLOAD_BYTES = 10
    client = world.client("pipeline")
    response = client.generic("POST", f"/api/shots/{world.shot.id}/variants/", b"x" * (2 * 1024 * 1024),
                              content_type="multipart/form-data; boundary=zzz")
    assert response.status_code == 413


def test_filters_and_pagination(world):
    artist = world.users["artist"]
    for i in range(3):
        shot = ShotFactory(sequence=world.sequence, code=f"SH1{i}", status="in_review")
        if i == 0:
            shot.assignees.add(artist)
    client = world.client("producer")
    page = client.get("/api/shots/?status=in_review&page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert client.get("/api/shots/?status=waiting").json()["count"] == 1
    assert client.get("/api/shots/?status=waiting&status=in_review").json()["count"] == 4
    assert [s["code"] for s in client.get("/api/shots/?assignee=artist1").json()["results"]] == ["SH10"]
    assert client.get(f"/api/shots/?sequence={world.sequence.id}").json()["count"] == 4
    assert client.get("/api/shots/?sequence=SQ999").json()["count"] == 0


def test_shot_json_has_what_the_player_reads(world):
    VariantFactory(shot=world.shot, label="rigid")
    data = world.client("supervisor").get(f"/api/shots/{world.shot.id}/").json()
    for key in ("id", "code", "status", "status_label", "frame_start", "frame_end", "fps_num", "fps_den",
                "plate", "variants", "notes", "edit"):
        assert key in data
    assert data["variants"][0]["clip_url"].startswith("/media/shots/")
    assert data["variants"][0]["qc"][0]["frame"] == 1001


def test_schema_and_docs_page_without_a_cdn(world):
    client = world.client("producer")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/shots/{shot_id}/variants/" in schema.content
    docs = client.get("/api/docs/")
    html = docs.content.decode()
    assert docs.status_code == 200 and "swagger-ui" in html
    assert "static/drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "jsdelivr" not in html and "unpkg" not in html


def test_browser_writes_need_csrf(world):
    client = APIClient(enforce_csrf_checks=True)
    user = UserFactory(username="csrf-sup")
    world.project.memberships.create(user=user, role="supervisor")
    client.login(username="csrf-sup", password="pw-for-tests")
    response = client.post(f"/api/shots/{world.shot.id}/status/", {"status": "on_hold"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post(f"/api/shots/{world.shot.id}/status/", {"status": "on_hold"}, format="json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_allowed_statuses_are_what_this_user_may_set(world):
    as_producer = world.client("producer").get(f"/api/shots/{world.shot.id}/").json()
    as_pipeline = world.client("pipeline").get(f"/api/shots/{world.shot.id}/").json()
    as_artist = world.client("artist").get(f"/api/shots/{world.shot.id}/").json()
    assert as_producer["allowed_statuses"] == ["omitted", "on_hold"]
    assert as_pipeline["allowed_statuses"] == ["training"]
    assert as_artist["allowed_statuses"] == []


def test_thumbnail_must_be_an_image_and_nothing_is_stored(world, clips):
    with clips["good"].open("rb") as clip, clips["text"].open("rb") as thumb:
        response = world.client("pipeline").post(f"/api/shots/{world.shot.id}/variants/", {
            "kind": "rigid", "label": "A", "clip": clip, "thumbnail": thumb}, format="multipart")
    assert response.status_code == 400 and "not a readable image" in response.json()["detail"]
    assert stored(world.shot) == [] and not Variant.objects.exists()


@pytest.mark.parametrize("url", ["/api/variants/9999/", "/api/renders/9999/"])
def test_unknown_objects_are_404(world, url):
    response = world.client("supervisor").get(url)
    assert response.status_code == 404 and "9999" in response.json()["detail"]


def test_unknown_edit_decision_is_404(world):
    response = world.client("supervisor").post("/api/edits/9999/decisions/", {"decision": "approve"}, format="json")
    assert response.status_code == 404 and "edit 9999" in response.json()["detail"]


def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/shots/{shot_id}/variants/" in (tmp_path / "schema.yaml").read_text()


def test_note_with_attachment_and_drawing_over_multipart(world):
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(picture, format="PNG")
    picture.name = "../../etc/ref.png"
    picture.seek(0)
    response = world.client("artist").post(f"/api/shots/{world.shot.id}/notes/", {
        "frame_start": 1004, "text": "see the reference", "attachments": [picture],
        "drawing": '{"strokes": [{"points": [[0.5, 0.5], [0.6, 0.7]]}]}'}, format="multipart")
    note = response.json()
    assert response.status_code == 201, note
    assert note["frame_end"] == 1004 and note["drawing"]["strokes"][0]["points"][1] == [0.6, 0.7]
    attachment = note["attachments"][0]
    assert attachment["name"] == "ref.png" and attachment["url"].startswith(f"/media/shots/{world.shot.id}/")
    assert ".." not in attachment["url"]
