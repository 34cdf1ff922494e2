"""Wall-clock arithmetic for overlapping usage events (see controls.usage.booking)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from controls.days import split_interval_by_day

Interval = tuple[datetime, datetime]


def minus(span: Interval, cover: Sequence[Interval]) -> list[Interval]:
    """What of `span` no interval of `cover` (sorted by start) covers."""
    left, (start, end) = [], span
    for cover_start, cover_end in cover:
        if cover_end <= start:
            continue
        if cover_start >= end:
            break
        if cover_start > start:
            left.append((start, cover_start))
        start = max(start, cover_end)
        if start >= end:
            break
    if start < end:
        left.append((start, end))
    return left


def interval_seconds(intervals: Sequence[Interval]) -> int:
    return round(sum((end - start).total_seconds() for start, end in intervals))


def multirange(intervals: Sequence[Interval]) -> str:
    """A PostgreSQL tstzmultirange literal (ISO 8601 instants: no quoting needed)."""
    return "{" + ",".join(f"[{a.isoformat()},{b.isoformat()})" for a, b in intervals) + "}"


def booking_pieces(*, events, teen, inputs, stored: Sequence = ()) -> list[tuple]:
    """Each event split at the teen's day start: (event id, local date, app, seconds, counted,
    the piece's wall-clock time not yet covered, the same for counted time), the last two as
    lists of (start, end).

    Two windows visible at once are two events that overlap: each app's total gets all of its
    seconds (each window was in use), but the teen's day (the quota) only the seconds of the
    clock that this device's other events, `stored` and the batch's earlier ones, did not
    already cover: one device is used for at most as many seconds as the clock allows. The
    counted time subtracts only counted events (time in an always-allowed app, overlapping a
    counted one, does not hide the counted one). Devices add up, as before."""
    cover_all = sorted((item.start, item.end) for item in stored)
    cover_counted = sorted((item.start, item.end) for item in stored if item.counted)
    pieces = []
    for event in sorted(events, key=lambda e: (e.started_at, e.ended_at, str(e.event_id))):
        counted = event.app.casefold() not in inputs.always_allowed_apps
        for local_date, start, seconds in split_interval_by_day(
            start=event.started_at, seconds=event.seconds, tz=teen.tz, day_start=inputs.day_start
        ):
            span = (start, start + timedelta(seconds=seconds))
            left_all = minus(span, cover_all)
            left_counted = minus(span, cover_counted) if counted else []
            pieces.append(
                (event.event_id, local_date, event.app, seconds, counted, left_all, left_counted)
            )
            cover_all = sorted([*cover_all, span])
            if counted:
                cover_counted = sorted([*cover_counted, span])
    return pieces


def piece_sums(pieces) -> tuple[dict[tuple[date, str], list], dict[date, list[int]]]:
    """(seconds and counted per day and app, [counted, total] wall-clock seconds per day)."""
    buckets: dict[tuple[date, str], list] = {}
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for _event_id, local_date, app, seconds, counted, left_all, left_counted in pieces:
        bucket = buckets.setdefault((local_date, app), [0, counted])
        bucket[0] += seconds
        days[local_date][1] += interval_seconds(left_all)
        days[local_date][0] += interval_seconds(left_counted)
    return buckets, days
