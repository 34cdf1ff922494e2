"""Reads of a teen's home-network filter addresses."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from controls.rules import dns_formats


def feed_addresses(token: str) -> dict[str, str]:
    """The full address of each format, as a filter is given it (absolute, from SITE_URL)."""
    return {
        fmt: settings.SITE_URL + reverse("dns_feed", args=[token, fmt])
        for fmt in dns_formats.FORMATS
    }
