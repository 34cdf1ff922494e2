"""Rule values and changes in plain words, for save messages, audit summaries, notifications,
the history lists and the teen's read-only view.

Audit events store before/after as JSON-ready values (times as "HH:MM", weekdays as lists of
numbers), so the same functions describe a change right after a save and years later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from controls.models import WEEKDAY_FIELDS, Audience, DomainMode, LikedVideosAudience
from controls.policy import Reason
from controls.wording import clock_near, duration_short, minutes_short, time_text

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

FIELD_LABELS: dict[str, str] = {
    **{name: f"{day} limit" for name, day in zip(WEEKDAY_FIELDS, WEEKDAY_NAMES, strict=True)},
    "warning_minutes": "Warnings",
    "day_start": "Day starts at",
    "always_allowed_apps": "Always-allowed apps",
    "restricted_mode": "Restricted mode",
    "search_enabled": "Search",
    "keyword_filters": "Keyword filters",
    "domain_mode": "Site rules",
    "domains": "Sites",
    "private_account": "Private account",
    "suggest_account": "Suggest account to others",
    "direct_messages": "Direct messages",
    "live_streaming": "Live streaming",
    "comments": "Who can comment",
    "liked_videos": "Who can see liked videos",
    "duet_stitch": "Duet and Stitch",
    "downloads": "Downloads",
    "mute_start": "Notifications muted from",
    "mute_end": "Notifications muted until",
    "unlink_needs_approval": "Unlinking needs a guardian's approval",
    "name": "Name",
    "weekdays": "Days",
    "start": "Starts",
    "end": "Ends",
    "bonus_minutes": "Extra time today",
    "no_limit": "No limit today",
}
CHOICE_LABELS: dict[str, str] = {
    **dict(Audience.choices),
    **dict(LikedVideosAudience.choices),
    **dict(DomainMode.choices),
}
_LIST_FIELDS = {"always_allowed_apps", "keyword_filters", "domains"}
_TIME_FIELDS = {"day_start", "mute_start", "mute_end", "start", "end"}
_SHOW_AT_MOST = 5


def weekdays_text(days: Iterable[int]) -> str:
    """[0..4] → "Mon–Fri", all → "every day", [5, 6] → "Sat–Sun", [0, 2] → "Mon, Wed"."""
    chosen = sorted(set(days))
    if len(chosen) == 7:
        return "every day"
    if not chosen:
        return "no days"
    runs: list[list[int]] = []
    for day in chosen:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_SHORT[run[0]]}–{WEEKDAY_SHORT[run[-1]]}")
        else:
            parts.extend(WEEKDAY_SHORT[day] for day in run)
    return ", ".join(parts)


def value_text(name: str, value: Any) -> str:
    if name in WEEKDAY_FIELDS or name == "bonus_minutes":
        return minutes_short(value)
    if name == "warning_minutes":
        values = sorted(value or [], reverse=True)
        if not values:
            return "none"
        return " and ".join(str(v) for v in values) + " min before the limit"
    if name in _TIME_FIELDS:
        return time_text(value)
    if name == "weekdays":
        return weekdays_text(value or [])
    if isinstance(value, bool):
        return "on" if value else "off"
    if name in _LIST_FIELDS:
        items = list(value or [])
        return ", ".join(items) if items else "none"
    if isinstance(value, str) and value in CHOICE_LABELS:
        return CHOICE_LABELS[value]
    return "none" if value in (None, "") else str(value)


def _quoted(items: list[str]) -> str:
    shown = ", ".join(f"“{item}”" for item in items[:_SHOW_AT_MOST])
    if len(items) > _SHOW_AT_MOST:
        shown += f" and {len(items) - _SHOW_AT_MOST} more"
    return shown


def _list_change(label: str, before: list[str], after: list[str]) -> str:
    added = [item for item in after if item not in before]
    removed = [item for item in before if item not in after]
    parts = []
    if added:
        parts.append(f"added {_quoted(added)}")
    if removed:
        parts.append(f"removed {_quoted(removed)}")
    if not parts:
        parts.append("reordered")
    return f"{label}: " + "; ".join(parts)


def change_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """One line per changed setting: "Wednesday limit: 1 h → 1 h 30 min". Seven identical
    daily-limit changes read as one "Every day's limit" line."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    keys += [key for key in before if key not in after and before.get(key) is not None]
    lines: list[str] = []
    limit_keys = [key for key in keys if key in WEEKDAY_FIELDS]
    if len(limit_keys) == 7 and len({after.get(key) for key in limit_keys}) == 1:
        new = minutes_short(after[limit_keys[0]])
        olds = {before.get(key) for key in limit_keys}
        if len(olds) == 1:
            lines.append(f"Every day's limit: {minutes_short(olds.pop())} → {new}")
        else:
            lines.append(f"Every day's limit: → {new}")
        keys = [key for key in keys if key not in WEEKDAY_FIELDS]
    for key in keys:
        label = FIELD_LABELS.get(key, key.replace("_", " ").capitalize())
        old, new = before.get(key), after.get(key)
        if key in _LIST_FIELDS:
            lines.append(_list_change(label, list(old or []), list(new or [])))
        elif key not in after:
            lines.append(f"{label}: {value_text(key, old)} → removed")
        elif key not in before:
            lines.append(f"{label}: {value_text(key, new)}")
        else:
            lines.append(f"{label}: {value_text(key, old)} → {value_text(key, new)}")
    return lines


def window_text(*, name: str, weekdays: Iterable[int], start: Any, end: Any) -> str:
    """ "“Bedtime” Mon–Fri 21:00–07:00 (ends the next morning)"."""
    start_text, end_text = time_text(start), time_text(end)
    overnight = " (ends the next day)" if end_text <= start_text else ""
    return f"“{name}” {weekdays_text(weekdays)} {start_text}–{end_text}{overnight}"


def history_entry(event) -> dict[str, Any]:
    """An audit event ready for a template: who, when, the headline and the changed values.

    Rule changes store their headline and lines beside before/after; other events (links,
    requests) are shown by their summary."""
    details = event.details or {}
    lines = [str(line) for line in details.get("lines") or []]
    headline = details.get("headline") if lines else None
    return {
        "event": event,
        "when": event.created_at,
        "actor": event.actor_label,
        "headline": headline or event.summary,
        "lines": lines,
    }


def policy_summary(policy, tz, *, now=None) -> dict[str, Any]:
    """What the effective policy means right now, in words: for cards and status lines.
    Clock times are in the teen's time zone (`tz`)."""
    today = (now or timezone.now()).astimezone(tz).date()
    change = policy.next_change_at
    when = clock_near(change, tz, today=today) if change else None
    if policy.reason == Reason.LOCKED and policy.lock is not None:
        state, css = f"Locked by {policy.lock.by or 'a guardian'}", "status-bad"
        detail = f"Until {when}." if policy.lock.until else "Until a guardian unlocks."
    elif policy.reason == Reason.DOWNTIME:
        state, css = f"Downtime: “{policy.downtime_name}”", "status-bad"
        detail = f"Until {when}." if when else "Until further notice."
    elif policy.reason == Reason.DAILY_LIMIT:
        state, css = "Daily limit reached", "status-bad"
        # Not "allowed again at next_change_at": that may be a downtime starting. New time
        # comes with the next day (downtime, if any, still applies then).
        detail = (
            f"New time when the day resets at {clock_near(policy.day_end_utc, tz, today=today)}."
        )
    else:
        state, css = "Allowed now", "status-ok"
        if policy.warnings_due:
            css = "status-warn"
        detail = f"Next downtime starts at {when}." if when else ""
    limit = policy.limit_seconds
    if limit is None:
        left = "No limit today"
        percent = None
    else:
        left = f"{duration_short(policy.seconds_left)} left"
        percent = min(100, round(policy.used_seconds * 100 / limit)) if limit else 100
    return {
        "allowed": policy.allowed,
        "state": state,
        "css": css,
        "detail": detail,
        "used": duration_short(policy.used_seconds),
        "limit": "no limit" if limit is None else duration_short(limit),
        "left": left,
        "percent": percent,
    }
