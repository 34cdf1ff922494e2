"""A real Celery worker consuming from Redis, against PostgreSQL: reports that cross 15 and 5
minutes left and then the limit produce exactly one warning each and one limit notice per person,
also when the same reports are posted twice, when the task runs twice, and when the report was
queued while no worker was running.

Runs only when REDIS_URL and a PostgreSQL DATABASE_URL are set (CI's second pass)."""

from __future__ import annotations

import threading
import time as clock
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import connections

from controls.enforcement.tasks import teen_day_enforce
from controls.models import WEEKDAY_FIELDS, Notification, NotificationKind
from controls.notifications.services import email_preferences_set
from familypairing.celery import app
from tests.device_support import event, post_usage, register
from tests.factories import TeenFactory, UserFactory, link

pytestmark = [
    pytest.mark.celeryworker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs a Celery worker on Redis and PostgreSQL: set REDIS_URL and DATABASE_URL",
    ),
]

_drained: dict[str, threading.Event] = {}


@shared_task(name="tests.celery_worker.drained")
def drained(key: str) -> None:
    """Queued last: when it runs, the solo worker has finished everything queued before it.
    It also closes the worker thread's database connections, so the test database can go."""
    connections.close_all()
    _drained[key].set()


def wait_until_drained(timeout: float = 30) -> None:
    key = uuid.uuid4().hex
    _drained[key] = threading.Event()
    drained.delay(key)
    assert _drained[key].wait(timeout), "the worker did not finish its queue in time"


def wait_for(predicate, timeout: float = 30) -> None:
    deadline = clock.monotonic() + timeout
    while not predicate():
        assert clock.monotonic() < deadline, "timed out waiting for the worker"
        clock.sleep(0.1)


def noon_zone(now: datetime) -> str:
    """A zone where it is about noon now, so the test's hour of usage is all on one local day."""
    offset = 12 - now.hour  # UTC+offset; Etc/GMT names have the sign reversed
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def count(person, kind) -> int:
    return Notification.objects.filter(recipient=person, kind=kind).count()


def test_a_real_worker_tells_each_threshold_once_per_person(alice):
    now = datetime.now(UTC)
    teen = TeenFactory(email="walt@example.com", display_name="Walt", time_zone=noon_zone(now))
    link(alice, teen)
    gwen = UserFactory(email="gwen@example.com", display_name="Gwen")
    link(gwen, teen)
    rules = teen.rules
    for name in WEEKDAY_FIELDS:
        setattr(rules, name, 30)
    rules.mute_start = rules.mute_end = None
    rules.save()
    people = (teen, alice, gwen)
    for person in people:  # (warnings and the limit are in-app only unless chosen)
        email_preferences_set(
            user=person, wanted={NotificationKind.WARNING, NotificationKind.LIMIT_REACHED}
        )
    _, token = register(teen)
    from django.test import Client

    client = Client()
    start = now - timedelta(minutes=45)
    reports = [
        [event(start, 16 * 60)],  # 16 of 30 minutes: 14 left, crosses 15
        [event(start + timedelta(minutes=16), 10 * 60)],  # 26: 4 left, crosses 5
        [event(start + timedelta(minutes=26), 5 * 60)],  # 31: the limit
    ]

    app.control.purge()
    # The first crossing is reported while no worker runs: the task waits in Redis.
    assert post_usage(client, token, reports[0]).status_code == 200
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        wait_for(lambda: all(count(p, NotificationKind.WARNING) == 1 for p in people))
        assert post_usage(client, token, reports[1]).status_code == 200
        wait_for(lambda: all(count(p, NotificationKind.WARNING) == 2 for p in people))
        response = post_usage(client, token, reports[2])
        assert response.json()["allowed"] is False
        wait_for(lambda: all(count(p, NotificationKind.LIMIT_REACHED) == 1 for p in people))

        # The same reports again, and the task run twice more: nothing new.
        for report in reports:
            assert post_usage(client, token, report).json()["booked"] == []
        teen_day_enforce.delay(teen.pk)
        teen_day_enforce.delay(teen.pk)
        wait_for(lambda: len(mail.outbox) >= 9)
        wait_until_drained()

    for person in people:
        assert count(person, NotificationKind.WARNING) == 2
        assert count(person, NotificationKind.LIMIT_REACHED) == 1
    titles = alice.notifications.order_by("id").values_list("title", flat=True)
    assert list(titles) == [
        "Walt has 14 minutes of screen time left today",
        "Walt has 4 minutes of screen time left today",
        "Walt reached today's screen-time limit (30 minutes)",
    ]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people for _ in range(3))
