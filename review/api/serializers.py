"""JSON shapes of the API. Output serializers read what the selectors fetched; input serializers only validate."""
from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from review.api.parsers import JSONInput
from review.choices import DecisionVerdict, FrameFixState, RenderState, ShotStatus, VariantKind
from review.selectors.shots import FILTER_PATTERNS, FILTER_TAKES, NO, YES
from review.services.shots import manual_transitions
from review.models import (CODE_PATTERN, Activity, Decision, Edit, FrameFix, Note, Notification, Project, Render,
                           Sequence, Shot, Variant, code_validator)


def file_url(field: Any) -> str | None:
    return field.url if field else None


def username(user: Any) -> str | None:
    return user.username if user is not None else None


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "code", "name"]


class SequenceSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)

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
                  "frame_start", "frame_end", "fps_num", "fps_den", "start_timecode", "due_date", "assignees",
                  "variant_count",
                  "open_notes"]

    def get_status_colour(self, shot: Shot) -> str:
        return ShotStatus(shot.status).colour

    def get_assignees(self, shot: Shot) -> list[str]:
        return [u.username for u in shot.assignees.all()]


class VariantSerializer(serializers.ModelSerializer):
    version_name = serializers.CharField(read_only=True, help_text="v001, v002...")
    checkpoint = serializers.CharField(source="checkpoint_shown", read_only=True)
    clip_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    filmstrip_url = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = ["id", "shot", "kind", "label", "version", "version_name", "model_name", "checkpoint", "faceset", "performance", "metrics", "clip_url",
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
    locked = serializers.BooleanField(read_only=True, help_text="a range approval not unlocked")
    unlocked_by = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = ["id", "edit", "decision", "label", "frame_start", "frame_end", "locked", "comment", "author",
                  "created", "unlocked_at", "unlocked_by"]

    def get_author(self, d: Decision) -> str | None:
        return username(d.author)

    def get_unlocked_by(self, d: Decision) -> str | None:
        return username(d.unlocked_by)


class ApprovedRangeSerializer(DecisionSerializer):
    """A locked range approval with the variant versions it keeps, frame range by frame range."""

    edit_version = serializers.IntegerField(source="edit.version", read_only=True)
    pieces = serializers.SerializerMethodField()

    class Meta(DecisionSerializer.Meta):
        fields = DecisionSerializer.Meta.fields + ["edit_version", "pieces"]

    def get_pieces(self, d: Decision) -> list[dict[str, int]]:
        return [{"frame_start": first, "frame_end": last, "variant": variant}
                for first, last, variant in d.edit.variants_over(d.frame_start, d.frame_end)]


class EditSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()

    class Meta:
        model = Edit
        fields = ["id", "version", "segments", "comment", "author", "created", "decision"]

    def get_author(self, e: Edit) -> str | None:
        return username(e.author)

    def get_decision(self, e: Edit) -> dict | None:
        """The decision on the whole edit; range approvals are the shot's `approved_ranges`."""
        whole = e.whole_decision()
        return DecisionSerializer(whole).data if whole else None


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
    approved_ranges = ApprovedRangeSerializer(many=True, read_only=True,
                                              help_text="locked range approvals, in frame order")

    class Meta(ShotListSerializer.Meta):
        fields = [f for f in ShotListSerializer.Meta.fields if f not in ("variant_count", "open_notes")] + [
            "description", "allowed_statuses", "plate", "variants", "notes", "edit", "edits", "renders", "fixes",
            "activity", "approved_ranges"]

    def get_allowed_statuses(self, shot: Shot) -> list[str]:
        """What the requesting user may set by hand (context "user"), else what anyone may."""
        return manual_transitions(shot, self.context.get("user"))

    def get_plate(self, shot: Shot) -> dict | None:
        return {"clip_url": shot.plate_clip.url} if shot.plate_clip else None

    def get_edit(self, shot: Shot) -> dict | None:
        edits = list(shot.edits.all())
        return EditSerializer(edits[0]).data if edits else None


# ---- input ----
# Input serializers take only what their schema (drawn from them) allows: JSON values of the type it names,
# integers within the database's range, text that says something. Cross-field and stored-state rules (frames
# inside the shot, a variant of this shot, an upload judged by its content) stay with the services (400).

FRAME_RANGE = {"min_value": -(2**31), "max_value": 2**31 - 1}  # a frame number fits every database's integer
ID_RANGE = {"min_value": 1, "max_value": 2**63 - 1}


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    """What is wrong with the JSON type of `value` for `field` (None when nothing is), as the schema names it."""
    if value is None:
        return None  # the field itself says whether it may be null
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "expected true or false"
    if isinstance(field, serializers.IntegerField):
        return None if isinstance(value, int) and not isinstance(value, bool) else "expected an integer"
    if isinstance(field, serializers.FloatField):
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "expected a number"
    if isinstance(field, (serializers.CharField, serializers.ChoiceField, serializers.DateField)):
        return None if isinstance(value, str) else "expected a string"
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return "expected a list"
        return next((f"item {i}: {error}" for i, item in enumerate(value)
                     if (error := _json_type_error(field.child, item))), None)
    if isinstance(field, serializers.Serializer):
        return None if isinstance(value, dict) else "expected an object"
    return None


class StrictInput(serializers.Serializer):
    """An input serializer that takes JSON values only of the type its schema names: DRF alone would take 12
    for a string, "12" or 12.0 for an integer and "yes" for true, which the schema does not allow. Form fields
    (multipart) are all text and are read as DRF reads them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = {name: [error] for name, field in self.fields.items()
                      if name in data and (error := _json_type_error(field, data[name]))}
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def text_field(**kwargs: Any) -> serializers.RegexField:
    """Text that must say something: blank or only spaces is refused, and the schema says so (pattern \\S)."""
    return serializers.RegexField(r"\S", error_messages={"invalid": "write something: blank text is refused"},
                                  **kwargs)


def code_field(**kwargs: Any) -> serializers.RegexField:
    """A sequence or shot code: a slug that names a folder (`review.models.code_validator`), as the schema says."""
    return serializers.RegexField(CODE_PATTERN, max_length=64, error_messages={"invalid": code_validator.message},
                                  **kwargs)


def frame_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(**FRAME_RANGE, **kwargs)


def filter_field(name: str) -> serializers.RegexField:
    """A shot list filter (empty: none), its pattern stated in the schema."""
    return serializers.RegexField(FILTER_PATTERNS[name], required=False, allow_blank=True, help_text=FILTER_TAKES[name],
                                  error_messages={"invalid": f"%(value)r is not {FILTER_TAKES[name]}"})


@extend_schema_field({"type": "string", "enum": [*YES, *NO]})
class QueryBooleanField(serializers.BooleanField):
    """A yes or no in the query string, as people and the board's checkbox write it: true/false, yes/no, 1/0,
    on/off; the schema lists exactly these (anything else is a 400)."""

    TRUE_VALUES = set(YES)
    FALSE_VALUES = set(NO)
    default_error_messages = {"invalid": "{input!r} is neither yes nor no (true/false, yes/no, 1/0, on/off)"}

    def to_internal_value(self, data: Any) -> bool:
        if data in self.TRUE_VALUES or data in self.FALSE_VALUES:  # as written: DRF would also take "No", "TRUE"
            return data in self.TRUE_VALUES
        self.fail("invalid", input=data)

    def get_value(self, dictionary: Any) -> Any:
        return dictionary.get(self.field_name, empty)  # as written: DRF's form reading makes "" and absent false


class ShotFiltersIn(StrictInput):
    status = serializers.ListField(child=serializers.ChoiceField(choices=ShotStatus.choices), required=False,
                                   help_text="only shots in these statuses")
    # empty means no filter, as the board's form sends it; the patterns are the selector's own (shot_filters)
    sequence = filter_field("sequence")
    assignee = filter_field("assignee")
    project = filter_field("project")
    code = filter_field("code")
    overdue = QueryBooleanField(required=False, help_text="only shots past their due date and not final")


class SequenceIn(StrictInput):
    project = serializers.SlugField(help_text="the project's code")
    code = code_field()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ShotCreateIn(StrictInput):
    project = serializers.SlugField()
    sequence = code_field(help_text="the sequence's code (made when new)")
    code = code_field()
    frame_start = frame_field(default=1001)
    frame_end = frame_field(default=1001, help_text="not before frame_start")
    fps_num = serializers.IntegerField(min_value=1, max_value=FRAME_RANGE["max_value"], default=24)
    fps_den = serializers.IntegerField(min_value=1, max_value=FRAME_RANGE["max_value"], default=1)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)
    start_timecode = serializers.CharField(required=False, allow_blank=True, default="", max_length=11,
                                           help_text="HH:MM:SS:FF, or HH:MM:SS;FF drop-frame at 29.97/59.94")


class ShotUpdateIn(StrictInput):
    due_date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    start_timecode = serializers.CharField(required=False, allow_blank=True, max_length=11,
                                           help_text="HH:MM:SS:FF, or HH:MM:SS;FF drop-frame at 29.97/59.94")
    assignees = serializers.ListField(child=serializers.CharField(), required=False,
                                      help_text="user names")


class StatusIn(StrictInput):
    status = serializers.ChoiceField(choices=ShotStatus.choices)


class VariantPublishIn(StrictInput):
    kind = serializers.ChoiceField(choices=VariantKind.choices)
    label = text_field(max_length=100)
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


class PlateIn(StrictInput):
    clip = serializers.FileField()


class SegmentIn(StrictInput):
    variant = serializers.IntegerField(**ID_RANGE, help_text="a variant of this shot")
    frame_start = frame_field()
    frame_end = frame_field()
    transition = serializers.IntegerField(min_value=0, max_value=FRAME_RANGE["max_value"], default=0)


class EditIn(StrictInput):
    segments = serializers.ListField(child=SegmentIn(), min_length=1,
                                     error_messages={"min_length": "an edit needs at least one segment"},
                                     help_text="covering the shot's frames in order")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DecisionIn(StrictInput):
    decision = serializers.ChoiceField(choices=DecisionVerdict.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    frame_start = frame_field(required=False, allow_null=True, default=None,
                              help_text="approve only frames frame_start-frame_end (locked); omit for the whole edit")
    frame_end = frame_field(required=False, allow_null=True, default=None)


class UnlockIn(StrictInput):
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="why, for the activity")


class NoteIn(StrictInput):
    frame_start = frame_field()
    frame_end = frame_field(required=False, allow_null=True, default=None)
    text = text_field()
    drawing = JSONInput(required=False, allow_null=True, default=None)
    variant = serializers.IntegerField(**ID_RANGE, required=False, allow_null=True, default=None)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class NotesImportIn(StrictInput):
    csv = serializers.FileField(help_text="a CSV with a header row: frame (or timecode), text, author; frame_end "
                                          "optional; other tools' column names are recognised")


class ReplyIn(StrictInput):
    text = text_field()


class ResolveIn(StrictInput):
    resolved = serializers.BooleanField(default=True)


class FixIn(StrictInput):
    frame_start = frame_field()
    frame_end = frame_field()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    files = serializers.ListField(child=serializers.FileField(), min_length=1,
                                  error_messages={"min_length": "a frame fix needs at least one image"})


class FixReviewIn(StrictInput):
    state = serializers.ChoiceField(choices=[(c.value, c.label) for c in (FrameFixState.ACCEPTED,
                                                                          FrameFixState.REJECTED)])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class RenderReportIn(StrictInput):
    state = serializers.ChoiceField(choices=RenderState.choices, required=False)
    progress = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)
    log = serializers.CharField(required=False, allow_blank=True, default="")
    output = serializers.FileField(required=False)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not (data.get("log") or data.keys() & {"state", "progress", "output"}):
            raise serializers.ValidationError("nothing to report: give state, progress, log or output")
        return data


class NotificationSerializer(serializers.ModelSerializer):
    shot = serializers.IntegerField(source="shot_id", read_only=True)
    shot_name = serializers.CharField(source="shot.__str__", read_only=True)
    actor = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "verb", "summary", "shot", "shot_name", "actor", "read", "read_at", "created"]

    def get_actor(self, n: Notification) -> str | None:
        return username(n.actor)

    def get_read(self, n: Notification) -> bool:
        return n.read_at is not None


class InboxFiltersIn(StrictInput):
    unread = QueryBooleanField(required=False, help_text="only notifications not yet read")


class InboxReadOut(serializers.Serializer):
    marked = serializers.IntegerField(help_text="how many notifications this marked read")
    unread = serializers.IntegerField(help_text="how many are still unread")


class InboxEmailIn(StrictInput):
    email = serializers.BooleanField(help_text="also send each notification by e-mail (to the account's address)")


class DailiesItemIn(StrictInput):
    shot = serializers.IntegerField(min_value=1, max_value=2**53, help_text="a shot id of the project")
    variant = serializers.IntegerField(min_value=1, max_value=2**53, required=False, allow_null=True, default=None,
                                       help_text="the variant version to show (none: the plate)")


class DailiesIn(StrictInput):
    project = serializers.CharField(max_length=64, help_text="the project's code")
    title = serializers.CharField(max_length=200)
    items = DailiesItemIn(many=True, required=False, allow_empty=False, max_length=500,
                          help_text="the playlist, in order; or give `filter`")
    filter = ShotFiltersIn(required=False, help_text="the playlist made from a board filter instead of `items`: "
                                                     "the project's shots it keeps, in board order, each with its "
                                                     "newest variant version (none: the plate)")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("items" in data) == ("filter" in data):
            raise serializers.ValidationError({"items": ["give the playlist as `items` or as a board `filter`, "
                                                         "one of the two"]})
        return data


class HandoverIn(StrictInput):
    to = serializers.CharField(max_length=150, help_text="the username of the supervisor who drives next")


class DailiesItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    shot = serializers.IntegerField(source="shot_id")
    shot_code = serializers.CharField(source="shot.code")
    variant = serializers.IntegerField(source="variant_id", allow_null=True)
    variant_label = serializers.SerializerMethodField()

    def get_variant_label(self, item: Any) -> str | None:
        return item.variant.label if item.variant_id else None


class DailiesNoteSerializer(serializers.ModelSerializer):
    shot_code = serializers.CharField(source="shot.code")
    author = serializers.SerializerMethodField()

    class Meta:
        model = Note
        fields = ["id", "shot", "shot_code", "frame_start", "frame_end", "text", "author", "created"]

    def get_author(self, n: Note) -> str | None:
        return username(n.author)


class DailiesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField(source="project.code")
    title = serializers.CharField()
    driver = serializers.SerializerMethodField(help_text="whose player the others follow; null once ended")
    started = serializers.DateTimeField()
    ended = serializers.DateTimeField(allow_null=True)
    items = DailiesItemSerializer(many=True, read_only=True)
    socket = serializers.SerializerMethodField(help_text="the session's websocket path")

    def get_driver(self, d: Any) -> str | None:
        return username(d.driver)

    def get_socket(self, d: Any) -> str:
        return f"/ws/dailies/{d.id}/"


class DailiesSummarySerializer(serializers.Serializer):
    session = serializers.IntegerField(source="id")
    title = serializers.CharField()
    notes = DailiesNoteSerializer(many=True, help_text="the notes written on the playlist's shots while the "
                                                       "session ran, by shot and frame")
