from __future__ import annotations

from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from review.api import jobs as j
from review.api import views as v


class IdConverter:
    """A database id in an API address: 1 to 18 digits, so it always fits the database's integers (a longer
    number is no route: a JSON 404). SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"] tells the schema."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("projects/", v.ProjectList.as_view(), name="api-projects"),
    path("sequences/", v.SequenceList.as_view(), name="api-sequences"),
    path("shots/", v.ShotList.as_view(), name="api-shots"),
    path("shots/<id:shot_id>/", v.ShotDetail.as_view(), name="api-shot"),
    path("shots/<id:shot_id>/status/", v.ShotStatusView.as_view(), name="api-shot-status"),
    path("shots/<id:shot_id>/plate/", v.ShotPlate.as_view(), name="api-shot-plate"),
    path("shots/<id:shot_id>/variants/", v.ShotVariants.as_view(), name="api-shot-variants"),
    path("shots/<id:shot_id>/edits/", v.ShotEdits.as_view(), name="api-shot-edits"),
    path("shots/<id:shot_id>/notes/", v.ShotNotes.as_view(), name="api-shot-notes"),
    path("shots/<id:shot_id>/fixes/", v.ShotFixes.as_view(), name="api-shot-fixes"),
    path("shots/<id:shot_id>/renders/", v.ShotRenders.as_view(), name="api-shot-renders"),
    path("shots/<id:shot_id>/activity/", v.ShotActivity.as_view(), name="api-shot-activity"),
    path("variants/<id:variant_id>/", v.VariantDetail.as_view(), name="api-variant"),
    path("edits/<id:edit_id>/decisions/", v.EditDecisions.as_view(), name="api-edit-decisions"),
    path("notes/<id:note_id>/replies/", v.NoteReplies.as_view(), name="api-note-replies"),
    path("notes/<id:note_id>/resolve/", v.NoteResolve.as_view(), name="api-note-resolve"),
    path("fixes/<id:fix_id>/review/", v.FixReview.as_view(), name="api-fix-review"),
    path("renders/<id:render_id>/", v.RenderDetail.as_view(), name="api-render"),
    path("shots/<id:shot_id>/jobs/", j.ShotJobs.as_view(), name="api-shot-jobs"),
    path("shots/<id:shot_id>/jobs/convert/", j.ShotConvert.as_view(), name="api-shot-convert"),
    path("jobs/<id:job_id>/retry/", j.JobRetry.as_view(), name="api-job-retry"),
    re_path(r"^", v.unknown_endpoint, name="api-unknown"),  # last: whatever no route above takes
]
