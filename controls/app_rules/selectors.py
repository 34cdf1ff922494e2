"""Reads of the rules per app and category, locks and the family's app labels."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from controls.app_models import AppRule, FamilyAppLabel, Lock
from controls.catalogue.lookup import AppInfo, app_identify
from controls.effective.app_inputs import labels_map
from controls.models import DailyUsage

UNKNOWN_APPS_DAYS = 30


def labels_of(teen) -> dict[str, tuple[str, str]]:
    return labels_map(FamilyAppLabel.objects.filter(teen=teen))


def app_rules_of(teen) -> QuerySet[AppRule]:
    return AppRule.objects.filter(teen=teen)


def locks_open(*, teen, now: datetime | None = None) -> list[Lock]:
    """The locks in force now (not ended, not past their end)."""
    now = now or timezone.now()
    return list(
        Lock.objects.filter(teen=teen, ended_at__isnull=True)
        .filter(Q(until__isnull=True) | Q(until__gt=now))
        .order_by("created_at", "id")
    )


def unknown_apps_seen(*, teen, today) -> list[tuple[AppInfo, int]]:
    """Identifiers the teen's devices reported in the last 30 days that the catalogue does not
    know (with the family's label if it has one), most used first."""
    labels = labels_of(teen)
    rows = (
        DailyUsage.objects.filter(
            teen=teen, local_date__gte=today - timedelta(days=UNKNOWN_APPS_DAYS)
        )
        .exclude(app="")
        .values("app")
        .annotate(total=Sum("seconds"))
        .order_by("-total", "app")
    )
    found: dict[str, tuple[AppInfo, int]] = {}
    for row in rows:
        info = app_identify(row["app"], labels)
        if info.key in labels or not info.known:
            seconds = found.get(info.key, (info, 0))[1] + int(row["total"] or 0)
            found[info.key] = (info, seconds)
    return sorted(found.values(), key=lambda item: -item[1])[:50]
