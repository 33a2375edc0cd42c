from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.urls import path, re_path, register_converter
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

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

# The docs pages (Swagger UI, Redoc) style themselves inline and draw icons from data: and workers from blob:;
# their scripts stay the site's own files (the split view serves Swagger UI's set-up script as a file).
DOCS_CSP = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE], "img-src": [CSP.SELF, "data:"],
            "worker-src": [CSP.SELF, "blob:"]}


def docs_page(view):
    """A docs page for signed-in people only (others go to the sign-in page), under DOCS_CSP."""
    return login_required(csp_override(DOCS_CSP)(view))


# drf-spectacular's Redoc page without its web fonts from Google: the docs load nothing from outside the site
REDOC = SpectacularRedocView.as_view(url_name="api-schema", template_name="review/api_redoc.html")

urlpatterns = [
    # the schema needs a signed-in session or a token (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"])
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs_page(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("redoc/", docs_page(REDOC), name="api-redoc"),
    path("projects/", v.ProjectList.as_view(), name="api-projects"),
    path("notifications/", v.Inbox.as_view(), name="api-notifications"),
    path("notifications/read/", v.InboxReadAll.as_view(), name="api-notifications-read"),
    path("notifications/email/", v.InboxEmail.as_view(), name="api-notifications-email"),
    path("notifications/<id:notification_id>/read/", v.InboxRead.as_view(), name="api-notification-read"),
    path("sequences/", v.SequenceList.as_view(), name="api-sequences"),
    path("shots/", v.ShotList.as_view(), name="api-shots"),
    path("shots/<id:shot_id>/", v.ShotDetail.as_view(), name="api-shot"),
    path("shots/<id:shot_id>/status/", v.ShotStatusView.as_view(), name="api-shot-status"),
    path("shots/<id:shot_id>/plate/", v.ShotPlate.as_view(), name="api-shot-plate"),
    path("shots/<id:shot_id>/variants/", v.ShotVariants.as_view(), name="api-shot-variants"),
    path("shots/<id:shot_id>/edits/", v.ShotEdits.as_view(), name="api-shot-edits"),
    path("shots/<id:shot_id>/notes/", v.ShotNotes.as_view(), name="api-shot-notes"),
    path("shots/<id:shot_id>/notes/export/<str:fmt>/", v.ShotNotesExport.as_view(), name="api-shot-notes-export"),
    path("shots/<id:shot_id>/notes/import/", v.ShotNotesImport.as_view(), name="api-shot-notes-import"),
    path("shots/<id:shot_id>/fixes/", v.ShotFixes.as_view(), name="api-shot-fixes"),
    path("shots/<id:shot_id>/renders/", v.ShotRenders.as_view(), name="api-shot-renders"),
    path("shots/<id:shot_id>/activity/", v.ShotActivity.as_view(), name="api-shot-activity"),
    path("variants/<id:variant_id>/", v.VariantDetail.as_view(), name="api-variant"),
    path("edits/<id:edit_id>/decisions/", v.EditDecisions.as_view(), name="api-edit-decisions"),
    path("decisions/<id:decision_id>/unlock/", v.DecisionUnlock.as_view(), name="api-decision-unlock"),
    path("notes/<id:note_id>/replies/", v.NoteReplies.as_view(), name="api-note-replies"),
    path("notes/<id:note_id>/resolve/", v.NoteResolve.as_view(), name="api-note-resolve"),
    path("fixes/<id:fix_id>/review/", v.FixReview.as_view(), name="api-fix-review"),
    path("renders/<id:render_id>/", v.RenderDetail.as_view(), name="api-render"),
    path("shots/<id:shot_id>/jobs/", j.ShotJobs.as_view(), name="api-shot-jobs"),
    path("shots/<id:shot_id>/jobs/convert/", j.ShotConvert.as_view(), name="api-shot-convert"),
    path("jobs/<id:job_id>/retry/", j.JobRetry.as_view(), name="api-job-retry"),
    path("dailies/", v.DailiesList.as_view(), name="api-dailies"),
    path("dailies/<id:session_id>/", v.DailiesDetail.as_view(), name="api-dailies-detail"),
    path("dailies/<id:session_id>/summary/", v.DailiesSummary.as_view(), name="api-dailies-summary"),
    path("dailies/<id:session_id>/driver/", v.DailiesHandover.as_view(), name="api-dailies-driver"),
    path("dailies/<id:session_id>/end/", v.DailiesEnd.as_view(), name="api-dailies-end"),
    re_path(r"^", v.unknown_endpoint, name="api-unknown"),  # last: whatever no route above takes
]
