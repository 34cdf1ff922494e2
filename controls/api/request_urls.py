"""More-time requests, grants and notifications in the API."""

from __future__ import annotations

urlpatterns: list = []
