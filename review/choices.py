"""Every status and kind of the review site, each with its label and its colour.

One class per status, shared by the models, the API and the board, so a colour or label changes in one place.
"""
from __future__ import annotations

from django.db import models


class ShotStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    TRAINING = "training", "Training"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    RENDERING = "rendering", "Rendering"
    FINAL = "final", "Final"
    ON_HOLD = "on_hold", "On hold"
    OMITTED = "omitted", "Omitted"

    @property
    def colour(self) -> str:
        return SHOT_STATUS_COLOURS[self]


SHOT_STATUS_COLOURS: dict[str, str] = {
    ShotStatus.WAITING: "#9e9e9e",
    ShotStatus.TRAINING: "#7e57c2",
    ShotStatus.IN_REVIEW: "#1e88e5",
    ShotStatus.CHANGES_REQUESTED: "#fb8c00",
    ShotStatus.APPROVED: "#43a047",
    ShotStatus.RENDERING: "#00897b",
    ShotStatus.FINAL: "#1b5e20",
    ShotStatus.ON_HOLD: "#e53935",
    ShotStatus.OMITTED: "#546e7a",
}

# Statuses in which a shot is done or out of the schedule: never "overdue".
SHOT_STATUS_CLOSED = frozenset({ShotStatus.FINAL, ShotStatus.OMITTED})


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", "Supervisor"
    ARTIST = "artist", "Artist"
    PRODUCER = "producer", "Producer"
    PIPELINE = "pipeline", "Pipeline"


class VariantKind(models.TextChoices):
    RIGID = "rigid", "Rigid"
    LOOSE = "loose", "Loose"
    CG = "cg", "CG-driven"
    OTHER = "other", "Other"


class DecisionVerdict(models.TextChoices):
    APPROVE = "approve", "Approved"
    REQUEST_CHANGES = "request_changes", "Changes requested"

    @property
    def colour(self) -> str:
        return {"approve": "#43a047", "request_changes": "#fb8c00"}[self]


class FrameFixState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"

    @property
    def colour(self) -> str:
        return {"submitted": "#1e88e5", "accepted": "#43a047", "rejected": "#e53935"}[self]


class RenderState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"

    @property
    def colour(self) -> str:
        return {"queued": "#9e9e9e", "running": "#00897b", "done": "#1b5e20", "failed": "#e53935"}[self]


RENDER_STATE_ACTIVE = (RenderState.QUEUED, RenderState.RUNNING)


class JobKind(models.TextChoices):
    """Background work on a shot, each run by a task on the queue of the hardware it needs."""

    REVIEW_CLIP = "review_clip", "Review clip"
    ENGINE = "engine", "Engine run"
    RENDER = "render", "Final render"
    CONVERT = "convert", "Conversion"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for chunks"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"

    @property
    def colour(self) -> str:
        return {"queued": "#9e9e9e", "running": "#00897b", "waiting": "#1e88e5", "done": "#1b5e20",
                "failed": "#e53935"}[self]


JOB_STATE_ACTIVE = (JobState.QUEUED, JobState.RUNNING, JobState.WAITING)
