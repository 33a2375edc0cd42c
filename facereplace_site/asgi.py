"""ASGI entry point: HTTP through Django, websockets through Channels (one consumer per shot and per board)."""
from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facereplace_site.settings")
django_asgi_app = get_asgi_application()  # set up Django before importing anything that touches models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from review.asgi_limits import UploadLimit  # noqa: E402
from review.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # an oversized upload is refused from its Content-Length, before its body is read
        "http": UploadLimit(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
