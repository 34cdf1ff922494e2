"""App rules, locks and downtime allowed lists in plain words, for pages, e-mails and the audit
trail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from controls.app_models import AppCategory, AppRule, AppRuleKind, Lock
from controls.catalogue.lookup import app_identify
from controls.rules.describe import weekdays_text
from controls.wording import clock_near, minutes_short

Labels = Mapping[str, tuple[str, str]]


def app_display_name(app: str, labels: Labels | None = None) -> str:
    """The name an app is shown by everywhere (catalogue, then the family's label, else the
    raw identifier)."""
    return app_identify(app, labels).name


def target_name(*, app: str = "", category: str = "", labels: Labels | None = None) -> str:
    if app:
        return app_display_name(app, labels)
    return AppCategory(category).label


def limits_text(limits: Sequence[int | None]) -> str:
    """``(60, 60, 60, 60, 60, None, None)`` → "1 h on Monday to Friday"; days with the same
    minutes are grouped; days without a limit are left out (or "no limit on any day")."""
    groups: dict[int, list[int]] = {}
    for day, minutes in enumerate(limits):
        if minutes is not None:
            groups.setdefault(minutes, []).append(day)
    if not groups:
        return "no limit on any day"
    parts = []
    for minutes, days in sorted(groups.items(), key=lambda item: item[1][0]):
        when = weekdays_text(days)
        parts.append(f"{minutes_short(minutes)} {when if when == 'every day' else 'on ' + when}")
    return "; ".join(parts)


def rule_text(rule: AppRule, labels: Labels | None = None) -> str:
    """ "Games: 1 h a day on Monday to Friday", "TikTok: blocked", "Phone: always allowed"."""
    name = target_name(app=rule.app, category=rule.category, labels=labels)
    if rule.kind == AppRuleKind.BLOCKED:
        return f"{name}: blocked"
    if rule.kind == AppRuleKind.ALWAYS_ALLOWED:
        return f"{name}: always allowed (its time does not count)"
    return f"{name}: {limits_text(rule.daily_limits())}"


def rule_snapshot(rule: AppRule) -> dict:
    return {
        "app": rule.app,
        "category": rule.category,
        "kind": rule.kind,
        "limits": list(rule.daily_limits()),
    }


def lock_text(lock: Lock, tz: tzinfo, *, now: datetime | None = None) -> str:
    """ "All devices locked by Alice until 18:30" / "Games locked by Alice until unlocked"."""
    what = "All devices" if not lock.category else AppCategory(lock.category).label
    who = lock.created_by_name or "a guardian"
    today = (now or lock.created_at).astimezone(tz).date()
    until = f"until {clock_near(lock.until, tz, today=today)}" if lock.until else "until unlocked"
    return f"{what} locked by {who} {until}"


def downtime_allowed_text(window, labels: Labels | None = None) -> str:
    names = [app_display_name(app, labels) for app in window.allowed_apps or []]
    names += [AppCategory(category).label for category in window.allowed_categories or []]
    if not names:
        return "nothing is allowed during it (except always-allowed apps)"
    return "allowed during it: " + ", ".join(names)
