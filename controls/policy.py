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
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from controls.days import check_wall_time, is_int, require_aware, teen_day
from controls.downtime_calc import (
    DEFAULT_HORIZON_DAYS,
    WEEKDAYS,
    DowntimeInstant,
    DowntimeSpec,
    downtime_at,
    downtime_instances,
    next_downtime_start,
)
from controls.policy_rules import AppRuleSpec, LockSpec, RuleResult, rule_results

__all__ = [
    "DEFAULT_HORIZON_DAYS",
    "MAX_DAILY_LIMIT_MINUTES",
    "WEEKDAYS",
    "AppRuleSpec",
    "DowntimeInstant",
    "DowntimeSpec",
    "EffectivePolicy",
    "LockSpec",
    "Reason",
    "ScreenTimeSpec",
    "TodayGrants",
    "compute_policy",
    "downtime_at",
    "downtime_instances",
    "next_downtime_start",
]

#: A daily limit is at most a whole day; ``None`` means unlimited.
MAX_DAILY_LIMIT_MINUTES = 24 * 60


class Reason(StrEnum):
    """Why the device is (not) allowed to be used right now; serialised as its value.

    A ``StrEnum`` (a ``str``/``Enum`` mix-in), so ``Reason.OK == "ok"`` and ``str()`` gives the
    value.
    """

    OK = "ok"
    DAILY_LIMIT = "daily_limit"
    DOWNTIME = "downtime"
    LOCKED = "locked"


# --------------------------------------------------------------------------------------------
# Input specifications
# --------------------------------------------------------------------------------------------


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
    # Issue 13: each app and category rule now (`controls.policy_rules`), and the lock in force.
    app_rules: tuple[RuleResult, ...] = ()
    lock: LockSpec | None = None
    category_locks: tuple[LockSpec, ...] = ()
    # In downtime: the window's allowed apps and categories ({"apps": [...], "categories": [...]}).
    downtime_allowed: Mapping[str, tuple[str, ...]] | None = field(default=None, hash=False)

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
            "downtime_allowed": (
                None
                if self.downtime_allowed is None
                else {key: list(value) for key, value in self.downtime_allowed.items()}
            ),
            "app_rules": [result.to_dict() for result in self.app_rules],
            "lock": _lock_dict(self.lock),
            "category_locks": [
                {**_lock_dict(lock), "sites": list(lock.sites)} for lock in self.category_locks
            ],
        }


def _lock_dict(lock: LockSpec | None) -> dict[str, Any] | None:
    if lock is None:
        return None
    return {"category": lock.category or None, "until": _iso_z(lock.until), "by": lock.by}


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
    app_rules: Iterable[AppRuleSpec] = (),
    locks: Iterable[LockSpec] = (),
    app_seconds: Mapping[str, int] | None = None,
    app_categories: Mapping[str, str] | None = None,
) -> EffectivePolicy:
    """Compute what the teen's devices must enforce at ``now``.

    Order of precedence: a lock of all devices > downtime (never lifted by grants) > daily
    limit > ok. ``used_seconds`` is today's counted usage (always-allowed apps already
    excluded); ``grants`` are today's. ``app_rules``, ``locks`` (those in force: not ended, not
    past their ``until``), ``app_seconds`` (today's counted seconds per app key) and
    ``app_categories`` give each app and category rule's state (`controls.policy_rules`).

    ``next_change_at`` is the earliest future instant at which ``allowed``/``reason`` change by
    time alone, assuming no further usage: the end of the current (merged) downtime; when the
    limit is reached, the end of the teen's day or an earlier downtime start; otherwise the
    next downtime start; a lock's ``until`` when sooner (while all devices are locked, only
    that). ``None`` if nothing changes within the horizon (8 days).

    ``version`` hashes rules_version, the time zone, the day, grants, allowed, reason,
    downtime_name, limit_seconds, limit_reached, the browsing/privacy mappings, the locks and
    each app rule's kind, allowed, reason and limit, but not usage counters, so it works as an
    ETag.
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
    locks = tuple(lock for lock in locks if lock.until is None or now_utc < lock.until)
    lock_all = next((lock for lock in locks if not lock.category), None)
    if lock_all is not None:
        allowed, reason, next_change_at = False, Reason.LOCKED, lock_all.until
    for lock in locks:
        if lock.until is not None and (next_change_at is None or lock.until < next_change_at):
            next_change_at = lock.until
    results = rule_results(
        rules=app_rules,
        locks=locks,
        weekday=day.local_date.weekday(),
        app_seconds=app_seconds or {},
        app_categories=app_categories or {},
        in_downtime=window is not None,
        downtime_apps=window.allowed_apps if window is not None else frozenset(),
        downtime_categories=window.allowed_categories if window is not None else frozenset(),
        daily_seconds_left=seconds_left,
        daily_limit_reached=limit_reached,
    )

    browsing_copy = dict(browsing) if browsing is not None else {}
    privacy_copy = dict(privacy) if privacy is not None else {}
    extra: dict[str, Any] = {}
    if results or locks:  # (absent otherwise: versions from before issue 13 stay the same)
        extra["app_rules"] = [result.state() for result in results]
        extra["locks"] = sorted((lock.lock_id, lock.category, _iso_z(lock.until)) for lock in locks)
    version = _version(
        {
            **extra,
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
        app_rules=results,
        lock=lock_all,
        category_locks=tuple(lock for lock in locks if lock.category),
        downtime_allowed=None
        if window is None
        else {
            "apps": tuple(sorted(window.allowed_apps)),
            "categories": tuple(sorted(window.allowed_categories)),
        },
    )
