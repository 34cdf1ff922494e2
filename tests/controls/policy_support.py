"""What the pure policy's tests share: the time zones, the limits and a `policy()` builder."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from controls.policy import (
    WEEKDAYS,
    DowntimeSpec,
    EffectivePolicy,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
)

LIMITS = (60, 90, 120, 30, 45, 180, 240)  # Mon..Sun, minutes
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = frozenset(WEEKDAYS)
FRIDAY_NIGHT = DowntimeSpec("Friday night", frozenset({4}), time(21), time(7))


def at(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    """An aware local datetime."""
    return datetime(*args, tzinfo=tz, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def policy(
    now: datetime,
    *,
    tz: ZoneInfo = BERLIN,
    limits: tuple[int | None, ...] = LIMITS,
    downtimes: tuple[DowntimeSpec, ...] = (),
    used: int = 0,
    grants: TodayGrants | None = None,
    day_start: time = time(0),
    warnings: tuple[int, ...] = (15, 5),
    rules_version: str = "r1",
) -> EffectivePolicy:
    rules = ScreenTimeSpec(
        daily_limits=limits, downtimes=downtimes, warning_minutes=warnings, day_start=day_start
    )
    return compute_policy(
        rules=rules,
        used_seconds=used,
        grants=grants or TodayGrants(),
        now=now,
        tz=tz,
        rules_version=rules_version,
    )
