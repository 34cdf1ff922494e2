from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    # First: every teen's devices call these every minute, and URL resolution costs time for each
    # pattern tried before the match (issue 8). Their paths (device/...) clash with no other.
    path("", include("controls.api.device_urls")),
    path("", include("accounts.api.urls")),
    path("", include("accounts.api.device_urls")),
    path("", include("controls.api.urls")),
    path("", include("controls.api.request_urls")),
    path("", include("controls.api.feed_urls")),
]
