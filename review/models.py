"""The review site's data: projects, shots, the variants the engine made, and what people decided about them.

Invariants live here and in the database (`Meta.constraints`, `clean()`); services call `full_clean()` before
every save. Stored file names are chosen by the server (`_storage_name`), never taken from the client.
"""
from __future__ import annotations

import hashlib
import math
import uuid
from datetime import date
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.json import KeyTextTransform

from pipeline.errors import MediaError
from pipeline.media.timecode import check_timecode
from review.choices import (
    JOB_STATE_ACTIVE,
    RENDER_STATE_ACTIVE,
    SHOT_STATUS_CLOSED,
    DecisionVerdict,
    FrameFixState,
    JobKind,
    JobState,
    RenderState,
    Role,
    ShotStatus,
    VariantKind,
)
from review.paths import without_server_paths

User = settings.AUTH_USER_MODEL

# Sequence and shot codes name folders on the engine's storage (FACEREPLACE_ENGINE_ROOT/project/sequence/shot).
CODE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]*$"  # as the API's schema states it (ECMA-262, no \A or \Z)
code_validator = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z",
    "a code is a slug: letters, digits, '-' and '_', starting with a letter or digit (it names a folder: no '/', "
    "'.' or spaces)")


def _storage_name(folder: str, suffix: str) -> str:
    """A fresh server-chosen name under `folder`: nothing the client sends ends up in a path."""
    return f"{folder}/{uuid.uuid4().hex}{suffix}"


def _upload_name(instance: Any, filename: str, kind: str) -> str:
    shot_id = getattr(instance, "shot_id", None) or instance.owner_shot_id()
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not suffix[1:].isalnum() or len(suffix) > 6:
        suffix = ""
    return _storage_name(f"shots/{shot_id}/{kind}", suffix)


def upload_plate(instance: Any, filename: str) -> str:
    return _upload_name(instance, filename, "plate")


def upload_variant(instance: Any, filename: str) -> str:
    return _upload_name(instance, filename, "variants")


def upload_attachment(instance: Any, filename: str) -> str:
    return _upload_name(instance, filename, "attachments")


def upload_fix(instance: Any, filename: str) -> str:
    return _upload_name(instance, filename, "fixes")


def upload_render(instance: Any, filename: str) -> str:
    return _upload_name(instance, filename, "renders")


class Project(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(User, through="Membership", related_name="review_projects", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Membership(models.Model):
    """A person works on a project in a role: what they may do there (review/permissions.py), and only there."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="review_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, blank=True,
                            help_text="what they may do on this project; blank: nothing yet (kept for people "
                                      "who had no role group when roles became per project)")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=[*Role.values, ""]), name="membership_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.role or 'no role'} on {self.project}"


class ApiToken(models.Model):
    """A person's API token (`Authorization: Token <key>`), stored as the SHA-256 digest of its key: the database
    never holds a usable token. The key itself is shown once, when it is issued (`review.services.tokens`)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"API token of {self.user}"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class Sequence(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sequences")
    code = models.CharField(max_length=64, validators=[code_validator])
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["project__code", "code"]
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="sequence_code_unique")]

    def __str__(self) -> str:
        return f"{self.project.code}/{self.code}"


class Shot(models.Model):
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="shots")
    code = models.CharField(max_length=64, validators=[code_validator])
    description = models.TextField(blank=True)
    frame_start = models.IntegerField(default=1001)
    frame_end = models.IntegerField(default=1001)
    fps_num = models.PositiveIntegerField(default=24)
    fps_den = models.PositiveIntegerField(default=1)
    start_timecode = models.CharField(
        max_length=11, blank=True,
        help_text="timecode of the first frame, HH:MM:SS:FF (HH:MM:SS;FF drop-frame at 29.97/59.94); "
                  "taken from the plate's metadata when it has one; empty counts from 00:00:00:00")
    plate_clip = models.FileField(upload_to=upload_plate, blank=True, max_length=300)
    status = models.CharField(max_length=32, choices=ShotStatus.choices, default=ShotStatus.WAITING, db_index=True)
    held_from = models.CharField(max_length=32, choices=ShotStatus.choices, blank=True,
                                 help_text="the status a shot on hold returns to")
    assignees = models.ManyToManyField(User, related_name="assigned_shots", blank=True)
    due_date = models.DateField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sequence__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "code"], name="shot_code_unique"),
            models.CheckConstraint(condition=Q(frame_end__gte=F("frame_start")), name="shot_frame_range_ordered"),
            models.CheckConstraint(condition=Q(fps_num__gt=0) & Q(fps_den__gt=0), name="shot_fps_positive"),
            models.CheckConstraint(condition=Q(status__in=ShotStatus.values), name="shot_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence.code}/{self.code}" if self.sequence_id else self.code

    @property
    def fps(self) -> Fraction:
        return Fraction(self.fps_num, self.fps_den)

    @property
    def status_colour(self) -> str:
        return ShotStatus(self.status).colour

    @property
    def frame_count(self) -> int:
        return self.frame_end - self.frame_start + 1

    def owner_shot_id(self) -> int | None:
        return self.pk

    def is_overdue(self, today: date) -> bool:
        return bool(self.due_date and self.due_date < today and self.status not in SHOT_STATUS_CLOSED)

    def clean(self) -> None:
        if self.frame_end is not None and self.frame_start is not None and self.frame_end < self.frame_start:
            raise ValidationError({"frame_end": f"last frame {self.frame_end} is before first frame {self.frame_start}"})
        if self.start_timecode and self.fps_num and self.fps_den:
            try:
                self.start_timecode = check_timecode(self.start_timecode, self.fps, source=f"shot {self}")
            except MediaError as exc:
                raise ValidationError({"start_timecode": str(exc)}) from None


def version_name(version: int) -> str:
    """v001, v002...: how people (and editorial) name versions."""
    return f"v{version:03d}"


class Variant(models.Model):
    """One version of one way of making the shot: its clip, its recipe and its QC.

    The ways (rigid, loose, cg, a named other: the `label`) are siblings; each has versions v001, v002...: a
    publish or a conversion of new content adds one and keeps the earlier ones with their clips and QC, so an
    edit, which names rows of this table, pins the versions it uses."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="variants")
    kind = models.CharField(max_length=16, choices=VariantKind.choices)
    label = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1, help_text="1, 2, ... per label of the shot (v001, v002...)")
    model_name = models.CharField(max_length=200, blank=True)
    checkpoint = models.CharField(max_length=300, blank=True)
    faceset = models.JSONField(default=dict, blank=True, help_text="summary of the training faceset")
    performance = models.JSONField(default=dict, blank=True, help_text="performance settings used")
    metrics = models.JSONField(default=dict, blank=True,
                               help_text="scores of the variant, e.g. {\"eval\": per-yaw-bin table of facereplace eval}")
    clip = models.FileField(upload_to=upload_variant, max_length=300)
    clip_frames = models.PositiveIntegerField(default=0)
    clip_bytes = models.PositiveBigIntegerField(default=0)
    clip_sha256 = models.CharField(max_length=64, blank=True)
    thumbnail = models.FileField(upload_to=upload_variant, blank=True, max_length=300)
    filmstrip = models.FileField(upload_to=upload_variant, blank=True, max_length=300)
    filmstrip_layout = models.JSONField(default=dict, blank=True,
                                        help_text="the sprite's tiles: columns, rows, tile size, frames per tile")
    qc = models.JSONField(default=list, blank=True, help_text="per-frame QC: [{frame, coverage, anomaly, ...}]")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    published_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shot_id", "created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shot", "label", "version"], name="variant_label_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="variant_version_positive"),
            models.UniqueConstraint(fields=["shot", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="variant_idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.shot} {self.label} {self.version_name}"

    @property
    def version_name(self) -> str:
        return version_name(self.version)

    @property
    def checkpoint_shown(self) -> str:
        """The checkpoint as people see it: the engine's server folders named by their settings."""
        return without_server_paths(self.checkpoint)

    def clean(self) -> None:
        if not isinstance(self.qc, list) or not all(isinstance(row, dict) and isinstance(row.get("frame"), int)
                                                    for row in self.qc):
            raise ValidationError({"qc": "per-frame QC must be a list of objects each with an integer 'frame'"})


class Edit(models.Model):
    """The supervisor's pick: segments of variants over frame ranges, with transitions. Each save is a new version."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="edits")
    version = models.PositiveIntegerField()
    segments = models.JSONField(help_text="[{variant, frame_start, frame_end, transition}] covering the shot")
    comment = models.TextField(blank=True)
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shot_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["shot", "version"], name="edit_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="edit_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.shot} edit v{self.version}"

    def whole_decision(self) -> Decision | None:
        """The decision on the whole edit (not a range approval), from prefetched decisions when there are."""
        return next((d for d in self.decisions.all() if not d.is_range), None)

    def dissolves_over(self, start: int, end: int) -> list[tuple[int, int, int, int]]:
        """(cut frame, transition, variant before, variant after) of each dissolve whose frames reach into
        start-end: a dissolve centred on a cut (transition // 2 frames before it) blends both variants there."""
        out = []
        for before, seg in zip(self.segments, self.segments[1:]):
            cut, transition = seg["frame_start"], seg.get("transition", 0)
            first, last = cut - transition // 2, cut + (transition - transition // 2) - 1
            if transition and first <= end and last >= start:
                out.append((cut, transition, before["variant"], seg["variant"]))
        return out

    def variants_over(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(first frame, last frame, variant) of each of the edit's pieces inside frames start-end, in order:
        what a range approval of those frames locks."""
        pieces: list[tuple[int, int, int]] = []
        for seg in self.segments:
            if seg["frame_start"] > end or seg["frame_end"] < start:
                continue
            first, last = max(start, seg["frame_start"]), min(end, seg["frame_end"])
            if pieces and pieces[-1][2] == seg["variant"]:  # one variant cut in two segments is the same pick
                first = pieces.pop()[0]
            pieces.append((first, last, seg["variant"]))
        return pieces

    def clean(self) -> None:
        """Segments name variants of this shot and cover it frame by frame, in order, without gaps or overlaps
        (the final comp needs a variant for every frame)."""
        segs = self.segments
        if not isinstance(segs, list) or not segs:
            raise ValidationError({"segments": "an edit needs at least one segment"})
        variant_ids = set(Variant.objects.filter(shot_id=self.shot_id).values_list("id", flat=True))
        expected = self.shot.frame_start
        for i, seg in enumerate(segs):
            where = f"segment {i + 1}"
            if not isinstance(seg, dict) or set(seg) - {"variant", "frame_start", "frame_end", "transition"}:
                raise ValidationError({"segments": f"{where}: expected {{variant, frame_start, frame_end, transition}}"})
            values = [seg.get(k) for k in ("variant", "frame_start", "frame_end")]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                raise ValidationError({"segments": f"{where}: variant, frame_start and frame_end must be integers"})
            variant, start, end = values
            transition = seg.get("transition", 0)
            if not isinstance(transition, int) or isinstance(transition, bool) or transition < 0:
                raise ValidationError({"segments": f"{where}: transition is a number of frames >= 0"})
            if variant not in variant_ids:
                raise ValidationError({"segments": f"{where}: variant {variant} is not a variant of shot {self.shot}"})
            if end < start or start < self.shot.frame_start or end > self.shot.frame_end:
                raise ValidationError({"segments": f"{where}: frames {start}-{end} are outside the shot "
                                                   f"({self.shot.frame_start}-{self.shot.frame_end})"})
            if start < expected:
                raise ValidationError({"segments": f"{where}: starts at {start}, overlapping the previous segment "
                                                   f"(which ends at {expected - 1}); segments go in frame order"})
            if start > expected:
                raise ValidationError({"segments": f"{where}: starts at {start}, leaving frames {expected}-{start - 1} "
                                                   "without a variant"})
            expected = end + 1
        if expected <= self.shot.frame_end:
            raise ValidationError({"segments": f"frames {expected}-{self.shot.frame_end} have no variant; the last "
                                               "segment must end at the shot's last frame"})


class Decision(models.Model):
    """Approve, or request changes on, one edit; or approve a frame range of it.

    A whole-edit decision (no frames) is one per edit: the database refuses a second. A range approval locks
    its frames: later edits must keep the variant versions the edit had there until a supervisor unlocks it
    (`unlocked_at`)."""

    edit = models.ForeignKey(Edit, on_delete=models.CASCADE, related_name="decisions")
    verdict = models.CharField(max_length=32, choices=DecisionVerdict.choices)
    frame_start = models.IntegerField(null=True, blank=True, help_text="first frame approved; empty: the whole edit")
    frame_end = models.IntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["edit"], condition=Q(frame_start__isnull=True),
                                    name="decision_one_whole_per_edit"),
            models.CheckConstraint(condition=Q(verdict__in=DecisionVerdict.values), name="decision_verdict_known"),
            models.CheckConstraint(condition=Q(frame_start__isnull=True, frame_end__isnull=True) | Q(
                frame_end__gte=F("frame_start"), verdict=DecisionVerdict.APPROVE), name="decision_range_is_approval"),
        ]

    def __str__(self) -> str:
        frames = f" frames {self.frame_start}-{self.frame_end}" if self.is_range else ""
        return f"{self.get_verdict_display()} {self.edit}{frames}"

    @property
    def is_range(self) -> bool:
        return self.frame_start is not None

    @property
    def locked(self) -> bool:
        return self.is_range and self.unlocked_at is None

    def clean(self) -> None:
        if (self.frame_start is None) != (self.frame_end is None):
            raise ValidationError({"frame_end": "a range needs its first and last frame (or neither: the whole edit)"})
        if not self.is_range:
            return
        if self.verdict != DecisionVerdict.APPROVE:
            raise ValidationError({"decision": "only an approval takes a frame range; request changes on the edit"})
        shot = self.edit.shot
        if self.frame_end < self.frame_start or self.frame_start < shot.frame_start or self.frame_end > shot.frame_end:
            raise ValidationError({"frame_start": f"frames {self.frame_start}-{self.frame_end} are not a range inside "
                                                  f"the shot ({shot.frame_start}-{shot.frame_end})"})

    @property
    def colour(self) -> str:
        return DecisionVerdict(self.verdict).colour


class Note(models.Model):
    """A note on a frame or frame range, maybe with a drawing (vector strokes); replies are notes with a parent."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="notes")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    frame_start = models.IntegerField()
    frame_end = models.IntegerField()
    text = models.TextField()
    drawing = models.JSONField(null=True, blank=True, help_text='{"strokes": [{"points": [[x, y], ...], ...}]}')
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["frame_start", "created", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(frame_end__gte=F("frame_start")), name="note_frame_range_ordered"),
        ]
        indexes = [models.Index(fields=["shot", "parent"], name="note_shot_parent")]

    def __str__(self) -> str:
        return f"note on {self.shot} {self.frame_start}-{self.frame_end}"

    def clean(self) -> None:
        if not self.text.strip():
            raise ValidationError({"text": "a note needs some text"})
        if self.frame_start is None or self.frame_end is None:
            return
        if self.frame_end < self.frame_start:
            raise ValidationError({"frame_end": f"last frame {self.frame_end} is before first frame {self.frame_start}"})
        shot = self.shot
        if self.frame_start < shot.frame_start or self.frame_end > shot.frame_end:
            raise ValidationError({"frame_start": f"frames {self.frame_start}-{self.frame_end} are outside the shot "
                                                  f"({shot.frame_start}-{shot.frame_end})"})
        if self.variant_id and self.variant.shot_id != self.shot_id:
            raise ValidationError({"variant": f"variant {self.variant_id} is not a variant of shot {shot}"})
        if self.drawing is not None:
            drawing_check(self.drawing)


MAX_DRAWING_POINTS = 100_000


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def drawing_check(drawing: Any) -> None:
    """A note's drawing is {"version": n, "strokes": [{"points": [[x, y], ...], other keys: text or number}]}
    with finite numbers for points (the player draws them) and at most MAX_DRAWING_POINTS points."""
    shape = 'a drawing is {"strokes": [{"points": [[x, y], ...]}, ...]}'
    if not isinstance(drawing, dict) or not isinstance(drawing.get("strokes"), list) or set(drawing) - {
            "version", "strokes"} or not isinstance(drawing.get("version", 1), int):
        raise ValidationError({"drawing": shape})
    count = 0
    for i, stroke in enumerate(drawing["strokes"], 1):
        if not isinstance(stroke, dict) or not isinstance(stroke.get("points"), list):
            raise ValidationError({"drawing": f"stroke {i}: {shape}"})
        for key, value in stroke.items():
            if key != "points" and not (value is None or isinstance(value, (str, bool)) or _is_number(value)):
                raise ValidationError({"drawing": f"stroke {i}: {key!r} must be a text or a number"})
        for point in stroke["points"]:
            if not (isinstance(point, list) and len(point) == 2 and all(_is_number(v) for v in point)):
                raise ValidationError({"drawing": f"stroke {i}: a point is [x, y], two numbers, not {point!r:.40}"})
        count += len(stroke["points"])
    if count > MAX_DRAWING_POINTS:
        raise ValidationError({"drawing": f"{count} points, more than a drawing may have ({MAX_DRAWING_POINTS})"})


class NoteAttachment(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=upload_attachment, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    def owner_shot_id(self) -> int:
        return self.note.shot_id


class FrameFix(models.Model):
    """Images an artist made for frames the picked result gets wrong; the final render uses accepted ones."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="fixes")
    frame_start = models.IntegerField()
    frame_end = models.IntegerField()
    comment = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=FrameFixState.choices, default=FrameFixState.SUBMITTED)
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["frame_start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(frame_end__gte=F("frame_start")), name="fix_frame_range_ordered"),
            models.CheckConstraint(condition=Q(state__in=FrameFixState.values), name="fix_state_known"),
        ]

    def clean(self) -> None:
        if self.frame_start is None or self.frame_end is None:
            return
        shot = self.shot
        if self.frame_end < self.frame_start or self.frame_start < shot.frame_start or self.frame_end > shot.frame_end:
            raise ValidationError({"frame_start": f"frames {self.frame_start}-{self.frame_end} are not a range inside "
                                                  f"the shot ({shot.frame_start}-{shot.frame_end})"})


class FrameFixImage(models.Model):
    fix = models.ForeignKey(FrameFix, on_delete=models.CASCADE, related_name="images")
    frame = models.IntegerField()
    file = models.FileField(upload_to=upload_fix, max_length=300)

    class Meta:
        ordering = ["frame"]

    def owner_shot_id(self) -> int:
        return self.fix.shot_id


class Render(models.Model):
    """A final comp of an approved edit: queued, running (with progress), then done with its clip, or failed."""

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="renders")
    edit = models.ForeignKey(Edit, on_delete=models.PROTECT, related_name="renders")
    state = models.CharField(max_length=16, choices=RenderState.choices, default=RenderState.QUEUED)
    progress = models.FloatField(default=0.0)
    output = models.FileField(upload_to=upload_render, blank=True, max_length=300)
    log = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0.0) & Q(progress__lte=1.0), name="render_progress_0_1"),
            models.CheckConstraint(condition=Q(state__in=RenderState.values), name="render_state_known"),
            models.UniqueConstraint(fields=["shot"], condition=Q(state__in=RENDER_STATE_ACTIVE),
                                    name="render_one_active_per_shot"),
        ]

    def __str__(self) -> str:
        return f"render {self.id} of {self.shot}"


class Job(models.Model):
    """Background work on a shot (a review clip, an engine run, a render, or one frame chunk of one).

    What the worker reports (progress 0..1, message, log, error) and what keeps the work from being lost or
    run twice: `attempt` is a fencing token (a task runs only the attempt it was enqueued for, and writes
    only while it still holds it), `heartbeat` lets the reaper find a killed worker's job.
    """

    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="jobs")
    kind = models.CharField(max_length=32, choices=JobKind.choices)
    queue = models.CharField(max_length=32)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="chunks")
    chunk_index = models.PositiveIntegerField(null=True, blank=True)
    frame_start = models.IntegerField(null=True, blank=True)
    frame_end = models.IntegerField(null=True, blank=True)
    render = models.ForeignKey(Render, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs")
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED, db_index=True)
    phase = models.CharField(max_length=16, blank=True, help_text="chunked jobs: '', 'chunks' or 'join'")
    progress = models.FloatField(default=0.0)
    message = models.CharField(max_length=300, blank=True)
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempt = models.PositiveIntegerField(default=1)
    max_attempts = models.PositiveIntegerField(default=3)
    task_id = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)
    followup = models.BooleanField(default=False, help_text="run again when done (e.g. fixes arrived meanwhile)")
    requested_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0.0) & Q(progress__lte=1.0), name="job_progress_0_1"),
            models.CheckConstraint(condition=Q(state__in=JobState.values), name="job_state_known"),
            models.UniqueConstraint(fields=["parent", "chunk_index"], condition=Q(parent__isnull=False),
                                    name="job_chunk_unique"),
            models.UniqueConstraint(fields=["render"], condition=Q(state__in=JOB_STATE_ACTIVE, parent__isnull=True),
                                    name="job_one_active_per_render"),
            # two conversions of one variant at once would both write SHOT/convert/VARIANT
            models.UniqueConstraint(F("shot"), KeyTextTransform("name", "params"), KeyTextTransform("variant", "params"),
                                    condition=Q(kind=JobKind.CONVERT, state__in=JOB_STATE_ACTIVE, parent__isnull=True),
                                    name="job_one_active_conversion_per_variant"),
        ]
        indexes = [models.Index(fields=["state", "heartbeat"], name="job_state_heartbeat")]

    @property
    def state_colour(self) -> str:
        return JobState(self.state).colour

    def __str__(self) -> str:
        chunk = f" chunk {self.chunk_index + 1} ({self.frame_start}-{self.frame_end})" if self.parent_id else ""
        return f"{self.get_kind_display().lower()} job {self.id}{chunk} of {self.shot}"


class Activity(models.Model):
    """Every change, in order: who did what to which shot. Status changes carry {from, to} in `data`."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activity")
    shot = models.ForeignKey(Shot, null=True, blank=True, on_delete=models.CASCADE, related_name="activity")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=40)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name_plural = "activity"
        indexes = [models.Index(fields=["shot", "-created"], name="activity_shot_recent")]

    def __str__(self) -> str:
        return self.summary


class Notification(models.Model):
    """One entry of a person's inbox: something that happened on a shot that concerns them (made by the
    services that make the change, in its transaction: review.services.notifications)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=40)
    summary = models.CharField(max_length=500)
    read_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        # the header's unread count and the inbox page both read one user's newest entries
        indexes = [models.Index(fields=["user", "read_at", "-created"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.user}: {self.summary}"


class NotificationPreference(models.Model):
    """Whether a person also gets their notifications by e-mail (off unless they ask: no row means off)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="notification_preference")
    email = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.user}: e-mail {'on' if self.email else 'off'}"


class DailiesSession(models.Model):
    """A dailies session: a playlist of shots (and the variant to show of each) reviewed together, live. One
    person drives at a time (`driver`); everyone else's player follows the driver's over the session's socket.
    The notes written on the playlist's shots between `started` and `ended` make its summary."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="dailies")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    driver = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               help_text="whose player the others follow; empty once the session has ended")
    started = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started", "-id"]

    def __str__(self) -> str:
        return f"dailies {self.title!r} ({self.project.code})"


class DailiesItem(models.Model):
    """One entry of a session's playlist: a shot, and the variant version to show (none: the plate)."""

    session = models.ForeignKey(DailiesSession, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["session", "position"], name="dailies_item_position")]

    def clean(self) -> None:
        if self.shot.sequence.project_id != self.session.project_id:
            raise ValidationError({"shot": f"shot {self.shot} is not in project {self.session.project.code}"})
        if self.variant_id and self.variant.shot_id != self.shot_id:
            raise ValidationError({"variant": f"variant {self.variant_id} is not a variant of shot {self.shot}"})
