"""The benchmark harness must not rot: its URL configuration serves the no-op view, seeding
works on a tiny data set, seeded tokens and sessions authenticate, and the table renders.
No load and no timings here (those are `make bench`, never `make test`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import clear_url_caches

from accounts.devices.services import device_for_token
from accounts.models import GuardianLink, LinkStatus, User
from bench.paths import POLICY_URL, USAGE_URL, bearer, usage_body
from bench.report import PathResult, Target, format_table
from bench.seed import DASHBOARD_TEENS, seed
from controls.days import teen_day
from controls.models import DailyUsage, TeenDay, TeenRules, UsageEvent

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def bench_urls(settings):
    settings.ROOT_URLCONF = "bench.urls"
    clear_url_caches()
    yield
    clear_url_caches()


def test_it_serves_the_noop_view_in_the_bench_urlconf_only(client, bench_urls, settings):
    response = client.get("/bench/noop")
    assert response.status_code == 200
    assert response.content == b"ok"

    settings.ROOT_URLCONF = "familypairing.urls"
    clear_url_caches()
    assert client.get("/bench/noop").status_code == 404


def test_it_keeps_the_project_urls_in_the_bench_urlconf(client, bench_urls):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_it_seeds_a_tiny_data_set_that_authenticates():
    result = seed(families=3, history_days=3, event_days=2, enforcement_teens=1, now=NOW)

    assert result.families == 3
    assert User.objects.count() == result.guardians + result.teens
    assert TeenRules.objects.count() == result.teens
    dashboard_links = GuardianLink.objects.filter(
        parent_id=result.dashboard_guardian_id, status=LinkStatus.ACTIVE
    )
    assert dashboard_links.count() == DASHBOARD_TEENS
    teen = User.objects.get(pk=result.teen_page_teen_id)
    assert teen.is_teen
    assert GuardianLink.objects.filter(teen=teen, status=LinkStatus.ACTIVE).count() == 2
    assert TeenDay.objects.filter(teen=teen).count() == 4  # three past days and today
    assert DailyUsage.objects.exists()
    assert UsageEvent.objects.exists()

    for seeded in [*result.load_devices, *result.enforcement_devices]:
        device = device_for_token(token=seeded.token)
        assert device is not None
        assert device.teen_id == seeded.teen_id

    [armed] = result.enforcement_devices
    armed_teen = User.objects.select_related("rules").get(pk=armed.teen_id)
    today = teen_day(now=NOW, tz=armed_teen.tz, day_start=armed_teen.rules.day_start).local_date
    limit = armed_teen.rules.daily_limits()[today.weekday()]
    assert TeenDay.objects.get(teen=armed_teen, local_date=today).counted_seconds == (
        limit * 60 - 30
    )


@pytest.mark.django_db
def test_it_tops_up_an_existing_data_set():
    first = seed(families=2, history_days=1, event_days=1, now=NOW)
    light = seed(families=4, light=True, now=NOW)

    assert TeenRules.objects.count() == first.teens + light.teens
    assert light.devices == 0
    assert not UsageEvent.objects.filter(teen__rules__isnull=True).exists()


@pytest.mark.django_db
def test_it_drives_the_device_api_as_the_wrk_scripts_do(client, bench_urls):
    """The bodies and headers the benchmark sends are the ones the device API accepts."""
    now = datetime.now(UTC)
    result = seed(families=2, history_days=1, event_days=1, now=now)
    device = result.load_devices[0]
    auth = bearer(device.token)

    first = client.get(POLICY_URL, headers=auth)
    again = client.get(POLICY_URL, headers={**auth, "If-None-Match": first["ETag"]})
    batch = usage_body(10, start=now - timedelta(minutes=30))
    posted = client.post(
        USAGE_URL, data=json.dumps(batch), content_type="application/json", headers=auth
    )

    assert first.status_code == 200
    assert again.status_code == 304
    assert posted.status_code == 200, posted.content
    assert len(posted.json()["booked"]) == 10


def test_it_renders_the_table_with_verdicts():
    rows = [
        PathResult("noop", "no-op", 1000, 1.0, 3.0, 10000, 0, 200, {"200": 10000}, {}, ratio=1),
        PathResult(
            "policy_304",
            "policy 304",
            700,
            1.5,
            4.0,
            7000,
            1,
            304,
            {"304": 7000},
            {},
            target=Target(min_ratio=0.6, max_queries=1),
            ratio=0.7,
        ),
        PathResult(
            "usage_1",
            "usage",
            200,
            5.0,
            9.0,
            2000,
            4,
            200,
            {"200": 1990, "400": 10},
            {},
            target=Target(min_ratio=0.3, max_queries=3),
            ratio=0.2,
        ),
    ]

    table = format_table(rows)

    assert "policy 304" in table
    assert rows[1].verdict() == "met"
    assert rows[2].verdict().startswith("MISSED")
    assert "10 unexpected statuses" in rows[2].verdict()
    assert "4 queries > 3" in rows[2].verdict()
