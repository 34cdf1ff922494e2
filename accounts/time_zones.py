"""A time zone change as a time zone: one zone before an instant, another from it on.

Why: a teen's day (and so their quota) is counted in their time zone. If a change of zone took
effect at once, a teen at today's limit could hop east to a fresh local date and get a fresh
allowance (issue 11, item 4). So a teen's own change takes effect at the start of their next
day in the *old* zone, and until then every instant is read in the old zone; from then on in the
new one. `ZoneChange` is that rule as a `tzinfo`: the policy code (`controls.policy`) already
reads any zone DST-exactly, so a change of zone is to it just another offset transition:

- eastward (the clock jumps forward) is a gap: the first day in the new zone is shorter;
- westward (the clock goes back) is a fold: the first day in the new zone is longer. Day bounds
  use the first instant a wall time is read, and the change instant is still read in the old
  zone (the old zone's next day start), so the current day ends when it would have and the
  next one lasts until the new zone's next day start: no date is counted twice.

The wall-time side (`utcoffset` for a local reading, with `fold`) follows PEP 495: a reading
that exists both before and after the change is the old zone's with ``fold=0`` and the new
zone's with ``fold=1``; a reading skipped by the change maps like a DST gap.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_or_utc(name: str) -> ZoneInfo:
    """The IANA zone `name`, or UTC for a name this system does not know (never raises)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_key(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


class ZoneChange(tzinfo):
    """`before` up to and including the UTC instant `at`, `after` once it has passed.

    `at` is the old zone's day start, read in the old zone: so the old day ends exactly when it
    would have without the change, and the next day starts there whichever way the clock moves.
    """

    def __init__(self, before: tzinfo, after: tzinfo, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the instant of a zone change must be aware")
        self.before = before
        self.after = after
        self.at = at.astimezone(UTC)
        # Read by `controls.policy` for the policy's version (the ETag).
        self.key = f"{zone_key(before)}>{zone_key(after)}@{self.at:%Y-%m-%dT%H:%MZ}"

    def __repr__(self) -> str:
        return f"ZoneChange({self.key!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ZoneChange) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __reduce__(self):
        return (ZoneChange, (self.before, self.after, self.at))

    # --- a local reading → which zone ---------------------------------------------------------

    def _instant(self, naive: datetime, zone: tzinfo, fold: int) -> datetime | None:
        """The instant at which `zone` reads `naive` (with `fold`), or None if it never does."""
        instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) != naive:
            return None  # inside one of the zone's own DST gaps
        return instant

    def _skipped_at_change(self, naive: datetime) -> bool:
        """Whether the old zone skips `naive` in a DST gap that ends at the change (a day start
        inside a gap, e.g. 00:00 in Cairo on the night its clocks go forward, is the gap's end:
        the change instant)."""
        first = naive.replace(tzinfo=self.before, fold=0).astimezone(UTC)
        second = naive.replace(tzinfo=self.before, fold=1).astimezone(UTC)
        low, high = min(first, second), max(first, second)
        return low < self.at <= high and self._instant(naive, self.before, 0) is None

    def _zone_for_wall(self, dt: datetime) -> tzinfo:
        naive = dt.replace(tzinfo=None, fold=0)
        fold = dt.fold
        if self._skipped_at_change(naive):
            # The first instant the clock reads this wall time or later is the change itself;
            # the new zone may read it again later (fold=1).
            if fold == 0:
                return timezone(naive - self.at.replace(tzinfo=None))
            after = self._instant(naive, self.after, 1)
            return self.after if after is not None and after > self.at else self.before
        before = self._instant(naive, self.before, fold)
        after = self._instant(naive, self.after, fold)
        before_ok = before is not None and before <= self.at
        after_ok = after is not None and after > self.at
        if before_ok and after_ok:  # read twice: before and after a westward change
            return self.before if fold == 0 else self.after
        if before_ok:
            return self.before
        if after_ok:
            return self.after
        # Read never: skipped by an eastward change (or a gap of one of the zones).
        raw_before = naive.replace(tzinfo=self.before).astimezone(UTC)
        if raw_before <= self.at:
            return self.before
        raw_after = naive.replace(tzinfo=self.after).astimezone(UTC)
        if raw_after > self.at:
            return self.after
        return self.before if fold == 0 else self.after

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        if dt is None:
            return None
        return self._zone_for_wall(dt).utcoffset(dt.replace(tzinfo=None))

    def dst(self, dt: datetime | None) -> timedelta | None:
        if dt is None:
            return None
        return self._zone_for_wall(dt).dst(dt.replace(tzinfo=None))

    def tzname(self, dt: datetime | None) -> str | None:
        if dt is None:
            return zone_key(self.after)
        return self._zone_for_wall(dt).tzname(dt.replace(tzinfo=None))

    # --- an instant → its local reading -------------------------------------------------------

    def fromutc(self, dt: datetime) -> datetime:
        instant = dt.replace(tzinfo=UTC)
        if instant <= self.at:
            local = instant.astimezone(self.before).replace(tzinfo=None)
            other, other_ok = self.after, lambda moment: moment > self.at
            fold_if_twice = 0
        else:
            local = instant.astimezone(self.after).replace(tzinfo=None)
            if self._skipped_at_change(local):
                return local.replace(tzinfo=self, fold=1)
            other, other_ok = self.before, lambda moment: moment <= self.at
            fold_if_twice = 1
        # Does the other side of the change read the same wall time too? Then `fold` says
        # which of the two readings this is.
        for fold in (0, 1):
            moment = self._instant(local, other, fold)
            if moment is not None and other_ok(moment):
                return local.replace(tzinfo=self, fold=fold_if_twice)
        return local.replace(tzinfo=self)
