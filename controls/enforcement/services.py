"""Enforcement: a teen's day moves ``ok → warned → limit reached`` and everyone concerned is told
exactly once; a per-minute sweep catches what time alone changes.

Exactly once
------------
Every notice is guarded by an `EnforcementMark` row, unique per (teen, local date, kind), inserted
in the same transaction as the notifications it guards. A task run twice, or two workers at once,
race for that row: the loser gets an IntegrityError and sends nothing. Kinds:

- ``warning:<minutes>:<limit seconds>`` and ``limit:<limit seconds>``: keyed by the limit in force,
  so bonus time granted after the limit starts a fresh cycle (its warnings, then "limit reached"
  once the bonus runs out) without ever repeating a notice for the same limit.
- ``downtime:<window id>``: the "downtime starting" notice for that window on that day.

Thresholds passed while no worker ran (a task lost or late): the task, or the sweep, tells the
truth at the moment it runs, once. A warning still true then is told with the time left then
("4 minutes left"); a warning the limit has made moot is marked and never sent (no "5 minutes
left" next to, or after, "limit reached"): the limit notice is the one message. So a teen whose
task was delayed past the limit gets the limit notice, and never a stale warning later.

The sweep (every minute, in UTC, set-based)
-------------------------------------------
Nothing is scheduled at anyone's local midnight: each step selects, in one query, only the rows
whose moment has come, by comparing stored wall times with "now" in each time zone present (zones
sharing an offset share one condition), then acts on those few rows:

1. **Downtime starting**: windows starting within the next `DOWNTIME_NOTICE_MINUTES` → a notice to
   the teen (not sent inside their notification mute hours: it would arrive after the fact).
2. **Limit reached without a crossing report**: today's totals at or over the limit in force (the
   weekday's limit plus today's bonus, unless lifted) whose state says otherwise, i.e. a grant
   that ran out, a limit lowered below what was used, or a lost task. The end of the teen's day
   needs no job: state and marks are keyed by the teen's local date, so a new day starts at ``ok``
   with a fresh quota the moment the teen's clock passes their day start.
3. **Warnings passed without their notice**: days whose time left is at or below one of the
   teen's warning thresholds, without its mark (the task was lost with a worker: Redis hands it
   back only after its visibility timeout). Together with step 2, a crashed worker's notices
   are redone within a minute; the marks keep each one exactly once.
4. **Devices not applying the rules**: active devices heard from since the last rule change, whose
   acknowledged rules version is older, `NOT_APPLIED_AFTER` after the change → guardians, once
   per device and rules version.
5. **Silent devices**: nothing heard for `DEVICE_SILENT_HOURS` while the teen is allowed to use
   the device now (not in downtime, not at the limit) → guardians, once per silence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import (
    Exists,
    OuterRef,
)
from django.utils import timezone

from accounts.models import GuardianLink, LinkStatus
from accounts.selectors import guardians_for_teen
from controls.effective.selectors import effective_policy_for_teen
from controls.enforcement.app_limits import app_limits_enforce
from controls.enforcement.marks import guardian_link, mark_once, teen_link
from controls.models import (
    DayState,
    NotificationKind,
    TeenDay,
)
from controls.notifications.services import notify
from controls.policy import EffectivePolicy
from controls.rules.selectors import rules_ensure_for_teen
from controls.wording import clock, duration_spoken

DOWNTIME_NOTICE_MINUTES = 5
# A notice for a start the sweep missed (beat paused, worker restarting) is still worth sending
# this long after the start; later than that the device has long locked anyway.
DOWNTIME_NOTICE_GRACE = timedelta(minutes=2)
NOT_APPLIED_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


def supervised(teen_ref: str = "teen"):
    return Exists(GuardianLink.objects.filter(teen=OuterRef(teen_ref), status=LinkStatus.ACTIVE))


# --- The state machine -----------------------------------------------------------------------


def _target_state(policy: EffectivePolicy) -> str:
    if policy.limit_seconds is None:
        return DayState.OK
    if policy.limit_reached:
        return DayState.LIMIT_REACHED
    return DayState.WARNED if policy.warnings_due else DayState.OK


def _notify_warning(*, teen, policy: EffectivePolicy, minutes: int, now: datetime) -> None:
    key = f"warning:{minutes}:{policy.limit_seconds}:{teen.pk}:{policy.local_date}"
    left = duration_spoken(policy.seconds_left or 0)
    notify(
        recipient=teen,
        kind=NotificationKind.WARNING,
        title=f"{left} of screen time left today",
        body=f"Today's limit is {duration_spoken(policy.limit_seconds)}. "
        "If you need more, you can ask a guardian from your page.",
        link=teen_link(),
        teen=teen,
        dedupe_key=key,
        now=now,
    )
    for guardian in guardians_for_teen(teen=teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.WARNING,
            title=f"{teen.display_name} has {left} of screen time left today",
            body=f"Today's limit is {duration_spoken(policy.limit_seconds)}.",
            link=guardian_link(teen),
            teen=teen,
            dedupe_key=key,
            now=now,
        )


def _notify_limit(*, teen, policy: EffectivePolicy, now: datetime) -> None:
    key = f"limit:{policy.limit_seconds}:{teen.pk}:{policy.local_date}"
    limit = duration_spoken(policy.limit_seconds)
    reset = clock(policy.day_end_utc, teen.tz)
    notify(
        recipient=teen,
        kind=NotificationKind.LIMIT_REACHED,
        title="You've reached today's screen-time limit",
        body=f"You've used your {limit} for today. New time comes when your day resets at "
        f"{reset} (downtime still applies); you can ask a guardian for more time from your page.",
        link=teen_link(),
        teen=teen,
        dedupe_key=key,
        now=now,
    )
    for guardian in guardians_for_teen(teen=teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.LIMIT_REACHED,
            title=f"{teen.display_name} reached today's screen-time limit ({limit})",
            body=f"Their time for today is used up until their day resets at {reset} their time, "
            "unless you give more time.",
            link=guardian_link(teen),
            teen=teen,
            dedupe_key=key,
            now=now,
        )


def teen_day_enforce(*, teen, now: datetime | None = None) -> list[str]:
    """Bring the teen's current day up to date with the effective policy: the state, and a
    notice to the teen and every guardian for each threshold reached and not yet told. Safe to
    run any number of times, concurrently too. Returns the marks this call created."""
    now = now or timezone.now()
    policy = effective_policy_for_teen(teen=teen, now=now)
    limit = policy.limit_seconds
    created: list[str] = []
    day = TeenDay.objects.filter(teen=teen, local_date=policy.local_date)
    with transaction.atomic():
        if limit is not None and policy.limit_reached:
            kind = f"limit:{limit}"
            if mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                created.append(kind)
                _notify_limit(teen=teen, policy=policy, now=now)
            # Warnings not told by now are moot ("5 minutes left" when none are): marked, never
            # sent, so neither a late task nor the sweep sends one after the limit notice.
            for minutes in sorted(policy.warnings_due):
                kind = f"warning:{minutes}:{limit}"
                if mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                    created.append(kind)
        elif limit is not None and policy.warnings_due:
            # Mark every threshold passed; tell only the most urgent one (a big report that
            # jumps from 20 to 4 minutes left says "4 minutes left", not two messages).
            for minutes in sorted(policy.warnings_due):
                kind = f"warning:{minutes}:{limit}"
                if mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                    created.append(kind)
            urgent = min(policy.warnings_due)
            # Bonus time given at the limit lands inside a warning: the grant itself told the
            # teen how much time they have, so only thresholds crossed from now on are told.
            after_grant = day.filter(state=DayState.LIMIT_REACHED).exists()
            if f"warning:{urgent}:{limit}" in created and not after_grant:
                _notify_warning(teen=teen, policy=policy, minutes=urgent, now=now)
        target = _target_state(policy)
        day.exclude(state=target).update(state=target, updated_at=now)
        if policy.app_rules:  # per app and category (issue 13), the same way
            created += app_limits_enforce(
                teen=teen, policy=policy, warning_minutes=_warning_minutes(teen), now=now
            )
    return created


def _warning_minutes(teen) -> tuple[int, ...]:
    return tuple(rules_ensure_for_teen(teen=teen).warning_minutes or ())
