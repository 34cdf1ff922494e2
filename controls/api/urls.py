"""Rules per teen for guardians (read/update) and teens (read-only); the effective policy."""

from __future__ import annotations

urlpatterns: list = []
