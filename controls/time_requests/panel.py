"""What the more-time panel shows (on the guardian's teen page and on the teen's own page, and
refreshed in place by htmx)."""

from __future__ import annotations

from accounts.selectors import guardians_for_teen
from controls.effective.selectors import effective_policy_for_teen
from controls.models import DayGrant
from controls.time_requests.selectors import time_requests_for_teen
from controls.time_requests.services import (
    REASON_MAX_LENGTH,
    REQUEST_MINUTES,
    time_request_wait_until,
)
from controls.wording import duration_short, minutes_spoken

RECENT_REQUESTS = 5


def time_left_label(policy) -> str:
    if policy.reason == "downtime":
        return f"Downtime: {policy.downtime_name}"
    if policy.reason == "locked" and policy.lock is not None:
        return f"Locked by {policy.lock.by or 'a guardian'}"
    if policy.seconds_left is None:
        return "No limit today"
    if policy.limit_reached:
        return "Time's up for today"
    return f"{duration_short(policy.seconds_left)} left today"


def extra_time_text(policy, grants) -> str:
    """The honest sum when extra time came after the limit was passed: "2 min over the limit
    before the extra time, so 28 min left" (not a bare "+30 min" beside "28 min left")."""
    if not grants or policy.limit_seconds is None:
        return ""
    base = policy.limit_seconds - sum(g.bonus_minutes for g in grants) * 60
    over = policy.used_seconds - base
    if over <= 0:
        return ""
    left = max(policy.limit_seconds - policy.used_seconds, 0)
    return (
        f"{duration_short(over)} over the limit before the extra time, "
        f"so {duration_short(left)} left."
    )


def time_requests_panel_context(*, teen, user) -> dict:
    """Everything the panel shows; also used by the page that refreshes it in place."""
    policy = effective_policy_for_teen(teen=teen)
    requests = list(time_requests_for_teen(teen=teen)[:RECENT_REQUESTS])
    pending = next((r for r in requests if r.status == "pending"), None)
    viewer_is_teen = user.pk == teen.pk
    grants = list(
        DayGrant.objects.filter(teen=teen, local_date=policy.local_date).select_related(
            "granted_by"
        )
    )
    used_percent = None
    if policy.limit_seconds:
        used_percent = min(100, round(100 * policy.used_seconds / policy.limit_seconds))
    return {
        "teen": teen,
        "user": user,
        "viewer_is_teen": viewer_is_teen,
        "has_guardians": guardians_for_teen(teen=teen).exists() if viewer_is_teen else True,
        "policy": policy,
        "time_left": time_left_label(policy),
        "used_label": duration_short(policy.used_seconds),
        "limit_label": duration_short(policy.limit_seconds),
        "used_percent": used_percent,
        "pending": pending,
        "pending_label": minutes_spoken(pending.minutes) if pending else "",
        "recent": requests,
        "grants": grants,
        "extra_time_text": extra_time_text(policy, grants),
        "wait_until": time_request_wait_until(teen=teen) if viewer_is_teen else None,
        "minute_choices": REQUEST_MINUTES,
        "reason_max": REASON_MAX_LENGTH,
    }
