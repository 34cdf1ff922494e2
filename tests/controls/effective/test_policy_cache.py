"""The device API's policy cache gives exactly what the database gives, and sees every change."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from accounts.devices import services as devices
from accounts.models import GuardianLink, LinkStatus
from controls.days import teen_day
from controls.effective.cache import (
    PolicyEntry,
    policy_entry_for_teen,
    policy_entry_keys,
    policy_inputs,
    policy_with_usage,
    render_json,
    usage_changed,
)
from controls.effective.selectors import effective_policy_for_teen
from controls.models import DayGrant, TeenDay
from controls.policy import DowntimeSpec, ScreenTimeSpec, TodayGrants, compute_policy
from controls.rules.downtime import downtime_window_create
from controls.rules.services import screen_time_update
from controls.usage.services import usage_record
from tests.device_support import auth, register

# A Tuesday afternoon in London (tom's zone).
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _today(teen, now=NOW) -> date:
    return teen_day(now=now, tz=teen.tz, day_start=teen.rules.day_start).local_date


@pytest.fixture
def busy_tom(tom, alice):
    downtime_window_create(
        actor=alice,
        teen=tom,
        name="Homework",
        weekdays=[0, 1, 2, 3, 4],
        start=time(17),
        end=time(18),
    )
    TeenDay.objects.create(teen=tom, local_date=_today(tom), counted_seconds=1200)
    DayGrant.objects.create(teen=tom, local_date=_today(tom), bonus_minutes=15, granted_by=alice)
    tom.refresh_from_db()
    return tom


def test_it_gives_what_the_database_gives(busy_tom):
    entry = policy_entry_for_teen(teen=busy_tom, now=NOW)

    assert entry.policy == effective_policy_for_teen(teen=busy_tom, now=NOW)
    requests_version = json.loads(entry.body)["time_requests_version"]
    assert entry.etag == f'"{entry.policy.version}-{requests_version}"'
    assert entry.body == render_json(
        {**entry.policy.to_dict(), "time_requests_version": requests_version}
    )
    assert entry.policy.used_seconds == 1200
    assert entry.policy.limit_seconds == (60 + 15) * 60


def test_it_answers_from_the_cache_without_a_query(busy_tom, django_assert_num_queries):
    first = policy_entry_for_teen(teen=busy_tom, now=NOW)

    with django_assert_num_queries(0):
        again = policy_entry_for_teen(teen=busy_tom, now=NOW + timedelta(minutes=5))

    assert again.policy == first.policy


def test_it_costs_one_query_after_usage_when_the_rules_are_cached(
    busy_tom, django_assert_num_queries
):
    policy_entry_for_teen(teen=busy_tom, now=NOW)
    TeenDay.objects.filter(teen=busy_tom).update(counted_seconds=1500)
    usage_changed(teen_id=busy_tom.pk)

    with django_assert_num_queries(1):
        entry = policy_entry_for_teen(teen=busy_tom, now=NOW)

    assert entry.policy.used_seconds == 1500


def test_it_sees_a_rule_change(busy_tom, alice):
    before = policy_entry_for_teen(teen=busy_tom, now=NOW)

    screen_time_update(actor=alice, teen=busy_tom, changes={"every_day": 30})
    after = policy_entry_for_teen(teen=busy_tom, now=NOW)

    assert after.policy.version != before.policy.version
    assert after.policy.limit_seconds == (30 + 15) * 60
    assert after.policy == effective_policy_for_teen(teen=busy_tom, now=NOW)


def test_it_sees_a_new_window_and_a_new_grant(busy_tom, alice):
    policy_entry_for_teen(teen=busy_tom, now=NOW)

    downtime_window_create(
        actor=alice,
        teen=busy_tom,
        name="Now",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        start=time(14),
        end=time(16),
    )
    DayGrant.objects.create(teen=busy_tom, local_date=_today(busy_tom), no_limit=True)
    entry = policy_entry_for_teen(teen=busy_tom, now=NOW)

    assert entry.policy.reason == "downtime"
    assert entry.policy.limit_seconds is None
    assert entry.policy == effective_policy_for_teen(teen=busy_tom, now=NOW)


def test_it_sees_usage_written_through_the_orm(busy_tom):
    policy_entry_for_teen(teen=busy_tom, now=NOW)

    day = TeenDay.objects.get(teen=busy_tom)
    day.counted_seconds = 75 * 60
    day.save()
    entry = policy_entry_for_teen(teen=busy_tom, now=NOW)

    assert entry.policy.limit_reached
    assert not entry.policy.allowed


def test_it_recomputes_when_time_alone_changes_the_answer(busy_tom):
    before = policy_entry_for_teen(teen=busy_tom, now=NOW)
    homework = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 17:00 in London in March

    assert before.valid_until == homework
    assert policy_entry_for_teen(teen=busy_tom, now=homework).policy.reason == "downtime"
    tomorrow = policy_entry_for_teen(teen=busy_tom, now=NOW + timedelta(days=1))
    assert tomorrow.policy.used_seconds == 0
    assert tomorrow.policy.limit_seconds == 60 * 60  # yesterday's grant does not carry over


def test_it_recomputes_in_a_new_time_zone(busy_tom):
    london = policy_entry_for_teen(teen=busy_tom, now=NOW)

    busy_tom.time_zone = "Asia/Tokyo"  # 00:00 on Wednesday there: a new day
    tokyo = policy_entry_for_teen(teen=busy_tom, now=NOW)

    assert london.policy.local_date == date(2026, 3, 10)
    assert tokyo.policy.local_date == date(2026, 3, 11)
    assert tokyo.policy == effective_policy_for_teen(teen=busy_tom, now=NOW)


def test_an_entry_computed_before_a_change_is_never_served_after_it(busy_tom, alice):
    stale = policy_entry_for_teen(teen=busy_tom, now=NOW)

    screen_time_update(actor=alice, teen=busy_tom, changes={"every_day": 30})
    # A slow reader that loaded the old rules stores its answer after the change:
    cache.set(policy_entry_keys(busy_tom.pk)[-1], stale, 600)
    entry = policy_entry_for_teen(teen=busy_tom, now=NOW)

    assert isinstance(entry, PolicyEntry)
    assert entry.policy.limit_seconds == (30 + 15) * 60


def test_it_survives_a_flushed_cache(busy_tom):
    policy_entry_for_teen(teen=busy_tom, now=NOW)
    cache.clear()

    entry = policy_entry_for_teen(teen=busy_tom, now=NOW)
    inputs = policy_inputs(teen=busy_tom, now=NOW)

    assert entry.policy == effective_policy_for_teen(teen=busy_tom, now=NOW)
    assert inputs.rules_version == f"{busy_tom.rules.version}"


@pytest.mark.parametrize("limit", [None, 40, 60])
@pytest.mark.parametrize("bonus", [0, 15])
@pytest.mark.parametrize("hour", [12, 17, 23])  # before, inside and after downtime (17-18)
def test_a_template_gives_what_compute_policy_gives(limit, bonus, hour):
    """`policy_with_usage` is a shortcut for `compute_policy` on the usage path: it must give
    exactly the same policy, or None (then the caller computes)."""
    spec = ScreenTimeSpec(
        daily_limits=(limit,) * 7,
        downtimes=(
            DowntimeSpec(
                name="Homework", weekdays=frozenset(range(7)), start=time(17), end=time(18)
            ),
        ),
        warning_minutes=(15, 5),
        day_start=time(0),
    )
    now = datetime(2026, 3, 10, hour, 30, tzinfo=UTC)

    def policy(used):
        return compute_policy(
            rules=spec,
            used_seconds=used,
            grants=TodayGrants(bonus_minutes=bonus),
            now=now,
            tz=ZoneInfo("Europe/London"),
            rules_version="7",
            browsing={"restricted_mode": True},
            privacy={"private_account": True},
        )

    samples = list(range(0, 200 * 60, 97)) + [
        (minutes + bonus) * 60 + delta
        for minutes in (limit or 0, (limit or 0) - 5, (limit or 0) - 15)
        for delta in (-1, 0, 1)
    ]
    for before in (0, 30 * 60, 90 * 60):
        template = policy(before)
        for used in samples:
            if used < 0:
                continue
            shortcut = policy_with_usage(template, used_seconds=used, warning_minutes=(15, 5))
            if shortcut is not None:
                assert shortcut == policy(used), (before, used)
            else:
                assert policy(used).limit_reached != template.limit_reached


def test_every_usage_answer_is_the_policy_the_database_gives(
    busy_tom, django_capture_on_commit_callbacks
):
    device, _ = register(busy_tom)
    device.refresh_from_db()
    start = NOW - timedelta(hours=2)
    with time_machine.travel(NOW, tick=False):
        for minute in range(0, 120, 4):  # 20 minutes used before: crosses 15, 5 and the limit
            result = usage_record(
                device=device,
                seconds=240,
                event_id=uuid.uuid4(),
                started_at=start + timedelta(minutes=minute),
                now=NOW,
            )
            assert result.policy == effective_policy_for_teen(teen=busy_tom, now=NOW), minute


@time_machine.travel(NOW, tick=False)
def test_the_device_and_its_teens_policy_come_in_one_round_trip(client, busy_tom):
    _, token = register(busy_tom)
    client.get("/api/v1/device/policy", **auth(token))  # learns whose token it is

    with (
        mock.patch.object(cache, "get", wraps=cache.get) as get,
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
    ):
        response = client.get("/api/v1/device/policy", **auth(token))

    assert response.status_code == 200
    (call,) = get_many.call_args_list
    keys = call.args[0]
    assert keys == [
        devices._cache_key(devices.token_hash(token)),
        *policy_entry_keys(busy_tom.pk),
    ]
    # No other read: Redis answers the keys in one MGET (the local-memory cache of the tests
    # reads them one by one inside get_many).
    assert get.call_count in {0, len(keys)}


@time_machine.travel(NOW, tick=False)
def test_a_wrong_guess_of_the_teen_costs_a_round_trip_not_a_wrong_answer(client, busy_tom, tina):
    _, token = register(busy_tom)
    register(tina)
    devices._TEEN_OF_TOKEN[devices.token_hash(token)[:16]] = tina.pk

    response = client.get("/api/v1/device/policy", **auth(token))

    assert response.status_code == 200
    assert response.json()["used_seconds"] == 1200  # tom's day, not tina's
    assert devices._TEEN_OF_TOKEN[devices.token_hash(token)[:16]] == busy_tom.pk


@time_machine.travel(NOW, tick=False)
def test_a_cached_device_sees_supervision_end_and_a_new_time_zone_at_once(client, busy_tom):
    _, token = register(busy_tom)
    assert client.get("/api/v1/device/policy", **auth(token)).json()["local_date"] == "2026-03-10"

    busy_tom.time_zone = "Asia/Tokyo"  # 00:00 on Wednesday there
    busy_tom.save()
    assert client.get("/api/v1/device/policy", **auth(token)).json()["local_date"] == "2026-03-11"

    for link in GuardianLink.objects.filter(teen=busy_tom):
        link.status, link.ended_at = LinkStatus.ENDED, NOW
        link.save()
    assert client.get("/api/v1/device/policy", **auth(token)).status_code == 403
