"""A device acknowledges the policy it applied: the proof that a change reached the device (a
guardian reads "applied on <device> at 18:02" or "not yet applied"; the enforcement sweep tells
guardians about rule changes a device never applied)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.models import Device
from controls.effective.selectors import effective_policy_for_teen
from controls.models import TeenRules


@dataclass(frozen=True)
class Acknowledgement:
    version: str
    current_version: str
    applied_current: bool


def device_policy_ack(
    *, device: Device, version: str, now: datetime | None = None
) -> Acknowledgement:
    """The device says it applied policy `version`. Recorded as told (guardians then read
    "applied" only if it is the current version); when it is current, the rules version behind
    it is recorded too, so the sweep can tell later rule changes that were never applied."""
    now = now or timezone.now()
    # Read the rules version before the policy: if the rules change in between, the older
    # number is kept, which can only make the device look behind, never ahead.
    rules_version = (
        TeenRules.objects.filter(teen_id=device.teen_id).values_list("version", flat=True).first()
    )
    current = effective_policy_for_teen(teen=device.teen, now=now).version
    applied_current = version == current
    fields: dict = {"acked_version": version, "acked_at": now}
    if applied_current and rules_version is not None:
        fields["acked_rules_version"] = rules_version
    # A repeated acknowledgement of the same version keeps the time it was first applied.
    if Device.objects.filter(pk=device.pk).exclude(acked_version=version).update(**fields):
        for name, value in fields.items():
            setattr(device, name, value)
    return Acknowledgement(
        version=version, current_version=current, applied_current=applied_current
    )
