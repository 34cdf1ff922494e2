"""Device pages (register, list, rename, revoke) for teens and their guardians."""

from __future__ import annotations

urlpatterns: list = []
