"""No change of time zone gives time back (issue 11, item 4): a teen at today's limit who changes
zone stays blocked until their day would have reset in the old zone; guardians are told at once
and may apply the change sooner."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.profile import time_zone_changes_apply_due
from controls.models import AuditEvent, Notification, NotificationKind, TeenDay
from tests.device_support import auth, event, post_usage, register

POLICY = "/api/v1/device/policy"

# (zone before, zone chosen, when the teen changes it, when their day resets in the old zone)
HOPS = [
    pytest.param(
        "Europe/London",
        "Pacific/Kiritimati",
        datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
        id="east",
    ),
    pytest.param(
        "Europe/London",
        "Pacific/Pago_Pago",
        datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
        id="west-pago-pago",
    ),
    pytest.param(
        "Europe/London",
        "America/Los_Angeles",
        datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
        id="west-los-angeles",
    ),
    pytest.param(  # Berlin's clocks go forward that night: a 23-hour day
        "Europe/Berlin",
        "Asia/Tokyo",
        datetime(2026, 3, 29, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
        id="east-on-the-spring-dst-day",
    ),
    pytest.param(  # Berlin's clocks go back that night: a 25-hour day
        "Europe/Berlin",
        "America/New_York",
        datetime(2026, 10, 25, 12, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
        id="west-on-the-autumn-dst-day",
    ),
]


def policy(client, token: str) -> dict:
    response = client.get(POLICY, **auth(token))
    assert response.status_code == 200
    return response.json()


def patch_me(client, **data):
    return client.patch("/api/v1/me", json.dumps(data), content_type="application/json")


@pytest.fixture
def eager_on_commit(django_capture_on_commit_callbacks):
    """Run what is enqueued on commit (notification e-mails) as it would in production."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new", "now", "reset"), HOPS)
def test_a_limit_reached_teen_stays_blocked_until_the_old_day_resets(
    client, tom, alice, old, new, now, reset, eager_on_commit
):
    tom.time_zone = old
    tom.save()
    _device, token = register(tom)
    client.force_login(tom)
    with time_machine.travel(now, tick=False) as traveller:
        assert post_usage(client, token, [event(now - timedelta(hours=1), 3600)]).status_code == 200
        before = policy(client, token)
        assert before["allowed"] is False and before["reason"] == "daily_limit"

        with eager_on_commit():
            response = patch_me(client, time_zone=new)
        assert response.status_code == 200
        body = response.json()
        assert body["time_zone"] == old
        assert body["time_zone_change"]["time_zone"] == new
        assert body["time_zone_change"]["takes_effect_at"] == reset.isoformat().replace(
            "+00:00", "Z"
        )

        after = policy(client, token)
        assert after["allowed"] is False
        assert after["seconds_left"] == 0
        assert after["local_date"] == before["local_date"]
        assert after["day_end_utc"] == before["day_end_utc"]

        # Still blocked the last second of the old day, also after the device reports more.
        traveller.move_to(reset - timedelta(seconds=1))
        assert (
            post_usage(client, token, [event(reset - timedelta(minutes=5), 60)]).status_code == 200
        )
        last = policy(client, token)
        assert last["allowed"] is False and last["local_date"] == before["local_date"]

        # The new day starts exactly when the old zone's would have, counted in the new zone.
        traveller.move_to(reset + timedelta(seconds=1))
        assert time_zone_changes_apply_due() == 1  # the periodic task stores the new zone
        tom.refresh_from_db()
        assert tom.time_zone == new and tom.pending_time_zone == ""
        fresh = policy(client, token)
        assert fresh["allowed"] is True
        assert fresh["local_date"] > before["local_date"]
        assert fresh["day_start_utc"] == reset.isoformat().replace("+00:00", "Z")

    # Guardians were told at once, in-app and by e-mail, with when it takes effect.
    notice = Notification.objects.get(recipient=alice, kind=NotificationKind.TIME_ZONE_CHANGED)
    assert notice.title == f"Tom changed their time zone to {new}"
    assert f"Tom's time zone changes from {old} to {new} at " in notice.body
    assert any(new in message.subject and alice.email in message.to for message in mail.outbox)


@pytest.mark.django_db
def test_usage_from_before_the_change_is_booked_on_the_day_it_happened(client, tom):
    """A device that reports late, after the teen changed zone, books its seconds on the old day
    (read in the zone in force when they happened), not on the fresh one."""
    _device, token = register(tom)
    client.force_login(tom)
    with time_machine.travel(datetime(2026, 12, 1, 23, 0, tzinfo=UTC), tick=False) as traveller:
        assert patch_me(client, time_zone="Pacific/Kiritimati").status_code == 200
        traveller.move_to(datetime(2026, 12, 2, 0, 30, tzinfo=UTC))
        late = event(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), 600)
        assert post_usage(client, token, [late]).status_code == 200
    days = dict(TeenDay.objects.filter(teen=tom).values_list("local_date", "counted_seconds"))
    assert days == {datetime(2026, 12, 1).date(): 600}


@pytest.mark.django_db
def test_a_device_clock_in_the_future_books_nothing(client, tom):
    _device, token = register(tom)
    with time_machine.travel(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=False):
        ahead = event(datetime(2026, 12, 2, 1, 0, tzinfo=UTC), 600)  # "tomorrow", a fresh day
        response = post_usage(client, token, [ahead])
    assert response.status_code == 400
    assert not TeenDay.objects.filter(teen=tom).exists()


@pytest.mark.django_db
def test_choosing_the_current_zone_again_cancels_the_change(tom_client, tom):
    with time_machine.travel(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=False):
        patch_me(tom_client, time_zone="Asia/Tokyo")
        body = patch_me(tom_client, time_zone="Europe/London").json()
    assert body["time_zone"] == "Europe/London" and body["time_zone_change"] is None
    tom.refresh_from_db()
    assert tom.pending_time_zone == "" and tom.time_zone_changes_at is None


@pytest.mark.django_db
def test_a_guardian_sees_the_change_and_applies_it_now_from_the_teens_page(
    client, tom, alice, eager_on_commit
):
    _device, token = register(tom)
    with time_machine.travel(datetime(2026, 12, 1, 15, 30, tzinfo=UTC), tick=False):
        client.force_login(tom)
        patch_me(client, time_zone="Asia/Tokyo")
        client.force_login(alice)
        page = html.unescape(client.get(reverse("teen_detail", args=[tom.pk])).content.decode())
        assert (
            "Tom's time zone changes from Europe/London to Asia/Tokyo at 00:00 on Wednesday "
            "2 December their time." in page
        )
        assert "Apply the new time zone now" in page
        with eager_on_commit():
            response = client.post(reverse("teen_time_zone_apply", args=[tom.pk]))
        assert response.status_code == 302
        tom.refresh_from_db()
        assert tom.time_zone == "Asia/Tokyo" and tom.pending_time_zone == ""
        # Counted in Tokyo from now, where it is already 00:30 on 2 December.
        assert policy(client, token)["local_date"] == "2026-12-02"
    event_ = AuditEvent.objects.get(teen=tom, action="profile.time_zone_applied")
    assert event_.actor == alice
    assert Notification.objects.filter(
        recipient=tom,
        kind=NotificationKind.TIME_ZONE_CHANGED,
        title="Your time zone is now Asia/Tokyo",
    ).exists()


@pytest.mark.django_db
def test_the_api_applies_a_pending_change_for_a_guardian_only(client, tom, alice):
    url = f"/api/v1/teens/{tom.pk}/time-zone-change/apply"
    with time_machine.travel(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=False):
        client.force_login(tom)
        patch_me(client, time_zone="Asia/Tokyo")
        assert client.post(url).status_code == 403  # the teen cannot skip the wait
        tom.refresh_from_db()
        assert tom.time_zone == "Europe/London"
        client.force_login(alice)
        body = client.post(url).json()
        assert body == {
            "teen": tom.pk,
            "time_zone": "Asia/Tokyo",
            "applied": True,
            "time_zone_change": None,
        }
        assert client.post(url).json()["applied"] is False  # safe to repeat


@pytest.mark.django_db
def test_an_adults_change_of_time_zone_applies_at_once(alice_client, alice):
    body = patch_me(alice_client, time_zone="Asia/Tokyo").json()
    assert body["time_zone"] == "Asia/Tokyo" and body["time_zone_change"] is None
