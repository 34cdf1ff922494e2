"""Linking a device with a code: the OAuth 2.0 Device Authorization Grant (RFC 8628) in our terms.

1. The device asks (`device_enrolment_start`) and gets a *device code* (its secret, 256 bits)
   and a *user code* (8 letters, shown as XXXX-XXXX, with a QR of the link that carries it).
2. The teen, or one of their guardians, signed in on the site, types the code (or opens the
   link), sees what the device asked for (kind, suggested name), names it and approves or denies
   (`device_enrolment_approve` / `device_enrolment_deny`). Approval registers the device like
   any other (`device_register`) and keeps its token *sealed* in the enrolment.
3. The device polls with its device code (`device_enrolment_poll`) and gets, as in RFC 8628
   §3.5, `authorization_pending`, `slow_down` (polled sooner than `interval`; the interval
   then grows by 5 s), `access_denied`, `expired_token`, or, once, its device token. The seal is
   wiped as the token is handed out: a second poll gets `invalid_grant`.

Why not django-oauth-toolkit's device grant: it issues its own OAuth access tokens (an
`AccessToken` row per OAuth `Application`, with scopes, refresh tokens and expiry), while a
device here is a `Device` with an `fpd_` bearer token that never expires, is stored hashed and is
looked up from the cache on the hot path (`accounts.devices.services`). Using it would mean a
second token kind, a client registration per app and a second lookup on every device request,
to get three small rules (hashes, expiry, polling interval) that fit in this module.

Both codes are stored only as keyed hashes; codes live 10 minutes; wrong user codes are
throttled per account and per address by the page that takes them (the door owns the
throttle, `accounts.pairing.throttle`, as for pairing codes).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.crypto import keyed_hash, seal, unseal
from accounts.devices.services import NAME_MAX_LENGTH, device_register, user_may_manage_devices_of
from accounts.models import Device, DeviceEnrolment, EnrolmentStatus, Platform, User
from accounts.selectors import guardians_for_teen
from controls.audit import audit_record
from controls.models import NotificationKind
from controls.notifications.services import notify

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8628 §6.1: consonants only (no vowels, so no words; no 0/O, 1/I confusion).
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
DEVICE_CODE_BYTES = 32
EXPIRES = timedelta(minutes=10)
INTERVAL_SECONDS = 5
SLOW_DOWN_STEP_SECONDS = 5  # RFC 8628 §3.5
MAX_INTERVAL_SECONDS = 60
SEAL_PURPOSE = "device-enrolment-seal"
DEVICE_CODE_PURPOSE = "device-enrolment-device-code"
USER_CODE_PURPOSE = "device-enrolment-user-code"


class EnrolmentError(Exception):
    """An RFC 8628 §3.5 error answer: `error` is the machine word, `description` the words."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class EnrolmentStarted:
    enrolment: DeviceEnrolment
    device_code: str
    user_code: str  # formatted, XXXX-XXXX

    @property
    def verification_path(self) -> str:
        return reverse("device_link")

    @property
    def verification_path_complete(self) -> str:
        return f"{reverse('device_link')}?code={self.user_code}"


@dataclass(frozen=True)
class EnrolmentCollected:
    device: Device
    token: str


def format_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(text: str) -> str | None:
    """The bare 8 letters of what someone typed (any case, spaces or dashes), or None when it
    cannot be a user code at all."""
    bare = "".join(ch for ch in (text or "").upper() if ch not in " -\t")
    if len(bare) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in bare):
        return None
    return bare


def _user_code_hash(bare: str) -> str:
    return keyed_hash(bare, purpose=USER_CODE_PURPOSE)


def _device_code_hash(device_code: str) -> str:
    return keyed_hash(device_code, purpose=DEVICE_CODE_PURPOSE)


def _clean_suggested_name(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"suggested_name": f"Keep the name to {NAME_MAX_LENGTH} characters."})
    return name


def device_enrolment_start(
    *, platform: str, suggested_name: str = "", now: datetime | None = None
) -> EnrolmentStarted:
    """A device asks to be linked: a new enrolment with fresh codes (RFC 8628 §3.1-3.2)."""
    now = now or timezone.now()
    if platform not in Platform.values:
        raise ValidationError({"platform": f"Choose one of: {', '.join(Platform.values)}."})
    suggested_name = _clean_suggested_name(suggested_name)
    device_code = secrets.token_urlsafe(DEVICE_CODE_BYTES)
    for _ in range(5):  # a pending user code is unique; a clash (1 in 10^10) draws again
        bare = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
        try:
            with transaction.atomic():
                enrolment = DeviceEnrolment.objects.create(
                    device_code_hash=_device_code_hash(device_code),
                    user_code_hash=_user_code_hash(bare),
                    platform=platform,
                    suggested_name=suggested_name,
                    created_at=now,
                    expires_at=now + EXPIRES,
                    interval=INTERVAL_SECONDS,
                )
        except IntegrityError:
            continue
        return EnrolmentStarted(
            enrolment=enrolment, device_code=device_code, user_code=format_user_code(bare)
        )
    raise RuntimeError("Could not draw a free user code.")  # pragma: no cover


def device_enrolment_for_code(
    *, user_code: str, now: datetime | None = None
) -> DeviceEnrolment | None:
    """The pending, unexpired enrolment behind a typed user code, or None."""
    now = now or timezone.now()
    bare = normalize_user_code(user_code)
    if bare is None:
        return None
    return DeviceEnrolment.objects.filter(
        user_code_hash=_user_code_hash(bare), status=EnrolmentStatus.PENDING, expires_at__gt=now
    ).first()


def device_enrolment_approve(
    *,
    enrolment: DeviceEnrolment,
    actor: User,
    teen: User,
    name: str,
    now: datetime | None = None,
) -> Device:
    """The teen (for themself) or a guardian (for one of their teens) approves: the device is
    registered under `name` and its token kept sealed until the device collects it. Every
    guardian of the teen (but the one approving) is told."""
    now = now or timezone.now()
    if not user_may_manage_devices_of(user=actor, teen=teen):
        raise ValidationError({"teen": "You cannot link devices for this account."})
    with transaction.atomic():
        locked = (
            DeviceEnrolment.objects.select_for_update()
            .filter(pk=enrolment.pk, status=EnrolmentStatus.PENDING, expires_at__gt=now)
            .first()
        )
        if locked is None:
            raise ValidationError(
                {"code": "This code has expired or was already used. Ask the device for a new one."}
            )
        device, token = device_register(
            teen=teen, actor=actor, name=name, platform=locked.platform, now=now
        )
        DeviceEnrolment.objects.filter(pk=locked.pk).update(
            status=EnrolmentStatus.APPROVED,
            teen=teen,
            answered_by=actor,
            answered_at=now,
            device=device,
            sealed=seal(token, purpose=SEAL_PURPOSE),
        )
        audit_record(
            actor=actor,
            teen=teen,
            action="device.linked_by_code",
            summary=f"{actor.display_name} linked the device “{device.name}” "
            f"({device.get_platform_display()}) with a code",
            after={"name": device.name, "platform": device.platform},
            extra={"device_id": device.pk, "enrolment_id": locked.pk},
        )
        for guardian in guardians_for_teen(teen=teen).exclude(pk=actor.pk):
            notify(
                recipient=guardian,
                kind=NotificationKind.DEVICE_LINKED,
                title=f"A device was linked for {teen.display_name}: “{device.name}”",
                body=f"{actor.display_name} linked it ({device.get_platform_display()}). "
                "It will report usage and apply your rules.",
                link=reverse("teen_devices", args=[teen.pk]),
                teen=teen,
                dedupe_key=f"device-linked:{device.pk}",
                now=now,
            )
    enrolment.refresh_from_db()
    return device


def device_enrolment_deny(
    *, enrolment: DeviceEnrolment, actor: User, now: datetime | None = None
) -> bool:
    """Refuse the device (it gets `access_denied`). False when it was no longer pending."""
    now = now or timezone.now()
    with transaction.atomic():
        denied = DeviceEnrolment.objects.filter(
            pk=enrolment.pk, status=EnrolmentStatus.PENDING
        ).update(status=EnrolmentStatus.DENIED, answered_by=actor, answered_at=now)
        if denied and actor.is_teen:
            audit_record(
                actor=actor,
                teen=actor,
                action="device.link_denied",
                summary=f"{actor.display_name} refused to link a device "
                f"({enrolment.get_platform_display()})",
                extra={"enrolment_id": enrolment.pk},
            )
    enrolment.refresh_from_db()
    return bool(denied)


def device_enrolment_poll(*, device_code: str, now: datetime | None = None) -> EnrolmentCollected:
    """The device asks for its token (RFC 8628 §3.4). Returns it once; raises `EnrolmentError`
    with the RFC's error word otherwise."""
    now = now or timezone.now()
    if not device_code or len(device_code) > 200:
        raise EnrolmentError("invalid_grant", "Unknown device code.")
    enrolment = DeviceEnrolment.objects.filter(
        device_code_hash=_device_code_hash(device_code)
    ).first()
    if enrolment is None:
        raise EnrolmentError("invalid_grant", "Unknown device code.")
    if enrolment.status == EnrolmentStatus.COLLECTED:
        raise EnrolmentError("invalid_grant", "This device code was already used.")
    if enrolment.status == EnrolmentStatus.DENIED:
        raise EnrolmentError("access_denied", "The link was refused on the site.")
    if enrolment.is_expired(now):
        if enrolment.sealed:
            DeviceEnrolment.objects.filter(pk=enrolment.pk).update(sealed="")
        raise EnrolmentError("expired_token", "The code expired; start again for a new one.")

    # Polling faster than the interval: tell the device to slow down, and make it wait longer
    # from now on (RFC 8628 §3.5). One conditional UPDATE, so parallel polls agree.
    too_soon = enrolment.last_polled_at is not None and now - enrolment.last_polled_at < timedelta(
        seconds=enrolment.interval
    )
    if too_soon:
        DeviceEnrolment.objects.filter(pk=enrolment.pk).update(
            interval=min(MAX_INTERVAL_SECONDS, enrolment.interval + SLOW_DOWN_STEP_SECONDS),
            last_polled_at=now,
        )
        raise EnrolmentError(
            "slow_down",
            f"Poll at most every {enrolment.interval + SLOW_DOWN_STEP_SECONDS} seconds.",
        )
    DeviceEnrolment.objects.filter(pk=enrolment.pk).update(last_polled_at=now)
    if enrolment.status == EnrolmentStatus.PENDING:
        raise EnrolmentError(
            "authorization_pending", "Waiting for the code to be entered on the site."
        )

    token = unseal(enrolment.sealed, purpose=SEAL_PURPOSE)
    # Handed out once: whoever wipes the seal first gets the token.
    collected = DeviceEnrolment.objects.filter(
        pk=enrolment.pk, status=EnrolmentStatus.APPROVED, sealed=enrolment.sealed
    ).update(status=EnrolmentStatus.COLLECTED, sealed="")
    if not collected or token is None:
        raise EnrolmentError("invalid_grant", "This device code was already used.")
    device = Device.objects.select_related("teen").get(pk=enrolment.device_id)
    if device.revoked_at is not None:
        raise EnrolmentError("access_denied", "The device was removed on the site.")
    return EnrolmentCollected(device=device, token=token)


# Kept a day past expiry, so a device that polls late still hears `expired_token` (RFC 8628),
# not "unknown code"; then deleted.
KEPT_AFTER_EXPIRY = timedelta(days=1)


def device_enrolments_prune(*, now: datetime | None = None) -> int:
    """Wipe the sealed token of every expired enrolment (an approved code nobody collected must
    not keep a live token) and delete enrolments a day past expiry. Returns the rows deleted;
    a second run finds nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        DeviceEnrolment.objects.filter(expires_at__lte=now).exclude(sealed="").update(sealed="")
        deleted, _ = DeviceEnrolment.objects.filter(
            expires_at__lte=now - KEPT_AFTER_EXPIRY
        ).delete()
    return deleted
