"""The admin: every model, searchable, with the status colours; writes of status go through the services."""
from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from review import models as m
from review.login_throttle import AdminLoginForm

admin.site.login_form = AdminLoginForm  # the admin's sign-in is throttled like the site's


@admin.register(m.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "created"]
    search_fields = ["code", "name"]


@admin.register(m.Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role"]
    list_filter = ["project", "role"]
    autocomplete_fields = ["user"]


@admin.register(m.Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ["code", "project", "name"]
    list_filter = ["project"]


@admin.register(m.Shot)
class ShotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "coloured_status", "frame_start", "frame_end", "fps_num", "fps_den", "start_timecode",
                    "due_date"]
    list_filter = ["status", "sequence__project", "sequence"]
    search_fields = ["code", "sequence__code"]
    readonly_fields = ["status", "held_from"]  # status moves only through the services (audited)
    filter_horizontal = ["assignees"]

    @admin.display(description="status", ordering="status")
    def coloured_status(self, shot: m.Shot) -> str:
        return format_html('<span style="color:{}">&#9679;</span> {}', shot.status_colour, shot.get_status_display())


@admin.register(m.Variant)
class VariantAdmin(admin.ModelAdmin):
    list_display = ["label", "version", "shot", "kind", "clip_frames", "created"]
    list_filter = ["kind"]
    search_fields = ["label", "shot__code"]


class DecisionInline(admin.TabularInline):
    model = m.Decision
    extra = 0


@admin.register(m.Edit)
class EditAdmin(admin.ModelAdmin):
    list_display = ["shot", "version", "author", "created"]
    inlines = [DecisionInline]


@admin.register(m.Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["shot", "frame_start", "frame_end", "author", "resolved", "created"]
    list_filter = ["resolved"]
    search_fields = ["text"]


class FrameFixImageInline(admin.TabularInline):
    model = m.FrameFixImage
    extra = 0


@admin.register(m.FrameFix)
class FrameFixAdmin(admin.ModelAdmin):
    list_display = ["shot", "frame_start", "frame_end", "state", "author"]
    list_filter = ["state"]
    inlines = [FrameFixImageInline]


@admin.register(m.Render)
class RenderAdmin(admin.ModelAdmin):
    list_display = ["id", "shot", "edit", "state", "progress", "created", "finished"]
    list_filter = ["state"]


@admin.register(m.Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["created", "shot", "actor", "verb", "summary"]
    list_filter = ["verb"]
    search_fields = ["summary"]


@admin.register(m.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by `manage.py review_user --token` (shown once, stored as a digest); here they are
    seen and revoked."""

    list_display = ["user", "created"]
    readonly_fields = ["user", "digest", "created"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Seen for support; made only by the services (review.services.notifications)."""

    list_display = ["user", "shot", "verb", "read_at", "created"]
    list_filter = ["verb"]
    search_fields = ["summary", "user__username"]
    readonly_fields = ["user", "shot", "actor", "verb", "summary", "created"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(m.NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email"]
