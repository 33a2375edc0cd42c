from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from review import live_relay

urlpatterns = [
    path("admin/", admin.site.urls),
    path(live_relay.RELAY_PATH, live_relay.relay, name="live-relay"),
    path("api/", include("review.api.urls")),
    path("", include("review.urls")),
]
