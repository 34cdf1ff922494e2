"""With Redis unreachable, the cache forgets instead of failing (issue 11, item 6): pages, the
device policy and usage reports answer from the database; sign-in's rate limits fail open; a
broker that is down does not fail a usage report that was booked.

The cache points at a port nobody listens on, so this runs everywhere (no Redis needed); the
fault test in test_redis_fault.py kills and restarts a real Redis."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import kombu.exceptions
import pytest
import time_machine
from django.urls import reverse

from controls.models import DailyUsage, TeenDay
from tests.device_support import auth, event, post_usage, register
from tests.factories import PASSWORD

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # Wednesday, 12:00 in London
POLICY = "/api/v1/device/policy"
# Port 1 on loopback: nothing listens, so every connection is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def cache_unreachable(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "familypairing.cache.FailSoftRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }


@pytest.fixture
def phone(tom):
    return register(tom)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_device_api_answers_from_the_database(client, cache_unreachable, tom, phone, caplog):
    _, token = phone
    with caplog.at_level(logging.WARNING, logger="familypairing.cache"):
        response = client.get(POLICY, **auth(token))
        assert response.status_code == 200
        assert response.json()["seconds_left"] == 3600

        response = post_usage(client, token, [event(NOW - timedelta(minutes=10), 600)])
        assert response.status_code == 200
        assert response.json()["seconds_left"] == 3000
        again = post_usage(client, token, [event(NOW - timedelta(minutes=25), 600)])
        assert again.status_code == 200

        response = client.get(POLICY, **auth(token))
        assert response.status_code == 200
        assert response.json()["seconds_left"] == 2400  # two different events: 1,200 s

    day = TeenDay.objects.get(teen=tom)
    assert day.counted_seconds == 1200
    assert sum(DailyUsage.objects.filter(teen=tom).values_list("seconds", flat=True)) == 1200
    records = caplog.get_records("setup") + caplog.get_records("call")
    messages = [r.getMessage() for r in records if r.name == "familypairing.cache"]
    assert len(messages) == 1  # once per outage, not once per call
    assert "Cache unreachable" in messages[0]
    assert "127.0.0.1" not in " ".join(messages)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_same_event_reported_twice_is_booked_once(client, cache_unreachable, tom, phone):
    _, token = phone
    same = [event(NOW - timedelta(minutes=10), 600)]
    assert post_usage(client, token, same).status_code == 200
    response = post_usage(client, token, same)
    assert response.status_code == 200
    assert response.json()["ignored"] == [same[0]["id"]]
    assert TeenDay.objects.get(teen=tom).counted_seconds == 600


@pytest.mark.django_db
def test_pages_and_sign_in_keep_working(client, cache_unreachable, alice, tom):
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    # Rate limits fail open (README, "When Redis or PostgreSQL is down").
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "Tom" in response.content.decode()

    client.logout()
    client.force_login(tom)
    assert client.get(reverse("teen_home")).status_code == 200


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_report_crossing_the_limit_is_booked_with_the_broker_down(
    client, tom, phone, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from controls.enforcement.tasks import teen_day_enforce

    def broker_down(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(teen_day_enforce, "delay", broker_down)
    _, token = phone
    with (
        caplog.at_level(logging.WARNING, logger="familypairing.enqueue"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = post_usage(client, token, [event(NOW - timedelta(minutes=61), 3600)])
    assert response.status_code == 200
    assert callbacks  # the enforcement task was due
    assert response.json()["allowed"] is False
    assert TeenDay.objects.get(teen=tom).counted_seconds == 3600
    assert any("teen_day_enforce not enqueued" in r.getMessage() for r in caplog.records)

    # The minute's sweep finds the day from the database and moves it along.
    from controls.enforcement.sweep import enforcement_sweep

    enforcement_sweep()
    assert TeenDay.objects.get(teen=tom).state == "limit_reached"
