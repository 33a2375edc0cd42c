"""The permission matrix, cell by cell: every API endpoint called as every role (and as an outsider).

Allowed roles get the endpoint's success status; the others a 403 that names the role needed; someone outside
the project a 404 (its shots are invisible to them). The README's table is checked against the code's.
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from review.choices import JobKind, JobState, RenderState, ShotStatus
from review.models import DailiesItem, DailiesSession, Decision, FrameFix, Job, Render
from review.permissions import MATRIX, Action, matrix_markdown
from tests.review.factories import EditFactory, NoteFactory, ShotFactory, VariantFactory

ROOT = Path(__file__).resolve().parents[3]
ROLES = ["supervisor", "artist", "producer", "pipeline"]


def png_file(name: str = "fix.1002.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(buffer, format="PNG")
    buffer.name = name
    buffer.seek(0)
    return buffer


class Scene:
    """A shot in review with two variants and an undecided edit, plus whatever a case asks for."""

    def __init__(self, world: Any, clips: dict[str, Path]) -> None:
        self.world, self.clips = world, clips
        shot = world.shot
        self.variants = [VariantFactory(shot=shot, label="rigid"), VariantFactory(shot=shot, label="loose")]
        shot.status = ShotStatus.IN_REVIEW
        shot.save()
        self.shot = shot
        self.edit = EditFactory(shot=shot, version=1)

    def waiting_shot(self) -> Any:
        return ShotFactory(sequence=self.world.sequence, code="SH020")

    def note(self) -> Any:
        return NoteFactory(shot=self.shot, author=self.world.users["supervisor"])

    def fix(self) -> FrameFix:
        return FrameFix.objects.create(shot=self.shot, frame_start=1002, frame_end=1002,
                                       author=self.world.users["artist"])

    def approved(self) -> Any:
        Decision.objects.create(edit=self.edit, verdict="approve", author=self.world.users["supervisor"])
        self.shot.status = ShotStatus.APPROVED
        self.shot.save()
        return self.shot

    def failed_job(self, kind: JobKind) -> Job:
        """A failed engine run or conversion of the shot (its retry is gated like starting it)."""
        params = {"name": "pirouette", "variants": ["rigid"]} if kind == JobKind.ENGINE else {
            "name": "pirouette", "variant": "rigid"}
        return Job.objects.create(shot=self.shot, kind=kind, queue="gpu", state=JobState.FAILED, error="boom",
                                  params=params)

    def locked_range(self) -> Decision:
        """Frames 1001-1004 of the edit approved and locked."""
        return Decision.objects.create(edit=self.edit, verdict="approve", frame_start=1001, frame_end=1004,
                                       author=self.world.users["supervisor"])

    def dailies(self) -> DailiesSession:
        """A running session of the shot, driven by the supervisor."""
        session = DailiesSession.objects.create(project=self.shot.sequence.project, title="dailies",
                                                driver=self.world.users["supervisor"])
        DailiesItem.objects.create(session=session, position=1, shot=self.shot, variant=self.variants[0])
        return session

    def render(self) -> Render:
        self.approved()
        return Render.objects.create(shot=self.shot, edit=self.edit, state=RenderState.QUEUED)


@dataclass(frozen=True)
class Case:
    name: str
    action: Action
    method: str
    url: Callable[[Scene], str]
    data: Callable[[Scene], Any] = lambda s: None
    ok: int = 200
    outsider: int = 404
    multipart: bool = False


CASES = [
    Case("projects", Action.VIEW, "get", lambda s: "/api/projects/", outsider=200),
    Case("sequences", Action.VIEW, "get", lambda s: "/api/sequences/", outsider=200),
    Case("shots", Action.VIEW, "get", lambda s: "/api/shots/?status=in_review", outsider=200),
    Case("shot", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/"),
    Case("variants", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/variants/"),
    Case("variant", Action.VIEW, "get", lambda s: f"/api/variants/{s.variants[0].id}/"),
    Case("edits", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/edits/"),
    Case("notes", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/notes/"),
    Case("fixes", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/fixes/"),
    Case("renders", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/renders/"),
    Case("render", Action.VIEW, "get", lambda s: f"/api/renders/{s.render().id}/"),
    Case("activity", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/activity/"),
    Case("jobs", Action.VIEW, "get", lambda s: f"/api/shots/{s.shot.id}/jobs/"),
    # one's own inbox: everyone signed in has one, whatever their roles (tests/review/api/test_inbox.py checks
    # that nobody reaches another's)
    Case("inbox", Action.VIEW, "get", lambda s: "/api/notifications/", outsider=200),
    Case("inbox read all", Action.VIEW, "post", lambda s: "/api/notifications/read/", lambda s: {}, outsider=200),
    Case("inbox e-mail", Action.VIEW, "put", lambda s: "/api/notifications/email/", lambda s: {"email": True},
         outsider=200),
    Case("sequence create", Action.SHOT_CREATE, "post", lambda s: "/api/sequences/",
         lambda s: {"project": "dance", "code": "SQ030"}, ok=201),
    Case("shot create", Action.SHOT_CREATE, "post", lambda s: "/api/shots/",
         lambda s: {"project": "dance", "sequence": "SQ020", "code": "SH999", "frame_start": 1001,
                    "frame_end": 1010, "fps_num": 24000, "fps_den": 1001}, ok=201),
    Case("shot update", Action.SHOT_UPDATE, "patch", lambda s: f"/api/shots/{s.shot.id}/",
         lambda s: {"due_date": "2030-01-01", "assignees": ["artist1"]}),
    Case("hold", Action.SHOT_HOLD, "post", lambda s: f"/api/shots/{s.shot.id}/status/", lambda s: {"status": "on_hold"}),
    Case("training", Action.SHOT_TRAINING, "post", lambda s: f"/api/shots/{s.waiting_shot().id}/status/",
         lambda s: {"status": "training"}),
    Case("engine run", Action.ENGINE_RUN, "post", lambda s: f"/api/shots/{s.shot.id}/jobs/",
         lambda s: {"name": "pirouette", "quick": True, "variants": ["rigid"]}, ok=201),
    Case("convert", Action.ENGINE_RUN, "post", lambda s: f"/api/shots/{s.shot.id}/jobs/convert/",
         lambda s: {"name": "pirouette", "variant": "rigid"}, ok=201),
    Case("engine run retry", Action.ENGINE_RUN, "post",
         lambda s: f"/api/jobs/{s.failed_job(JobKind.ENGINE).id}/retry/", ok=201),
    Case("conversion retry", Action.ENGINE_RUN, "post",
         lambda s: f"/api/jobs/{s.failed_job(JobKind.CONVERT).id}/retry/", ok=201),
    Case("publish", Action.VARIANT_PUBLISH, "post", lambda s: f"/api/shots/{s.shot.id}/variants/",
         lambda s: {"kind": "cg", "label": "cg A", "clip": s.clips["good"].open("rb")}, ok=201, multipart=True),
    Case("plate", Action.VARIANT_PUBLISH, "put", lambda s: f"/api/shots/{s.shot.id}/plate/",
         lambda s: {"clip": s.clips["good"].open("rb")}, multipart=True),
    Case("edit create", Action.EDIT_CREATE, "post", lambda s: f"/api/shots/{s.shot.id}/edits/",
         lambda s: {"segments": [{"variant": s.variants[1].id, "frame_start": 1001, "frame_end": 1012}]}, ok=201),
    Case("decision", Action.DECISION_CREATE, "post", lambda s: f"/api/edits/{s.edit.id}/decisions/",
         lambda s: {"decision": "approve", "comment": "ship it"}, ok=201),
    Case("range approval", Action.DECISION_CREATE, "post", lambda s: f"/api/edits/{s.edit.id}/decisions/",
         lambda s: {"decision": "approve", "frame_start": 1001, "frame_end": 1006}, ok=201),
    Case("range unlock", Action.RANGE_UNLOCK, "post", lambda s: f"/api/decisions/{s.locked_range().id}/unlock/",
         lambda s: {"comment": "the hair flickers"}),
    Case("note create", Action.NOTE_CREATE, "post", lambda s: f"/api/shots/{s.shot.id}/notes/",
         lambda s: {"frame_start": 1002, "frame_end": 1004, "text": "eyes drift",
                    "drawing": {"strokes": [{"points": [[0.1, 0.1], [0.2, 0.3]]}]}, "variant": s.variants[0].id},
         ok=201),
    Case("note reply", Action.NOTE_CREATE, "post", lambda s: f"/api/notes/{s.note().id}/replies/",
         lambda s: {"text": "on it"}, ok=201),
    Case("note resolve", Action.NOTE_RESOLVE, "post", lambda s: f"/api/notes/{s.note().id}/resolve/", lambda s: {}),
    Case("fix create", Action.FIX_CREATE, "post", lambda s: f"/api/shots/{s.shot.id}/fixes/",
         lambda s: {"frame_start": 1002, "frame_end": 1002, "files": [png_file()]}, ok=201, multipart=True),
    Case("fix review", Action.FIX_REVIEW, "post", lambda s: f"/api/fixes/{s.fix().id}/review/",
         lambda s: {"state": "accepted"}),
    Case("render queue", Action.RENDER_QUEUE, "post",
         lambda s: f"/api/shots/{s.approved().id}/renders/", ok=201),
    Case("render report", Action.RENDER_UPDATE, "patch", lambda s: f"/api/renders/{s.render().id}/",
         lambda s: {"state": "running", "progress": 0.25, "log": "frame 1003"}),
    Case("dailies", Action.VIEW, "get", lambda s: f"/api/dailies/{s.dailies().id}/"),
    Case("dailies summary", Action.VIEW, "get", lambda s: f"/api/dailies/{s.dailies().id}/summary/"),
    Case("dailies create", Action.DAILIES_RUN, "post", lambda s: "/api/dailies/",
         lambda s: {"project": "dance", "title": "Monday", "items": [{"shot": s.shot.id, "variant": s.variants[1].id}]},
         ok=201),
    Case("dailies handover", Action.DAILIES_RUN, "post", lambda s: f"/api/dailies/{s.dailies().id}/driver/",
         lambda s: {"to": "supervisor1"}),
    Case("dailies end", Action.DAILIES_RUN, "post", lambda s: f"/api/dailies/{s.dailies().id}/end/", lambda s: {}),
]


def test_every_action_has_an_endpoint_case():
    assert {c.action for c in CASES} == set(Action)


def test_readme_carries_the_matrix():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Roles and permissions", 1)[1]
    assert matrix_markdown() in section


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matrix_cell(world, clips, case, role):
    scene = Scene(world, clips)
    url = case.url(scene)
    data = case.data(scene)
    client = world.client(role)
    kwargs: dict[str, Any] = {"format": "multipart" if case.multipart else "json"} if data is not None else {}
    response = getattr(client, case.method)(url, data, **kwargs) if data is not None else getattr(client, case.method)(url)
    body = response.json()
    if role == "outsider":
        assert response.status_code == case.outsider, body
        if case.outsider == 200:
            assert '"dance"' not in json.dumps(body)  # nothing of a project they are not in
        return
    if role in MATRIX[case.action][0]:
        assert response.status_code == case.ok, body
    else:
        assert response.status_code == 403, body
        assert re.search(r"only a .* may ", body["detail"]) and f"you are: {role} on this project" in body["detail"]
