from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("accounts.api.device_urls")),
    path("", include("controls.api.urls")),
    path("", include("controls.api.device_urls")),
    path("", include("controls.api.request_urls")),
]
