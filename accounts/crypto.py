"""Keyed hashes for every secret we must recognise but never store: pairing tokens and codes,
device tokens and enrolment codes. HMAC with the SECRET_KEY, so the database alone reveals no
live secret. And sealing, for a secret handed out once, later (a linked device's token)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def keyed_hash(value: str, *, purpose: str) -> str:
    key = f"familypairing:{purpose}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _fernet(purpose: str) -> Fernet:
    digest = hashlib.sha256(f"familypairing:{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(value: str, *, purpose: str) -> str:
    """`value` encrypted (Fernet, key derived from SECRET_KEY and `purpose`): for a secret that
    must be handed out once, later, and is wiped once handed out."""
    return _fernet(purpose).encrypt(value.encode()).decode()


def unseal(sealed: str, *, purpose: str) -> str | None:
    """The sealed value, or None if it cannot be read (another key, tampered, empty)."""
    try:
        return _fernet(purpose).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
