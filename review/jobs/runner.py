"""The job runner: heavy work on a shot, run by task workers, reported live, retried, never lost and never run
twice. It knows no kind of job: it looks each job's kind up in `review.jobs.registry`.

A job is queued -> running -> done | failed. A chunked job (a render) plans frame chunks while running,
then waits while its chunks (child jobs) run on any worker, and is queued once more to join them.

Each task runs one *attempt* of a job: it claims the job only if the job is queued at that attempt (so a
task enqueued twice runs once), and every write it makes is conditional on still holding that attempt
(a fencing token: a worker the reaper gave up on cannot overwrite the attempt that replaced it). While it
runs, a thread beats the job's heartbeat; `jobs_reap` (run by every worker every few seconds, and by
`manage.py jobs_reap`) re-queues a job whose heartbeat went stale, up to `max_attempts`, then fails it.

The task is `job_execute`, enqueued on the job's queue (`gpu` for training and conversion, `cpu` for transcoding
and the comp, so studios run workers where the hardware is). While an attempt runs, the records of the
`pipeline` and `review` loggers go to the job's log (handlers on those two loggers, none on the root logger).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, close_old_connections, connection, transaction
from django.db.models import Avg, DateTimeField, F, Value
from django.db.models.functions import Coalesce, Concat
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pipeline.errors import FacereplaceError
from review.choices import JOB_STATE_ACTIVE, JobState
from review.errors import Conflict, database_busy
from review.jobs.live import board_job_send, group_send, job_message, jobs_group_send
from review.jobs.registry import job_kind
from review.models import Job, Render, Shot
from review.paths import path_inside, without_server_paths
from review.permissions import require
from review.services.activity import board_group, shot_group

logger = logging.getLogger(__name__)

LOG_LIMIT = 200_000  # characters of log one attempt may append; the rest is summarised
BOARD_EVERY = 2.0  # seconds between a running job's progress events to the boards (each makes a board re-read)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class JobLost(Exception):
    """This attempt no longer owns its job (the reaper re-queued it, or it was failed): stop working."""


def heartbeat_seconds() -> float:
    return float(settings.FACEREPLACE_JOB_HEARTBEAT_SECONDS)


def stale_seconds() -> float:
    return float(settings.FACEREPLACE_JOB_STALE_SECONDS)


def work_dir(job: Job) -> Path:
    """A folder for the job's intermediate files, on storage every worker sees (FACEREPLACE_WORK_ROOT)."""
    path = path_inside(settings.FACEREPLACE_WORK_ROOT, "jobs", str(job.parent_id or job.id),
                       setting="FACEREPLACE_WORK_ROOT")
    path.mkdir(parents=True, exist_ok=True)
    return path


def chunk_dir(parent: Job, index: int) -> Path:
    """Where chunk `index` of a chunked job writes its part, for the join to read (under `work_dir`)."""
    return work_dir(parent) / f"chunk{index:04d}"


def _announce(job_id: int) -> None:
    """After commit, send the job's current row to the shot's jobs websocket (and a top-level job's to the boards)."""
    def send() -> None:
        job = Job.objects.filter(pk=job_id).select_related("shot__sequence").first()
        if job is not None:
            jobs_group_send(job.shot_id, job_message(job))
            if job.parent_id is None:
                board_job_send(job)

    transaction.on_commit(send)


@task(queue_name="cpu")
def job_execute(job_id: int, attempt: int) -> None:
    """Run attempt `attempt` of job `job_id` (enqueued on the job's own queue with `.using(queue_name=...)`)."""
    job_run(job_id, attempt)


def _enqueue(job_id: int, attempt: int, queue: str) -> None:
    result = job_execute.using(queue_name=queue).enqueue(job_id, attempt)
    Job.objects.filter(pk=job_id, attempt=attempt).update(task_id=str(result.id))
    job = Job.objects.filter(pk=job_id).only("render_id", "parent_id").first()
    if job is not None and job.render_id and job.parent_id is None:
        Render.objects.filter(pk=job.render_id).update(task_id=str(result.id))


def _enqueue_on_commit(job: Job) -> None:
    job_id, attempt, queue = job.id, job.attempt, job.queue
    transaction.on_commit(lambda: _enqueue(job_id, attempt, queue))


@transaction.atomic
def job_create(*, shot: Shot, kind: str, actor: Any = None, render: Any = None, variant: Any = None,
               params: dict[str, Any] | None = None) -> Job:
    """Queue a job (no role check: the service that asks for it checked its own). A second active job of
    the same render, or of the same conversion, is refused by the database (409)."""
    spec = job_kind(kind)
    job = Job(shot=shot, kind=kind, queue=spec.queue, render=render, variant=variant, params=params or {},
              requested_by=actor if getattr(actor, "is_authenticated", False) else None,
              max_attempts=settings.FACEREPLACE_JOB_MAX_ATTEMPTS)
    job.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        raise Conflict(f"{job.get_kind_display().lower()} of {shot} is already queued or running") from None
    _announce(job.id)
    _enqueue_on_commit(job)
    logger.info("queued %s on %s", job, job.queue)
    return job


def job_claim(*, job_id: int, attempt: int, worker: str = WORKER_ID) -> Job | None:
    """Take a queued job for this attempt; None if it is not (already taken, finished, or re-queued)."""
    now = timezone.now()
    taken = Job.objects.filter(pk=job_id, attempt=attempt, state=JobState.QUEUED).update(
        state=JobState.RUNNING, worker=worker, heartbeat=now, updated=now, message="started",
        started=Coalesce(F("started"), Value(now, output_field=DateTimeField())))
    if not taken:
        return None
    job = Job.objects.select_related("shot__sequence", "parent", "render", "variant").get(pk=job_id)
    jobs_group_send(job.shot_id, job_message(job))
    if job.parent_id is None:
        board_job_send(job)
    return job


class JobReporter:
    """The ProgressCallback a task hands to the engine, plus the log: throttled conditional writes to the
    job (and its parent's and render's progress), each followed by a websocket event."""

    def __init__(self, job: Job, *, every: float = 0.25):
        self.job, self.every = job, every
        self._last = self._board_last = 0.0
        self._pending: list[str] = []
        self._written = 0
        self._lock = threading.Lock()
        self.fraction, self.text = job.progress, job.message

    def __call__(self, fraction: float, message: str) -> None:
        self.fraction, self.text = min(1.0, max(0.0, float(fraction))), without_server_paths(message)[:300]
        if time.monotonic() - self._last >= self.every:
            self.flush()

    def log(self, line: str) -> None:
        line = without_server_paths(line)
        with self._lock:
            if self._written < LOG_LIMIT:
                self._pending.append(line)
                self._written += len(line) + 1
                if self._written >= LOG_LIMIT:
                    self._pending.append(f"(log truncated after {LOG_LIMIT} characters)")

    def flush(self) -> None:
        with self._lock:
            text, self._pending = "".join(f"{line}\n" for line in self._pending), []
        self._last = time.monotonic()
        changes: dict[str, Any] = {"progress": self.fraction, "message": self.text, "updated": timezone.now()}
        if text:
            changes["log"] = Concat(F("log"), Value(text))
        job = self.job
        if not Job.objects.filter(pk=job.id, attempt=job.attempt, state=JobState.RUNNING).update(**changes):
            raise JobLost(f"{job} attempt {job.attempt} was taken over; stopping")
        job.progress, job.message = self.fraction, self.text
        jobs_group_send(job.shot_id, {**job_message(job), "log_tail": "", "log_append": text})
        _mirror_progress(job)
        if self._last - self._board_last >= BOARD_EVERY:
            self._board_last = self._last
            board_job_send(job.parent or job)


def _overall(job: Job) -> float:
    """A chunked job's progress: 5% planning, 85% its chunks on average, 10% the join."""
    if job.phase == "join":
        return 0.9 + 0.1 * job.progress
    return job.progress


def _mirror_progress(job: Job) -> None:
    """A chunk's progress moves its parent's; a render job's moves its Render (the render.progress event)."""
    root = job.parent or job
    if job.parent_id:
        avg = Job.objects.filter(parent_id=job.parent_id).aggregate(p=Avg("progress"))["p"] or 0.0
        root.progress = 0.05 + 0.85 * avg
        Job.objects.filter(pk=root.id, state=JobState.WAITING).update(progress=root.progress, updated=timezone.now())
        jobs_group_send(root.shot_id, {**job_message(root), "log_tail": ""})
        overall = root.progress
    else:
        overall = _overall(job)
    if root.render_id:
        if not Render.objects.filter(pk=root.render_id, state="running").update(progress=overall):
            return  # finished (or failed) meanwhile: a late "running" would contradict it
        shot = job.shot
        payload = {"shot": shot.id, "type": "render.progress", "render": root.render_id, "progress": overall,
                   "state": "running"}
        group_send(shot_group(shot.id), payload)
        group_send(board_group(shot.sequence.project_id), payload)


CAPTURED_LOGGERS = ("pipeline", "review")  # the engine's and the site's: every job kind logs under one of them


class _LogCapture(logging.Handler):
    """Log records of the engine and the site, while a job runs, into its reporter: a handler on each of
    CAPTURED_LOGGERS (at INFO while the job runs), never on the root logger, whose handlers are the host's."""

    def __init__(self, reporter: JobReporter):
        super().__init__(logging.INFO)
        self.reporter = reporter
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._levels: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.reporter.log(self.format(record))

    def __enter__(self) -> _LogCapture:
        for name in CAPTURED_LOGGERS:
            captured = logging.getLogger(name)
            self._levels[name] = captured.level
            captured.addHandler(self)
            if captured.getEffectiveLevel() > logging.INFO:
                captured.setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: object) -> None:
        for name, level in self._levels.items():
            captured = logging.getLogger(name)
            captured.removeHandler(self)
            captured.setLevel(level)


class _Heartbeat(threading.Thread):
    """Beats the job's heartbeat while its attempt runs, with its own database connection."""

    def __init__(self, job: Job):
        super().__init__(name=f"heartbeat-{job.id}", daemon=True)
        self.job, self.stop = job, threading.Event()
        self.lost = False

    def run(self) -> None:
        try:
            while not self.stop.wait(heartbeat_seconds()):
                beat = Job.objects.filter(pk=self.job.id, attempt=self.job.attempt, state=JobState.RUNNING)
                try:
                    if not beat.update(heartbeat=timezone.now()):
                        self.lost = True
                        return
                except OperationalError as exc:  # a locked database: beat again next time
                    if not database_busy(exc):
                        raise
        finally:
            connection.close()


def job_run(job_id: int, attempt: int) -> None:
    """The body of the job task: claim, run with heartbeat and progress, then finish or fail."""
    job = job_claim(job_id=job_id, attempt=attempt)
    if job is None:
        logger.info("job %s attempt %s is not queued any more; nothing to do", job_id, attempt)
        return
    spec = job_kind(job.kind)
    reporter = JobReporter(job)
    heartbeat = _Heartbeat(job)
    with _LogCapture(reporter):
        heartbeat.start()
        reporter.log(f"attempt {attempt} on {WORKER_ID}")
        try:
            if job.parent_id:
                spec.run_chunk(job.parent, job, reporter)
            elif spec.chunked and job.phase == "":
                ranges = spec.plan(job)
                reporter.flush()
                _chunks_create(job, ranges)
                return
            elif spec.chunked:
                spec.join(job, reporter)
            else:
                spec.run(job, reporter)
            reporter.flush()
            job_finish(job=job)
        except JobLost as exc:
            logger.warning("%s", exc)
        except Exception as exc:  # the job records any failure; the worker goes on with the next task
            if database_busy(exc):
                _retry_after_busy(job, exc)
                return
            reporter.log(traceback.format_exc())
            try:
                reporter.flush()
            except JobLost:
                return
            job_fail(job=job, error=_error_text(exc))
            raise
        finally:
            heartbeat.stop.set()
            heartbeat.join()


BUSY_RETRY_WAITS = (1.0, 2.0, 4.0, 8.0)


def _retry_after_busy(job: Job, exc: BaseException) -> None:
    """The attempt met a database another process held locked: the job did nothing wrong, so it is queued
    again as its next attempt (failed only once its attempts are spent). Writing that needs the database too:
    it is tried again after each of BUSY_RETRY_WAITS; should the lock outlast them all, the heartbeat stops
    with this attempt and the reaper re-queues the job once it is stale."""
    note = f"the database was busy ({exc})"
    for wait in BUSY_RETRY_WAITS:
        try:
            if job.attempt < job.max_attempts:
                if _requeue(job, why="a busy database", note=note, now=timezone.now()):
                    logger.warning("%s met a busy database; re-queued as attempt %d", job, job.attempt)
            else:
                job_fail(job=job, error=f"{note}; gave up after {job.max_attempts} attempts")
            return
        except OperationalError as again:
            if not database_busy(again):
                raise
            time.sleep(wait)
    logger.warning("%s: the database stayed busy; the reaper re-queues the job once its heartbeat is stale", job)


def _requeue(job: Job, *, why: str, note: str, now: Any) -> bool:
    """Queue `job` again as its next attempt if this attempt still holds it (False when it does not)."""
    with transaction.atomic():
        if not Job.objects.filter(pk=job.id, attempt=job.attempt, state=JobState.RUNNING).update(
                state=JobState.QUEUED, attempt=job.attempt + 1, updated=now,
                message=f"retrying after {why} (attempt {job.attempt + 1} of {job.max_attempts})",
                log=Concat(F("log"), Value(f"{note}; re-queued as attempt {job.attempt + 1}\n"))):
            return False
        job.attempt += 1
        _announce(job.id)
        _enqueue_on_commit(job)
    return True


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, (FacereplaceError, Conflict, PermissionDenied)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


@transaction.atomic
def _chunks_create(job: Job, ranges: list[tuple[int, int]]) -> None:
    """The planned chunks become queued child jobs; the parent waits for them."""
    if not ranges:
        raise ValueError(f"{job} planned no chunks")
    if not Job.objects.filter(pk=job.id, attempt=job.attempt, state=JobState.RUNNING).update(
            state=JobState.WAITING, phase="chunks", progress=0.05, message=f"{len(ranges)} chunks queued",
            updated=timezone.now()):
        raise JobLost(f"{job} attempt {job.attempt} was taken over while planning")
    Job.objects.filter(parent=job).delete()
    for index, (start, end) in enumerate(ranges):
        chunk = Job(shot=job.shot, kind=job.kind, queue=job.queue, parent=job, chunk_index=index, frame_start=start,
                    frame_end=end, max_attempts=job.max_attempts)
        chunk.save()
        _announce(chunk.id)
        _enqueue_on_commit(chunk)
    _announce(job.id)


@transaction.atomic
def job_finish(*, job: Job) -> None:
    """The attempt succeeded: done; a chunk's completion may queue its parent's join."""
    now = timezone.now()
    if not Job.objects.filter(pk=job.id, attempt=job.attempt, state=JobState.RUNNING).update(
            state=JobState.DONE, progress=1.0, message="done", finished=now, updated=now):
        raise JobLost(f"{job} attempt {job.attempt} was taken over before it finished")
    _announce(job.id)
    if job.parent_id:
        parent = Job.objects.select_for_update().get(pk=job.parent_id)
        left = Job.objects.filter(parent=parent).exclude(state=JobState.DONE).count()
        if parent.state == JobState.WAITING and left == 0:
            parent.state, parent.phase, parent.attempt = JobState.QUEUED, "join", parent.attempt + 1
            parent.message, parent.progress = "chunks done; joining", 0.9
            parent.save(update_fields=["state", "phase", "attempt", "message", "progress", "updated"])
            _announce(parent.id)
            _enqueue_on_commit(parent)
        return
    spec = job_kind(job.kind)
    if spec.on_done is not None:
        spec.on_done(Job.objects.select_related("shot__sequence", "render").get(pk=job.id))


@transaction.atomic
def job_fail(*, job: Job, error: str, attempt_checked: bool = True) -> None:
    """The attempt failed: the job (and a chunk's parent, whose other chunks stop) is failed with `error`."""
    now = timezone.now()
    rows = Job.objects.filter(pk=job.id, state__in=JOB_STATE_ACTIVE)
    if attempt_checked:
        rows = rows.filter(attempt=job.attempt)
    error = without_server_paths(error)
    if not rows.update(state=JobState.FAILED, error=error[:5000], message="failed", finished=now, updated=now):
        return
    _announce(job.id)
    logger.warning("%s failed: %s", job, error)
    if job.parent_id:
        others = Job.objects.filter(parent_id=job.parent_id, state__in=JOB_STATE_ACTIVE).exclude(pk=job.id)
        for other in others:
            other_error = f"stopped: chunk {job.chunk_index + 1} failed"
            Job.objects.filter(pk=other.id).update(state=JobState.FAILED, error=other_error, finished=now, updated=now)
            _announce(other.id)
        parent = Job.objects.get(pk=job.parent_id)
        job_fail(job=parent, error=f"chunk {job.chunk_index + 1} (frames {job.frame_start}-{job.frame_end}) failed: "
                                   f"{error}", attempt_checked=False)
        return
    spec = job_kind(job.kind)
    if spec.on_failed is not None:
        spec.on_failed(Job.objects.select_related("shot__sequence", "render").get(pk=job.id), error)


@transaction.atomic
def job_retry(*, job: Job, actor: Any) -> Job:
    """Run a failed job again (the role that may start it may retry it); returns the job that will run."""
    spec = job_kind(job.kind)
    require(actor, job.shot.sequence.project_id, spec.retry_action)
    locked = Job.objects.select_for_update().select_related("shot__sequence", "render").get(pk=job.pk)
    if locked.parent_id:
        raise Conflict(f"{locked} is a chunk; retry its job {locked.parent_id}")
    if locked.state != JobState.FAILED:
        raise Conflict(f"{locked} is {locked.state}; only a failed job can be retried")
    if spec.retry is not None:
        return spec.retry(locked, actor)
    Job.objects.filter(parent=locked).delete()
    locked.state, locked.phase, locked.attempt = JobState.QUEUED, "", locked.attempt + 1
    locked.progress, locked.message, locked.error, locked.finished = 0.0, "retry queued", "", None
    locked.log += f"retried by {actor}\n"
    locked.save()
    _announce(locked.id)
    _enqueue_on_commit(locked)
    return locked


def jobs_reap(*, now: Any = None) -> list[str]:
    """Find jobs whose worker died (stale heartbeat) and re-queue them (up to max_attempts, then fail them);
    re-enqueue queued jobs whose task was lost. Returns what it did, one line each. Safe to run anywhere,
    any number of times at once: every change is conditional on the state it saw."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=stale_seconds())
    done: list[str] = []
    close_old_connections()
    for job in Job.objects.filter(state=JobState.RUNNING, heartbeat__lt=cutoff).select_related("shot__sequence"):
        seen = job.heartbeat.isoformat(timespec="seconds")
        note = f"worker {job.worker} stopped responding (no heartbeat since {seen})"
        _task_lost(job.task_id, note)
        if job.attempt < job.max_attempts:
            if _requeue(job, why="a lost worker", note=note, now=now):
                done.append(f"re-queued {job}: {note}")
        else:
            job_fail(job=job, error=f"{note}; gave up after {job.max_attempts} attempts")
            done.append(f"failed {job}: {note}")
    for job in Job.objects.filter(state=JobState.QUEUED, updated__lt=cutoff):
        if not _task_pending(job.task_id):
            with transaction.atomic():
                if Job.objects.filter(pk=job.id, attempt=job.attempt, state=JobState.QUEUED, task_id=job.task_id
                                      ).update(updated=now, task_id=""):
                    _enqueue_on_commit(job)
                    done.append(f"re-enqueued {job}: its task was lost")
    for line in done:
        logger.warning("reaper: %s", line)
    return done


def _task_pending(task_id: str) -> bool:
    return bool(task_id) and DBTaskResult.objects.filter(id=task_id, status__in=("READY", "RUNNING")).exists()


def _task_lost(task_id: str, note: str) -> None:
    """The queue's own record of a killed task says so (it would stay RUNNING forever otherwise)."""
    if task_id:
        DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
            status="FAILED", finished_at=timezone.now(), exception_class_path="review.jobs.runner.JobLost",
            traceback=note)


def reaper_thread(interval: float) -> threading.Thread:
    """A daemon thread running `jobs_reap` every `interval` seconds (started by `manage.py jobs_worker`)."""
    def loop() -> None:
        while True:
            time.sleep(interval)
            try:
                jobs_reap()
            except Exception:  # a failed sweep is logged and tried again next time
                logger.exception("reaper sweep failed")
            finally:
                connection.close()

    thread = threading.Thread(target=loop, name="jobs-reaper", daemon=True)
    thread.start()
    return thread
