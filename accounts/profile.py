"""A user's own profile: the name others see and the time zone a teen's day is counted in."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User, validate_time_zone
from controls.audit import audit_record
from controls.effective.cache import inputs_changed


@transaction.atomic
def user_profile_update(*, user: User, display_name: str, time_zone: str) -> list[str]:
    """Save name and time zone; returns what changed, in words. A teen's time zone decides when
    their day starts and which downtime applies, so their guardians see the change in the
    teen's history (a teen who travels or moves updates it here)."""
    display_name = " ".join(display_name.split())
    validate_time_zone(time_zone)
    changes: list[str] = []
    before = {"display_name": user.display_name, "time_zone": user.time_zone}
    if display_name and display_name != user.display_name:
        changes.append(f"name: {user.display_name} → {display_name}")
        user.display_name = display_name
    if time_zone != user.time_zone:
        changes.append(f"time zone: {user.time_zone} → {time_zone}")
        user.time_zone = time_zone
    if not changes:
        return []
    user.save(update_fields=["display_name", "time_zone"])
    if user.is_teen:
        audit_record(
            actor=user,
            teen=user,
            action="profile.updated",
            summary=f"{user.display_name} changed their profile: " + "; ".join(changes) + ".",
            before=before,
            after={"display_name": user.display_name, "time_zone": user.time_zone},
        )
        inputs_changed(teen_id=user.pk)
    return changes
