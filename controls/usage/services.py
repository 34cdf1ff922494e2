"""Booking the usage devices report: validation, idempotency, per-day totals, retention.

A device reports events ``{id, started_at, seconds, app}``. The server is the source of truth
for time, so it books only what can be true:

- ``id`` is a client-made UUID: the pair (device, id) is unique, so a retried event is never
  counted twice (``INSERT … ON CONFLICT DO NOTHING RETURNING`` tells which ones are new, with no
  read-then-write race between two retries arriving at once).
- an event must have happened: not in the future, not longer than the time since it started,
  1–3600 seconds, not older than the retention period, and not overlapping another event from
  the same device (one device cannot be used for more seconds than the clock allows).
- an event crossing the teen's day start is split (``controls.days.split_interval_by_day``)
  so each piece counts against the right day's quota.
- time in always-allowed apps is recorded but not counted.

Totals (``DailyUsage`` per teen, day, app and device; ``TeenDay`` per teen and day, the row the
effective policy reads) are incremented in SQL with ``INSERT … ON CONFLICT DO UPDATE SET
n = n + excluded.n``: never read-modify-write, so concurrent reports lose and double nothing.
A batch is all or nothing: one bad event → 400 with an error per event and nothing booked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from controls.effective.cache import (
    policy_after_usage,
    policy_entry_for_teen,
    usage_changed,
    usage_context,
)
from controls.effective.channel import teen_changed
from controls.enforcement.app_limits import app_limits_due
from controls.enforcement.tasks import teen_day_enforce
from controls.models import DayState, UsageEvent
from controls.policy import EffectivePolicy
from controls.usage.booking import (
    book_in_one_statement,
    book_in_steps,
    booking_pieces,
    stored_overlaps,
)
from controls.usage.events import (
    MAX_SECONDS,
    MIN_SECONDS,
    UsageEventIn,
    UsageRejected,
    event_time_errors,
    usage_retention,
)
from familypairing.enqueue import enqueue_on_commit


@dataclass
class UsageResult:
    booked: list[uuid.UUID] = field(default_factory=list)
    ignored: list[uuid.UUID] = field(default_factory=list)
    # local date -> (counted seconds added, the day's counted total after this booking, state)
    days: dict[date, tuple[int, int, str]] = field(default_factory=dict)
    policy: EffectivePolicy | None = None
    enforcement_queued: bool = False


def _expected_state(*, limit_seconds: int, counted: int, warning_minutes: Iterable[int]) -> str:
    left = limit_seconds - counted
    if left <= 0:
        return DayState.LIMIT_REACHED
    if any(left <= minutes * 60 for minutes in warning_minutes):
        return DayState.WARNED
    return DayState.OK


def enforcement_due(
    *, policy: EffectivePolicy, warning_minutes: Iterable[int], added: int, after: int, state: str
) -> bool:
    """Whether a booking that added `added` counted seconds to today (reaching `after`) crossed a
    warning threshold or the limit, or left the day's state behind what is true now."""
    if policy.limit_seconds is None or added <= 0:
        return False
    warning_minutes = [m for m in warning_minutes if isinstance(m, int) and m > 0]
    limit = policy.limit_seconds
    before_left, after_left = limit - (after - added), limit - after
    thresholds = {0, *(m * 60 for m in warning_minutes)}
    crossed = any(before_left > t >= after_left for t in thresholds)
    expected = _expected_state(limit_seconds=limit, counted=after, warning_minutes=warning_minutes)
    return crossed or expected != state


def _limit_crossed(*, policy: EffectivePolicy, added: int, after: int) -> bool:
    limit = policy.limit_seconds
    return limit is not None and added > 0 and after - added < limit <= after


def usage_record_batch(
    *,
    device,
    events: Sequence[UsageEventIn],
    now: datetime | None = None,
    cached: dict | None = None,
) -> UsageResult:
    """Book a device's events for its teen (all or nothing), then answer with the effective
    policy; enqueue the enforcement task (after commit) when a threshold was crossed.

    The hot path of the device API (issue 8): the teen's rules come from the policy cache, the
    day's new total from the booking itself, so on PostgreSQL a report costs one query (the
    overlap check and the booking in one statement); on SQLite, the check then a transaction.
    `cached`: the `usage_context_keys` entries, when the device API fetched them already."""
    now = now or timezone.now()
    teen = device.teen
    postgres = connection.vendor == "postgresql"
    errors = [event_time_errors(event, now=now) for event in events]
    stored = []
    if not any(errors) and not postgres:  # (on PostgreSQL the booking statement checks)
        errors, stored = stored_overlaps(device=device, events=events)
    if any(errors):
        raise UsageRejected("Some events are invalid; nothing was booked.", events=errors)

    unique: dict[uuid.UUID, UsageEventIn] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    result = UsageResult()
    context = usage_context(teen=teen, now=now, found=cached)
    inputs = context.inputs
    if unique:
        # (On PostgreSQL the statement subtracts what stored events cover, so `stored` is
        # empty there: the pieces then only leave out what the batch covers itself.)
        pieces = booking_pieces(events=unique.values(), teen=teen, inputs=inputs, stored=stored)
        if postgres:
            new_ids, totals, added = book_in_one_statement(
                device=device,
                events=list(unique.values()),
                all_events=events,
                pieces=pieces,
                allowed_apps=inputs.always_allowed_apps,
                now=now,
            )
        else:
            new_ids, totals, added = book_in_steps(
                device=device,
                events=list(unique.values()),
                pieces=pieces,
                allowed_apps=inputs.always_allowed_apps,
                now=now,
            )
        if totals:
            # The teen's devices are told below, only if the policy's version moved.
            usage_changed(teen_id=teen.pk, publish=False)
            result.days = {
                local_date: (added.get(local_date, 0), *totals[local_date]) for local_date in totals
            }
        result.booked = [e for e in unique if e in new_ids]
        result.ignored = [e for e in unique if e not in new_ids]

    today = result.days.get(context.local_date)
    if today is not None:
        policy = policy_after_usage(teen=teen, context=context, used_seconds=today[1], now=now)
    else:
        policy = policy_entry_for_teen(teen=teen, now=now).policy
    result.policy = policy
    if today is not None and _limit_crossed(policy=policy, added=today[0], after=today[1]):
        # Reaching the limit changes `allowed` and the version: the teen's other connected
        # devices hear it within a second. (The counters alone are not in the ETag, so every
        # other report wakes nobody.)
        teen_changed(teen_id=teen.pk)
    if today is not None and (
        enforcement_due(
            policy=policy,
            warning_minutes=inputs.warning_minutes,
            added=today[0],
            after=today[1],
            state=today[2],
        )
        # (Per app, an app's time counts even where another app's covered the clock: the
        # batch's seconds bound what it added to any one rule.)
        or app_limits_due(
            policy=policy,
            warning_minutes=inputs.warning_minutes,
            added=sum(event.seconds for event in unique.values()),
        )
    ):
        enqueue_on_commit(teen_day_enforce, teen.pk)
        result.enforcement_queued = True
    return result


def usage_record(
    *,
    device,
    seconds: int,
    event_id: uuid.UUID,
    started_at: datetime | None = None,
    app: str = "",
    now: datetime | None = None,
) -> UsageResult:
    """Book one event (``started_at`` defaults to `seconds` ago)."""
    now = now or timezone.now()
    event = UsageEventIn(
        event_id=event_id,
        started_at=started_at or now - timedelta(seconds=seconds),
        seconds=seconds,
        app=app.strip(),
    )
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise UsageRejected(
            "Some events are invalid; nothing was booked.",
            events=[{"seconds": [f"Must be a whole number from {MIN_SECONDS} to {MAX_SECONDS}."]}],
        )
    return usage_record_batch(device=device, events=[event], now=now)


# --- Retention -------------------------------------------------------------------------------


def usage_purge_old(*, now: datetime | None = None) -> int:
    """Delete usage events received more than USAGE_RETENTION_DAYS ago; daily totals stay.
    Returns how many were deleted. (Reports older than that are refused at booking, so a retry of
    a purged event cannot be counted again.)"""
    cutoff = (now or timezone.now()) - usage_retention()
    deleted, _ = UsageEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
