"""A device's heartbeat: what the client says about itself, and the tamper signals in it.

A client sends, every few minutes, the policy version it applies, its own version, how it is
installed (for a browser extension, as `chrome.management` reports it) and its clock. The server
answers with its own time and the skew it measured, stores all of it on the device (the devices
panel shows it) and tells every guardian when the device becomes *tamper-prone*:

- `may_disable`: the person using the device can switch the extension off (it was not
  force-installed by an administrator's policy);
- `not_in_incognito`: the extension does not run in private windows, so those escape it;
- `developer_install`: installed unpacked or by another program (`development`, `sideload`), so a
  modified copy may be running;
- `clock_skew`: the device's clock is more than 5 minutes off the server's (a teen moving the
  clock to get out of downtime; honest clocks are within seconds).

Each signal is told once when it appears (one conditional UPDATE decides who tells, so two
heartbeats at once tell once); a signal that goes away and comes back is told again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Device, InstallType
from accounts.selectors import guardians_for_teen
from controls.audit import audit_record
from controls.enforcement.acks import device_policy_ack
from controls.models import NotificationKind
from controls.notifications.services import notify

CLOCK_SKEW_LIMIT_SECONDS = 5 * 60
CLIENT_VERSION_MAX_LENGTH = 40

SIGNAL_WORDS = {
    "may_disable": "it can be switched off on the device",
    "not_in_incognito": "it does not run in private (incognito) windows",
    "developer_install": "it was installed outside the store (a changed copy may run)",
    "clock_skew": "the device's clock is more than 5 minutes off",
}


@dataclass(frozen=True)
class Heartbeat:
    server_time: datetime
    clock_skew_seconds: int | None
    current_version: str | None
    applied_current: bool | None
    tamper_signals: tuple[str, ...]


def tamper_signals(
    *,
    install_type: str,
    may_disable: bool | None,
    incognito_allowed: bool | None,
    clock_skew_seconds: int | None,
) -> tuple[str, ...]:
    """The signals (see the module's docstring) in what a device reported, sorted."""
    found = []
    if may_disable:
        found.append("may_disable")
    if incognito_allowed is False:
        found.append("not_in_incognito")
    if install_type in (InstallType.DEVELOPMENT, InstallType.SIDELOAD):
        found.append("developer_install")
    if clock_skew_seconds is not None and abs(clock_skew_seconds) > CLOCK_SKEW_LIMIT_SECONDS:
        found.append("clock_skew")
    return tuple(sorted(found))


def device_heartbeat(
    *,
    device: Device,
    applied_version: str | None = None,
    client_version: str = "",
    install_type: str = "",
    may_disable: bool | None = None,
    incognito_allowed: bool | None = None,
    device_time: datetime | None = None,
    now: datetime | None = None,
) -> Heartbeat:
    """Record one heartbeat (input already validated by the door) and tell guardians of new
    tamper signals."""
    now = now or timezone.now()
    skew = round((device_time - now).total_seconds()) if device_time is not None else None
    ack = (
        device_policy_ack(device=device, version=applied_version, now=now)
        if applied_version
        else None
    )
    signals = tamper_signals(
        install_type=install_type,
        may_disable=may_disable,
        incognito_allowed=incognito_allowed,
        clock_skew_seconds=skew,
    )
    told = ",".join(signals)
    # From the database: the device came from the token lookup's cache, which may be older.
    previous = (
        Device.objects.filter(pk=device.pk).values_list("tamper_notified", flat=True).first() or ""
    )
    fields = {
        "heartbeat_at": now,
        "client_version": client_version[:CLIENT_VERSION_MAX_LENGTH],
        "install_type": install_type,
        "may_disable": may_disable,
        "incognito_allowed": incognito_allowed,
        "clock_skew_seconds": skew,
        "tamper_notified": told,
    }
    with transaction.atomic():
        # Only the heartbeat that moves `tamper_notified` from what it read tells anyone.
        changed = Device.objects.filter(pk=device.pk, tamper_notified=previous).update(**fields)
        if not changed:
            Device.objects.filter(pk=device.pk).update(
                **{k: v for k, v in fields.items() if k != "tamper_notified"}
            )
        else:
            new = sorted(set(signals) - set(filter(None, previous.split(","))))
            if new:
                _tell_guardians(device=device, new=new, now=now)
        for name, value in fields.items():
            setattr(device, name, value)
        if not changed:
            device.tamper_notified = previous
    return Heartbeat(
        server_time=now,
        clock_skew_seconds=skew,
        current_version=ack.current_version if ack else None,
        applied_current=ack.applied_current if ack else None,
        tamper_signals=signals,
    )


def _tell_guardians(*, device: Device, new: list[str], now: datetime) -> None:
    teen = device.teen
    words = "; ".join(SIGNAL_WORDS[signal] for signal in new)
    audit_record(
        actor=None,
        teen=teen,
        action="device.tamper_signal",
        summary=f"“{device.name}” reported: {words}",
        extra={"device_id": device.pk, "signals": new},
    )
    for guardian in guardians_for_teen(teen=teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.DEVICE_TAMPER,
            title=f"{teen.display_name}'s “{device.name}” is easier to get around",
            body=f"Family Pairing on that device reports: {words}.",
            link=reverse("teen_devices", args=[teen.pk]),
            teen=teen,
            now=now,
        )
