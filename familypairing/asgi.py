"""The ASGI entry point: `uvicorn familypairing.asgi:application`.

It serves the whole project, but is meant for the change channel (issue 14): the long poll
`GET /api/v1/device/policy?wait=…` is an async view that holds no thread while it waits, so one
process holds thousands of idle device requests. Pages and the rest of the API are sync Django
views, better served by gunicorn (under ASGI Django runs them one at a time per process in its
sync thread); the README's deployment routes only the channel's path here.

The channel's path is served by its own handler, past the project's middleware: several of them
are sync only, and a sync middleware around a held request would hold a thread for the whole
wait. The device API authenticates with a bearer token (no session, no CSRF, no CSP for JSON),
so only the security middleware's headers apply, and they are kept.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "familypairing.settings")

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response
from django.middleware.security import SecurityMiddleware

django_application = get_asgi_application()

CHANNEL_PATHS = frozenset({"/api/v1/device/policy"})


class ChannelHandler(ASGIHandler):
    """Django's ASGI handler for the channel's path alone: its URLs, async middleware only."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        inner = convert_exception_to_response(self._get_response_async)
        self._middleware_chain = convert_exception_to_response(SecurityMiddleware(inner))

    def resolve_request(self, request):
        request.urlconf = "familypairing.channel_urls"
        return super().resolve_request(request)


channel_application = ChannelHandler()


async def application(scope, receive, send) -> None:
    if scope["type"] == "http" and scope.get("path") in CHANNEL_PATHS:
        await channel_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)
