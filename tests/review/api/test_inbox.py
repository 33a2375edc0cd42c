"""The inbox API: a person lists and marks read only their own notifications; e-mail is their choice."""
from __future__ import annotations

from rest_framework.test import APIClient

from review.models import NotificationPreference
from review.services.notes import note_create


def _two_notes_for_the_artist(world) -> None:
    world.shot.assignees.add(world.users["artist"])
    for frame in (1002, 1003):
        note_create(shot=world.shot, actor=world.users["supervisor"], frame_start=frame, text=f"look at {frame}")


def test_list_mark_one_and_all_read(world):
    _two_notes_for_the_artist(world)
    artist = world.client("artist")
    body = artist.get("/api/notifications/").json()
    assert body["count"] == 2
    newest = body["results"][0]
    assert newest["verb"] == "note.created" and "look at 1003" in newest["summary"]
    assert newest["shot"] == world.shot.id and newest["actor"] == "supervisor1" and newest["read"] is False
    read = artist.post(f"/api/notifications/{newest['id']}/read/")
    assert read.status_code == 200 and read.json()["read"] is True and read.json()["read_at"]
    assert artist.get("/api/notifications/?unread=true").json()["count"] == 1
    assert artist.post("/api/notifications/read/").json() == {"marked": 1, "unread": 0}
    assert artist.get("/api/notifications/?unread=true").json()["count"] == 0
    assert artist.get("/api/notifications/").json()["count"] == 2


def test_nobody_sees_or_marks_another_persons_inbox(world):
    _two_notes_for_the_artist(world)
    entry = world.client("artist").get("/api/notifications/").json()["results"][0]
    for role in ("supervisor", "producer", "outsider"):
        client = world.client(role)
        assert client.get("/api/notifications/").json()["count"] == 0
        answer = client.post(f"/api/notifications/{entry['id']}/read/")
        assert answer.status_code == 404 and "no notification" in answer.json()["detail"]
        assert client.post("/api/notifications/read/").json()["marked"] == 0
    assert world.client("artist").get("/api/notifications/?unread=true").json()["count"] == 2


def test_anonymous_has_no_inbox(world):
    assert APIClient().get("/api/notifications/").status_code in (401, 403)
    assert APIClient().post("/api/notifications/read/").status_code in (401, 403)


def test_email_preference_is_ones_own(world):
    artist = world.client("artist")
    assert artist.put("/api/notifications/email/", {"email": True}, format="json").json() == {"email": True}
    assert NotificationPreference.objects.get(user=world.users["artist"]).email is True
    assert not NotificationPreference.objects.filter(user=world.users["supervisor"]).exists()
    assert artist.put("/api/notifications/email/", {"email": "maybe"}, format="json").status_code == 400
