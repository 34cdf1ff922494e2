"""What a change means for the teen's day: the limit recorded for today (so charts draw each past
day against its own limit) and an in-app notice to the teen when today's limit or downtime
changed.

Called by the rule services inside their transaction. The record is overwritten at each change,
so a past day keeps the limit that was in force at its end; the periodic
`day_limits_record_current` writes the row for days on which nothing changed (near each teen's day
start), so a day without use or changes has its limit too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from accounts.models import GuardianLink, LinkStatus
from controls.days import teen_day
from controls.models import WEEKDAY_FIELDS, DayLimit, NotificationKind, TeenRules
from controls.notifications.services import notify
from controls.wording import minutes_short


def _today(teen, rules: TeenRules, now: datetime):
    return teen_day(now=now, tz=teen.tz, day_start=rules.day_start).local_date


def day_limit_record(*, teen, rules: TeenRules, now: datetime | None = None) -> DayLimit:
    """Write today's limit from the rules as they are now (the latest change of the day wins)."""
    now = now or timezone.now()
    today = _today(teen, rules, now)
    row, _ = DayLimit.objects.update_or_create(
        teen=teen,
        local_date=today,
        defaults={"limit_minutes": rules.daily_limits()[today.weekday()], "recorded_at": now},
    )
    return row


# Teens handled per statement: bounded memory and parameter lists, whatever the population.
RECORD_BATCH = 2000


def day_limits_record_current(*, now: datetime | None = None) -> int:
    """For every supervised teen, insert the row of the day they are in if it is missing (an
    existing row, written by a change today, is kept). In batches of RECORD_BATCH teens, two
    queries and one insert each. Returns how many rows were written."""
    now = now or timezone.now()
    teen_ids = GuardianLink.objects.filter(status=LinkStatus.ACTIVE).values("teen_id")
    supervised = (
        TeenRules.objects.filter(teen_id__in=teen_ids).select_related("teen").order_by("teen_id")
    )
    written = 0
    batch: list[DayLimit] = []
    for rules in supervised.iterator(chunk_size=RECORD_BATCH):
        today = _today(rules.teen, rules, now)
        batch.append(
            DayLimit(
                teen=rules.teen,
                local_date=today,
                limit_minutes=rules.daily_limits()[today.weekday()],
                recorded_at=now,
            )
        )
        if len(batch) == RECORD_BATCH:
            written += _insert_missing(batch)
            batch = []
    return written + _insert_missing(batch)


def _insert_missing(rows: list[DayLimit]) -> int:
    if not rows:
        return 0
    existing = set(
        DayLimit.objects.filter(
            teen_id__in=[r.teen_id for r in rows], local_date__in={r.local_date for r in rows}
        ).values_list("teen_id", "local_date")
    )
    new = [row for row in rows if (row.teen_id, row.local_date) not in existing]
    DayLimit.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def today_limit_follow(
    *, actor, teen, rules: TeenRules, changed: Iterable[str], before: dict, now=None
) -> None:
    """After a screen-time change: record today's limit, and tell the teen (in-app) if it is
    today's limit that changed."""
    now = now or timezone.now()
    today = _today(teen, rules, now)
    field = WEEKDAY_FIELDS[today.weekday()]
    if field not in set(changed):
        return
    day_limit_record(teen=teen, rules=rules, now=now)
    old, new = before.get(field), getattr(rules, field)
    notify(
        recipient=teen,
        kind=NotificationKind.TODAY_CHANGED,
        title=f"{actor.display_name} changed today's limit: "
        f"{minutes_short(old)} → {minutes_short(new)}",
        body="Your time left today follows the new limit.",
        link="/me/",
        teen=teen,
        now=now,
    )


def today_downtime_follow(
    *, actor, teen, rules: TeenRules, masks: Iterable[int], text: str, now=None
) -> None:
    """After a downtime change: tell the teen (in-app) if the window (before or after the change)
    starts today or started yesterday (it may run into today)."""
    now = now or timezone.now()
    today = _today(teen, rules, now).weekday()
    days = {today, (today - 1) % 7}
    if not any(mask & (1 << day) for mask in masks for day in days):
        return
    notify(
        recipient=teen,
        kind=NotificationKind.TODAY_CHANGED,
        title=f"{actor.display_name} changed downtime that affects today",
        body=text,
        link="/me/rules/",
        teen=teen,
        now=now,
    )
