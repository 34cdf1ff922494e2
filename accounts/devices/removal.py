"""The uninstall address: `/devices/removed/<secret>`, one per device.

A browser extension registers it with `chrome.runtime.setUninstallURL`; the browser opens it when
the extension is removed, which marks the device as removed and tells every guardian at once
(exactly once). The secret is derived from the device token (an HMAC keyed with SECRET_KEY), so
the server can hand it to the device again in any answer to a request carrying the token (the
enrolment answer, each heartbeat) while storing only its keyed hash; knowing the secret reveals
nothing about the token.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.crypto import keyed_hash
from accounts.models import Device
from accounts.selectors import guardians_for_teen
from controls.audit import audit_record
from controls.models import NotificationKind
from controls.notifications.services import notify

SECRET_PURPOSE = "device-removed-url"  # noqa: S105  # nosec B105 - a label, not a secret
HASH_PURPOSE = "device-removed-secret"


def removed_secret_for_token(token: str) -> str:
    key = f"familypairing:{SECRET_PURPOSE}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:40]


def removed_secret_hash(secret: str) -> str:
    return keyed_hash(secret, purpose=HASH_PURPOSE)


def removed_path_for_token(token: str) -> str:
    return reverse("device_removed", args=[removed_secret_for_token(token)])


def device_removed_secret_ensure(*, device: Device, token: str) -> str:
    """The device's uninstall secret; its hash is stored the first time (devices registered
    before the uninstall address existed get theirs at their first heartbeat)."""
    secret = removed_secret_for_token(token)
    hashed = removed_secret_hash(secret)
    if device.removed_secret_hash != hashed:
        Device.objects.filter(pk=device.pk).update(removed_secret_hash=hashed)
        device.removed_secret_hash = hashed
    return secret


def device_for_removed_secret(*, secret: str) -> Device | None:
    if not secret or len(secret) > 100:
        return None
    return (
        Device.objects.select_related("teen")
        .filter(removed_secret_hash=removed_secret_hash(secret))
        .first()
    )


def device_mark_removed(*, device: Device, now: datetime | None = None) -> bool:
    """The client was removed from the device: record it and tell every guardian, once. True
    when this call was the first."""
    now = now or timezone.now()
    with transaction.atomic():
        marked = Device.objects.filter(pk=device.pk, removed_at__isnull=True).update(removed_at=now)
        if not marked:
            return False
        device.removed_at = now
        teen = device.teen
        audit_record(
            actor=None,
            teen=teen,
            action="device.client_removed",
            summary=f"Family Pairing was removed from the device “{device.name}”",
            extra={"device_id": device.pk},
        )
        for guardian in guardians_for_teen(teen=teen):
            notify(
                recipient=guardian,
                kind=NotificationKind.DEVICE_TAMPER,
                title=f"Family Pairing was removed from {teen.display_name}'s “{device.name}”",
                body="That device no longer applies your rules or reports usage. "
                "If that was not agreed, talk with them about it.",
                link=reverse("teen_devices", args=[teen.pk]),
                teen=teen,
                dedupe_key=f"device-removed:{device.pk}",
                now=now,
            )
    return True
