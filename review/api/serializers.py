"""JSON shapes of the API. Output serializers read what the selectors fetched; input serializers only validate."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from review.api.parsers import JSONInput
from review.choices import DecisionVerdict, FrameFixState, RenderState, ShotStatus, VariantKind
from review.services.shots import manual_transitions
from review.models import (Activity, Decision, Edit, FrameFix, Note, Project, Render, Sequence, Shot, Variant,
                           code_validator)


def file_url(field: Any) -> str | None:
    return field.url if field else None


def username(user: Any) -> str | None:
    return user.username if user is not None else None


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "code", "name"]


class SequenceSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = Sequence
        fields = ["id", "project", "code", "name"]


class ShotListSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="sequence.project.code", read_only=True)
    sequence = serializers.CharField(source="sequence.code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    status_colour = serializers.SerializerMethodField()
    assignees = serializers.SerializerMethodField()
    variant_count = serializers.IntegerField(read_only=True, default=0)
    open_notes = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Shot
        fields = ["id", "project", "sequence", "sequence_id", "code", "status", "status_label", "status_colour",
                  "frame_start", "frame_end", "fps_num", "fps_den", "due_date", "assignees", "variant_count",
                  "open_notes"]

    def get_status_colour(self, shot: Shot) -> str:
        return ShotStatus(shot.status).colour

    def get_assignees(self, shot: Shot) -> list[str]:
        return [u.username for u in shot.assignees.all()]


class VariantSerializer(serializers.ModelSerializer):
    checkpoint = serializers.CharField(source="checkpoint_shown", read_only=True)
    clip_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    filmstrip_url = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = ["id", "shot", "kind", "label", "model_name", "checkpoint", "faceset", "performance", "metrics", "clip_url",
                  "clip_frames", "clip_bytes", "clip_sha256", "thumbnail_url", "filmstrip_url", "filmstrip_layout", "qc",
                  "created"]

    def get_clip_url(self, v: Variant) -> str | None:
        return file_url(v.clip)

    def get_thumbnail_url(self, v: Variant) -> str | None:
        return file_url(v.thumbnail)

    def get_filmstrip_url(self, v: Variant) -> str | None:
        return file_url(v.filmstrip)


class ReplySerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Note
        fields = ["id", "author", "text", "created"]

    def get_author(self, n: Note) -> str | None:
        return username(n.author)


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField()
    replies = ReplySerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Note
        fields = ["id", "frame_start", "frame_end", "text", "drawing", "author", "created", "resolved",
                  "resolved_by", "variant", "replies", "attachments"]

    def get_author(self, n: Note) -> str | None:
        return username(n.author)

    def get_resolved_by(self, n: Note) -> str | None:
        return username(n.resolved_by)

    def get_attachments(self, n: Note) -> list[dict[str, Any]]:
        return [{"name": a.original_name, "url": a.file.url, "size": a.size} for a in n.attachments.all()]


class DecisionSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    decision = serializers.CharField(source="verdict")
    label = serializers.CharField(source="get_verdict_display")

    class Meta:
        model = Decision
        fields = ["id", "edit", "decision", "label", "comment", "author", "created"]

    def get_author(self, d: Decision) -> str | None:
        return username(d.author)


class EditSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Edit
        fields = ["id", "version", "segments", "comment", "author", "created", "decision"]

    def get_author(self, e: Edit) -> str | None:
        return username(e.author)

    def get_decision(self, e: Edit) -> dict | None:
        decisions = list(e.decisions.all())
        return DecisionSerializer(decisions[0]).data if decisions else None


class RenderSerializer(serializers.ModelSerializer):
    edit_version = serializers.IntegerField(source="edit.version", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    output_url = serializers.SerializerMethodField()

    class Meta:
        model = Render
        fields = ["id", "shot", "edit", "edit_version", "state", "state_label", "progress", "output_url", "log",
                  "created", "started", "finished"]

    def get_output_url(self, r: Render) -> str | None:
        return file_url(r.output)


class FrameFixSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()

    class Meta:
        model = FrameFix
        fields = ["id", "frame_start", "frame_end", "state", "comment", "author", "created", "images"]

    def get_author(self, f: FrameFix) -> str | None:
        return username(f.author)

    def get_images(self, f: FrameFix) -> list[dict[str, Any]]:
        return [{"frame": i.frame, "url": i.file.url} for i in f.images.all()]


class ActivitySerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = ["id", "verb", "summary", "actor", "data", "created"]

    def get_actor(self, a: Activity) -> str | None:
        return username(a.actor)


class ShotDetailSerializer(ShotListSerializer):
    """Everything about one shot, in the shape the player reads (`shot-data`)."""

    allowed_statuses = serializers.SerializerMethodField()
    plate = serializers.SerializerMethodField()
    variants = VariantSerializer(many=True, read_only=True)
    notes = NoteSerializer(many=True, read_only=True, source="root_notes")
    edit = serializers.SerializerMethodField()
    edits = EditSerializer(many=True, read_only=True)
    renders = RenderSerializer(many=True, read_only=True)
    fixes = FrameFixSerializer(many=True, read_only=True)
    activity = ActivitySerializer(many=True, read_only=True, source="recent_activity")

    class Meta(ShotListSerializer.Meta):
        fields = [f for f in ShotListSerializer.Meta.fields if f not in ("variant_count", "open_notes")] + [
            "description", "allowed_statuses", "plate", "variants", "notes", "edit", "edits", "renders", "fixes",
            "activity"]

    def get_allowed_statuses(self, shot: Shot) -> list[str]:
        """What the requesting user may set by hand (context "user"), else what anyone may."""
        return manual_transitions(shot, self.context.get("user"))

    def get_plate(self, shot: Shot) -> dict | None:
        return {"clip_url": shot.plate_clip.url} if shot.plate_clip else None

    def get_edit(self, shot: Shot) -> dict | None:
        edits = list(shot.edits.all())
        return EditSerializer(edits[0]).data if edits else None


# ---- input ----

class SequenceIn(serializers.Serializer):
    project = serializers.SlugField(help_text="project code")
    code = serializers.CharField(max_length=64, validators=[code_validator])
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ShotCreateIn(serializers.Serializer):
    project = serializers.SlugField()
    sequence = serializers.CharField(max_length=64, validators=[code_validator])
    code = serializers.CharField(max_length=64, validators=[code_validator])
    frame_start = serializers.IntegerField(default=1001)
    frame_end = serializers.IntegerField(default=1001)
    fps_num = serializers.IntegerField(min_value=1, default=24)
    fps_den = serializers.IntegerField(min_value=1, default=1)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class ShotUpdateIn(serializers.Serializer):
    due_date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    assignees = serializers.ListField(child=serializers.CharField(), required=False,
                                      help_text="user names")


class StatusIn(serializers.Serializer):
    status = serializers.CharField()


class VariantPublishIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=VariantKind.choices)
    label = serializers.CharField(max_length=100)
    clip = serializers.FileField(help_text="the review clip (MP4/MOV), exactly the shot's frames at its fps")
    thumbnail = serializers.FileField(required=False, help_text="a PNG or JPEG still")
    filmstrip = serializers.FileField(required=False, help_text="the filmstrip sprite (PNG or JPEG)")
    filmstrip_layout = JSONInput(required=False, default=dict)
    model_name = serializers.CharField(required=False, allow_blank=True, default="")
    checkpoint = serializers.CharField(required=False, allow_blank=True, default="")
    faceset = JSONInput(required=False, default=dict)
    performance = JSONInput(required=False, default=dict)
    qc = JSONInput(required=False, default=list)
    metrics = JSONInput(required=False, default=dict,
                                    help_text='scores, e.g. {"eval": the per-yaw-bin table of facereplace eval}')


class PlateIn(serializers.Serializer):
    clip = serializers.FileField()


class SegmentIn(serializers.Serializer):
    variant = serializers.IntegerField()
    frame_start = serializers.IntegerField()
    frame_end = serializers.IntegerField()
    transition = serializers.IntegerField(min_value=0, default=0)


class EditIn(serializers.Serializer):
    segments = SegmentIn(many=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DecisionVerdict.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class NoteIn(serializers.Serializer):
    frame_start = serializers.IntegerField()
    frame_end = serializers.IntegerField(required=False, allow_null=True, default=None)
    text = serializers.CharField()
    drawing = JSONInput(required=False, allow_null=True, default=None)
    variant = serializers.IntegerField(required=False, allow_null=True, default=None)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ReplyIn(serializers.Serializer):
    text = serializers.CharField()


class ResolveIn(serializers.Serializer):
    resolved = serializers.BooleanField(default=True)


class FixIn(serializers.Serializer):
    frame_start = serializers.IntegerField()
    frame_end = serializers.IntegerField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)


class FixReviewIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=FrameFixState.choices, help_text="accepted or rejected")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RenderReportIn(serializers.Serializer):
    state = serializers.ChoiceField(choices=RenderState.choices, required=False)
    progress = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    log = serializers.CharField(required=False, allow_blank=True, default="")
    output = serializers.FileField(required=False)
