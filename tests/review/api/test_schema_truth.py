"""The OpenAPI schema tells the truth: schemathesis calls every operation of the live schema and checks the answers.

The schema is fetched from the running site (`/api/schema/`, signed in, as it may sit behind login), and every
operation is called with generated requests, valid and invalid, against a shot that holds something of
everything (variants, edits, a note, a fix, a render, a failed job). Each call is made as the role the
permission table allows to make it, so the writes really run; the path ids are mostly the world's own objects,
sometimes generated ones. All of schemathesis's checks are on: no server error, every status and content type
documented, every body as its schema says, valid requests accepted and invalid ones refused.

`make test` runs the fuzzing and stateful phases with a bounded number of examples (about 300 requests, under a
minute). Schemathesis's coverage phase (every boundary value of every field, about 1,900 requests, about three
minutes on a loaded 2-core machine; it passes too) runs with FACEREPLACE_SCHEMA_COVERAGE=1.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from review.choices import JobKind, JobState, RenderState, ShotStatus
from review.models import DailiesItem, DailiesSession, Decision, FrameFix, Job, Notification, Render
from review.permissions import MATRIX, Action
from review.services.tokens import api_token_issue
from tests.review.conftest import ROLES, make_world
from tests.review.factories import EditFactory, NoteFactory, VariantFactory
from tests.review.jobs.procs import login

# Generated requests per operation, valid and invalid: enough to meet each documented status, few enough that
# the whole run stays within a minute on a 2-core machine.
EXAMPLES = 6
PHASES = "examples,coverage,fuzzing,stateful" if os.environ.get("FACEREPLACE_SCHEMA_COVERAGE") == "1" \
    else "examples,fuzzing,stateful"

# What each write does, as the permission table names it; reads are `view`.
WRITES = {
    "POST /api/sequences/": Action.SHOT_CREATE,
    "POST /api/shots/": Action.SHOT_CREATE,
    "PATCH /api/shots/{shot_id}/": Action.SHOT_UPDATE,
    "POST /api/shots/{shot_id}/status/": Action.SHOT_HOLD,
    "PUT /api/shots/{shot_id}/plate/": Action.VARIANT_PUBLISH,
    "POST /api/shots/{shot_id}/variants/": Action.VARIANT_PUBLISH,
    "POST /api/shots/{shot_id}/edits/": Action.EDIT_CREATE,
    "POST /api/edits/{edit_id}/decisions/": Action.DECISION_CREATE,
    "POST /api/shots/{shot_id}/notes/": Action.NOTE_CREATE,
    "POST /api/shots/{shot_id}/notes/import/": Action.NOTE_CREATE,
    "POST /api/notes/{note_id}/replies/": Action.NOTE_CREATE,
    "POST /api/notes/{note_id}/resolve/": Action.NOTE_RESOLVE,
    "POST /api/shots/{shot_id}/fixes/": Action.FIX_CREATE,
    "POST /api/fixes/{fix_id}/review/": Action.FIX_REVIEW,
    "POST /api/shots/{shot_id}/renders/": Action.RENDER_QUEUE,
    "PATCH /api/renders/{render_id}/": Action.RENDER_UPDATE,
    "POST /api/shots/{shot_id}/jobs/": Action.ENGINE_RUN,
    "POST /api/shots/{shot_id}/jobs/convert/": Action.ENGINE_RUN,
    "POST /api/jobs/{job_id}/retry/": Action.ENGINE_RUN,  # the failed job below is an engine run
    # one's own inbox, whatever one's roles: the table's `view`
    "POST /api/notifications/read/": Action.VIEW,
    "POST /api/notifications/{notification_id}/read/": Action.VIEW,
    "PUT /api/notifications/email/": Action.VIEW,
    "POST /api/dailies/": Action.DAILIES_RUN,
    "POST /api/dailies/{session_id}/driver/": Action.DAILIES_RUN,
    "POST /api/dailies/{session_id}/end/": Action.DAILIES_RUN,
}


# Writes whose schema-valid requests may still be refused (400) by a rule across fields, on what is stored or on
# a file's content, which no schema can say: there a 400 is expected beside the 2xx (and must be documented).
STATE_RULES = {
    "POST /api/shots/": "the last frame is not before the first",
    "PATCH /api/shots/{shot_id}/": "assignees are users that exist",
    "PUT /api/shots/{shot_id}/plate/": "the clip is a video of the shot's frames (judged by content)",
    "POST /api/shots/{shot_id}/variants/": "the clip is a video of the shot's frames (judged by content)",
    "POST /api/shots/{shot_id}/edits/": "segments cover the shot's frames with its own variants",
    "POST /api/shots/{shot_id}/notes/": "frames inside the shot, a variant of the shot, readable attachments",
    "POST /api/shots/{shot_id}/fixes/": "frames inside the shot, one readable image per frame",
    "POST /api/shots/{shot_id}/notes/import/": "a UTF-8 CSV with a header and good rows (judged by content)",
    "POST /api/dailies/": "a project of the user's, shots of that project, variants of those shots",
    "POST /api/dailies/{session_id}/driver/": "the new driver is a supervisor of the project",
    "PATCH /api/renders/{render_id}/": "the output is a video (judged by content); a report says something",
}


def role_for(method: str, path: str) -> str:
    """The first role (supervisor, artist, producer, pipeline) the permission table lets do the operation."""
    key = f"{method.upper()} {path}"
    assert method.upper() == "GET" or key in WRITES, f"{key}: say which action it is in WRITES"
    action = WRITES.get(key, Action.VIEW)
    return next(role for role in ROLES if role in MATRIX[action][0])


@dataclass
class ApiWorld:
    ids: dict[str, int]
    tokens: dict[str, str]


@pytest.fixture
def api_world(live_server) -> ApiWorld:
    world = make_world()
    shot = world.shot
    shot.status = ShotStatus.IN_REVIEW
    shot.save()
    variants = [VariantFactory(shot=shot, label="rigid"), VariantFactory(shot=shot, label="loose")]
    edit = EditFactory(shot=shot, version=1)
    note = NoteFactory(shot=shot, author=world.users["supervisor"])
    fix = FrameFix.objects.create(shot=shot, frame_start=1002, frame_end=1002, author=world.users["artist"])
    approved = EditFactory(shot=shot, version=2)
    Decision.objects.create(edit=approved, verdict="approve", author=world.users["supervisor"])
    render = Render.objects.create(shot=shot, edit=approved, state=RenderState.QUEUED)
    job = Job.objects.create(shot=shot, kind=JobKind.ENGINE, queue="gpu", state=JobState.FAILED,
                             params={"name": "SH010", "quick": True, "variants": ["rigid"]}, error="boom")
    # the supervisor (who reads and marks read) has one notification in their inbox
    notification = Notification.objects.create(user=world.users["supervisor"], shot=shot, verb="note.created",
                                               summary="SH010: a note")
    session = DailiesSession.objects.create(project=world.project, title="dailies",
                                            driver=world.users["supervisor"])
    DailiesItem.objects.create(session=session, position=1, shot=shot, variant=variants[0])
    ids = {"notification_id": notification.id, "session_id": session.id, "shot_id": shot.id,
           "variant_id": variants[0].id, "edit_id": edit.id, "note_id": note.id,
           "fix_id": fix.id, "render_id": render.id, "job_id": job.id}
    tokens = {role: api_token_issue(user=world.users[role]) for role in ROLES}
    return ApiWorld(ids=ids, tokens=tokens)


def schemathesis_config(world: ApiWorld) -> str:
    """schemathesis.toml for the run: reads as the supervisor, each write as the role allowed to make it, path ids
    nine times in ten the world's own."""
    lines = ["seed = 28", "workers = 1", f'headers = {{ Authorization = "Token {world.tokens["supervisor"]}" }}',
             "[generation]", f"max-examples = {EXAMPLES}", 'database = "none"', "[parameters]"]
    lines += [f'"path.{name}" = {{ dictionary = "{name}", probability = 0.9 }}' for name in world.ids]
    for name, value in world.ids.items():
        lines += [f"[dictionaries.{name}]", f"values = [{value}]"]
    for key in WRITES:
        method, path = key.split(" ")
        lines += ["[[operations]]", f'include-name = "{key}"',
                  f'headers = {{ Authorization = "Token {world.tokens[role_for(method, path)]}" }}']
        if key in STATE_RULES:
            lines.append('checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", '
                         '"409"]')
    return "\n".join(lines) + "\n"


def test_the_api_answers_as_its_schema_says(live_server, api_world, tmp_path):
    # the live schema, read as a signed-in person reads it (it may sit behind the login page)
    cookie = login(live_server.url, "supervisor1", "pw-for-tests")
    served = requests.get(f"{live_server.url}/api/schema/?format=json", headers={"Cookie": cookie}, timeout=30)
    assert served.status_code == 200, served.text[:500]
    (tmp_path / "schema.json").write_text(served.text)
    (tmp_path / "schemathesis.toml").write_text(schemathesis_config(api_world))
    run = subprocess.run([str(Path(sys.executable).with_name("schemathesis")), "--config-file", "schemathesis.toml",
                          "run", "schema.json", "--url", live_server.url, "--phases", PHASES],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-4000:]
    # every operation of the schema was called, and every generated case passed
    operations = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", run.stdout)
    cases = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert operations and len(set(operations.groups())) == 1 and int(operations[1]) >= 31, run.stdout[-3000:]
    assert cases and cases[1] == cases[2] and int(cases[1]) >= 200, run.stdout[-3000:]
