"""A teen's devices: registration with a bearer token shown once, rename, revoke, and the token
lookup every device API request starts with.

Tokens look like ``fpd_k3m9q2xa_<43 url-safe characters>``: a recognisable ``fpd_`` prefix (so a
leaked token is easy to spot in logs and secret scanners), 8 characters kept in clear as a hint
("fpd_k3m9q2xa…" in lists), and a 256-bit secret. Only `keyed_hash(token)` is stored.

The lookup is cached (the device API is the hot path, issue 8) for 15 minutes: devices poll
about once a minute, so a shorter life would miss about as often as it hits. Nothing waits for it
to expire: revoking, renaming or deleting a device clears its entry, and so does any change to the
teen's links (supervision starts or ends) or to the teen's account (time zone, deactivation), so
a revoked token stops working, and a change reaches the device API, at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from accounts.crypto import keyed_hash
from accounts.devices.removal import removed_secret_for_token, removed_secret_hash
from accounts.models import Device, GuardianLink, LinkStatus, Platform, User
from accounts.selectors import guardians_for_teen, is_guardian_of, teen_for_guardian
from controls.audit import audit_record
from controls.effective.channel import teen_changed
from controls.effective.selectors import effective_policy_for_teen
from controls.models import NotificationKind
from controls.notifications.services import notify

# Public labels and an alphabet, not secrets:
TOKEN_PREFIX = "fpd_"  # noqa: S105  # nosec B105
TOKEN_HINT_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105  # nosec B105
TOKEN_HINT_LENGTH = 8
TOKEN_SECRET_BYTES = 32  # 256 bits
TOKEN_HASH_PURPOSE = "device-token"  # noqa: S105  # nosec B105
MAX_ACTIVE_DEVICES_PER_TEEN = 20
NAME_MAX_LENGTH = 80
DEVICE_AUTH_CACHE_SECONDS = 15 * 60
# last_seen_at is written at most this often per device: "last report 2 minutes ago" needs no
# more precision, and it keeps the hot path free of a write on most requests.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


# --- Tokens and the lookup -------------------------------------------------------------------


def token_new() -> tuple[str, str]:
    """A fresh (token, hint): the hint is what lists show, e.g. "fpd_k3m9q2xa"."""
    hint = "".join(secrets.choice(TOKEN_HINT_ALPHABET) for _ in range(TOKEN_HINT_LENGTH))
    prefix = f"{TOKEN_PREFIX}{hint}"
    return f"{prefix}_{secrets.token_urlsafe(TOKEN_SECRET_BYTES)}", prefix


def token_hash(token: str) -> str:
    return keyed_hash(token, purpose=TOKEN_HASH_PURPOSE)


def _cache_key(hashed: str) -> str:
    return f"fp:device-auth:{hashed}"


def _supervised():
    return Exists(GuardianLink.objects.filter(teen=OuterRef("teen"), status=LinkStatus.ACTIVE))


# Token hash (its first 16 hex digits) -> the device's teen, learned from lookups in this process.
# It lets the device API fetch the device and its teen's cached entries in one round trip to the
# cache (issue 8). Only a hint: the keys are fetched again when the device found under the token
# belongs to another teen. Bounded: cleared when full, then learned again.
_TEEN_OF_TOKEN: dict[str, int] = {}
TEEN_OF_TOKEN_MAX = 50_000


def device_for_token(*, token: str) -> Device | None:
    """The active device holding `token`, with its teen loaded and `supervised` (the teen has an
    active guardian) annotated; None for an unknown, malformed or revoked token."""
    return device_and_cached(token=token)[0]


def device_and_cached(
    *, token: str, teen_keys: Callable[[int], list[str]] | None = None
) -> tuple[Device | None, dict | None]:
    """`device_for_token`, plus the cache entries `teen_keys(teen_id)` names for the device's
    teen, fetched in the same round trip when this process has seen the token before (else
    None: the caller fetches them)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None, None
    hashed = token_hash(token)
    key = _cache_key(hashed)
    teen_id = _TEEN_OF_TOKEN.get(hashed[:16]) if teen_keys is not None else None
    found = None
    if teen_id is not None:
        keys = teen_keys(teen_id)
        found = cache.get_many([key, *keys])
        device = found.pop(key, None)
        if device is not None and device.teen_id != teen_id:
            found = None
    else:
        device = cache.get(key)
    if device is None:
        device = (
            Device.objects.select_related("teen")
            .annotate(supervised=_supervised())
            .filter(token_hash=hashed, revoked_at__isnull=True, teen__is_active=True)
            .first()
        )
        if device is None:
            return None, None
        cache.set(key, device, DEVICE_AUTH_CACHE_SECONDS)
        if found is not None and device.teen_id != teen_id:
            found = None
    if teen_keys is not None and teen_id != device.teen_id:
        if len(_TEEN_OF_TOKEN) >= TEEN_OF_TOKEN_MAX:
            _TEEN_OF_TOKEN.clear()
        _TEEN_OF_TOKEN[hashed[:16]] = device.teen_id
    return device, found


def device_seen(*, device: Device, now: datetime | None = None) -> bool:
    """Record that the device was heard from; False if it was revoked meanwhile. Writes at most
    once per LAST_SEEN_RESOLUTION, and clears a "silent" notice so the next silence is told."""
    now = now or timezone.now()
    if device.last_seen_at is not None and now - device.last_seen_at < LAST_SEEN_RESOLUTION:
        return True
    updated = Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
        last_seen_at=now, silent_notified_at=None
    )
    if not updated:
        cache.delete(_cache_key(device.token_hash))
        return False
    device.last_seen_at = now
    device.silent_notified_at = None
    cache.set(_cache_key(device.token_hash), device, DEVICE_AUTH_CACHE_SECONDS)
    return True


def _forget(device: Device) -> None:
    """Drop the cached lookup now, and again after commit: a request may have cached the row
    as it was before this transaction committed."""
    key = _cache_key(device.token_hash)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@receiver(post_delete, sender=Device, dispatch_uid="device_forget_on_delete")
def _device_deleted(sender, instance: Device, **kwargs) -> None:
    cache.delete(_cache_key(instance.token_hash))


def _forget_teens_devices(teen_id: int) -> None:
    """Drop the cached lookups of all the teen's devices (now, and again after commit)."""
    keys = [
        _cache_key(hashed)
        for hashed in Device.objects.filter(teen_id=teen_id).values_list("token_hash", flat=True)
    ]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


@receiver(post_save, sender=GuardianLink, dispatch_uid="device_forget_on_link_change")
def _link_changed(sender, instance: GuardianLink, **kwargs) -> None:
    # The lookup carries `supervised` (the teen has an active guardian).
    _forget_teens_devices(instance.teen_id)


# Fields of a user the cached lookup depends on (the teen is cached with the device).
_TEEN_FIELDS = {
    "time_zone",
    "pending_time_zone",
    "time_zone_changes_at",
    "previous_time_zone",
    "time_zone_changed_at",
    "is_active",
    "birth_date",
    "display_name",
}


@receiver(post_save, sender=User, dispatch_uid="device_forget_on_teen_change")
def _user_changed(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and not _TEEN_FIELDS & set(update_fields)):
        return  # e.g. a sign-in's last_login: nothing a device depends on
    _forget_teens_devices(instance.pk)


# --- Reads ------------------------------------------------------------------------------------


def devices_for_teen(*, teen: User, include_revoked: bool = False) -> QuerySet[Device]:
    qs = Device.objects.filter(teen=teen)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return qs.order_by("name", "id")


@dataclass(frozen=True)
class DeviceStatus:
    """What a guardian or the teen reads about one device: did it apply the current rules?"""

    device: Device
    applied: bool
    applied_at: datetime | None  # when it acknowledged the current version
    last_seen_at: datetime | None

    @property
    def state(self) -> str:
        if self.device.revoked_at is not None:
            return "revoked"
        if self.device.removed_at is not None:
            return "removed"
        if self.device.last_seen_at is None:
            return "never_connected"
        return "applied" if self.applied else "not_applied"

    @property
    def install_words(self) -> str:
        """How the client is installed, in plain words ("" before its first heartbeat)."""
        device = self.device
        if device.heartbeat_at is None:
            return ""
        parts = [device.get_install_type_display()] if device.install_type else []
        if device.may_disable is True:
            parts.append("can be switched off on the device")
        elif device.may_disable is False:
            parts.append("cannot be switched off")
        if device.incognito_allowed is False:
            parts.append("does not run in private windows")
        elif device.incognito_allowed is True:
            parts.append("runs in private windows too")
        return "; ".join(parts)

    @property
    def skew_words(self) -> str:
        skew = self.device.clock_skew_seconds
        if skew is None:
            return ""
        if abs(skew) < 60:
            return "on time"
        minutes = round(abs(skew) / 60)
        return f"{minutes} min {'ahead' if skew > 0 else 'behind'}"

    @property
    def clock_off(self) -> bool:
        skew = self.device.clock_skew_seconds
        return skew is not None and abs(skew) > 300


def device_statuses(
    *, teen: User, version: str | None = None, now: datetime | None = None
) -> list[DeviceStatus]:
    """The teen's active devices with "applied or not", comparing each device's acknowledged
    version with the current effective-policy version (computed here unless given)."""
    devices = list(devices_for_teen(teen=teen))
    if not devices:
        return []
    if version is None:
        version = effective_policy_for_teen(teen=teen, now=now).version
    return [
        DeviceStatus(
            device=device,
            applied=bool(device.acked_version) and device.acked_version == version,
            applied_at=device.acked_at if device.acked_version == version else None,
            last_seen_at=device.last_seen_at,
        )
        for device in devices
    ]


def user_may_manage_devices_of(*, user: User, teen: User) -> bool:
    return user.pk == teen.pk or is_guardian_of(guardian=user, teen=teen)


# --- Writes -----------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the device a name, e.g. “Phone” or “School laptop”."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Keep the name to {NAME_MAX_LENGTH} characters."})
    return name


def _check_name_free(*, teen: User, name: str, exclude_pk: int | None = None) -> None:
    """One name per active device, so "applied on <name>" always points at one device."""
    taken = devices_for_teen(teen=teen).filter(name__iexact=name).exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": f"There is already a device called “{name}”."})


def device_register(
    *, teen: User, actor: User, name: str, platform: str, now: datetime | None = None
) -> tuple[Device, str]:
    """Register a device for `teen` (by the teen or one of their guardians). Returns the device
    and its token, which exists only in this return value: show it once."""
    now = now or timezone.now()
    errors: dict[str, str] = {}
    try:
        name = _clean_name(name)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if platform not in Platform.values:
        errors["platform"] = "Choose the kind of device."
    if errors:
        raise ValidationError(errors)
    if not teen.is_teen:
        raise ValidationError({"teen": "Devices can only be registered for a teen."})
    if not user_may_manage_devices_of(user=actor, teen=teen):
        raise ValidationError({"teen": "You cannot register devices for this account."})

    with transaction.atomic():
        # Lock the teen's row so two registrations at once cannot pass the cap together.
        User.objects.select_for_update().filter(pk=teen.pk).first()
        _check_name_free(teen=teen, name=name)
        if devices_for_teen(teen=teen).count() >= MAX_ACTIVE_DEVICES_PER_TEEN:
            raise ValidationError(
                {
                    "name": f"A teen can have at most {MAX_ACTIVE_DEVICES_PER_TEEN} devices; "
                    "remove one you no longer use first."
                }
            )
        token, prefix = token_new()
        device = Device.objects.create(
            teen=teen,
            name=name,
            platform=platform,
            token_prefix=prefix,
            token_hash=token_hash(token),
            removed_secret_hash=removed_secret_hash(removed_secret_for_token(token)),
            created_at=now,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            teen=teen,
            action="device.registered",
            summary=f"{actor.display_name} registered the device “{name}” "
            f"({device.get_platform_display()})",
            after={"name": name, "platform": platform},
            extra={"device_id": device.pk},
        )
    return device, token


def device_rename(*, device: Device, actor: User, name: str) -> Device:
    name = _clean_name(name)
    if device.revoked_at is not None:
        raise ValidationError({"name": "This device was removed; register it again instead."})
    if name == device.name:
        return device
    _check_name_free(teen=device.teen, name=name, exclude_pk=device.pk)
    before = device.name
    with transaction.atomic():
        Device.objects.filter(pk=device.pk).update(name=name)
        device.name = name
        audit_record(
            actor=actor,
            teen=device.teen,
            action="device.renamed",
            summary=f"{actor.display_name} renamed the device “{before}” to “{name}”",
            before={"name": before},
            after={"name": name},
            extra={"device_id": device.pk},
        )
        _forget(device)
    return device


def device_revoke(*, device: Device, actor: User, now: datetime | None = None) -> bool:
    """Revoke the device's token (it gets 401 from then on). Safe to call twice; returns whether
    this call revoked it. When the teen removes a device, every guardian is told: the device no
    longer applies their rules."""
    now = now or timezone.now()
    with transaction.atomic():
        revoked = Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        _forget(device)
        if not revoked:
            return False
        device.revoked_at = now
        teen = device.teen
        # A request the device holds on the change channel answers 401 now, not at its wait's end.
        teen_changed(teen_id=teen.pk)
        audit_record(
            actor=actor,
            teen=teen,
            action="device.revoked",
            summary=f"{actor.display_name} removed the device “{device.name}”; "
            "its token no longer works",
            extra={"device_id": device.pk},
        )
        if actor.pk == teen.pk:
            for guardian in guardians_for_teen(teen=teen):
                notify(
                    recipient=guardian,
                    kind=NotificationKind.DEVICE_NOT_APPLIED,
                    title=f"{teen.display_name} removed the device “{device.name}”",
                    body="It no longer reports usage or applies your rules. "
                    "If that was not agreed, talk with them about it.",
                    link=reverse("teen_devices", args=[teen.pk]),
                    teen=teen,
                    dedupe_key=f"device-revoked:{device.pk}",
                    now=now,
                )
    return True


def teen_for_device_manager(*, user: User, teen_id: int) -> User:
    """The teen whose devices `user` may manage: themself (a teen), or a teen they are an active
    guardian of. Everyone else gets 404, as for every guardian URL."""
    if user.pk == teen_id and user.is_teen:
        return user
    return teen_for_guardian(guardian=user, teen_id=teen_id)
