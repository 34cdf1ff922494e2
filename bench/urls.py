"""The project's URLs plus a no-op reference view, for the benchmark only.

Served by the same gunicorn, middleware and settings as every measured path (the bench starts
the server with ROOT_URLCONF=bench.urls), so "ratio to the no-op view" is the share of Django's
own per-request cost that a path adds. The view is never reachable in a real deployment.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from familypairing.urls import urlpatterns as project_urlpatterns

NOOP_PATH = "/bench/noop"


def noop(request: HttpRequest) -> HttpResponse:
    """Does nothing: what a request costs when the application adds nothing."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path(NOOP_PATH.lstrip("/"), noop, name="bench-noop"), *project_urlpatterns]
