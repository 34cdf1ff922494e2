"""Browsers and desktops (issue 14): two windows visible at once are two overlapping events of
different apps; each app's total gets its seconds, the teen's day (the quota) the clock's seconds
once per device; devices add up. Site usage is `web:<registrable domain>`; the `browser`
platform. On SQLite and on PostgreSQL (one statement: the count is pinned)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from accounts.devices.services import device_register
from accounts.models import Device, Platform
from controls.app_rules.services import app_rule_set
from controls.models import DailyUsage, TeenDay
from controls.usage.sites import site_app_normalise
from tests.device_support import event, post_usage, register

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)
TODAY = date(2026, 7, 15)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def laptop(tom):
    return device_register(teen=tom, actor=tom, name="Laptop", platform=Platform.BROWSER)


def day(teen) -> tuple[int, int]:
    row = TeenDay.objects.get(teen=teen, local_date=TODAY)
    return row.counted_seconds, row.total_seconds


def per_app(teen) -> dict[str, int]:
    return {row.app: row.seconds for row in DailyUsage.objects.filter(teen=teen)}


def test_a_browser_platform_device_can_be_registered(laptop):
    device, _ = laptop
    assert Device.objects.get(pk=device.pk).platform == "browser"
    assert device.get_platform_display() == "Web browser"


def test_two_windows_at_once_count_the_clock_once(client, tom, laptop):
    _, token = laptop
    start = NOW - timedelta(minutes=10)
    response = post_usage(
        client,
        token,
        [
            event(start, 300, app="web:example.com"),
            event(start + timedelta(minutes=2), 300, app="web:video.example"),
        ],
    )
    assert response.status_code == 200, response.content
    assert per_app(tom) == {"web:example.com": 300, "web:video.example": 300}
    assert day(tom) == (420, 420)  # 10:50–10:57 on the clock
    assert response.json()["used_seconds"] == 420


def test_a_window_overlapping_one_reported_before_counts_only_its_new_seconds(client, tom, laptop):
    _, token = laptop
    start = NOW - timedelta(minutes=10)
    assert post_usage(client, token, [event(start, 300, app="web:example.com")]).status_code == 200

    response = post_usage(
        client, token, [event(start + timedelta(minutes=4), 240, app="com.example.editor")]
    )

    assert response.status_code == 200, response.content
    assert per_app(tom) == {"web:example.com": 300, "com.example.editor": 240}
    assert day(tom) == (480, 480)  # 10:50–10:58
    # A retry is still a retry: nothing more.
    assert post_usage(client, token, [event(start, 300, app="web:example.com")]).status_code in {
        200,
        400,
    }
    assert day(tom) == (480, 480)


def test_the_same_app_twice_at_once_is_still_refused(client, tom, laptop):
    _, token = laptop
    start = NOW - timedelta(minutes=10)
    post_usage(client, token, [event(start, 300, app="web:example.com")])
    response = post_usage(
        client, token, [event(start + timedelta(minutes=1), 60, app="web:example.com")]
    )
    assert response.status_code == 400
    assert "same app" in response.json()["events"][0]["started_at"][0]
    assert day(tom) == (300, 300)


def test_an_always_allowed_window_does_not_hide_a_counted_one(client, tom, alice, laptop):
    _, token = laptop
    app_rule_set(
        actor=alice, teen=tom, changes={"app": "com.example.school", "kind": "always_allowed"}
    )
    start = NOW - timedelta(minutes=10)
    response = post_usage(
        client,
        token,
        [
            event(start, 300, app="com.example.school"),
            event(start + timedelta(minutes=1), 120, app="web:video.example"),
        ],
    )
    assert response.status_code == 200, response.content
    assert day(tom) == (120, 300)  # counted: the video; on the clock: 5 minutes


def test_two_devices_at_once_add_up(client, tom, laptop):
    _, laptop_token = laptop
    _, phone_token = register(tom)
    start = NOW - timedelta(minutes=10)
    post_usage(client, laptop_token, [event(start, 300, app="web:example.com")])
    post_usage(client, phone_token, [event(start, 300, app="com.example.chat")])
    assert day(tom) == (600, 600)


@pytest.mark.parametrize(
    ("sent", "booked"),
    [
        ("web:example.com", "web:example.com"),
        ("web:WWW.Example.COM.", "web:example.com"),
        ("web:news.bbc.co.uk", "web:bbc.co.uk"),
        ("web:foo.github.io", "web:foo.github.io"),
        ("web:bücher.de", "web:xn--bcher-kva.de"),
    ],
)
def test_sites_are_booked_under_their_registrable_domain(client, tom, laptop, sent, booked):
    _, token = laptop
    response = post_usage(client, token, [event(NOW - timedelta(minutes=5), 60, app=sent)])
    assert response.status_code == 200, response.content
    assert per_app(tom) == {booked: 60}


@pytest.mark.parametrize(
    "sent", ["web:", "web:localhost", "web:192.168.1.10", "web:example.com/path", "web:a..b"]
)
def test_a_site_that_is_no_domain_is_refused_naming_the_form(client, tom, laptop, sent):
    _, token = laptop
    response = post_usage(client, token, [event(NOW - timedelta(minutes=5), 60, app=sent)])
    assert response.status_code == 400
    assert "web:<domain>" in response.json()["events"][0]["app"][0]
    assert not DailyUsage.objects.filter(teen=tom).exists()


def test_the_normalisation_is_the_documented_one():
    with pytest.raises(ValueError, match="IP address"):
        site_app_normalise("web:10.0.0.1")
    assert site_app_normalise("WEB:m.example.co.uk") == "web:example.co.uk"


def test_a_report_with_overlapping_windows_is_still_one_query_on_postgresql(
    client, tom, laptop, django_assert_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement booking is PostgreSQL's")
    _, token = laptop
    start = NOW - timedelta(minutes=20)
    post_usage(client, token, [event(start, 300, app="web:example.com")])  # warm the caches
    with django_assert_num_queries(1):
        response = post_usage(
            client,
            token,
            [
                event(start + timedelta(minutes=3), 300, app="web:video.example"),
                event(start + timedelta(minutes=4), 60, app="com.example.chat"),
            ],
        )
    assert response.status_code == 200
    assert day(tom) == (480, 480)
