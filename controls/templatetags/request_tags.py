"""{% time_requests_panel teen %} and {% usage_charts teen %}: the more-time panel and the usage
charts, placed on the guardian's teen page and on the teen's own page."""

from __future__ import annotations

from django import template

from accounts.selectors import guardians_for_teen
from controls.effective.selectors import effective_policy_for_teen
from controls.models import DayGrant
from controls.time_requests.selectors import time_requests_for_teen
from controls.time_requests.services import (
    REASON_MAX_LENGTH,
    REQUEST_MINUTES,
    time_request_wait_until,
)
from controls.usage.charts import usage_charts_for_teen
from controls.wording import duration_short, minutes_spoken

register = template.Library()

RECENT_REQUESTS = 5


def time_left_label(policy) -> str:
    if policy.reason == "downtime":
        return f"Downtime: {policy.downtime_name}"
    if policy.seconds_left is None:
        return "No limit today"
    if policy.limit_reached:
        return "Time's up for today"
    return f"{duration_short(policy.seconds_left)} left today"


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
        "wait_until": time_request_wait_until(teen=teen) if viewer_is_teen else None,
        "minute_choices": REQUEST_MINUTES,
        "reason_max": REASON_MAX_LENGTH,
    }


@register.inclusion_tag("controls/_time_requests_panel.html", takes_context=True)
def time_requests_panel(context, teen):
    data = time_requests_panel_context(teen=teen, user=context["user"])
    data["request"] = context.get("request")
    return data


@register.inclusion_tag("controls/_usage_charts.html", takes_context=True)
def usage_charts(context, teen):
    return {
        "teen": teen,
        "request": context.get("request"),
        "user": context.get("user"),
        "charts": usage_charts_for_teen(teen=teen),
    }


@register.filter
def request_minutes(minutes):
    return minutes_spoken(minutes)
