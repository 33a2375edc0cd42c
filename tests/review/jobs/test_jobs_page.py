"""Jobs where people see them: the shot page (error, log, Retry for the right role), the API, the jobs
socket (live events, and the table poll that reaches workers in other processes), and an engine run."""
from __future__ import annotations

from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from review.choices import JobKind, JobState, ShotStatus
from review.models import Job
from review.routing import websocket_urlpatterns
from review.jobs.runner import job_create
from tests.review.jobs.conftest import approve, drain
from tests.timing import patience


def _failed_render(world) -> Job:
    approve(world)
    rigid = world.variants[0]
    rigid.refresh_from_db()
    Path(rigid.clip.path).unlink()
    drain()
    return Job.objects.get(render__shot=world.shot, parent=None)


def _page(user, shot_id: int) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/shots/{shot_id}/").content.decode()


def test_failed_job_shows_its_error_and_retry_only_for_the_supervisor(published):
    job = _failed_render(published)
    page = _page(published.users["supervisor"], published.shot.id)
    assert f'id="job-{job.id}"' in page and "no such file" in page and ">Retry</button>" in page
    assert "chunks" in page and 'data-ws="/ws/shots/' in page
    artist_page = _page(published.users["artist"], published.shot.id)
    assert "no such file" in artist_page and ">Retry</button>" not in artist_page

    artist = Client()
    artist.force_login(published.users["artist"])
    answer = artist.post(f"/jobs/{job.id}/retry", follow=True)
    assert "only a supervisor" in answer.content.decode()
    assert Job.objects.filter(render__shot=published.shot, parent=None).count() == 1

    supervisor = Client()
    supervisor.force_login(published.users["supervisor"])
    supervisor.post(f"/jobs/{job.id}/retry")
    assert Job.objects.filter(render__shot=published.shot, parent=None, state=JobState.QUEUED).count() == 1


def test_api_lists_jobs_and_retries(published):
    job = _failed_render(published)
    listed = published.client("producer").get(f"/api/shots/{published.shot.id}/jobs/").json()["results"]
    assert {j["kind"] for j in listed} == {"render", "review_clip"}
    failed = next(j for j in listed if j["id"] == job.id)
    assert failed["state"] == "failed" and "no such file" in failed["error"] and failed["log"]
    assert published.client("producer").post(f"/api/jobs/{job.id}/retry/").status_code == 403
    assert published.client("outsider").post(f"/api/jobs/{job.id}/retry/").status_code == 404
    retried = published.client("supervisor").post(f"/api/jobs/{job.id}/retry/")
    assert retried.status_code == 201 and retried.json()["state"] == "queued" and retried.json()["id"] != job.id


def test_engine_run_from_the_site_trains_then_converts_each_chosen_variant_onto_the_shot(world_tx, settings,
                                                                                          tmp_path):
    """A quick engine run of two of the three variants: training on the gpu queue, then one chunked
    conversion job per chosen variant, each joined, scored against the synthetic truth and published."""
    settings.FACEREPLACE_ENGINE_ROOT = tmp_path / "engine"
    settings.FACEREPLACE_WORK_ROOT = tmp_path / "work"
    settings.FACEREPLACE_CONVERT_CHUNK_FRAMES = 5
    api = world_tx.client("pipeline")
    shot = world_tx.shot
    assert world_tx.client("artist").post(f"/api/shots/{shot.id}/jobs/", {"name": "pirouette"},
                                          format="json").status_code == 403
    bad = api.post(f"/api/shots/{shot.id}/jobs/", {"name": "../etc"}, format="json")
    assert bad.status_code == 400 and "not a folder name" in bad.content.decode()
    unknown = api.post(f"/api/shots/{shot.id}/jobs/", {"name": "pirouette", "variants": ["rigid", "tight"]},
                       format="json")
    assert unknown.status_code == 400 and "no such variant 'tight'" in unknown.content.decode() and \
        "rigid, loose, cg" in unknown.content.decode()
    none = api.post(f"/api/shots/{shot.id}/jobs/", {"name": "pirouette", "variants": []}, format="json")
    assert none.status_code == 400 and "no variant chosen" in none.content.decode()
    answer = api.post(f"/api/shots/{shot.id}/jobs/", {"name": "pirouette", "quick": True,
                                                      "variants": ["loose", "rigid"]}, format="json")
    assert answer.status_code == 201 and answer.json()["queue"] == "gpu"
    drain()
    job = Job.objects.get(pk=answer.json()["id"])
    assert job.state == JobState.DONE, job.error
    assert job.progress == 1.0 and "stabilize" in job.log and "train loose fit" in job.log
    assert "train cg" not in job.log and "pirouette: convert" not in job.log  # trained only: the jobs convert
    assert "queued the conversion of loose" in job.log
    converts = list(Job.objects.filter(shot=shot, kind=JobKind.CONVERT, parent=None).order_by("id"))
    assert [(c.params["variant"], c.requested_by, c.queue) for c in converts] == [
        ("rigid", world_tx.users["pipeline"], "gpu"), ("loose", world_tx.users["pipeline"], "gpu")]
    for convert in converts:
        assert convert.state == JobState.DONE, (convert.error, convert.log[-2000:])
        assert [(c.frame_start, c.frame_end) for c in convert.chunks.order_by("chunk_index")] == [
            (1001, 1005), (1006, 1010), (1011, 1012)]
    shot.refresh_from_db()
    assert shot.status == ShotStatus.IN_REVIEW  # training, then the first published variant opened the review
    published = {v.label: v for v in shot.variants.all()}
    assert sorted(published) == ["loose", "rigid"]
    for label, variant in published.items():
        assert variant.model_name == label and variant.clip_frames == 12 and variant.thumbnail and variant.filmstrip
        assert [row["frame"] for row in variant.qc] == list(range(1001, 1013))
        assert variant.metrics["eval"]["all"]["frames"] == 12  # the per-yaw-bin table, from the synthetic truth
    missing = api.post(f"/api/shots/{shot.id}/jobs/", {"name": "SH010_plate"}, format="json").json()
    drain()
    assert "no such file" in Job.objects.get(pk=missing["id"]).error


def test_page_forms_queue_an_engine_run_of_the_checked_variants_and_a_conversion(world):
    supervisor = Client()
    supervisor.force_login(world.users["supervisor"])
    page = supervisor.get(f"/shots/{world.shot.id}/").content.decode()
    assert page.count('name="variants"') == 3 and 'id="convert-form"' in page
    supervisor.post(f"/shots/{world.shot.id}/engine", {"name": "pirouette", "variants": ["cg", "rigid"]})
    supervisor.post(f"/shots/{world.shot.id}/convert", {"name": "pirouette", "variant": "loose"})
    queued = {job.kind: job.params for job in Job.objects.filter(shot=world.shot)}
    assert queued == {"engine": {"name": "pirouette", "quick": False, "variants": ["rigid", "cg"]},
                      "convert": {"name": "pirouette", "variant": "loose"}}
    refused = supervisor.post(f"/shots/{world.shot.id}/engine", {"name": "pirouette"}, follow=True).content.decode()
    again = supervisor.post(f"/shots/{world.shot.id}/convert", {"name": "pirouette", "variant": "loose"},
                            follow=True).content.decode()
    assert "no variant chosen" in refused and "already queued" in again
    assert Job.objects.filter(shot=world.shot).count() == 2
    artist = Client()
    artist.force_login(world.users["artist"])
    assert 'id="convert-form"' not in artist.get(f"/shots/{world.shot.id}/").content.decode()


@pytest.mark.django_db(transaction=True)
async def test_jobs_socket_forwards_events_and_polls_other_processes(world_tx):
    world = world_tx
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/shots/{world.shot.id}/jobs/")
    communicator.scope["user"] = world.users["artist"]
    assert (await communicator.connect())[0]
    job = await sync_to_async(job_create)(shot=world.shot, kind=JobKind.ENGINE, params={"name": "x"})
    message = await communicator.receive_json_from(timeout=patience(3))
    assert message["type"] == "job.updated" and message["job"] == job.id and message["state"] == "queued"
    # a worker in another process cannot reach the in-memory layer: its change arrives through the poll
    await sync_to_async(Job.objects.filter(pk=job.id).update)(state=JobState.RUNNING, progress=0.4,
                                                              message="frame 12", updated=timezone.now())
    for _ in range(5):
        message = await communicator.receive_json_from(timeout=patience(3))
        if message["state"] == "running":
            break
    assert message["progress"] == 0.4 and message["message"] == "frame 12"
    await communicator.disconnect()

    outsider = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/shots/{world.shot.id}/jobs/")
    outsider.scope["user"] = world.outsider
    connected, code = await outsider.connect()
    assert not connected
