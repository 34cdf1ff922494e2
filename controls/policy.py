"""Effective screen-time policy for one teen at one instant, as a single pure function.

Why a pure module: the same rules must give the same answer on the server (API responses,
ETags, notifications, usage booking) and in tests, without a database, a clock or Django.
Everything time-dependent takes ``now`` and the teen's IANA time zone explicitly, so the
answer is reproducible and DST behaviour can be tested exhaustively.

Vocabulary
----------
* **Teen day**: see `controls.days` (the teen's local day and the DST rules for wall times).
* **Downtime window**: a recurring local wall-time window on given weekdays (the weekday on
  which it *starts*, in plain calendar terms, independent of ``day_start``). ``end <= start``
  means the window runs past midnight into the next calendar day.

Wall time to instant (DST)
--------------------------
A local wall time can be missing (spring-forward gap) or occur twice (fall-back fold):

* Day boundaries and window starts use the *first instant at which the local clock reads
  that wall time or later*: in a gap that is the transition instant itself (the first valid
  instant after the missing time); in a fold it is the first occurrence.
* Window ends use the *last* occurrence in a fold (and the transition instant in a gap), so a
  window covers every instant at which the teen's clock shows a time inside it: a bedtime
  window "22:00-01:30" still applies when the clock shows 01:15 for the second time.

Offline: a policy also says until when a device may enforce it alone
(``offline_valid_until``, 24 h on) and every downtime instance of the next 48 hours in UTC
(``downtime_next_48h``); the device API's schema says how a client uses them.

All instants returned are aware datetimes in UTC. Comparisons are always made in UTC because
Python compares two datetimes sharing one tzinfo by wall time, ignoring ``fold``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from controls.days import (
    ONE_DAY,
    check_wall_time,
    is_int,
    local_to_utc,
    require_aware,
    teen_day,
)

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "MAX_DAILY_LIMIT_MINUTES",
    "WEEKDAYS",
    "DowntimeInstant",
    "DowntimeSpec",
    "EffectivePolicy",
    "Reason",
    "ScreenTimeSpec",
    "TodayGrants",
    "compute_policy",
    "downtime_at",
    "downtime_instances",
    "next_downtime_start",
]

#: Weekday numbers as used by :meth:`datetime.date.weekday`: 0 = Monday .. 6 = Sunday.
WEEKDAYS = range(7)

#: A daily limit is at most a whole day; ``None`` means unlimited.
MAX_DAILY_LIMIT_MINUTES = 24 * 60

#: How far ahead ``next_change_at`` looks; beyond this it is reported as ``None``.
DEFAULT_HORIZON_DAYS = 8


class Reason(StrEnum):
    """Why the device is (not) allowed to be used right now; serialised as its value.

    A ``StrEnum`` (a ``str``/``Enum`` mix-in), so ``Reason.OK == "ok"`` and ``str()`` gives the
    value.
    """

    OK = "ok"
    DAILY_LIMIT = "daily_limit"
    DOWNTIME = "downtime"


# --------------------------------------------------------------------------------------------
# Input specifications
# --------------------------------------------------------------------------------------------


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

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("downtime name must be a non-empty string")
        days = frozenset(self.weekdays)
        for day in days:
            if not is_int(day) or day not in WEEKDAYS:
                raise ValueError(f"downtime weekdays must be ints 0..6, got {day!r}")
        # Accept any iterable (list, set) but store a frozenset so the spec stays hashable.
        object.__setattr__(self, "weekdays", days)
        check_wall_time("downtime start", self.start)
        check_wall_time("downtime end", self.end)
        if self.end == self.start:
            raise ValueError(f"downtime {self.name!r}: end must differ from start")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the calendar day after the one it starts on."""
        return self.end < self.start


@dataclass(frozen=True)
class ScreenTimeSpec:
    """A teen's screen-time rules.

    ``daily_limits`` has 7 entries, Monday..Sunday, in minutes (1..1440) or ``None`` for
    unlimited. ``warning_minutes`` are the "N minutes left" thresholds. ``day_start`` is the
    local wall time at which the teen's day (and quota) starts.
    """

    daily_limits: tuple[int | None, ...]
    downtimes: tuple[DowntimeSpec, ...] = ()
    warning_minutes: tuple[int, ...] = (15, 5)
    day_start: time = time(0)

    def __post_init__(self) -> None:
        limits = tuple(self.daily_limits)
        if len(limits) != len(WEEKDAYS):
            raise ValueError(f"daily_limits needs 7 entries (Mon..Sun), got {len(limits)}")
        for minutes in limits:
            if minutes is None:
                continue
            if not is_int(minutes) or not 1 <= minutes <= MAX_DAILY_LIMIT_MINUTES:
                raise ValueError(
                    f"daily limit must be None or an int 1..{MAX_DAILY_LIMIT_MINUTES}, "
                    f"got {minutes!r}"
                )
        downtimes = tuple(self.downtimes)
        for window in downtimes:
            if not isinstance(window, DowntimeSpec):
                raise TypeError(f"downtimes must be DowntimeSpec instances, got {window!r}")
        warnings = tuple(self.warning_minutes)
        for minutes in warnings:
            if not is_int(minutes) or minutes <= 0:
                raise ValueError(f"warning minutes must be positive ints, got {minutes!r}")
        check_wall_time("day_start", self.day_start)
        object.__setattr__(self, "daily_limits", limits)
        object.__setattr__(self, "downtimes", downtimes)
        object.__setattr__(self, "warning_minutes", warnings)


@dataclass(frozen=True)
class TodayGrants:
    """Parent grants for the teen's current day: extra minutes and/or "no limit today".

    Grants only affect the daily quota; they never lift downtime.
    """

    bonus_minutes: int = 0
    no_limit: bool = False

    def __post_init__(self) -> None:
        if not is_int(self.bonus_minutes) or self.bonus_minutes < 0:
            raise ValueError(f"bonus_minutes must be an int >= 0, got {self.bonus_minutes!r}")
        if not isinstance(self.no_limit, bool):
            raise TypeError(f"no_limit must be a bool, got {self.no_limit!r}")


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _iso_z(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


OFFLINE_VALIDITY = timedelta(hours=24)  # how long a device may enforce a policy alone
DOWNTIME_LOOKAHEAD = timedelta(hours=48)  # how far ahead it lists downtime instances


class DowntimeInstant(NamedTuple):
    """One downtime window instance in UTC (the teen's wall times made exact)."""

    start: datetime
    end: datetime
    name: str


@dataclass(frozen=True)
class EffectivePolicy:
    """Everything a device needs to enforce right now, plus when to ask again.

    ``seconds_left`` is the remaining quota (``None`` = unlimited), reported even during
    downtime so a UI can say "in downtime, 20 min left for later". ``version`` is a short hash
    of the enforcement-relevant state, suitable as an ETag: it does not change while only
    ``used_seconds``/``seconds_left`` move within the same state.
    """

    allowed: bool
    reason: Reason
    seconds_left: int | None
    limit_seconds: int | None
    used_seconds: int
    local_date: date
    day_start_utc: datetime
    day_end_utc: datetime
    downtime_name: str | None
    next_change_at: datetime | None
    warnings_due: tuple[int, ...]
    limit_reached: bool
    version: str
    # Plain pass-through mappings (kept as given, shallow-copied); excluded from hashing
    # because dicts are unhashable.
    browsing: Mapping[str, Any] = field(default_factory=dict, hash=False)
    privacy: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # For a device that loses the server (not in `version`: they move with the clock).
    offline_valid_until: datetime | None = None
    downtime_next_48h: tuple[DowntimeInstant, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready representation: datetimes as ISO-8601 UTC with "Z", dates as ISO."""
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "seconds_left": self.seconds_left,
            "limit_seconds": self.limit_seconds,
            "used_seconds": self.used_seconds,
            "limit_reached": self.limit_reached,
            "local_date": self.local_date.isoformat(),
            "day_start_utc": _iso_z(self.day_start_utc),
            "day_end_utc": _iso_z(self.day_end_utc),
            "downtime_name": self.downtime_name,
            "next_change_at": _iso_z(self.next_change_at),
            "warnings_due": list(self.warnings_due),
            "version": self.version,
            "browsing": dict(self.browsing),
            "privacy": dict(self.privacy),
            "offline_valid_until": _iso_z(self.offline_valid_until),
            "downtime_next_48h": [
                {"start": _iso_z(o.start), "end": _iso_z(o.end), "name": o.name}
                for o in self.downtime_next_48h
            ],
        }


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


# --------------------------------------------------------------------------------------------
# The effective policy
# --------------------------------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """JSON fallback giving a process-independent form (sets sorted, others via str)."""
    if isinstance(value, (set, frozenset)):
        return sorted(json.dumps(v, sort_keys=True, default=_canonical) for v in value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    return str(value)


def _version(payload: Mapping[str, Any]) -> str:
    encoded = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), default=_canonical, ensure_ascii=True
    )
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:16]


def compute_policy(
    *,
    rules: ScreenTimeSpec,
    used_seconds: int,
    grants: TodayGrants,
    now: datetime,
    tz: ZoneInfo,
    rules_version: str = "",
    browsing: Mapping[str, Any] | None = None,
    privacy: Mapping[str, Any] | None = None,
) -> EffectivePolicy:
    """Compute what the teen's devices must enforce at ``now``.

    Order of precedence: downtime (never lifted by grants) > daily limit > ok. ``used_seconds``
    is today's counted usage (always-allowed apps already excluded); ``grants`` are today's.

    ``next_change_at`` is the earliest future instant at which ``allowed``/``reason`` change by
    time alone, assuming no further usage: the end of the current (merged) downtime; when the
    limit is reached, the end of the teen's day or an earlier downtime start; otherwise the
    next downtime start. ``None`` if nothing changes within the horizon (8 days).

    ``version`` hashes rules_version, the time zone, the day, grants, allowed, reason,
    downtime_name, limit_seconds, limit_reached and the browsing/privacy mappings, but not
    usage counters, so it works as an ETag.
    """
    now_utc = require_aware(now)
    if not isinstance(rules, ScreenTimeSpec):
        raise TypeError(f"rules must be a ScreenTimeSpec, got {rules!r}")
    if not isinstance(grants, TodayGrants):
        raise TypeError(f"grants must be TodayGrants, got {grants!r}")
    if not is_int(used_seconds) or used_seconds < 0:
        raise ValueError(f"used_seconds must be an int >= 0, got {used_seconds!r}")

    day = teen_day(now=now_utc, tz=tz, day_start=rules.day_start)
    base_minutes = rules.daily_limits[day.local_date.weekday()]
    if grants.no_limit or base_minutes is None:
        limit_seconds: int | None = None
        seconds_left: int | None = None
        limit_reached = False
        warnings_due: tuple[int, ...] = ()
    else:
        limit_seconds = (base_minutes + grants.bonus_minutes) * 60
        seconds_left = max(0, limit_seconds - used_seconds)
        limit_reached = used_seconds >= limit_seconds
        warnings_due = tuple(
            sorted({m for m in rules.warning_minutes if seconds_left <= m * 60}, reverse=True)
        )

    window, window_end = downtime_at(downtimes=rules.downtimes, now=now_utc, tz=tz)
    if window is not None:
        allowed, reason = False, Reason.DOWNTIME
        # Leaving downtime always changes the reason (to ok, or to daily_limit).
        next_change_at = window_end
    else:
        upcoming = next_downtime_start(downtimes=rules.downtimes, now=now_utc, tz=tz)
        if limit_reached:
            allowed, reason = False, Reason.DAILY_LIMIT
            # A new day brings a fresh quota (limits are >= 1 minute); downtime may come first.
            next_change_at = day.end_utc if upcoming is None else min(upcoming, day.end_utc)
        else:
            allowed, reason = True, Reason.OK
            next_change_at = upcoming

    browsing_copy = dict(browsing) if browsing is not None else {}
    privacy_copy = dict(privacy) if privacy is not None else {}
    version = _version(
        {
            "rules_version": rules_version,
            "tz": getattr(tz, "key", None) or str(tz),
            "local_date": day.local_date.isoformat(),
            "bonus_minutes": grants.bonus_minutes,
            "no_limit": grants.no_limit,
            "allowed": allowed,
            "reason": reason.value,
            "downtime_name": window.name if window is not None else None,
            "limit_seconds": limit_seconds,
            "limit_reached": limit_reached,
            "browsing": browsing_copy,
            "privacy": privacy_copy,
        }
    )
    return EffectivePolicy(
        allowed=allowed,
        reason=reason,
        seconds_left=seconds_left,
        limit_seconds=limit_seconds,
        used_seconds=used_seconds,
        local_date=day.local_date,
        day_start_utc=day.start_utc,
        day_end_utc=day.end_utc,
        downtime_name=window.name if window is not None else None,
        next_change_at=next_change_at,
        warnings_due=warnings_due,
        limit_reached=limit_reached,
        version=version,
        browsing=browsing_copy,
        privacy=privacy_copy,
        offline_valid_until=now_utc + OFFLINE_VALIDITY,
        downtime_next_48h=downtime_instances(downtimes=rules.downtimes, now=now_utc, tz=tz),
    )
