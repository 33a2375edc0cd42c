from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from review import dailies_views, job_views, media_serve, views
from review.login_throttle import LoginView

urlpatterns = [
    path("health/", views.health, name="health"),
    path("login/", LoginView.as_view(template_name="review/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.board, name="board"),
    path("board.csv", views.board_csv, name="board-csv"),
    path("actions/", views.actions, name="actions"),
    path("dailies/", dailies_views.dailies, name="dailies"),
    path("dailies/start", dailies_views.dailies_start_form, name="dailies-start"),
    path("dailies/<int:session_id>/", dailies_views.dailies_summary, name="dailies-summary"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read", views.inbox_read_form, name="inbox-read"),
    path("inbox/email", views.inbox_email_form, name="inbox-email"),
    path("shots/<int:shot_id>/", views.shot_page, name="shot"),
    path("shots/<int:shot_id>/status", views.shot_status_form, name="shot-status"),
    path("shots/<int:shot_id>/notes", views.shot_note_form, name="shot-note"),
    path("shots/<int:shot_id>/notes.<str:fmt>", views.shot_notes_export, name="shot-notes-export"),
    path("shots/<int:shot_id>/notes/import", views.shot_notes_import_form, name="shot-notes-import"),
    path("shots/<int:shot_id>/render", views.shot_render_form, name="shot-render"),
    path("edits/<int:edit_id>/decision", views.edit_decision_form, name="edit-decision"),
    path("shots/<int:shot_id>/engine", job_views.shot_engine_form, name="shot-engine"),
    path("shots/<int:shot_id>/convert", job_views.shot_convert_form, name="shot-convert"),
    path("jobs/<int:job_id>/retry", job_views.job_retry_form, name="job-retry"),
    path("media/<path:name>", media_serve.media, name="media"),
]
