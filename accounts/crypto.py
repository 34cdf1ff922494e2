"""Keyed hashes for every secret we must recognise but never store: pairing tokens and codes,
device tokens. HMAC with the SECRET_KEY, so the database alone reveals no live secret."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_hash(value: str, *, purpose: str) -> str:
    key = f"familypairing:{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
