"""The device API: /api/v1/device/... authenticated with a device bearer token."""

from __future__ import annotations

urlpatterns: list = []
