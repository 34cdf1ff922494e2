"""Reads shared by pages, API and tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, Max, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from controls.models import (
    AuditEvent,
    DayGrant,
    DowntimeWindow,
    Notification,
    TeenDay,
    TimeRequest,
    TimeRequestStatus,
)
from controls.policy import (
    EffectivePolicy,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
    teen_day,
)


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(
        recipient=user, read_at__isnull=True, deliver_at__lte=timezone.now()
    ).count()


def notifications_for_user(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, deliver_at__lte=timezone.now())


def audit_events_for_teen(*, teen) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(teen=teen).select_related("actor")


def downtime_specs(windows) -> tuple:
    from controls.policy import DowntimeSpec

    return tuple(
        DowntimeSpec(
            name=window.name,
            weekdays=frozenset(window.weekday_list()),
            start=window.start,
            end=window.end,
        )
        for window in windows
    )


def screen_time_spec(rules, windows) -> ScreenTimeSpec:
    return ScreenTimeSpec(
        daily_limits=rules.daily_limits(),
        downtimes=downtime_specs(windows),
        warning_minutes=tuple(rules.warning_minutes or ()),
        day_start=rules.day_start,
    )


def browsing_rules(rules) -> dict[str, Any]:
    """What a device's browser or a home DNS filter must apply."""
    return {
        "restricted_mode": rules.restricted_mode,
        "search_enabled": rules.search_enabled,
        "keyword_filters": list(rules.keyword_filters or []),
        "domain_mode": rules.domain_mode,
        "domains": list(rules.domains or []),
    }


def privacy_rules(rules) -> dict[str, Any]:
    return {
        "private_account": rules.private_account,
        "suggest_account": rules.suggest_account,
        "direct_messages": rules.direct_messages,
        "live_streaming": rules.live_streaming,
        "comments": rules.comments,
        "liked_videos": rules.liked_videos,
        "duet_stitch": rules.duet_stitch,
        "downloads": rules.downloads,
        "mute_start": rules.mute_start.strftime("%H:%M") if rules.mute_start else None,
        "mute_end": rules.mute_end.strftime("%H:%M") if rules.mute_end else None,
        "always_allowed_apps": list(rules.always_allowed_apps or []),
    }


def today_grants(*, teen, local_date) -> TodayGrants:
    totals = DayGrant.objects.filter(teen=teen, local_date=local_date).aggregate(
        bonus=Sum("bonus_minutes"), no_limit=Max(Cast("no_limit", IntegerField()))
    )
    return TodayGrants(bonus_minutes=totals["bonus"] or 0, no_limit=bool(totals["no_limit"]))


def effective_policy_for_teen(*, teen, now: datetime | None = None) -> EffectivePolicy:
    """Everything the teen's devices must enforce right now: the one place that loads the
    inputs of `controls.policy.compute_policy`. Pages, the API, tasks and e-mails all use it."""
    from controls.rules.services import rules_ensure_for_teen

    now = now or timezone.now()
    rules = rules_ensure_for_teen(teen=teen)
    windows = list(DowntimeWindow.objects.filter(teen=teen))
    spec = screen_time_spec(rules, windows)
    day = teen_day(now=now, tz=teen.tz, day_start=rules.day_start)
    used = (
        TeenDay.objects.filter(teen=teen, local_date=day.local_date)
        .values_list("counted_seconds", flat=True)
        .first()
    ) or 0
    return compute_policy(
        rules=spec,
        used_seconds=used,
        grants=today_grants(teen=teen, local_date=day.local_date),
        now=now,
        tz=teen.tz,
        rules_version=f"{rules.version}",
        browsing=browsing_rules(rules),
        privacy=privacy_rules(rules),
    )


def _rules_of(teen):
    """The teen's rules as loaded with the teen (`select_related("rules")`), created if missing."""
    from controls.models import TeenRules
    from controls.rules.services import rules_ensure_for_teen

    try:
        return teen.rules
    except TeenRules.DoesNotExist:
        return rules_ensure_for_teen(teen=teen)


def policies_for_teens(*, teens, now: datetime | None = None) -> dict[int, EffectivePolicy]:
    """The effective policy of many teens at once, for pages that list teens: the same inputs
    and the same pure `compute_policy` as `effective_policy_for_teen`, in a fixed number of
    queries however many teens there are (rules come with the teens via
    `select_related("rules")`; windows, day totals and grants are one query each)."""
    now = now or timezone.now()
    teens = list(teens)
    if not teens:
        return {}
    ids = [teen.pk for teen in teens]
    rules_by_teen = {teen.pk: _rules_of(teen) for teen in teens}
    days = {
        teen.pk: teen_day(now=now, tz=teen.tz, day_start=rules_by_teen[teen.pk].day_start)
        for teen in teens
    }
    dates = {day.local_date for day in days.values()}
    windows: dict[int, list[DowntimeWindow]] = {pk: [] for pk in ids}
    for window in DowntimeWindow.objects.filter(teen_id__in=ids):
        windows[window.teen_id].append(window)
    used = {
        (teen_id, local_date): seconds
        for teen_id, local_date, seconds in TeenDay.objects.filter(
            teen_id__in=ids, local_date__in=dates
        ).values_list("teen_id", "local_date", "counted_seconds")
    }
    bonus: dict[tuple[int, Any], int] = {}
    no_limit: set[tuple[int, Any]] = set()
    for teen_id, local_date, minutes, lifted in DayGrant.objects.filter(
        teen_id__in=ids, local_date__in=dates
    ).values_list("teen_id", "local_date", "bonus_minutes", "no_limit"):
        bonus[(teen_id, local_date)] = bonus.get((teen_id, local_date), 0) + minutes
        if lifted:
            no_limit.add((teen_id, local_date))
    policies = {}
    for teen in teens:
        rules, key = rules_by_teen[teen.pk], (teen.pk, days[teen.pk].local_date)
        policies[teen.pk] = compute_policy(
            rules=screen_time_spec(rules, windows[teen.pk]),
            used_seconds=used.get(key, 0),
            grants=TodayGrants(bonus_minutes=bonus.get(key, 0), no_limit=key in no_limit),
            now=now,
            tz=teen.tz,
            rules_version=f"{rules.version}",
            browsing=browsing_rules(rules),
            privacy=privacy_rules(rules),
        )
    return policies


def pending_time_request_counts(*, teen_ids) -> dict[int, int]:
    """Open more-time requests per teen, in one query."""
    rows = (
        TimeRequest.objects.filter(teen_id__in=list(teen_ids), status=TimeRequestStatus.PENDING)
        .values("teen_id")
        .annotate(count=Count("id"))
        .values_list("teen_id", "count")
    )
    return dict(rows)
