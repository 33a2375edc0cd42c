"""REST API of jobs: a shot's jobs (with progress, log and error), running the engine on a shot, converting
one variant in chunks, and retrying a failed job. Thin, like the rest of the API: one service or selector per
call."""
from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from review.api.schema import refusals
from review.api.serializers import StrictInput
from review.api.views import SHOT_LIST_REFUSALS, ServiceMixin, ShotScopedList, validated
from review.models import Job, Shot
from review.selectors.jobs import shot_jobs
from review.jobs.engine_paths import ENGINE_VARIANTS, FOLDER_NAME
from review.jobs.runner import job_retry
from review.services.engine import convert_queue, engine_run_queue


class JobSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Job
        fields = ["id", "shot", "kind", "kind_label", "queue", "state", "state_label", "progress", "message", "error",
                  "log", "attempt", "max_attempts", "worker", "parent", "chunk_index", "frame_start", "frame_end",
                  "render", "variant", "created", "started", "finished"]


FOLDER_NAME_ERRORS = {"invalid": "not a folder name (letters, digits, '_', '.', '-'; no slashes)"}


class EngineRunIn(StrictInput):
    name = serializers.RegexField(FOLDER_NAME.pattern, error_messages=FOLDER_NAME_ERRORS,
                                  help_text="the shot's folder on the engine's storage, or a preset")
    quick = serializers.BooleanField(default=False, help_text="tiny sizes (for a try-out)")
    variants = serializers.ListField(
        child=serializers.ChoiceField(choices=ENGINE_VARIANTS, error_messages={
            "invalid_choice": f"no such variant '{{input}}'; choose one or more of {', '.join(ENGINE_VARIANTS)}"}),
        default=list(ENGINE_VARIANTS), min_length=1,
        error_messages={"min_length": f"no variant chosen; choose one or more of {', '.join(ENGINE_VARIANTS)}"},
        help_text=f"the variants to train and convert, some of {', '.join(ENGINE_VARIANTS)} (default: all)")


class ConvertIn(StrictInput):
    name = serializers.RegexField(FOLDER_NAME.pattern, error_messages=FOLDER_NAME_ERRORS,
                                  help_text="the shot's folder on the engine's storage")
    variant = serializers.RegexField(FOLDER_NAME.pattern, error_messages=FOLDER_NAME_ERRORS,
                                     help_text="the variant to convert (a [[variants]] name of the folder's "
                                               "shot.toml, e.g. rigid)")


@extend_schema_view(get=extend_schema(responses={200: JobSerializer(many=True), **SHOT_LIST_REFUSALS}))
class ShotJobs(ShotScopedList):
    """The shot's jobs, newest first, a page at a time like every list of the API."""

    serializer_class = JobSerializer

    def shot_queryset(self, shot: Shot) -> QuerySet:
        return shot_jobs(shot_id=shot.id, limit=None)

    @extend_schema(request=EngineRunIn, responses={201: JobSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, shot_id: int) -> Response:
        """Run the engine on the shot (queued on the gpu workers): train the chosen variants, then convert
        each as a chunked conversion job."""
        shot = self.visible_shot(request, shot_id)
        job = engine_run_queue(shot=shot, actor=request.user, **validated(EngineRunIn, request))
        return Response(JobSerializer(job).data, status=201)


class ShotConvert(ServiceMixin, APIView):
    @extend_schema(request=ConvertIn, responses={201: JobSerializer, **refusals(400, 403, 404, 409)})
    def post(self, request: Request, shot_id: int) -> Response:
        """Convert one variant of the shot's engine folder again, in frame chunks any gpu worker takes; the
        joined variant is published to the shot (replacing the one of that label). 409 while the same
        conversion is queued or running."""
        shot = self.visible_shot(request, shot_id)
        job = convert_queue(shot=shot, actor=request.user, **validated(ConvertIn, request))
        return Response(JobSerializer(job).data, status=201)


class JobRetry(ServiceMixin, APIView):
    @extend_schema(request=None, responses={201: JobSerializer, **refusals(403, 404, 409)})
    def post(self, request: Request, job_id: int) -> Response:
        """Run a failed job again (a failed render is retried as a new render)."""
        job = self.visible(request, Job, job_id)
        return Response(JobSerializer(job_retry(job=job, actor=request.user)).data, status=201)
