"""Durations and clock times in words: the one place that says how long something is.

The rounding rule: time a teen still has is rounded *down* to whole minutes, so a teen is never
promised a minute they don't have (4 min 31 s left reads "4 minutes", never 5). Totals and
averages of time already used may ask for the nearest minute instead (`nearest=True`), where
the text says "about" or sums what happened; nothing that tells a teen what is left does.

Two registers, both from whole minutes:
- short, for pages, charts and reports: "40 min", "1 h", "1 h 05 min";
- spoken, for notifications, e-mails and requests: "1 minute", "30 minutes", "1 hour",
  "2 hours", "1 h 30 min".
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import Any

__all__ = [
    "clock",
    "clock_near",
    "duration_short",
    "duration_spoken",
    "minutes_short",
    "minutes_spoken",
    "time_text",
    "used_text",
    "whole_minutes",
]


def whole_minutes(seconds: int, *, nearest: bool = False) -> int:
    """Whole minutes in `seconds` (never negative): rounded down, or to the nearest minute
    (halves down) for totals and averages when `nearest`."""
    seconds = max(0, int(seconds))
    if nearest:
        return round(seconds / 60)
    return seconds // 60


def minutes_short(minutes: int | None, *, none: str = "no limit") -> str:
    """40 → "40 min", 60 → "1 h", 65 → "1 h 05 min", None → `none`."""
    if minutes is None:
        return none
    hours, rest = divmod(max(0, int(minutes)), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest:02d} min"


def duration_short(seconds: int | None, *, nearest: bool = False, none: str = "no limit") -> str:
    """Seconds in the short register. Rounded down unless `nearest`; a few seconds left (rounded
    down) read "less than a minute" rather than "0 min", which would say nothing is left."""
    if seconds is None:
        return none
    minutes = whole_minutes(seconds, nearest=nearest)
    if not minutes and seconds > 0 and not nearest:
        return "less than a minute"
    return minutes_short(minutes)


def used_text(seconds: int) -> str:
    """Time already used, to the nearest minute, in the short register: for charts, totals and
    averages (never for time left)."""
    return duration_short(seconds, nearest=True)


def minutes_spoken(minutes: int | None, *, none: str = "the rest of today") -> str:
    """ "1 minute", "30 minutes", "1 hour", "2 hours", "1 h 30 min": how people say it."""
    if minutes is None:
        return none
    minutes = max(0, int(minutes))
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return "1 hour" if hours == 1 else f"{hours} hours"
    if minutes > 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def duration_spoken(seconds: int) -> str:
    """Seconds in the spoken register, always rounded down (used for time left)."""
    return minutes_spoken(whole_minutes(seconds))


def clock(moment: datetime | None, tz: tzinfo) -> str:
    """The wall-clock time of an instant in `tz`, "18:02"; "" for no instant."""
    return moment.astimezone(tz).strftime("%H:%M") if moment else ""


def clock_near(moment: datetime, tz: tzinfo, *, today: date) -> str:
    """ "18:02" today, "07:00 tomorrow", else "Tue 07:00": a time seen from `today`."""
    local = moment.astimezone(tz)
    if local.date() == today:
        return local.strftime("%H:%M")
    if (local.date() - today).days == 1:
        return local.strftime("%H:%M tomorrow")
    return local.strftime("%a %H:%M")


def time_text(value: Any) -> str:
    """A setting's wall time: "21:00", or "off" when unset."""
    if value is None:
        return "off"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)
