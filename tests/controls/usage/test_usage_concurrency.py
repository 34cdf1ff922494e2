"""Concurrency on PostgreSQL: reports posted at once from many threads add up to the second, and
two enforcement runs at once tell everyone once. SQLite serialises writers, so these prove
nothing there and are skipped."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Sum
from django.test import Client

from controls.enforcement.services import teen_day_enforce
from controls.models import WEEKDAY_FIELDS, DailyUsage, Notification, TeenDay, UsageEvent
from tests.device_support import event, post_usage, register
from tests.factories import UserFactory, link

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL (set DATABASE_URL): SQLite runs one writer at a time",
    ),
]

THREADS = 20


def run_together(work, count: int = THREADS) -> list[BaseException]:
    """Run `work(index)` in `count` threads released at the same instant; returns errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def no_limits(teen) -> None:
    rules = teen.rules
    for name in WEEKDAY_FIELDS:
        setattr(rules, name, None)
    rules.save()


def counted(teen) -> int:
    return TeenDay.objects.filter(teen=teen).aggregate(total=Sum("counted_seconds"))["total"]


def test_twenty_devices_posting_at_once_add_up_exactly(tom):
    no_limits(tom)
    tokens = [register(tom, name=f"Device {i}")[1] for i in range(THREADS)]
    start = datetime.now(UTC) - timedelta(minutes=50)

    def work(index: int) -> None:
        client = Client()
        for batch in range(5):
            events = [event(start + timedelta(minutes=batch * 3 + i), 60) for i in range(3)]
            for _attempt in range(2):  # every batch is retried once
                response = post_usage(client, tokens[index], events)
                assert response.status_code == 200, response.content

    assert run_together(work) == []
    expected = THREADS * 5 * 3 * 60
    assert counted(tom) == expected
    assert DailyUsage.objects.filter(teen=tom).aggregate(s=Sum("seconds"))["s"] == expected
    assert UsageEvent.objects.filter(teen=tom).count() == THREADS * 5 * 3


def test_the_same_events_racing_from_twenty_threads_count_once(tom):
    no_limits(tom)
    _, token = register(tom)
    start = datetime.now(UTC) - timedelta(minutes=30)
    events = [event(start + timedelta(minutes=i), 60) for i in range(10)]
    booked: list[int] = []

    def work(index: int) -> None:
        response = post_usage(Client(), token, events)
        assert response.status_code == 200, response.content
        booked.append(len(response.json()["booked"]))

    assert run_together(work) == []
    assert sum(booked) == 10  # each event booked by exactly one of the racing requests
    assert counted(tom) == 600


def test_two_workers_enforcing_at_once_tell_everyone_once(tom, alice):
    gwen = UserFactory(email="gwen@example.com", display_name="Gwen")
    link(gwen, tom)
    now = datetime.now(UTC)
    TeenDay.objects.create(
        teen=tom, local_date=now.astimezone(tom.tz).date(), counted_seconds=3 * 3600
    )

    assert run_together(lambda index: teen_day_enforce(teen=tom, now=now), count=8) == []
    for person in (tom, alice, gwen):
        assert Notification.objects.filter(recipient=person, kind="limit_reached").count() == 1
