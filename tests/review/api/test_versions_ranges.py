"""Versions and range approvals over the API: a second publish of a label is its v002 (v001 kept), the same
content again makes none, an edit pins versions, a range approval locks frames until a supervisor unlocks it,
and the shot is approved once locked ranges cover it."""
from __future__ import annotations

from review.choices import ShotStatus
from review.models import Render
from tests.review.api.test_api import publish


def _segments(*pieces):
    return {"segments": [{"variant": v, "frame_start": a, "frame_end": b} for v, a, b in pieces]}


def test_versions_are_published_kept_and_pinned_by_edits(world, clips):
    pipeline, supervisor = world.client("pipeline"), world.client("supervisor")
    v1 = publish(pipeline, world.shot, clips["good"], key="k1")
    v2 = publish(pipeline, world.shot, clips["good2"], key="k2")
    again = publish(pipeline, world.shot, clips["good2"], key="k3")  # same content, a fresh key: no new version
    assert (v1.status_code, v2.status_code, again.status_code) == (201, 201, 200)
    v1, v2 = v1.json(), v2.json()
    assert (v1["version"], v1["version_name"], v2["version"], v2["version_name"]) == (1, "v001", 2, "v002")
    assert again.json()["id"] == v2["id"] and v1["clip_url"] != v2["clip_url"]

    detail = supervisor.get(f"/api/shots/{world.shot.id}/").json()
    assert [(v["label"], v["version"]) for v in detail["variants"]] == [("rigid A", 1), ("rigid A", 2)]
    assert supervisor.get("/api/shots/").json()["results"][0]["variant_count"] == 1  # one variant, two versions

    edit = supervisor.post(f"/api/shots/{world.shot.id}/edits/",
                           _segments((v1["id"], 1001, 1006), (v2["id"], 1007, 1012)), format="json")
    assert edit.status_code == 201
    publish(pipeline, world.shot, clips["good"], key="k4")  # v003: the edit still names v001 and v002
    pinned = supervisor.get(f"/api/shots/{world.shot.id}/edits/").json()["results"][0]["segments"]
    assert [s["variant"] for s in pinned] == [v1["id"], v2["id"]]


def test_a_range_is_approved_locked_unlocked_and_completes_the_shot(world, clips):
    pipeline, supervisor = world.client("pipeline"), world.client("supervisor")
    rigid = publish(pipeline, world.shot, clips["good"], key="r").json()["id"]
    loose = publish(pipeline, world.shot, clips["good2"], key="l", label="loose B").json()["id"]
    edits = f"/api/shots/{world.shot.id}/edits/"
    edit = supervisor.post(edits, _segments((rigid, 1001, 1006), (loose, 1007, 1012)), format="json").json()

    approved = supervisor.post(f"/api/edits/{edit['id']}/decisions/",
                               {"decision": "approve", "frame_start": 1001, "frame_end": 1006}, format="json")
    assert approved.status_code == 201, approved.json()
    assert approved.json()["locked"] and approved.json()["frame_start"] == 1001
    detail = supervisor.get(f"/api/shots/{world.shot.id}/").json()
    assert detail["status"] == ShotStatus.IN_REVIEW and detail["edit"]["decision"] is None
    assert [(r["frame_start"], r["frame_end"], r["pieces"]) for r in detail["approved_ranges"]] == [
        (1001, 1006, [{"frame_start": 1001, "frame_end": 1006, "variant": rigid}])]

    refused = supervisor.post(edits, _segments((loose, 1001, 1012)), format="json")
    assert refused.status_code == 409 and "frames 1001-1006" in refused.json()["detail"]
    assert "rigid A v001" in refused.json()["detail"]
    bad = supervisor.post(f"/api/edits/{edit['id']}/decisions/",
                          {"decision": "request_changes", "frame_start": 1007, "frame_end": 1012}, format="json")
    assert bad.status_code == 400 and "only an approval" in str(bad.json())

    unlock = supervisor.post(f"/api/decisions/{approved.json()['id']}/unlock/", {"comment": "hair"}, format="json")
    assert unlock.status_code == 200 and not unlock.json()["locked"] and unlock.json()["unlocked_by"] == world.users["supervisor"].username
    activity = supervisor.get(f"/api/shots/{world.shot.id}/activity/").json()["results"]
    assert activity[0]["verb"] == "range.unlocked" and "frames 1001-1006 unlocked: hair" in activity[0]["summary"]

    second = supervisor.post(edits, _segments((loose, 1001, 1012)), format="json").json()
    for start, end in ((1001, 1006), (1007, 1012)):
        answer = supervisor.post(f"/api/edits/{second['id']}/decisions/",
                                 {"decision": "approve", "frame_start": start, "frame_end": end}, format="json")
        assert answer.status_code == 201
    detail = supervisor.get(f"/api/shots/{world.shot.id}/").json()
    assert detail["status"] == ShotStatus.APPROVED and detail["edit"]["decision"]["decision"] == "approve"
    assert Render.objects.get(shot=world.shot).edit_id == second["id"]
