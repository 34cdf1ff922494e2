"""Downtime windows made exact: a window's instances in UTC, the one in force, the next start.
Pure, part of `controls.policy` (which re-exports these names); the wall-time-to-instant rules
for DST are described there."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from controls.days import ONE_DAY, check_wall_time, is_int, local_to_utc, require_aware

#: Weekday numbers as used by :meth:`datetime.date.weekday`: 0 = Monday .. 6 = Sunday.
WEEKDAYS = range(7)

#: How far ahead ``next_change_at`` looks; beyond this it is reported as ``None``.
DEFAULT_HORIZON_DAYS = 8
DOWNTIME_LOOKAHEAD = timedelta(hours=48)  # how far ahead a policy lists downtime instances


@dataclass(frozen=True)
class DowntimeSpec:
    """A recurring downtime window in the teen's local wall time.

    ``weekdays`` are the days (0 = Monday) on which the window *starts*; a window with
    ``end <= start`` crosses midnight and ends on the following calendar day. ``end == start``
    is rejected because it is ambiguous (empty or 24 hours). An empty ``weekdays`` set is
    allowed and simply never applies (a disabled window).
    """

    name: str
    weekdays: frozenset[int]
    start: time
    end: time
    # What stays usable during the window (issue 13): app keys and categories.
    allowed_apps: frozenset[str] = frozenset()
    allowed_categories: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("downtime name must be a non-empty string")
        days = frozenset(self.weekdays)
        for day in days:
            if not is_int(day) or day not in WEEKDAYS:
                raise ValueError(f"downtime weekdays must be ints 0..6, got {day!r}")
        # Accept any iterable (list, set) but store a frozenset so the spec stays hashable.
        object.__setattr__(self, "weekdays", days)
        object.__setattr__(self, "allowed_apps", frozenset(self.allowed_apps))
        object.__setattr__(self, "allowed_categories", frozenset(self.allowed_categories))
        check_wall_time("downtime start", self.start)
        check_wall_time("downtime end", self.end)
        if self.end == self.start:
            raise ValueError(f"downtime {self.name!r}: end must differ from start")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the calendar day after the one it starts on."""
        return self.end < self.start


class DowntimeInstant(NamedTuple):
    """One downtime window instance in UTC (the teen's wall times made exact)."""

    start: datetime
    end: datetime
    name: str


# --------------------------------------------------------------------------------------------
# Downtime
# --------------------------------------------------------------------------------------------


class _Occurrence(NamedTuple):
    start: datetime
    end: datetime
    spec: DowntimeSpec


def _occurrence(spec: DowntimeSpec, start_date: date, tz: tzinfo) -> _Occurrence | None:
    """The window instance starting on ``start_date`` (or None if DST makes it empty)."""
    start = local_to_utc(start_date, spec.start, tz)
    end_date = start_date + ONE_DAY if spec.crosses_midnight else start_date
    end = local_to_utc(end_date, spec.end, tz, last_occurrence=True)
    if end <= start:  # e.g. a window lying wholly inside a spring-forward gap
        return None
    return _Occurrence(start, end, spec)


def _occurrences(
    downtimes: Iterable[DowntimeSpec], tz: tzinfo, first: date, last: date
) -> list[_Occurrence]:
    """All window instances starting on local dates ``first..last``, sorted by start."""
    specs = tuple(downtimes)
    found: list[_Occurrence] = []
    current = first
    while current <= last:
        for spec in specs:
            if current.weekday() in spec.weekdays:
                occurrence = _occurrence(spec, current, tz)
                if occurrence is not None:
                    found.append(occurrence)
        current += ONE_DAY
    found.sort(key=lambda o: (o.start, o.end, o.spec.name))
    return found


def downtime_at(
    *,
    downtimes: Iterable[DowntimeSpec],
    now: datetime,
    tz: ZoneInfo,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> tuple[DowntimeSpec | None, datetime | None]:
    """The downtime window in force at ``now`` and when downtime actually ends (UTC).

    If several windows contain ``now`` the reported one is the one ending last (ties: the
    earliest start, then name). The returned end is where the teen is *released*: touching or
    overlapping windows are merged (21:00-23:00 followed by 23:00-07:00 ends at 07:00). If
    that is beyond ``horizon_days`` the end is ``None``. Returns ``(None, None)`` outside
    downtime.
    """
    now_utc = require_aware(now)
    specs = tuple(downtimes)
    if not specs:
        return None, None
    local = now_utc.astimezone(tz).date()
    nearby = _occurrences(specs, tz, local - 2 * ONE_DAY, local + ONE_DAY)
    active = [o for o in nearby if o.start <= now_utc < o.end]
    if not active:
        return None, None
    by_start = sorted(active, key=lambda o: (o.start, o.spec.name))
    current = sorted(by_start, key=lambda o: o.end, reverse=True)[0]  # stable sort

    horizon_end = now_utc + timedelta(days=horizon_days)
    released = current.end
    for occurrence in _occurrences(
        specs, tz, local - 2 * ONE_DAY, local + (horizon_days + 2) * ONE_DAY
    ):
        if occurrence.start > released:
            break
        released = max(released, occurrence.end)
    if released > horizon_end:
        return current.spec, None
    return current.spec, released


def downtime_instances(*, downtimes, now: datetime, tz: ZoneInfo) -> tuple[DowntimeInstant, ...]:
    """Every window instance in force at ``now`` or starting within DOWNTIME_LOOKAHEAD, sorted
    by start, in UTC, one by one (not merged); wall times become instants as everywhere here."""
    now_utc, local = require_aware(now), now.astimezone(tz).date()
    found = _occurrences(downtimes, tz, local - ONE_DAY, local + 4 * ONE_DAY)
    until = now_utc + DOWNTIME_LOOKAHEAD
    return tuple(
        DowntimeInstant(*o[:2], o.spec.name) for o in found if now_utc < o.end and o.start < until
    )


def next_downtime_start(
    *,
    downtimes: Iterable[DowntimeSpec],
    now: datetime,
    tz: ZoneInfo,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> datetime | None:
    """The earliest window start strictly after ``now`` within ``horizon_days``, in UTC."""
    now_utc = require_aware(now)
    local = now_utc.astimezone(tz).date()
    horizon_end = now_utc + timedelta(days=horizon_days)
    starts = [
        o.start
        for o in _occurrences(downtimes, tz, local - ONE_DAY, local + (horizon_days + 1) * ONE_DAY)
        if now_utc < o.start <= horizon_end
    ]
    return min(starts, default=None)
