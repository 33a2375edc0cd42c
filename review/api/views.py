"""REST API views: thin. Each validates its input, calls one service or selector and serialises the result.

Errors keep their reason: 403 says which role is needed, 404 names the shot, 409 names the current status and
the allowed ones, 400/413 say what is wrong with an upload.
"""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from review.api import serializers as s
from review.api.parsers import JSONParser
from review.api.schema import refusals
from review.errors import Conflict, TransitionNotAllowed, UploadRejected
from review.models import Edit, FrameFix, Note, Notification, Project, Render, Sequence, Shot, Variant
from review.permissions import Action, is_member, require
from review.selectors import dailies as dailies_sel
from review.selectors import shots as sel
from review.selectors.notes_export import EXPORT_FORMATS, notes_export
from review.services import dailies as dailies_services
from review.services import edits as edit_services
from review.services import fixes as fix_services
from review.services import notes as note_services
from review.services import notifications as notification_services
from review.services.notes_import import MAX_IMPORT_BYTES, notes_import_csv
from review.services import renders as render_services
from review.services import shots as shot_services
from review.services import variants as variant_services

# The API takes JSON; an operation that needs a file takes a multipart form, one where a file is optional both.
UPLOAD_PARSERS = [MultiPartParser]
OPTIONAL_UPLOAD_PARSERS = [JSONParser, MultiPartParser]


def error_response(exc: Exception) -> Response | None:
    """The domain errors as HTTP answers, each carrying its reason."""
    if isinstance(exc, TransitionNotAllowed):
        return Response({"detail": str(exc), "current": exc.current, "requested": exc.target,
                         "allowed": exc.allowed}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, UploadRejected):
        return Response({"detail": str(exc)}, status=exc.status)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "permission denied"}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        return Response({"detail": text, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response({"detail": str(exc) or "not found"}, status=status.HTTP_404_NOT_FOUND)
    return None


def member_project(request: Request, code: str) -> Project:
    """The project of that code among the user's: 404 alike for an unknown one and someone else's."""
    project = sel.project_list(user=request.user).filter(code=code).first()
    if project is None:
        raise Http404(f"no project {code!r} among yours")
    return project


@csrf_exempt  # it changes nothing, and a CSRF refusal (an HTML page) would hide the JSON 404
def unknown_endpoint(request: HttpRequest) -> JsonResponse:
    """An API address no operation has (a misspelt path, an id that is not a number): a JSON 404 saying so,
    as every other refusal of the API is JSON."""
    return JsonResponse({"detail": f"no API endpoint {request.path}; see /api/docs/"}, status=404)


def validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request's data checked by an input serializer (400 with field errors when wrong)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def shot_json(request: Request, shot_id: int) -> dict[str, Any]:
    """The shot's full JSON as the requesting user sees it (the player's `shot-data` shape)."""
    shot = sel.shot_detail(user=request.user, shot_id=shot_id)
    return s.ShotDetailSerializer(shot, context={"user": request.user}).data


class Pagination(PageNumberPagination):
    """Pages of PAGE_SIZE; a client may ask for 1 to 500 per page with `?page_size=` (anything else is a 400)."""

    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()  # `?page=` is a number, as the schema says

    def get_page_size(self, request: Request) -> int:
        asked = request.query_params.get(self.page_size_query_param)
        if asked is None:
            return self.page_size
        if not asked.isdecimal() or not 1 <= int(asked) <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                f"{asked!r} is not a page size: give a whole number from 1 to {self.max_page_size}"]})
        return int(asked)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


class ServiceMixin:
    """Maps service errors to answers; finds the shot (404 when unknown or not visible, 403 without a role)."""

    pagination_class = Pagination
    parser_classes = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        return error_response(exc) or super().handle_exception(exc)  # type: ignore[misc]

    def visible_shot(self, request: Request, shot_id: int) -> Shot:
        shot = sel.shot_get(user=request.user, shot_id=shot_id)
        require(request.user, shot.sequence.project_id, Action.VIEW)
        return shot

    def visible(self, request: Request, model: type, pk: int, *related: str) -> Any:
        """An object of a shot the user may see, with its shot; 404 when unknown or in another project."""
        obj = model.objects.select_related("shot__sequence", *related).filter(pk=pk).first()
        if obj is None or not is_member(request.user, obj.shot.sequence.project_id):
            raise Http404(f"no {model._meta.verbose_name} {pk}")
        require(request.user, obj.shot.sequence.project_id, Action.VIEW)
        return obj


class ShotScopedList(ServiceMixin, generics.ListAPIView):
    """A list of one shot's things (/shots/<shot_id>/...), a page at a time: 404 when the shot is unknown or in
    another project, 403 without a role there."""

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a shot in the URL
            return self.get_serializer_class().Meta.model.objects.none()
        return self.shot_queryset(self.visible_shot(self.request, self.kwargs["shot_id"]))

    def shot_queryset(self, shot: Shot) -> QuerySet:
        raise NotImplementedError


LIST_REFUSALS = refusals(400, 404)  # a bad page size; a page past the last
SHOT_LIST_REFUSALS = refusals(400, 403, 404)  # and the shot's: unknown or another project's, or no role there


@extend_schema_view(get=extend_schema(responses={200: s.ProjectSerializer(many=True), **LIST_REFUSALS}))
class ProjectList(ServiceMixin, generics.ListAPIView):
    serializer_class = s.ProjectSerializer

    def get_queryset(self):
        return sel.project_list(user=self.request.user)


@extend_schema_view(get=extend_schema(responses={200: s.SequenceSerializer(many=True), **LIST_REFUSALS}))
class SequenceList(ServiceMixin, generics.ListCreateAPIView):
    serializer_class = s.SequenceSerializer

    def get_queryset(self):
        ids = sel.project_ids_for(self.request.user)
        qs = Sequence.objects.select_related("project")
        return qs if ids is None else qs.filter(project_id__in=ids)

    @extend_schema(request=s.SequenceIn, responses={201: s.SequenceSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(s.SequenceIn, request)
        project = member_project(request, data["project"])
        sequence = shot_services.sequence_create(project=project, code=data["code"], name=data["name"],
                                                 actor=request.user)
        return Response(s.SequenceSerializer(sequence).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(parameters=[s.ShotFiltersIn],
                                      responses={200: s.ShotListSerializer(many=True), **LIST_REFUSALS}))
class ShotList(ServiceMixin, generics.ListCreateAPIView):
    serializer_class = s.ShotListSerializer

    def get_queryset(self):
        filters = s.ShotFiltersIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return sel.shot_list(user=self.request.user, filters=filters.validated_data)

    @extend_schema(request=s.ShotCreateIn, responses={201: s.ShotDetailSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        v = validated(s.ShotCreateIn, request)
        project = member_project(request, v.pop("project"))
        shot = shot_services.shot_create(project=project, sequence_code=v.pop("sequence"), actor=request.user, **v)
        return Response(shot_json(request, shot.id), status=status.HTTP_201_CREATED)


class ShotDetail(ServiceMixin, APIView):
    @extend_schema(responses={200: s.ShotDetailSerializer, **refusals(403, 404)})
    def get(self, request: Request, shot_id: int) -> Response:
        shot = sel.shot_detail(user=request.user, shot_id=shot_id)
        require(request.user, shot.sequence.project_id, Action.VIEW)
        return Response(s.ShotDetailSerializer(shot, context={"user": request.user}).data)

    @extend_schema(request=s.ShotUpdateIn, responses={200: s.ShotDetailSerializer, **refusals(400, 403, 404)})
    def patch(self, request: Request, shot_id: int) -> Response:
        shot = self.visible_shot(request, shot_id)
        data = validated(s.ShotUpdateIn, request)
        changes = dict(data)
        if "assignees" in changes:  # only the project's members, and the same answer for anyone else
            names = changes["assignees"]
            users = list(get_user_model().objects.filter(
                username__in=names, review_memberships__project_id=shot.sequence.project_id))
            missing = sorted(set(names) - {u.username for u in users})
            if missing:
                return Response({"detail": f"no member of project {shot.sequence.project.code} is called "
                                           f"{', '.join(missing)}; assignees are the project's members"}, status=400)
            changes["assignees"] = users
        shot_services.shot_update(shot=shot, actor=request.user, **changes)
        return Response(shot_json(request, shot_id))


class ShotStatusView(ServiceMixin, APIView):
    @extend_schema(request=s.StatusIn, responses={200: s.ShotListSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, shot_id: int) -> Response:
        shot = self.visible_shot(request, shot_id)
        data = validated(s.StatusIn, request)
        shot = shot_services.shot_set_status(shot=shot, status=data["status"], actor=request.user)
        return Response(s.ShotListSerializer(shot).data)


def _check_body_size(request: Request) -> None:
    """Refuse an oversized upload from its Content-Length, before reading a byte of it."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.FACEREPLACE_MAX_UPLOAD_BYTES
    if length > limit + 1024 * 1024:  # the limit is for the file; allow the form's own fields around it
        raise UploadRejected(f"the upload is {length} bytes, over the site's limit of {limit} bytes "
                             "(FACEREPLACE_MAX_UPLOAD_BYTES)", status=413)


UPLOAD_REFUSALS = refusals(400, 403, 404, 413)


class ShotPlate(ServiceMixin, APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(request=s.PlateIn, responses={200: s.ShotListSerializer, **UPLOAD_REFUSALS})
    def put(self, request: Request, shot_id: int) -> Response:
        _check_body_size(request)
        shot = self.visible_shot(request, shot_id)
        data = validated(s.PlateIn, request)
        shot = shot_services.shot_plate_set(shot=shot, actor=request.user, clip=data["clip"])
        return Response(s.ShotListSerializer(shot).data)


@extend_schema_view(get=extend_schema(responses={200: s.VariantSerializer(many=True), **SHOT_LIST_REFUSALS}))
class ShotVariants(ShotScopedList):
    parser_classes = UPLOAD_PARSERS
    serializer_class = s.VariantSerializer

    def shot_queryset(self, shot: Shot) -> QuerySet:
        return Variant.objects.filter(shot=shot).order_by("created", "id")

    @extend_schema(request=s.VariantPublishIn,
                   responses={200: s.VariantSerializer, 201: s.VariantSerializer, **refusals(400, 403, 404, 409, 413)},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                                description="a retried publish with the same key returns the "
                                                            "variant it made (200) instead of a duplicate")])
    def post(self, request: Request, shot_id: int) -> Response:
        _check_body_size(request)
        shot = self.visible_shot(request, shot_id)
        require(request.user, shot.sequence.project_id, Action.VARIANT_PUBLISH)
        data = validated(s.VariantPublishIn, request)
        variant, created = variant_services.variant_publish(
            shot=shot, actor=request.user, idempotency_key=request.headers.get("Idempotency-Key") or None,
            **data)
        return Response(s.VariantSerializer(variant).data, status=201 if created else 200)


class VariantDetail(ServiceMixin, APIView):
    @extend_schema(responses={200: s.VariantSerializer, **refusals(403, 404)})
    def get(self, request: Request, variant_id: int) -> Response:
        return Response(s.VariantSerializer(self.visible(request, Variant, variant_id)).data)


@extend_schema_view(get=extend_schema(responses={200: s.EditSerializer(many=True), **SHOT_LIST_REFUSALS}))
class ShotEdits(ShotScopedList):
    serializer_class = s.EditSerializer

    def shot_queryset(self, shot: Shot) -> QuerySet:
        return (Edit.objects.filter(shot=shot).select_related("author")
                .prefetch_related("decisions__author").order_by("-version"))

    @extend_schema(request=s.EditIn, responses={201: s.EditSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, shot_id: int) -> Response:
        shot = self.visible_shot(request, shot_id)
        data = validated(s.EditIn, request)
        edit = edit_services.edit_create(shot=shot, actor=request.user,
                                         segments=[dict(x) for x in data["segments"]],
                                         comment=data["comment"])
        return Response(s.EditSerializer(edit).data, status=201)


class EditDecisions(ServiceMixin, APIView):
    @extend_schema(request=s.DecisionIn, responses={201: s.DecisionSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, edit_id: int) -> Response:
        edit = self.visible(request, Edit, edit_id)
        data = validated(s.DecisionIn, request)
        decision = edit_services.decision_create(edit=edit, actor=request.user,
                                                 verdict=data["decision"],
                                                 comment=data["comment"], frame_start=data["frame_start"],
                                                 frame_end=data["frame_end"])
        return Response(s.DecisionSerializer(decision).data, status=201)


class DecisionUnlock(ServiceMixin, APIView):
    @extend_schema(request=s.UnlockIn, responses={200: s.DecisionSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, decision_id: int) -> Response:
        decision = sel.decision_get(user=request.user, decision_id=decision_id)
        data = validated(s.UnlockIn, request)
        decision = edit_services.range_unlock(decision=decision, actor=request.user, comment=data["comment"])
        return Response(s.DecisionSerializer(decision).data)


@extend_schema_view(get=extend_schema(responses={200: s.NoteSerializer(many=True), **SHOT_LIST_REFUSALS}))
class ShotNotes(ShotScopedList):
    parser_classes = OPTIONAL_UPLOAD_PARSERS
    serializer_class = s.NoteSerializer

    def shot_queryset(self, shot: Shot) -> QuerySet:
        return (Note.objects.filter(shot=shot, parent__isnull=True)
                .select_related("author", "resolved_by").prefetch_related("replies__author", "attachments"))

    @extend_schema(request=s.NoteIn, responses={201: s.NoteSerializer, **UPLOAD_REFUSALS})
    def post(self, request: Request, shot_id: int) -> Response:
        _check_body_size(request)
        shot = self.visible_shot(request, shot_id)
        data = validated(s.NoteIn, request)
        v = dict(data)
        variant_id = v.pop("variant")
        variant = get_object_or_404(Variant, pk=variant_id, shot=shot) if variant_id else None
        note = note_services.note_create(shot=shot, actor=request.user, variant=variant, **v)
        return Response(s.NoteSerializer(note).data, status=201)


class ShotNotesExport(ServiceMixin, APIView):
    @extend_schema(parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(EXPORT_FORMATS))],
                   responses={(200, content_type.split(";")[0]): OpenApiTypes.BINARY
                              for content_type, _ in EXPORT_FORMATS.values()} | refusals(403, 404))
    def get(self, request: Request, shot_id: int, fmt: str) -> HttpResponse:
        shot = self.visible_shot(request, shot_id)
        try:
            body, content_type, name = notes_export(shot, fmt)
        except ValueError as exc:
            raise Http404(str(exc)) from None
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ShotNotesImport(ServiceMixin, APIView):
    parser_classes = UPLOAD_PARSERS

    @extend_schema(request=s.NotesImportIn, responses={201: s.NoteSerializer(many=True), **UPLOAD_REFUSALS})
    def post(self, request: Request, shot_id: int) -> Response:
        _check_body_size(request)
        shot = self.visible_shot(request, shot_id)
        upload = validated(s.NotesImportIn, request)["csv"]
        notes = notes_import_csv(shot=shot, actor=request.user, data=upload.read(MAX_IMPORT_BYTES + 1))
        return Response(s.NoteSerializer(notes, many=True).data, status=201)


class NoteReplies(ServiceMixin, APIView):
    @extend_schema(request=s.ReplyIn, responses={201: s.ReplySerializer, **refusals(400, 403, 404)})
    def post(self, request: Request, note_id: int) -> Response:
        note = self.visible(request, Note, note_id)
        data = validated(s.ReplyIn, request)
        reply = note_services.note_reply(note=note, actor=request.user, text=data["text"])
        return Response(s.ReplySerializer(reply).data, status=201)


class NoteResolve(ServiceMixin, APIView):
    @extend_schema(request=s.ResolveIn, responses={200: s.NoteSerializer, **refusals(400, 403, 404)})
    def post(self, request: Request, note_id: int) -> Response:
        note = self.visible(request, Note, note_id)
        data = validated(s.ResolveIn, request)
        note = note_services.note_resolve(note=note, actor=request.user, resolved=data["resolved"])
        return Response(s.NoteSerializer(note).data)


@extend_schema_view(get=extend_schema(responses={200: s.FrameFixSerializer(many=True), **SHOT_LIST_REFUSALS}))
class ShotFixes(ShotScopedList):
    parser_classes = UPLOAD_PARSERS
    serializer_class = s.FrameFixSerializer

    def shot_queryset(self, shot: Shot) -> QuerySet:
        return FrameFix.objects.filter(shot=shot).select_related("author").prefetch_related("images")

    @extend_schema(request=s.FixIn, responses={201: s.FrameFixSerializer, **UPLOAD_REFUSALS})
    def post(self, request: Request, shot_id: int) -> Response:
        _check_body_size(request)
        shot = self.visible_shot(request, shot_id)
        data = validated(s.FixIn, request)
        fix = fix_services.fix_create(shot=shot, actor=request.user, **data)
        return Response(s.FrameFixSerializer(fix).data, status=201)


class FixReview(ServiceMixin, APIView):
    @extend_schema(request=s.FixReviewIn, responses={200: s.FrameFixSerializer, **refusals(400, 403, 404)})
    def post(self, request: Request, fix_id: int) -> Response:
        fix = self.visible(request, FrameFix, fix_id)
        data = validated(s.FixReviewIn, request)
        fix = fix_services.fix_review(fix=fix, actor=request.user, **data)
        return Response(s.FrameFixSerializer(fix).data)


@extend_schema_view(get=extend_schema(responses={200: s.RenderSerializer(many=True), **SHOT_LIST_REFUSALS}))
class ShotRenders(ShotScopedList):
    serializer_class = s.RenderSerializer

    def shot_queryset(self, shot: Shot) -> QuerySet:
        return Render.objects.filter(shot=shot).select_related("edit")

    @extend_schema(request=None, responses={201: s.RenderSerializer, **refusals(403, 404, 409)})
    def post(self, request: Request, shot_id: int) -> Response:
        shot = self.visible_shot(request, shot_id)
        render = render_services.render_queue(shot=shot, actor=request.user)
        return Response(s.RenderSerializer(render).data, status=201)


class RenderDetail(ServiceMixin, APIView):
    parser_classes = OPTIONAL_UPLOAD_PARSERS

    @extend_schema(responses={200: s.RenderSerializer, **refusals(403, 404)})
    def get(self, request: Request, render_id: int) -> Response:
        return Response(s.RenderSerializer(self.visible(request, Render, render_id, "edit")).data)

    @extend_schema(request=s.RenderReportIn, responses={200: s.RenderSerializer, **refusals(400, 403, 404, 409, 413)})
    def patch(self, request: Request, render_id: int) -> Response:
        _check_body_size(request)
        render = self.visible(request, Render, render_id)
        data = validated(s.RenderReportIn, request)
        render = render_services.render_report(render=render, actor=request.user, **data)
        return Response(s.RenderSerializer(render).data)


@extend_schema_view(get=extend_schema(responses={200: s.ActivitySerializer(many=True), **SHOT_LIST_REFUSALS}))
class ShotActivity(ShotScopedList):
    serializer_class = s.ActivitySerializer

    def shot_queryset(self, shot: Shot) -> QuerySet:
        return sel.activity_list(shot=shot)


@extend_schema_view(get=extend_schema(parameters=[s.InboxFiltersIn],
                                      responses={200: s.NotificationSerializer(many=True), **LIST_REFUSALS}))
class Inbox(ServiceMixin, generics.ListAPIView):
    """The signed-in person's own notifications, newest first (nobody can read another's)."""

    serializer_class = s.NotificationSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a signed-in person
            return Notification.objects.none()
        filters = s.InboxFiltersIn(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return sel.inbox(user=self.request.user, unread_only=filters.validated_data.get("unread", False))


class InboxRead(ServiceMixin, APIView):
    """Mark one of one's notifications read; another person's is a 404, as if it did not exist."""

    @extend_schema(operation_id="notification_read", request=None,
                   responses={200: s.NotificationSerializer, **refusals(404)})
    def post(self, request: Request, notification_id: int) -> Response:
        try:
            notification_services.notification_mark_read(user=request.user, notification_id=notification_id)
        except Notification.DoesNotExist as exc:
            raise Http404(str(exc)) from exc
        return Response(s.NotificationSerializer(sel.inbox(user=request.user).get(pk=notification_id)).data)


class InboxReadAll(ServiceMixin, APIView):
    @extend_schema(operation_id="notifications_read_all", request=None, responses={200: s.InboxReadOut})
    def post(self, request: Request) -> Response:
        marked = notification_services.notification_mark_read(user=request.user)
        return Response({"marked": marked, "unread": notification_services.unread_count(request.user.pk)})


class InboxEmail(ServiceMixin, APIView):
    @extend_schema(request=s.InboxEmailIn, responses={200: s.InboxEmailIn, **refusals(400)})
    def put(self, request: Request) -> Response:
        data = validated(s.InboxEmailIn, request)
        preference = notification_services.notification_email_set(user=request.user, email=data["email"])
        return Response({"email": preference.email})


class DailiesList(ServiceMixin, APIView):
    @extend_schema(request=s.DailiesIn, responses={201: s.DailiesSerializer, **refusals(400, 403, 404)})
    def post(self, request: Request) -> Response:
        data = validated(s.DailiesIn, request)
        project = member_project(request, data["project"])
        if "filter" in data:
            items = dailies_sel.playlist_from_filter(user=request.user, project=project, filters=data["filter"])
        else:
            items = []
            for entry in data["items"]:
                shot = sel.shot_get(user=request.user, shot_id=entry["shot"])
                variant = get_object_or_404(Variant, pk=entry["variant"], shot=shot) if entry["variant"] else None
                items.append((shot, variant))
        session = dailies_services.dailies_create(project=project, actor=request.user, title=data["title"],
                                                  items=items)
        return Response(s.DailiesSerializer(dailies_sel.dailies_get(user=request.user, session_id=session.id)).data,
                        status=201)


class DailiesDetail(ServiceMixin, APIView):
    @extend_schema(responses={200: s.DailiesSerializer, **refusals(404)})
    def get(self, request: Request, session_id: int) -> Response:
        return Response(s.DailiesSerializer(dailies_sel.dailies_get(user=request.user, session_id=session_id)).data)


class DailiesSummary(ServiceMixin, APIView):
    @extend_schema(responses={200: s.DailiesSummarySerializer, **refusals(404)})
    def get(self, request: Request, session_id: int) -> Response:
        session = dailies_sel.dailies_get(user=request.user, session_id=session_id)
        session.notes = dailies_sel.dailies_notes(session)
        return Response(s.DailiesSummarySerializer(session).data)


class DailiesHandover(ServiceMixin, APIView):
    @extend_schema(request=s.HandoverIn, responses={200: s.DailiesSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, session_id: int) -> Response:
        session = dailies_sel.dailies_get(user=request.user, session_id=session_id)
        data = validated(s.HandoverIn, request)
        dailies_services.dailies_handover(session=session, actor=request.user, to_username=data["to"])
        return Response(s.DailiesSerializer(dailies_sel.dailies_get(user=request.user, session_id=session_id)).data)


class DailiesEnd(ServiceMixin, APIView):
    @extend_schema(request=None, responses={200: s.DailiesSerializer, **refusals(403, 404, 409)})
    def post(self, request: Request, session_id: int) -> Response:
        session = dailies_sel.dailies_get(user=request.user, session_id=session_id)
        dailies_services.dailies_end(session=session, actor=request.user)
        return Response(s.DailiesSerializer(dailies_sel.dailies_get(user=request.user, session_id=session_id)).data)
