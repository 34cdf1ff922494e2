"""A user's own profile: the name others see and the time zone a teen's day is counted in.

No change of zone gives time back (issue 11, item 4). A teen's day, and so their quota, is their
local day: were a change of zone to take effect at once, a teen at today's limit could hop east
to a fresh local date (or west, to a date with time left) and be allowed again. So:

- a **teen's own change** takes effect at the start of their next day *in the zone they are in
  now*; until then every instant is read in that zone (`User.tz`, `accounts.time_zones`), so
  the rest of today, its usage and its limit are exactly what they were. Their guardians are
  told at once, with when it takes effect. Choosing the current zone again cancels it;
- a **guardian** may apply a teen's pending change at once (a guardian can give time anyway);
- adults' changes (a guardian's own zone) take effect at once: no quota is counted in them.

A device's clock changes nothing either: usage is booked on the day of the instant it
happened, read in the zone in force at that instant (`controls.usage.booking`), and events in the
future are refused.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User, validate_time_zone
from accounts.selectors import guardians_for_teen
from accounts.time_zones import zone_or_utc
from controls.audit import audit_record
from controls.days import teen_day
from controls.effective.cache import inputs_changed
from controls.models import NotificationKind, TeenRules
from controls.notifications.services import notify

_APPLY_FIELDS = [
    "time_zone",
    "pending_time_zone",
    "time_zone_changes_at",
    "previous_time_zone",
    "time_zone_changed_at",
]


def _day_start(user: User) -> time:
    found = TeenRules.objects.filter(teen=user).values_list("day_start", flat=True).first()
    return found or time(0)


def _in_force_zone(user: User, now: datetime) -> str:
    """The zone name the user's day is counted in at `now` (a due change counts as applied)."""
    return user.pending_time_zone if user.time_zone_change_due(now) else user.time_zone


def _when_text(moment: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"


def time_zone_change_text(*, user: User, viewer: User | None = None) -> str:
    """The pending change in plain words, for the user themself or (`viewer`) a guardian; ""
    when nothing is pending."""
    if not user.time_zone_change_pending:
        return ""
    at = user.time_zone_changes_at
    when = _when_text(at, zone_or_utc(user.time_zone))
    if viewer is None or viewer.pk == user.pk:
        return f"Your time zone changes to {user.pending_time_zone} at {when} your time."
    text = (
        f"{user.display_name}'s time zone changes from {user.time_zone} to "
        f"{user.pending_time_zone} at {when} their time"
    )
    if viewer.time_zone != user.time_zone:
        text += f" ({_when_text(at, viewer.tz)} your time)"
    return text + "."


def _apply(user: User, *, at: datetime) -> None:
    """Make the pending change the zone in force from `at` (kept as history for a while)."""
    user.previous_time_zone = user.time_zone
    user.time_zone_changed_at = at
    user.time_zone = user.pending_time_zone
    user.pending_time_zone = ""
    user.time_zone_changes_at = None
    user.save(update_fields=_APPLY_FIELDS)


def _clear_pending(user: User) -> None:
    user.pending_time_zone = ""
    user.time_zone_changes_at = None


@transaction.atomic
def time_zone_changes_apply_due(*, now: datetime | None = None) -> int:
    """Store the zone of every user whose pending change has come (every minute, by a periodic
    task). `User.tz` already reads the new zone from the change instant on; this makes
    `time_zone` say so too (the sweep's queries and the pages use it). Returns how many."""
    now = now or timezone.now()
    due = (
        User.objects.select_for_update()
        .filter(time_zone_changes_at__lte=now)
        .exclude(pending_time_zone="")
    )
    count = 0
    for user in due:
        _apply(user, at=user.time_zone_changes_at)
        inputs_changed(teen_id=user.pk)
        count += 1
    return count


def _notify_guardians_of_request(*, teen: User, now: datetime) -> None:
    for guardian in guardians_for_teen(teen=teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.TIME_ZONE_CHANGED,
            title=f"{teen.display_name} changed their time zone to {teen.pending_time_zone}",
            body=time_zone_change_text(user=teen, viewer=guardian)
            + " Until then their day, limits and downtime stay in "
            f"{teen.time_zone}, so the change never gives back time already used today. "
            "You can apply it now from their page.",
            link=reverse("teen_detail", args=[teen.pk]),
            teen=teen,
            now=now,
        )


@transaction.atomic
def user_profile_update(
    *, user: User, display_name: str, time_zone: str, now: datetime | None = None
) -> list[str]:
    """Save name and time zone; returns what changed, in words. A teen's change of time zone
    waits for their next day (see the module docstring); their guardians are told at once and
    see it in the teen's history."""
    now = now or timezone.now()
    display_name = " ".join(display_name.split())
    validate_time_zone(time_zone)
    # Lock the row, and read what another request may have just saved.
    User.objects.select_for_update().filter(pk=user.pk).first()
    user.refresh_from_db(fields=["display_name", *_APPLY_FIELDS])
    if user.time_zone_change_due(now):
        _apply(user, at=user.time_zone_changes_at)
    changes: list[str] = []
    before = {
        "display_name": user.display_name,
        "time_zone": user.time_zone,
        "pending_time_zone": user.pending_time_zone,
    }
    if display_name and display_name != user.display_name:
        changes.append(f"name: {user.display_name} → {display_name}")
        user.display_name = display_name
    requested = False
    if not user.is_teen:
        if time_zone != user.time_zone:
            changes.append(f"time zone: {user.time_zone} → {time_zone}")
            user.time_zone = time_zone
        _clear_pending(user)
    elif time_zone == user.time_zone and user.time_zone_change_pending:
        changes.append(f"time zone: the change to {user.pending_time_zone} is cancelled")
        _clear_pending(user)
    elif time_zone != user.time_zone and time_zone != user.pending_time_zone:
        _clear_pending(user)  # the next day start in the zone in force now, not the pending one
        day = teen_day(now=now, tz=user.tz, day_start=_day_start(user))
        user.pending_time_zone = time_zone
        user.time_zone_changes_at = day.end_utc
        changes.append(
            f"time zone: {user.time_zone} → {time_zone} from "
            f"{_when_text(day.end_utc, user.tz)} (the start of your next day)"
        )
        requested = True
    if not changes:
        return []
    user.save(update_fields=["display_name", *_APPLY_FIELDS])
    if user.is_teen:
        audit_record(
            actor=user,
            teen=user,
            action="profile.updated",
            summary=f"{user.display_name} changed their profile: " + "; ".join(changes) + ".",
            before=before,
            after={
                "display_name": user.display_name,
                "time_zone": user.time_zone,
                "pending_time_zone": user.pending_time_zone,
                "time_zone_changes_at": user.time_zone_changes_at.isoformat()
                if user.time_zone_changes_at
                else None,
            },
        )
        inputs_changed(teen_id=user.pk)
        if requested:
            _notify_guardians_of_request(teen=user, now=now)
    return changes


@transaction.atomic
def time_zone_change_apply_now(*, teen: User, actor: User, now: datetime | None = None) -> bool:
    """A guardian applies the teen's pending change of time zone at once (their day is counted
    in the new zone from now). False, changing nothing, when nothing is pending (safe to
    repeat). The access check (`actor` is the teen's guardian) is the caller's."""
    now = now or timezone.now()
    teen = User.objects.select_for_update().get(pk=teen.pk)
    if not teen.time_zone_change_pending:
        return False
    old, new = teen.time_zone, teen.pending_time_zone
    if teen.time_zone_change_due(now):
        _apply(teen, at=teen.time_zone_changes_at)
        return True
    # The change instant itself is still read in the old zone: "from now on" starts just before.
    _apply(teen, at=now - timedelta(microseconds=1))
    audit_record(
        actor=actor,
        teen=teen,
        action="profile.time_zone_applied",
        summary=f"{actor.display_name} applied {teen.display_name}'s change of time zone now: "
        f"{old} → {new}.",
        before={"time_zone": old},
        after={"time_zone": new},
    )
    inputs_changed(teen_id=teen.pk)
    notify(
        recipient=teen,
        kind=NotificationKind.TIME_ZONE_CHANGED,
        title=f"Your time zone is now {new}",
        body=f"{actor.display_name} applied your change of time zone now: your day, limits and "
        f"downtime are counted in {new} from now on.",
        link=reverse("teen_home"),
        teen=teen,
        now=now,
    )
    for guardian in guardians_for_teen(teen=teen).exclude(pk=actor.pk):
        notify(
            recipient=guardian,
            kind=NotificationKind.TIME_ZONE_CHANGED,
            title=f"{teen.display_name}'s time zone is now {new}",
            body=f"{actor.display_name} applied {teen.display_name}'s change of time zone "
            f"({old} → {new}) now.",
            link=reverse("teen_detail", args=[teen.pk]),
            teen=teen,
            now=now,
        )
    return True
