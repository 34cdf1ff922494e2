"""The effective policy of one teen or of many, and the teen's current day: what pages, the API,
tasks and e-mails read. The inputs come from `controls.effective.inputs`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.utils import timezone

from controls.app_models import AppRule, FamilyAppLabel, Lock
from controls.days import LocalDay, day_for_local_date, teen_day
from controls.effective.app_inputs import app_inputs_assemble
from controls.effective.inputs import (
    policy_compute,
    policy_inputs_assemble,
    policy_inputs_load,
    used_seconds_on,
)
from controls.models import DayGrant, DayLimit, DowntimeWindow, TeenDay
from controls.policy import EffectivePolicy, TodayGrants
from controls.rules.selectors import rules_ensure_for_teen, rules_of


def effective_policy_for_teen(*, teen, now: datetime | None = None) -> EffectivePolicy:
    """Everything the teen's devices must enforce right now. Pages, the API, tasks and e-mails
    all use it."""
    now = now or timezone.now()
    inputs = policy_inputs_load(teen=teen, now=now)
    (local_date,) = inputs.grants
    used = used_seconds_on(teen=teen, local_date=local_date)
    return policy_compute(teen=teen, inputs=inputs, used_seconds=used, now=now)


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
    rules_by_teen = {teen.pk: rules_of(teen) for teen in teens}
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
    bonus: dict[tuple[int, date], int] = {}
    no_limit: set[tuple[int, date]] = set()
    for teen_id, local_date, minutes, lifted in DayGrant.objects.filter(
        teen_id__in=ids, local_date__in=dates
    ).values_list("teen_id", "local_date", "bonus_minutes", "no_limit"):
        bonus[(teen_id, local_date)] = bonus.get((teen_id, local_date), 0) + minutes
        if lifted:
            no_limit.add((teen_id, local_date))
    app_rows: dict[int, dict[str, list]] = {
        pk: {"rules": [], "locks": [], "labels": []} for pk in ids
    }
    for name, model, extra in (
        ("rules", AppRule, {}),
        ("locks", Lock, {"ended_at__isnull": True}),
        ("labels", FamilyAppLabel, {}),
    ):
        for row in model.objects.filter(teen_id__in=ids, **extra):
            app_rows[row.teen_id][name].append(row)
    policies = {}
    for teen in teens:
        key = (teen.pk, days[teen.pk].local_date)
        grants = TodayGrants(bonus_minutes=bonus.get(key, 0), no_limit=key in no_limit)
        inputs = policy_inputs_assemble(
            rules=rules_by_teen[teen.pk],
            windows=windows[teen.pk],
            grants={key[1]: grants},
            apps=app_inputs_assemble(**app_rows[teen.pk]),
        )
        policies[teen.pk] = policy_compute(
            teen=teen, inputs=inputs, used_seconds=used.get(key, 0), now=now
        )
    return policies


def teen_today(*, teen, now: datetime | None = None) -> LocalDay:
    """The teen's current day (their time zone and their rules' day start)."""
    day_start = rules_ensure_for_teen(teen=teen).day_start
    return teen_day(now=now or timezone.now(), tz=teen.tz, day_start=day_start)


def teen_day_of(*, teen, local_date: date) -> LocalDay:
    """The teen's day labelled `local_date` (their time zone and their rules' day start)."""
    day_start = rules_ensure_for_teen(teen=teen).day_start
    return day_for_local_date(local_date=local_date, tz=teen.tz, day_start=day_start)


def day_limits_as_recorded(
    *, teen, rules, days: list[date], today: date
) -> dict[date, tuple[int | None, bool]]:
    """(limit in seconds with that day's grants or None for no limit, whether it is known) of
    each of `days`: today and later by the rules in force; a past day by the limit recorded for
    it (`DayLimit`), since today's rules say nothing of last week; a past day with no record is
    (None, False). Two queries, for charts and reports."""
    past = [day for day in days if day < today]
    recorded = dict(
        DayLimit.objects.filter(teen=teen, local_date__in=past).values_list(
            "local_date", "limit_minutes"
        )
    )
    grants: dict[date, list] = defaultdict(list)
    for grant in DayGrant.objects.filter(teen=teen, local_date__in=days):
        grants[grant.local_date].append(grant)
    weekday_limits = rules.daily_limits()
    result: dict[date, tuple[int | None, bool]] = {}
    for day in days:
        if day >= today:
            base = weekday_limits[day.weekday()]
        elif day in recorded:
            base = recorded[day]
        else:
            result[day] = (None, False)
            continue
        if base is None or any(g.no_limit for g in grants[day]):
            result[day] = (None, True)
        else:
            result[day] = ((base + sum(g.bonus_minutes for g in grants[day])) * 60, True)
    return result
