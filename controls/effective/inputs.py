"""The effective policy's inputs, assembled in one place.

`controls.policy.compute_policy` is a pure function of (rules, today's usage, grants, now, time
zone). Everything that turns database rows into those arguments is here, so a new input is added
once: `policy_inputs_assemble` builds the inputs from a teen's rules, windows and grants, and
`policy_compute` calls the pure function with them. The single-teen read, the many-teens read
(`controls.effective.selectors`) and the device API's cache (`controls.effective.cache`) all go
through these two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import IntegerField, Max, Sum
from django.db.models.functions import Cast

from controls.days import teen_day
from controls.effective.app_inputs import (
    AllowedApps,
    AppInputs,
    app_inputs_load,
    app_seconds_on,
    downtime_allowed,
    rule_categories,
)
from controls.models import DayGrant, DowntimeWindow, TeenDay, TeenRules
from controls.policy import (
    DowntimeSpec,
    EffectivePolicy,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
)
from controls.rules.selectors import rules_ensure_for_teen


@dataclass(frozen=True)
class PolicyInputs:
    """What a guardian sets, as the policy function takes it (cached by the device API under
    `generation`)."""

    generation: int
    rules_version: str
    spec: ScreenTimeSpec
    browsing: dict
    privacy: dict
    always_allowed_apps: AllowedApps  # `identifier in always_allowed_apps` (issue 13)
    grants: dict[date, TodayGrants]
    apps: AppInputs = field(default_factory=AppInputs)

    @property
    def day_start(self):
        return self.spec.day_start

    @property
    def warning_minutes(self) -> tuple[int, ...]:
        return self.spec.warning_minutes


def downtime_specs(windows: Iterable[DowntimeWindow]) -> tuple[DowntimeSpec, ...]:
    return tuple(
        DowntimeSpec(
            name=window.name,
            weekdays=frozenset(window.weekday_list()),
            start=window.start,
            end=window.end,
            allowed_apps=downtime_allowed(window)[0],
            allowed_categories=downtime_allowed(window)[1],
        )
        for window in windows
    )


def screen_time_spec(rules: TeenRules, windows: Iterable[DowntimeWindow]) -> ScreenTimeSpec:
    return ScreenTimeSpec(
        daily_limits=rules.daily_limits(),
        downtimes=downtime_specs(windows),
        warning_minutes=tuple(rules.warning_minutes or ()),
        day_start=rules.day_start,
    )


def browsing_rules(rules: TeenRules) -> dict[str, Any]:
    """What a device's browser or a home DNS filter must apply."""
    return {
        "restricted_mode": rules.restricted_mode,
        "search_enabled": rules.search_enabled,
        "keyword_filters": list(rules.keyword_filters or []),
        "domain_mode": rules.domain_mode,
        "domains": list(rules.domains or []),
    }


def privacy_rules(rules: TeenRules) -> dict[str, Any]:
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
    }


def today_grants(*, teen, local_date: date) -> TodayGrants:
    totals = DayGrant.objects.filter(teen=teen, local_date=local_date).aggregate(
        bonus=Sum("bonus_minutes"), no_limit=Max(Cast("no_limit", IntegerField()))
    )
    return TodayGrants(bonus_minutes=totals["bonus"] or 0, no_limit=bool(totals["no_limit"]))


def used_seconds_on(*, teen, local_date: date) -> int:
    """The counted usage of the teen's day `local_date` (0 before the first report)."""
    return (
        TeenDay.objects.filter(teen=teen, local_date=local_date)
        .values_list("counted_seconds", flat=True)
        .first()
    ) or 0


def policy_inputs_assemble(
    *,
    rules: TeenRules,
    windows: Iterable[DowntimeWindow],
    grants: Mapping[date, TodayGrants],
    generation: int = 0,
    apps: AppInputs | None = None,
) -> PolicyInputs:
    """The one place that turns a teen's rules, windows, grants and app rules, locks and labels
    (`apps`, `controls.effective.app_inputs`) into the policy's inputs."""
    apps = apps or AppInputs()
    privacy = privacy_rules(rules)
    # Kept for clients older than `app_rules`: every identifier of the always-allowed apps.
    privacy["always_allowed_apps"] = apps.allowed.identifiers()
    return PolicyInputs(
        generation=generation,
        rules_version=f"{rules.version}",
        spec=screen_time_spec(rules, windows),
        browsing=browsing_rules(rules),
        privacy=privacy,
        always_allowed_apps=apps.allowed,
        grants=dict(grants),
        apps=apps,
    )


def policy_inputs_load(*, teen, now: datetime, generation: int = 0) -> PolicyInputs:
    """The teen's inputs from the database, with the grants of the teen's current day."""
    rules = rules_ensure_for_teen(teen=teen)
    windows = list(DowntimeWindow.objects.filter(teen=teen))
    local_date = teen_day(now=now, tz=teen.tz, day_start=rules.day_start).local_date
    return policy_inputs_assemble(
        rules=rules,
        windows=windows,
        grants={local_date: today_grants(teen=teen, local_date=local_date)},
        generation=generation,
        apps=app_inputs_load(teen=teen),
    )


def policy_compute(
    *, teen, inputs: PolicyInputs, used_seconds: int, now: datetime
) -> EffectivePolicy:
    """The pure policy function over assembled inputs, in the teen's time zone. Grants of a day
    the inputs do not hold (the day turned since they were loaded) are read from the database."""
    tz = teen.tz
    local_date = teen_day(now=now, tz=tz, day_start=inputs.day_start).local_date
    grants = inputs.grants.get(local_date)
    if grants is None:
        grants = today_grants(teen=teen, local_date=local_date)
    app_seconds: dict[str, int] = {}
    categories = rule_categories(inputs.apps)
    if inputs.apps.needs_app_usage:  # (one query, only for a teen with app or category limits)
        app_seconds, used_categories = app_seconds_on(
            teen=teen, local_date=local_date, labels=inputs.apps.labels
        )
        categories.update(used_categories)
    return compute_policy(
        rules=inputs.spec,
        used_seconds=used_seconds,
        grants=grants,
        now=now,
        tz=tz,
        rules_version=inputs.rules_version,
        browsing=inputs.browsing,
        privacy=inputs.privacy,
        app_rules=inputs.apps.rules,
        locks=inputs.apps.locks,
        app_seconds=app_seconds,
        app_categories=categories,
    )
