"""What the pages hear of jobs: the event a job's row becomes, the groups it is sent to (a shot's jobs socket,
the boards), and the sending. It writes nothing to the database, so the runner, the selectors and the consumers
share it without depending on each other."""
from __future__ import annotations

import logging
from typing import Any

from review.choices import JobState
from review.live_relay import send_to_groups
from review.models import Job
from review.services.activity import board_group

logger = logging.getLogger(__name__)

_unreachable = False  # the last send found no site: the next failures are logged at debug level only


def jobs_group(shot_id: int) -> str:
    """The group of a shot's jobs socket: progress is frequent, so it has its own socket apart from the
    shot's (whose listeners refetch the shot on every event)."""
    return f"jobs_{shot_id}"


def group_send(group: str, message: dict[str, Any]) -> None:
    """Send now (the writes it reports are committed), through the channel layer or the worker's relay."""
    global _unreachable
    try:
        send_to_groups([group], {"type": "review.event", "message": message})
        _unreachable = False
    except OSError as error:  # the site or Redis is not there (stopping, restarting): said once until it is back
        (logger.debug if _unreachable else logger.warning)(
            "could not send %s to %s: the site's live events are unreachable (%s: %s); open pages catch up when "
            "they reload", message.get("type"), group, type(error).__name__, error)
        _unreachable = True
    except Exception:  # a broken channel layer must not stop the work either; the page catches up from the table
        logger.exception("could not send %s to %s", message.get("type"), group)


def jobs_group_send(shot_id: int, message: dict[str, Any]) -> None:
    group_send(jobs_group(shot_id), {"shot": shot_id, **message})


def board_job_send(job: Job) -> None:
    """Tell the boards of the job's project that its shot's job changed (the board shows each shot's newest active
    job with its progress); `job` is a top-level job with its shot and sequence loaded."""
    group_send(board_group(job.shot.sequence.project_id), {
        "type": "job.updated", "shot": job.shot_id, "job": job.id, "kind": job.kind, "state": job.state,
        "progress": job.progress})


def job_message(job: Job) -> dict[str, Any]:
    """What a page needs to show a job: the event the jobs websocket sends."""
    return {"type": "job.updated", "job": job.id, "kind": job.kind, "kind_label": job.get_kind_display(),
            "parent": job.parent_id, "chunk": job.chunk_index, "frame_start": job.frame_start,
            "frame_end": job.frame_end, "state": job.state, "state_label": job.get_state_display(),
            "colour": JobState(job.state).colour, "progress": job.progress, "message": job.message,
            "error": job.error, "attempt": job.attempt, "max_attempts": job.max_attempts, "worker": job.worker,
            "log_tail": job.log[-2000:]}
