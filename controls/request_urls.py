"""Pages for more-time requests, the notification centre, data export and deletion."""

from __future__ import annotations

urlpatterns: list = []
