from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from controls.effective.selectors import effective_policy_for_teen
from controls.models import DayGrant, DowntimeWindow, TeenDay
from controls.policy import Reason

# A Wednesday, 10:00 in London (BST, UTC+1).
NOW = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_it_loads_rules_usage_and_grants_for_the_teens_day(tom):
    rules = tom.rules
    rules.limit_wed = 30
    rules.save()
    TeenDay.objects.create(teen=tom, local_date=NOW.date(), counted_seconds=25 * 60)
    DayGrant.objects.create(teen=tom, local_date=NOW.date(), bonus_minutes=10)

    policy = effective_policy_for_teen(teen=tom, now=NOW)

    assert policy.allowed is True
    assert policy.limit_seconds == 40 * 60
    assert policy.seconds_left == 15 * 60
    assert policy.local_date == NOW.date()
    assert policy.browsing["restricted_mode"] is True


@pytest.mark.django_db
def test_it_blocks_inside_a_downtime_window_in_the_teens_time_zone(tom):
    DowntimeWindow.objects.create(teen=tom, name="School", start=time(9, 30), end=time(15, 0))
    policy = effective_policy_for_teen(teen=tom, now=NOW)  # 10:00 London
    assert policy.allowed is False
    assert policy.reason == Reason.DOWNTIME
    assert policy.downtime_name == "School"


@pytest.mark.django_db
def test_a_no_limit_grant_lifts_the_limit_for_today_only(tom):
    TeenDay.objects.create(teen=tom, local_date=NOW.date(), counted_seconds=3 * 3600)
    assert effective_policy_for_teen(teen=tom, now=NOW).reason == Reason.DAILY_LIMIT
    DayGrant.objects.create(teen=tom, local_date=NOW.date(), no_limit=True)
    policy = effective_policy_for_teen(teen=tom, now=NOW)
    assert policy.allowed is True
    assert policy.seconds_left is None
