"""Writes to a teen's rules: screen time, downtime windows, browsing, privacy and the unlinking
setting.

Every change goes through one of these functions, whether it comes from a page or the API, so
each rule is checked in one place. Each write:

- checks that the actor is one of the teen's guardians (PermissionDenied otherwise);
- validates everything before writing anything and raises one `ValidationError` mapping each
  bad field to its message (nothing is half-saved: the work runs in one transaction, with the
  teen's rules row locked so two guardians saving at once cannot interleave);
- bumps `TeenRules.version` (devices and ETags notice), records an audit event with the
  before → after values, and tells the teen's other guardians.

Saving values that are already in place changes nothing and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.selectors import guardians_for_teen, is_guardian_of
from controls.audit import audit_record, diff_fields
from controls.models import (
    WEEKDAY_FIELDS,
    Audience,
    DomainMode,
    DowntimeWindow,
    LikedVideosAudience,
    NotificationKind,
    TeenRules,
)
from controls.notifications.services import notify
from controls.rules.bounds import BOUNDED_FIELDS, band_for_teen
from controls.rules.describe import WEEKDAY_NAMES, change_lines, window_text
from controls.rules.domains import normalise_domains
from controls.rules.selectors import rules_ensure_for_teen

SCREEN_TIME_FIELDS = (*WEEKDAY_FIELDS, "warning_minutes", "day_start", "always_allowed_apps")
BROWSING_FIELDS = ("restricted_mode", "search_enabled", "keyword_filters", "domain_mode", "domains")
PRIVACY_FIELDS = (
    "private_account",
    "suggest_account",
    "direct_messages",
    "live_streaming",
    "comments",
    "liked_videos",
    "duet_stitch",
    "downloads",
    "mute_start",
    "mute_end",
)
GOVERNANCE_FIELDS = ("unlink_needs_approval",)

MAX_DAILY_LIMIT_MINUTES = 1440
MAX_WARNINGS = 3
MAX_WARNING_MINUTES = 120
MAX_APPS = 100
MAX_APP_LENGTH = 200
MAX_KEYWORDS = 500
MAX_KEYWORD_LENGTH = 100
MAX_DOMAINS = 500
MAX_DOWNTIME_WINDOWS = 20
MAX_WINDOW_NAME_LENGTH = 60

_SECTION_LABELS = {
    "screen_time": "screen time",
    "browsing": "browsing",
    "privacy": "privacy settings",
    "governance": "unlinking setting",
}


@dataclass(frozen=True)
class RulesChange:
    """What a save did: the changed values before and after, and the same in words."""

    rules: TeenRules
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.lines)

    def message(self) -> str:
        if not self.changed:
            return "Nothing changed."
        return "Saved. " + "; ".join(self.lines) + "."


# --------------------------------------------------------------------------------------------
# The rule set itself
# --------------------------------------------------------------------------------------------


def rules_reset_to_age_defaults(*, teen, actor=None, now: datetime | None = None) -> TeenRules:
    """Start supervision from the defaults for the teen's age *today*: called when a teen's first
    guardian links. Rules a teen had before (e.g. from an earlier, ended link, or created by a
    page while unlinked) are replaced, so a 16-year-old does not keep an under-16 default."""
    now = now or timezone.now()
    with transaction.atomic():
        rules = _locked_rules(teen)
        fresh = TeenRules(teen=teen, **dict(band_for_teen(teen).defaults))
        for model_field in TeenRules._meta.concrete_fields:
            if model_field.name not in {"teen", "version", "created_at"}:
                setattr(rules, model_field.attname, getattr(fresh, model_field.attname))
        rules.version += 1
        rules.updated_at = now
        rules.save()
        for window in DowntimeWindow.objects.filter(teen=teen):
            window.delete()
        audit_record(
            actor=actor,
            teen=teen,
            action="rules.defaults_applied",
            summary=f"The rules started from the defaults for a teen {band_for_teen(teen).label}.",
        )
    return rules


def _json_value(value: Any) -> Any:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def rules_snapshot(rules: TeenRules, fields: Iterable[str]) -> dict[str, Any]:
    """JSON-ready values of `fields`, as stored in audit events and returned by the API."""
    return {name: _json_value(getattr(rules, name)) for name in fields}


def _check_guardian(*, actor, teen) -> None:
    if actor is None or actor.pk == teen.pk or not is_guardian_of(guardian=actor, teen=teen):
        raise PermissionDenied("Only the teen's guardians can change these rules.")


def _locked_rules(teen) -> TeenRules:
    rules_ensure_for_teen(teen=teen)
    return TeenRules.objects.select_for_update().get(pk=teen.pk)


def _bump(rules: TeenRules, fields: Iterable[str] = (), *, now: datetime | None = None) -> None:
    rules.version += 1
    rules.updated_at = now or timezone.now()
    rules.save(update_fields=[*fields, "version", "updated_at"])


def _record(
    *,
    actor,
    teen,
    action: str,
    headline: str,
    title: str,
    lines: list[str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """The audit event and the other guardians' notifications for one change."""
    summary = headline + (": " + "; ".join(lines) if lines else "")
    if len(summary) > 300:
        summary = summary[:299] + "…"
    audit_record(
        actor=actor,
        teen=teen,
        action=action,
        summary=summary,
        before=before,
        after=after,
        extra={"headline": headline, "lines": lines, **(extra or {})},
    )
    for guardian in guardians_for_teen(teen=teen).exclude(pk=actor.pk):
        notify(
            recipient=guardian,
            kind=NotificationKind.RULE_CHANGED,
            title=title,
            body="\n".join(lines),
            link=f"/teens/{teen.pk}/history/",
            teen=teen,
        )


def _reject_unknown(changes: Mapping[str, Any], allowed: Iterable[str], section: str) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, f"Not a {section} setting."))


def _update_section(
    *,
    actor,
    teen,
    section: str,
    fields: tuple[str, ...],
    changes: Mapping[str, Any],
    clean,
) -> RulesChange:
    _check_guardian(actor=actor, teen=teen)
    with transaction.atomic():
        rules = _locked_rules(teen)
        cleaned = clean(changes, rules=rules, teen=teen)
        before = rules_snapshot(rules, fields)
        for name, value in cleaned.items():
            setattr(rules, name, value)
        before, after = diff_fields(before, rules_snapshot(rules, fields))
        if not after:
            return RulesChange(rules=rules)
        _bump(rules, after.keys())
        lines = change_lines(before, after)
        label = _SECTION_LABELS[section]
        _record(
            actor=actor,
            teen=teen,
            action=f"rules.{section}",
            headline=f"{actor.display_name} changed {label}",
            title=f"{actor.display_name} changed {teen.display_name}'s {label}",
            lines=lines,
            before=before,
            after=after,
        )
    return RulesChange(rules=rules, before=before, after=after, lines=lines)


# --------------------------------------------------------------------------------------------
# Field checks (each returns the clean value or raises ValidationError with a message)
# --------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("Must be on or off (true or false).")
    return value


def _choice(value: Any, choices) -> str:
    if value not in choices.values:
        allowed = ", ".join(f"“{v}”" for v in choices.values)
        raise ValidationError(f"Choose one of {allowed}.")
    return str(value)


def _wall_time(value: Any, *, allow_none: bool = False) -> time | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValidationError("Enter a time such as 21:30.")
    return value.replace(second=0, microsecond=0)


def _daily_limit(value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not 1 <= value <= MAX_DAILY_LIMIT_MINUTES:
        raise ValidationError(
            f"Enter 1 to {MAX_DAILY_LIMIT_MINUTES} minutes, or choose no limit.",
            code="limit_range",
        )
    return value


def _warnings(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError("Enter the warnings as a list of minutes, such as 15, 5.")
    found: set[int] = set()
    for minutes in value:
        if not _is_int(minutes) or not 1 <= minutes <= MAX_WARNING_MINUTES:
            raise ValidationError(
                f"Each warning is 1 to {MAX_WARNING_MINUTES} minutes before the limit."
            )
        found.add(minutes)
    if len(found) > MAX_WARNINGS:
        raise ValidationError(f"At most {MAX_WARNINGS} warnings.")
    return sorted(found, reverse=True)


def _text_items(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValidationError(f"Enter the {what} as a list.")
    if not all(isinstance(item, str) for item in value):
        raise ValidationError(f"Each of the {what} must be text.")
    return list(value)


def normalise_apps(value: Any) -> list[str]:
    """App identifiers: trimmed, blanks dropped, duplicates (ignoring case) dropped."""
    found: list[str] = []
    seen: set[str] = set()
    for raw in _text_items(value, "apps"):
        app = raw.strip()
        if not app:
            continue
        if len(app) > MAX_APP_LENGTH or not app.isprintable():
            raise ValidationError(
                f"“{app[:40]}” is not an app identifier (printable text, at most "
                f"{MAX_APP_LENGTH} characters)."
            )
        if app.casefold() not in seen:
            seen.add(app.casefold())
            found.append(app)
    if len(found) > MAX_APPS:
        raise ValidationError(f"At most {MAX_APPS} always-allowed apps; there are {len(found)}.")
    return found


def normalise_keywords(value: Any) -> list[str]:
    """Keyword filters: trimmed, inner spaces collapsed, case-folded, de-duplicated (first kept),
    at most 500 of at most 100 characters each."""
    found: list[str] = []
    seen: set[str] = set()
    too_long: list[str] = []
    for raw in _text_items(value, "keywords"):
        keyword = " ".join(raw.split()).casefold()
        if not keyword:
            continue
        if len(keyword) > MAX_KEYWORD_LENGTH:
            too_long.append(keyword)
            continue
        if keyword not in seen:
            seen.add(keyword)
            found.append(keyword)
    if too_long:
        raise ValidationError(
            [
                f"“{keyword[:40]}…” is longer than {MAX_KEYWORD_LENGTH} characters."
                for keyword in too_long
            ]
        )
    if len(found) > MAX_KEYWORDS:
        raise ValidationError(f"At most {MAX_KEYWORDS} keywords; there are {len(found)}.")
    return found


def _domains(value: Any) -> list[str]:
    found = normalise_domains(_text_items(value, "sites"))
    if len(found) > MAX_DOMAINS:
        raise ValidationError(f"At most {MAX_DOMAINS} sites; there are {len(found)}.")
    return found


def _clean_fields(changes: Mapping[str, Any], checks: Mapping[str, Any]) -> dict[str, Any]:
    """Run each field's check, collecting every error before raising."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for name, value in changes.items():
        try:
            cleaned[name] = checks[name](value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


# --------------------------------------------------------------------------------------------
# Screen time
# --------------------------------------------------------------------------------------------

_SCREEN_TIME_CHECKS = {
    **dict.fromkeys(WEEKDAY_FIELDS, _daily_limit),
    "every_day": _daily_limit,
    "warning_minutes": _warnings,
    "day_start": _wall_time,
    "always_allowed_apps": normalise_apps,
}


def _clean_screen_time(changes: Mapping[str, Any], **_) -> dict[str, Any]:
    _reject_unknown(changes, _SCREEN_TIME_CHECKS, "screen-time")
    cleaned = _clean_fields(changes, _SCREEN_TIME_CHECKS)
    if "every_day" in cleaned:
        minutes = cleaned.pop("every_day")
        # Named days sent alongside "every_day" win: "90 every day, but 120 on Saturday".
        cleaned = {**dict.fromkeys(WEEKDAY_FIELDS, minutes), **cleaned}
    return cleaned


def screen_time_update(*, actor, teen, changes: Mapping[str, Any]) -> RulesChange:
    """Change daily limits (`limit_mon`..`limit_sun`, or `every_day` for all seven at once;
    minutes 1–1440 or None for no limit), `warning_minutes`, `day_start` or
    `always_allowed_apps`. Keys left out stay as they are."""
    return _update_section(
        actor=actor,
        teen=teen,
        section="screen_time",
        fields=SCREEN_TIME_FIELDS,
        changes=changes,
        clean=_clean_screen_time,
    )


# --------------------------------------------------------------------------------------------
# Browsing
# --------------------------------------------------------------------------------------------

_BROWSING_CHECKS = {
    "restricted_mode": _bool,
    "search_enabled": _bool,
    "keyword_filters": normalise_keywords,
    "domain_mode": lambda value: _choice(value, DomainMode),
    "domains": _domains,
}


def _clean_browsing(changes: Mapping[str, Any], **_) -> dict[str, Any]:
    _reject_unknown(changes, _BROWSING_CHECKS, "browsing")
    return _clean_fields(changes, _BROWSING_CHECKS)


def browsing_update(*, actor, teen, changes: Mapping[str, Any]) -> RulesChange:
    """Change restricted mode, search, keyword filters, the site mode ("block" or
    "allow_only") or the site list. Keywords and sites are normalised (see `normalise_keywords`
    and `controls.rules.domains`)."""
    return _update_section(
        actor=actor,
        teen=teen,
        section="browsing",
        fields=BROWSING_FIELDS,
        changes=changes,
        clean=_clean_browsing,
    )


# --------------------------------------------------------------------------------------------
# Privacy
# --------------------------------------------------------------------------------------------

_PRIVACY_CHECKS = {
    "private_account": _bool,
    "suggest_account": _bool,
    "direct_messages": lambda value: _choice(value, Audience),
    "live_streaming": _bool,
    "comments": lambda value: _choice(value, Audience),
    "liked_videos": lambda value: _choice(value, LikedVideosAudience),
    "duet_stitch": _bool,
    "downloads": _bool,
    "mute_start": lambda value: _wall_time(value, allow_none=True),
    "mute_end": lambda value: _wall_time(value, allow_none=True),
}


def _clean_privacy(changes: Mapping[str, Any], *, rules: TeenRules, teen) -> dict[str, Any]:
    _reject_unknown(changes, _PRIVACY_CHECKS, "privacy")
    cleaned = _clean_fields(changes, _PRIVACY_CHECKS)
    errors: dict[str, str] = band_for_teen(teen).violations(
        {name: value for name, value in cleaned.items() if name in BOUNDED_FIELDS}
    )
    start = cleaned.get("mute_start", rules.mute_start)
    end = cleaned.get("mute_end", rules.mute_end)
    if (start is None) != (end is None):
        missing = "mute_start" if start is None else "mute_end"
        errors[missing] = "Set both times, or clear both to turn muting off."
    elif start is not None and start == end:
        errors["mute_end"] = "Muting must end at a different time than it starts."
    if errors:
        raise ValidationError(errors)
    return cleaned


def privacy_update(*, actor, teen, changes: Mapping[str, Any]) -> RulesChange:
    """Change privacy settings within the teen's age bounds (`controls.rules.bounds`): a request
    that turns on something the teen's age does not allow is refused as a whole, naming the rule."""
    return _update_section(
        actor=actor,
        teen=teen,
        section="privacy",
        fields=PRIVACY_FIELDS,
        changes=changes,
        clean=_clean_privacy,
    )


# --------------------------------------------------------------------------------------------
# Governance
# --------------------------------------------------------------------------------------------


def _clean_governance(changes: Mapping[str, Any], **_) -> dict[str, Any]:
    _reject_unknown(changes, GOVERNANCE_FIELDS, "unlinking")
    return _clean_fields(changes, {"unlink_needs_approval": _bool})


def governance_update(*, actor, teen, unlink_needs_approval: bool) -> RulesChange:
    """Whether the teen's unlinking needs a guardian's approval (then it becomes a request)."""
    return _update_section(
        actor=actor,
        teen=teen,
        section="governance",
        fields=GOVERNANCE_FIELDS,
        changes={"unlink_needs_approval": unlink_needs_approval},
        clean=_clean_governance,
    )


# --------------------------------------------------------------------------------------------
# Downtime windows
# --------------------------------------------------------------------------------------------

_WEEK_MINUTES = 7 * 1440


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
            if hi <= _WEEK_MINUTES:
                intervals.append((lo, hi))
            else:  # Sunday night into Monday morning
                intervals += [(lo, _WEEK_MINUTES), (0, hi - _WEEK_MINUTES)]
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
    if not days or not all(_is_int(day) and 0 <= day <= 6 for day in days):
        errors["weekdays"] = ["Choose at least one day."]
    times = {}
    for label, value in (("start", start), ("end", end)):
        try:
            times[label] = _wall_time(value)
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
    _check_guardian(actor=actor, teen=teen)
    with transaction.atomic():
        rules = _locked_rules(teen)  # also serialises concurrent window changes
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
        _bump(rules)
        after = window_snapshot(window)
        _record(
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
    return window


def downtime_window_update(
    *, actor, window: DowntimeWindow, name: str, weekdays: Iterable[int], start: time, end: time
) -> RulesChange:
    """Replace a window's name, days and times (same checks as creating one)."""
    teen = window.teen
    _check_guardian(actor=actor, teen=teen)
    with transaction.atomic():
        rules = _locked_rules(teen)
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
        for key, value in values.items():
            setattr(window, key, value)
        full_after = window_snapshot(window)
        before, after = diff_fields(full_before, full_after)
        if not after:
            return RulesChange(rules=rules)
        window.save()
        _bump(rules)
        lines = [f"Downtime: {window_text(**full_before)} → {window_text(**full_after)}"]
        _record(
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
    return RulesChange(rules=rules, before=before, after=after, lines=lines)


def downtime_window_delete(*, actor, window: DowntimeWindow) -> RulesChange:
    teen = window.teen
    _check_guardian(actor=actor, teen=teen)
    with transaction.atomic():
        rules = _locked_rules(teen)
        before = window_snapshot(window)
        window_id = window.pk
        DowntimeWindow.objects.filter(pk=window_id).delete()
        _bump(rules)
        lines = [f"Removed downtime: {window_text(**before)}"]
        _record(
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
    return RulesChange(rules=rules, before=before, lines=lines)


# Today-only grants (bonus minutes, no limit today) live with more-time requests, whose
# approvals create the same kind of grant: `controls.time_requests.services.day_grant_create`.
