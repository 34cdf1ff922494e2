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

from django.core.exceptions import PermissionDenied, ValidationError
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
from controls.rules.day_limits import today_limit_follow
from controls.rules.describe import change_lines
from controls.rules.selectors import rules_ensure_for_teen
from controls.rules.values import (
    clean_bool,
    clean_choice,
    clean_daily_limit,
    clean_domains,
    clean_fields,
    clean_wall_time,
    clean_warnings,
    normalise_keywords,
)

SCREEN_TIME_FIELDS = (*WEEKDAY_FIELDS, "warning_minutes", "day_start")
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
        rules = rules_locked(teen)
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


def guardian_check(*, actor, teen) -> None:
    if actor is None or actor.pk == teen.pk or not is_guardian_of(guardian=actor, teen=teen):
        raise PermissionDenied("Only the teen's guardians can change these rules.")


def rules_locked(teen) -> TeenRules:
    rules_ensure_for_teen(teen=teen)
    return TeenRules.objects.select_for_update().get(pk=teen.pk)


def rules_bump(
    rules: TeenRules, fields: Iterable[str] = (), *, now: datetime | None = None
) -> None:
    rules.version += 1
    rules.updated_at = now or timezone.now()
    rules.save(update_fields=[*fields, "version", "updated_at"])


def rules_change_record(
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
            queue_email=False,  # one digest e-mail: controls.notifications.digest
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
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)
        cleaned = clean(changes, rules=rules, teen=teen)
        before = rules_snapshot(rules, fields)
        for name, value in cleaned.items():
            setattr(rules, name, value)
        before, after = diff_fields(before, rules_snapshot(rules, fields))
        if not after:
            return RulesChange(rules=rules)
        rules_bump(rules, after.keys())
        lines = change_lines(before, after)
        label = _SECTION_LABELS[section]
        rules_change_record(
            actor=actor,
            teen=teen,
            action=f"rules.{section}",
            headline=f"{actor.display_name} changed {label}",
            title=f"{actor.display_name} changed {teen.display_name}'s {label}",
            lines=lines,
            before=before,
            after=after,
        )
        if section == "screen_time":
            today_limit_follow(actor=actor, teen=teen, rules=rules, changed=after, before=before)
    return RulesChange(rules=rules, before=before, after=after, lines=lines)


# --------------------------------------------------------------------------------------------
# Screen time
# --------------------------------------------------------------------------------------------

_SCREEN_TIME_CHECKS = {
    **dict.fromkeys(WEEKDAY_FIELDS, clean_daily_limit),
    "every_day": clean_daily_limit,
    "warning_minutes": clean_warnings,
    "day_start": clean_wall_time,
}


def _clean_screen_time(changes: Mapping[str, Any], **_) -> dict[str, Any]:
    _reject_unknown(changes, _SCREEN_TIME_CHECKS, "screen-time")
    cleaned = clean_fields(changes, _SCREEN_TIME_CHECKS)
    if "every_day" in cleaned:
        minutes = cleaned.pop("every_day")
        # Named days sent alongside "every_day" win: "90 every day, but 120 on Saturday".
        cleaned = {**dict.fromkeys(WEEKDAY_FIELDS, minutes), **cleaned}
    return cleaned


def screen_time_update(*, actor, teen, changes: Mapping[str, Any]) -> RulesChange:
    """Change daily limits (`limit_mon`..`limit_sun`, or `every_day` for all seven at once;
    minutes 1–1440 or None for no limit), `warning_minutes` or `day_start`
    (always-allowed apps are app rules: `controls.app_rules`). Keys left out stay as they are."""
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
    "restricted_mode": clean_bool,
    "search_enabled": clean_bool,
    "keyword_filters": normalise_keywords,
    "domain_mode": lambda value: clean_choice(value, DomainMode),
    "domains": clean_domains,
}


def _clean_browsing(changes: Mapping[str, Any], **_) -> dict[str, Any]:
    _reject_unknown(changes, _BROWSING_CHECKS, "browsing")
    return clean_fields(changes, _BROWSING_CHECKS)


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
    "private_account": clean_bool,
    "suggest_account": clean_bool,
    "direct_messages": lambda value: clean_choice(value, Audience),
    "live_streaming": clean_bool,
    "comments": lambda value: clean_choice(value, Audience),
    "liked_videos": lambda value: clean_choice(value, LikedVideosAudience),
    "duet_stitch": clean_bool,
    "downloads": clean_bool,
    "mute_start": lambda value: clean_wall_time(value, allow_none=True),
    "mute_end": lambda value: clean_wall_time(value, allow_none=True),
}


def _clean_privacy(changes: Mapping[str, Any], *, rules: TeenRules, teen) -> dict[str, Any]:
    _reject_unknown(changes, _PRIVACY_CHECKS, "privacy")
    cleaned = clean_fields(changes, _PRIVACY_CHECKS)
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
    return clean_fields(changes, {"unlink_needs_approval": clean_bool})


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
