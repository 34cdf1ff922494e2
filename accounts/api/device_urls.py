"""Device management for teens and guardians (list, register, rename, revoke)."""

from __future__ import annotations

urlpatterns: list = []
