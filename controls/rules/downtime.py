"""Writes to a teen's downtime windows: create, change, delete. Same contract as the other rule
writes (`controls.rules.services`): guardians only, checked as a whole, versioned, audited,
the other guardians told. Windows of one teen may not overlap in the week."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from controls.audit import diff_fields
from controls.days import is_int
from controls.models import (
    DowntimeWindow,
)
from controls.rules.day_limits import today_downtime_follow
from controls.rules.describe import WEEKDAY_NAMES, window_text
from controls.rules.services import (
    RulesChange,
    guardian_check,
    rules_bump,
    rules_change_record,
    rules_locked,
)
from controls.rules.values import (
    MAX_DOWNTIME_WINDOWS,
    MAX_WINDOW_NAME_LENGTH,
    clean_wall_time,
)

# --------------------------------------------------------------------------------------------
# Downtime windows
# --------------------------------------------------------------------------------------------

WEEK_MINUTES = 7 * 1440


def window_snapshot(window: DowntimeWindow) -> dict[str, Any]:
    return {
        "name": window.name,
        "weekdays": window.weekday_list(),
        "start": window.start.strftime("%H:%M"),
        "end": window.end.strftime("%H:%M"),
    }


def _weekly_intervals(mask: int, start: time, end: time) -> list[tuple[int, int]]:
    """The window as minute intervals of the week (Monday 00:00 = 0), cut at the week's end."""
    begin = start.hour * 60 + start.minute
    length = (end.hour * 60 + end.minute - begin) % 1440
    intervals = []
    for day in range(7):
        if mask & (1 << day):
            lo = day * 1440 + begin
            hi = lo + length
            if hi <= WEEK_MINUTES:
                intervals.append((lo, hi))
            else:  # Sunday night into Monday morning
                intervals += [(lo, WEEK_MINUTES), (0, hi - WEEK_MINUTES)]
    return intervals


def _overlap(mask: int, start: time, end: time, others: Iterable[DowntimeWindow]):
    """The first other window sharing any minute of the week with this one, and the weekday
    on which they meet; None when nothing overlaps (touching ends are fine)."""
    mine = _weekly_intervals(mask, start, end)
    for other in others:
        for lo, hi in _weekly_intervals(other.weekdays, other.start, other.end):
            for my_lo, my_hi in mine:
                if max(lo, my_lo) < min(hi, my_hi):
                    return other, max(lo, my_lo) // 1440
    return None


def _clean_window(
    *, teen, name: Any, weekdays: Any, start: Any, end: Any, exclude_pk: int | None
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    clean_name = " ".join(str(name or "").split())
    if not clean_name:
        errors["name"] = ["Give the window a name, such as “Bedtime” or “School”."]
    elif len(clean_name) > MAX_WINDOW_NAME_LENGTH:
        errors["name"] = [f"At most {MAX_WINDOW_NAME_LENGTH} characters."]
    days = list(weekdays) if isinstance(weekdays, (list, tuple, set, frozenset)) else None
    if not days or not all(is_int(day) and 0 <= day <= 6 for day in days):
        errors["weekdays"] = ["Choose at least one day."]
    times = {}
    for label, value in (("start", start), ("end", end)):
        try:
            times[label] = clean_wall_time(value)
        except ValidationError as exc:
            errors[label] = exc.messages
    if len(times) == 2 and times["start"] == times["end"]:
        errors["end"] = ["The window must end at a different time than it starts."]
    if errors:
        raise ValidationError(errors)
    mask = sum(1 << day for day in set(days))
    others = [w for w in DowntimeWindow.objects.filter(teen=teen) if w.pk != exclude_pk]
    if any(w.name.casefold() == clean_name.casefold() for w in others):
        raise ValidationError({"name": [f"There is already a window called “{clean_name}”."]})
    clash = _overlap(mask, times["start"], times["end"], others)
    if clash:
        other, day = clash
        described = window_text(
            name=other.name, weekdays=other.weekday_list(), start=other.start, end=other.end
        )
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    f"This overlaps {described} on {WEEKDAY_NAMES[day]}. Change the times "
                    f"or the days, or edit “{other.name}” instead."
                ]
            }
        )
    return {"name": clean_name, "weekdays": mask, "start": times["start"], "end": times["end"]}


def downtime_window_create(
    *, actor, teen, name: str, weekdays: Iterable[int], start: time, end: time
) -> DowntimeWindow:
    """Add a downtime window (weekdays 0 = Monday; `end` before `start` crosses midnight).
    A window that overlaps another one on any day is refused, naming the other window."""
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)  # also serialises concurrent window changes
        if DowntimeWindow.objects.filter(teen=teen).count() >= MAX_DOWNTIME_WINDOWS:
            raise ValidationError(
                {NON_FIELD_ERRORS: [f"A teen can have at most {MAX_DOWNTIME_WINDOWS} windows."]}
            )
        values = _clean_window(
            teen=teen,
            name=name,
            weekdays=weekdays,
            start=start,
            end=end,
            exclude_pk=None,
        )
        window = DowntimeWindow.objects.create(teen=teen, **values)
        rules_bump(rules)
        after = window_snapshot(window)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="downtime.create",
            headline=f"{actor.display_name} added downtime “{window.name}”",
            title=f"{actor.display_name} added downtime for {teen.display_name}",
            lines=[f"New downtime: {window_text(**after)}"],
            before={},
            after=after,
            extra={"window_id": window.pk},
        )
        today_downtime_follow(
            actor=actor, teen=teen, rules=rules, masks=[window.weekdays], text=window_text(**after)
        )
    return window


def downtime_window_update(
    *, actor, window: DowntimeWindow, name: str, weekdays: Iterable[int], start: time, end: time
) -> RulesChange:
    """Replace a window's name, days and times (same checks as creating one)."""
    teen = window.teen
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)
        window = DowntimeWindow.objects.select_for_update().get(pk=window.pk)
        values = _clean_window(
            teen=teen,
            name=name,
            weekdays=weekdays,
            start=start,
            end=end,
            exclude_pk=window.pk,
        )
        full_before = window_snapshot(window)
        old_mask = window.weekdays
        for key, value in values.items():
            setattr(window, key, value)
        full_after = window_snapshot(window)
        before, after = diff_fields(full_before, full_after)
        if not after:
            return RulesChange(rules=rules)
        window.save()
        rules_bump(rules)
        lines = [f"Downtime: {window_text(**full_before)} → {window_text(**full_after)}"]
        rules_change_record(
            actor=actor,
            teen=teen,
            action="downtime.update",
            headline=f"{actor.display_name} changed downtime “{window.name}”",
            title=f"{actor.display_name} changed downtime for {teen.display_name}",
            lines=lines,
            before=before,
            after=after,
            extra={"window_id": window.pk},
        )
        today_downtime_follow(
            actor=actor,
            teen=teen,
            rules=rules,
            masks=[old_mask, window.weekdays],
            text=lines[0],
        )
    return RulesChange(rules=rules, before=before, after=after, lines=lines)


def downtime_window_delete(*, actor, window: DowntimeWindow) -> RulesChange:
    teen = window.teen
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)
        before = window_snapshot(window)
        window_id = window.pk
        DowntimeWindow.objects.filter(pk=window_id).delete()
        rules_bump(rules)
        lines = [f"Removed downtime: {window_text(**before)}"]
        rules_change_record(
            actor=actor,
            teen=teen,
            action="downtime.delete",
            headline=f"{actor.display_name} removed downtime “{before['name']}”",
            title=f"{actor.display_name} removed downtime for {teen.display_name}",
            lines=lines,
            before=before,
            after={},
            extra={"window_id": window_id},
        )
        today_downtime_follow(
            actor=actor, teen=teen, rules=rules, masks=[window.weekdays], text=lines[0]
        )
    return RulesChange(rules=rules, before=before, lines=lines)


# Today-only grants (bonus minutes, no limit today) live with more-time requests, whose
# approvals create the same kind of grant: `controls.time_requests.services.day_grant_create`.
