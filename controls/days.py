"""A teen's local day, and local wall time to instant, with explicit DST rules. Pure: no
database, no clock, no Django.

* **Teen day**: the period from ``day_start`` local wall time on a local calendar date to
  ``day_start`` on the next date, in the teen's own time zone. With ``day_start`` 04:00,
  02:00 on Tuesday still belongs to Monday's day. The weekday of that date picks the limit.
  A teen day is 23 or 25 hours long across DST changes; it is computed from wall times, never
  by adding 24 hours.

A local wall time can be missing (spring-forward gap) or occur twice (fall-back fold):

* Day boundaries and window starts use the *first instant at which the local clock reads
  that wall time or later*: in a gap that is the transition instant itself (the first valid
  instant after the missing time); in a fold it is the first occurrence.
* Window ends use the *last* occurrence in a fold (and the transition instant in a gap).

All instants returned are aware datetimes in UTC. Comparisons are always made in UTC because
Python compares two datetimes sharing one tzinfo by wall time, ignoring ``fold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = [
    "LocalDay",
    "check_wall_time",
    "day_for_local_date",
    "is_int",
    "local_to_utc",
    "require_aware",
    "split_interval_by_day",
    "teen_day",
    "wall_clock",
]

ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ONE_MICROSECOND = timedelta(microseconds=1)


def is_int(value: object) -> bool:
    """True for real integers; ``bool`` is excluded because ``True`` minutes is a bug."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_wall_time(label: str, value: object) -> None:
    if not isinstance(value, time):
        raise TypeError(f"{label} must be a datetime.time, got {value!r}")
    if value.tzinfo is not None:
        raise ValueError(f"{label} must be a naive local wall time, got {value!r}")


@dataclass(frozen=True)
class LocalDay:
    """One teen day: its local date (which picks the limit) and its bounds in UTC.

    ``start_utc`` is inclusive and ``end_utc`` exclusive; the length is 23/24/25 hours
    depending on DST.
    """

    local_date: date
    start_utc: datetime
    end_utc: datetime

    @property
    def length(self) -> timedelta:
        return self.end_utc - self.start_utc

    def contains(self, instant: datetime) -> bool:
        """Whether an aware instant falls within ``[start_utc, end_utc)``."""
        moment = require_aware(instant, "instant")
        return self.start_utc <= moment < self.end_utc


# --------------------------------------------------------------------------------------------
# Wall time <-> instant
# --------------------------------------------------------------------------------------------


def require_aware(value: datetime, name: str = "now") -> datetime:
    """Return ``value`` converted to UTC; naive datetimes are a caller bug, so raise."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def wall_clock(instant_utc: datetime, tz: tzinfo) -> datetime:
    """The naive local wall-clock reading at an instant."""
    return instant_utc.astimezone(tz).replace(tzinfo=None)


def _gap_end(naive: datetime, tz: tzinfo) -> datetime:
    """First instant whose wall time is >= ``naive``, for a wall time inside a DST gap.

    The two ``fold`` interpretations of a missing wall time bracket the transition; the
    transition instant is found by bisection (to the microsecond), which also works for odd
    gaps such as whole skipped days.
    """
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low, high = min(first, second), max(first, second)
    if wall_clock(low, tz) >= naive:  # pragma: no cover - defensive, not a real gap
        return low
    low_us, high_us = 0, (high - low) // _ONE_MICROSECOND
    while high_us - low_us > 1:
        mid = (low_us + high_us) // 2
        if wall_clock(low + mid * _ONE_MICROSECOND, tz) >= naive:
            high_us = mid
        else:
            low_us = mid
    return low + high_us * _ONE_MICROSECOND


def local_to_utc(
    local_date: date, wall_time: time, tz: tzinfo, *, last_occurrence: bool = False
) -> datetime:
    """Convert a local wall time to a UTC instant with explicit DST rules.

    Existing unique times convert directly. In a fold, the first occurrence is used unless
    ``last_occurrence``. In a gap, the transition instant (first valid instant after the
    missing time) is used.
    """
    naive = datetime.combine(local_date, wall_time.replace(tzinfo=None, fold=0))
    candidate = naive.replace(tzinfo=tz, fold=1 if last_occurrence else 0).astimezone(UTC)
    if wall_clock(candidate, tz) == naive:
        return candidate
    return _gap_end(naive, tz)


# --------------------------------------------------------------------------------------------
# Teen days
# --------------------------------------------------------------------------------------------


def day_for_local_date(*, local_date: date, tz: ZoneInfo, day_start: time) -> LocalDay:
    """The teen day labelled ``local_date``: from its ``day_start`` to the next date's.

    Both bounds use the first-instant rule, so consecutive days tile time without gaps or
    overlaps, and DST days come out 23 or 25 hours long.
    """
    check_wall_time("day_start", day_start)
    return LocalDay(
        local_date=local_date,
        start_utc=local_to_utc(local_date, day_start, tz),
        end_utc=local_to_utc(local_date + ONE_DAY, day_start, tz),
    )


def teen_day(*, now: datetime, tz: ZoneInfo, day_start: time = time(0)) -> LocalDay:
    """The teen day containing ``now`` (aware) in time zone ``tz``.

    Starts from the local calendar date and steps back/forward until the day's bounds
    contain ``now``; stepping (rather than a single "before day_start → yesterday" check)
    keeps it right in zones whose clocks jump across midnight.
    """
    now_utc = require_aware(now)
    check_wall_time("day_start", day_start)
    label = now_utc.astimezone(tz).date()
    while now_utc < local_to_utc(label, day_start, tz):
        label -= ONE_DAY
    while now_utc >= local_to_utc(label + ONE_DAY, day_start, tz):
        label += ONE_DAY
    return day_for_local_date(local_date=label, tz=tz, day_start=day_start)


def split_interval_by_day(
    *, start: datetime, seconds: int, tz: ZoneInfo, day_start: time
) -> list[tuple[date, datetime, int]]:
    """Cut a usage interval ``[start, start + seconds)`` at teen-day boundaries.

    Returns ``(local_date, piece_start_utc, piece_seconds)`` tuples in order, so usage that
    crosses ``day_start`` is booked to the right day's quota. Piece lengths are whole seconds
    and always sum to ``seconds`` exactly (a fractional second at a boundary, possible only
    when ``start`` has microseconds, goes to the later piece). Zero-length pieces are omitted.
    """
    start_utc = require_aware(start, "start")
    if not is_int(seconds) or seconds < 0:
        raise ValueError(f"seconds must be an int >= 0, got {seconds!r}")
    end_utc = start_utc + timedelta(seconds=seconds)
    pieces: list[tuple[date, datetime, int]] = []
    cursor = start_utc
    booked = 0
    while booked < seconds:
        day = teen_day(now=cursor, tz=tz, day_start=day_start)
        cut = min(end_utc, day.end_utc)
        offset = min(seconds, (cut - start_utc) // _ONE_SECOND)
        if offset > booked:
            pieces.append((day.local_date, cursor, offset - booked))
            booked = offset
        cursor = day.end_utc
    return pieces
