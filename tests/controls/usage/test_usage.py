"""Booking usage: validation (each bad input → 400, nothing booked), idempotency, splits at the
teen's day start and across DST, always-allowed apps, totals, retention."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from controls.app_models import AppRule
from controls.models import DailyUsage, TeenDay, UsageEvent
from controls.usage.services import usage_purge_old, usage_record
from tests.device_support import auth, event, post_usage, register

# A Wednesday, 12:00 in London (BST, UTC+1).
NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)


@pytest.fixture
def phone(tom):
    return register(tom)


def totals(teen) -> dict[date, tuple[int, int]]:
    return {
        day.local_date: (day.counted_seconds, day.total_seconds)
        for day in TeenDay.objects.filter(teen=teen)
    }


def nothing_booked(teen) -> bool:
    return (
        not UsageEvent.objects.filter(teen=teen).exists()
        and not DailyUsage.objects.filter(teen=teen).exists()
        and not TeenDay.objects.filter(teen=teen).exists()
    )


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_it_books_events_and_answers_with_the_time_left(client, tom, phone):
    _, token = phone
    response = post_usage(
        client,
        token,
        [
            event(NOW - timedelta(minutes=10), 300, app="com.example.video"),
            event(NOW - timedelta(minutes=5), 300, app="com.example.chat"),
        ],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["booked"]) == 2 and body["ignored"] == []
    assert body["allowed"] is True
    assert body["used_seconds"] == 600
    assert body["seconds_left"] == 3600 - 600
    assert body["version"]
    assert totals(tom) == {NOW.date(): (600, 600)}
    per_app = dict(DailyUsage.objects.filter(teen=tom).values_list("app", "seconds"))
    assert per_app == {"com.example.video": 300, "com.example.chat": 300}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_retried_event_is_never_counted_twice(client, tom, phone):
    _, token = phone
    events = [event(NOW - timedelta(minutes=2), 60), event(NOW - timedelta(minutes=1), 60)]
    first = post_usage(client, token, events).json()
    again = post_usage(client, token, events).json()
    assert len(first["booked"]) == 2
    assert again["booked"] == [] and sorted(again["ignored"]) == sorted(e["id"] for e in events)
    assert again["used_seconds"] == 120
    assert totals(tom) == {NOW.date(): (120, 120)}
    assert UsageEvent.objects.filter(teen=tom).count() == 2


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_same_event_twice_in_one_batch_counts_once(client, tom, phone):
    _, token = phone
    one = event(NOW - timedelta(minutes=1), 60)
    response = post_usage(client, token, [one, one])
    assert response.status_code == 200
    assert response.json()["booked"] == [one["id"]]
    assert totals(tom) == {NOW.date(): (60, 60)}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_retry_with_other_content_keeps_the_first_booking(client, tom, phone):
    _, token = phone
    first = event(NOW - timedelta(minutes=5), 60)
    post_usage(client, token, [first])
    changed = {**first, "seconds": 120}
    response = post_usage(client, token, [changed])
    assert response.json()["ignored"] == [first["id"]]
    assert totals(tom) == {NOW.date(): (60, 60)}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_same_id_from_two_devices_is_two_events(client, tom, phone):
    _, token = phone
    _, other_token = register(tom, name="Laptop")
    event_id = uuid.uuid4()
    post_usage(client, token, [event(NOW - timedelta(minutes=1), 60, event_id=event_id)])
    post_usage(client, other_token, [event(NOW - timedelta(minutes=1), 60, event_id=event_id)])
    assert totals(tom) == {NOW.date(): (120, 120)}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_time_in_always_allowed_apps_is_recorded_but_not_counted(client, tom, phone):
    AppRule.objects.create(teen=tom, app="duolingo", kind="always_allowed")
    _, token = phone
    body = post_usage(
        client,
        token,
        [
            event(NOW - timedelta(minutes=20), 600, app="com.duolingo"),
            event(NOW - timedelta(minutes=10), 300, app="com.example.video"),
        ],
    ).json()
    assert body["used_seconds"] == 300
    assert totals(tom) == {NOW.date(): (300, 900)}
    assert DailyUsage.objects.get(teen=tom, app="com.duolingo").counted is False
    assert UsageEvent.objects.get(teen=tom, app="com.duolingo").counted is False


# --- Splits -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_crossing_the_day_start_is_split_between_the_two_days(client, tom, phone):
    rules = tom.rules
    rules.day_start = time(4, 0)
    rules.save()
    _, token = phone
    # 03:50–04:10 London time (BST) on Thursday 16 July: 10 minutes each side of the day start.
    start = datetime(2026, 7, 16, 2, 50, tzinfo=UTC)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        response = post_usage(client, token, [event(start, 1200)])
    assert response.status_code == 200
    assert totals(tom) == {date(2026, 7, 15): (600, 600), date(2026, 7, 16): (600, 600)}
    assert response.json()["used_seconds"] == 600  # today (the 16th) so far


@pytest.mark.django_db
def test_midnight_splits_in_the_teens_own_time_zone(client, tina):
    _, token = register(tina)
    # 23:55–00:05 in New York (EDT, UTC−4) is 03:55–04:05 UTC: one UTC day, two teen days.
    start = datetime(2026, 7, 16, 3, 55, tzinfo=UTC)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        post_usage(client, token, [event(start, 600)])
    assert totals(tina) == {date(2026, 7, 15): (300, 300), date(2026, 7, 16): (300, 300)}


@pytest.mark.django_db
def test_the_short_spring_forward_day_ends_after_23_hours(client, tom, phone):
    _, token = phone
    # London, Sunday 29 March 2026: clocks jump 01:00 → 02:00, so the 29th lasts 23 hours and
    # ends at midnight BST, 23:00 UTC. 22:50–23:10 UTC is 23:50–00:10 local.
    start = datetime(2026, 3, 29, 22, 50, tzinfo=UTC)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        post_usage(client, token, [event(start, 1200)])
    assert totals(tom) == {date(2026, 3, 29): (600, 600), date(2026, 3, 30): (600, 600)}


@pytest.mark.django_db
def test_the_long_fall_back_day_keeps_its_25th_hour(client, tom, phone):
    _, token = phone
    # London, Sunday 25 October 2026: 02:00 BST → 01:00 GMT, so the 25th lasts 25 hours, from
    # 23:00 UTC on the 24th to 00:00 UTC on the 26th. 23:10–23:30 UTC is still the 25th.
    with time_machine.travel(datetime(2026, 10, 26, 1, 0, tzinfo=UTC), tick=False):
        post_usage(
            client,
            token,
            [
                event(datetime(2026, 10, 24, 22, 50, tzinfo=UTC), 1200),  # 23:50–00:10 BST
                event(datetime(2026, 10, 25, 23, 10, tzinfo=UTC), 1200),  # the 25th hour
                event(datetime(2026, 10, 25, 23, 50, tzinfo=UTC), 1200),  # 23:50–00:10 GMT
            ],
        )
    assert totals(tom) == {
        date(2026, 10, 24): (600, 600),
        date(2026, 10, 25): (600 + 1200 + 600, 600 + 1200 + 600),
        date(2026, 10, 26): (600, 600),
    }


# --- Bad input: 400 with an error per event, nothing booked ----------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"started_at": (NOW + timedelta(minutes=10)).isoformat()}, "started_at", "future"),
        ({"seconds": 0}, "seconds", "1 to 3600"),
        ({"seconds": 3601}, "seconds", "1 to 3600"),
        ({"seconds": -5}, "seconds", "1 to 3600"),
        ({"seconds": "60"}, "seconds", "1 to 3600"),
        ({"seconds": 60.5}, "seconds", "1 to 3600"),
        ({"seconds": True}, "seconds", "1 to 3600"),
        ({"seconds": None}, "seconds", "1 to 3600"),
        ({"started_at": (NOW - timedelta(seconds=30)).isoformat()}, "seconds", "have passed"),
        ({"started_at": "yesterday"}, "started_at", "ISO 8601"),
        ({"started_at": "2026-07-15T10:00:00"}, "started_at", "time zone"),
        ({"started_at": 1784000000}, "started_at", "ISO 8601"),
        ({"started_at": (NOW - timedelta(days=91)).isoformat()}, "started_at", "retention"),
        ({"id": "not-a-uuid"}, "id", "UUID"),
        ({"id": 12}, "id", "UUID"),
        ({"id": None}, "id", "required"),
        ({"app": 7}, "app", "string"),
        ({"app": "x" * 201}, "app", "200"),
        ({"app": "com.example\x00"}, "app", "control characters"),
        ({"started_at": "9999-12-31T23:59:59-14:00"}, "started_at", "future"),
        ({"started_at": "0001-01-01T00:30:00+01:00"}, "started_at", "retention"),
        ({"started_at": "2026-02-30T10:00:00Z"}, "started_at", "ISO 8601"),
    ],
)
def test_each_bad_event_gets_its_400_and_nothing_is_booked(client, tom, phone, bad, field, message):
    _, token = phone
    good = event(NOW - timedelta(minutes=10), 60)
    wrong = {**event(NOW - timedelta(minutes=5), 120), **bad}
    response = post_usage(client, token, [good, wrong])
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["events"][0] == {}
    assert message in " ".join(body["events"][1][field])
    assert nothing_booked(tom)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_overlapping_events_in_one_batch_are_more_time_than_the_clock_allows(client, tom, phone):
    _, token = phone
    response = post_usage(
        client,
        token,
        [event(NOW - timedelta(minutes=10), 300), event(NOW - timedelta(minutes=8), 300)],
    )
    assert response.status_code == 400
    assert "clock allows" in response.json()["events"][1]["started_at"][0]
    assert nothing_booked(tom)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_an_event_overlapping_one_already_booked_is_refused(client, tom, phone):
    _, token = phone
    assert post_usage(client, token, [event(NOW - timedelta(minutes=10), 300)]).status_code == 200
    response = post_usage(client, token, [event(NOW - timedelta(minutes=7), 120)])
    assert response.status_code == 400
    assert "already reported" in response.json()["events"][0]["started_at"][0]
    assert totals(tom) == {NOW.date(): (300, 300)}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_back_to_back_events_and_a_rounding_second_are_not_overlaps(client, tom, phone):
    _, token = phone
    start = NOW - timedelta(minutes=10)
    post_usage(client, token, [event(start, 60)])
    response = post_usage(
        client,
        token,
        [event(start + timedelta(seconds=60), 60), event(start + timedelta(seconds=119.5), 60)],
    )
    assert response.status_code == 200, response.content
    assert totals(tom) == {NOW.date(): (180, 180)}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_two_devices_of_one_teen_may_be_used_at_the_same_time(client, tom, phone):
    _, token = phone
    _, laptop_token = register(tom, name="Laptop")
    assert post_usage(client, token, [event(NOW - timedelta(minutes=10), 300)]).status_code == 200
    response = post_usage(client, laptop_token, [event(NOW - timedelta(minutes=10), 300)])
    assert response.status_code == 200
    assert totals(tom) == {NOW.date(): (600, 600)}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'"events"',
        b'{"events": {"id": 1}}',
        b"{}",
        b'{"events": [1, "two"]}',
    ],
)
def test_an_unparsable_body_gets_400_and_nothing_is_booked(client, tom, phone, body):
    _, token = phone
    response = client.post(
        "/api/v1/device/usage", data=body, content_type="application/json", **auth(token)
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    assert nothing_booked(tom)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_batch_too_large_is_refused(client, tom, phone):
    _, token = phone
    events = [event(NOW - timedelta(hours=2, seconds=-i), 1) for i in range(501)]
    response = post_usage(client, token, events)
    assert response.status_code == 400
    assert "500" in response.json()["events"][0]
    assert nothing_booked(tom)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_usage_record_books_one_event_through_the_same_rules(tom, phone):
    device, _ = phone
    event_id = uuid.uuid4()
    result = usage_record(device=device, seconds=90, event_id=event_id)
    assert result.booked == [event_id]
    assert result.policy.used_seconds == 90
    assert usage_record(device=device, seconds=90, event_id=event_id).ignored == [event_id]
    assert totals(tom) == {NOW.date(): (90, 90)}


# --- Retention ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retention_deletes_exactly_the_events_older_than_the_period(settings, tom, phone):
    settings.USAGE_RETENTION_DAYS = 90
    device, _ = phone
    cutoff = NOW - timedelta(days=90)
    ages = {
        "old": cutoff - timedelta(seconds=1),
        "older": cutoff - timedelta(days=30),
        "at_cutoff": cutoff,
        "recent": NOW - timedelta(days=1),
    }
    for app, received_at in ages.items():
        UsageEvent.objects.create(
            device=device,
            teen=tom,
            event_id=uuid.uuid4(),
            app=app,
            started_at=received_at - timedelta(minutes=1),
            seconds=60,
            received_at=received_at,
        )
    TeenDay.objects.create(teen=tom, local_date=cutoff.date(), counted_seconds=120)

    assert usage_purge_old(now=NOW) == 2
    assert set(UsageEvent.objects.values_list("app", flat=True)) == {"at_cutoff", "recent"}
    assert TeenDay.objects.get(teen=tom).counted_seconds == 120  # daily totals stay
    assert usage_purge_old(now=NOW) == 0


def test_the_error_body_is_json_serialisable():
    from controls.usage.events import UsageRejected

    body = UsageRejected("x", events=[{}, {"seconds": ["bad"]}]).as_dict()
    assert json.loads(json.dumps(body)) == {"detail": "x", "events": [{}, {"seconds": ["bad"]}]}
