"""Enforcement: ok → warned → limit reached, each threshold told once to the teen and every
guardian; and the per-minute sweep (downtime starting, limits reached without a report, devices
not applying the rules, silent devices)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from accounts.devices.services import device_seen
from accounts.models import Device
from controls.enforcement.services import teen_day_enforce
from controls.enforcement.sweep import (
    devices_not_applied_notify,
    devices_silent_notify,
    downtime_notices_send,
    enforcement_sweep,
    limits_reconcile,
)
from controls.models import (
    DayGrant,
    DayState,
    DowntimeWindow,
    EnforcementMark,
    Notification,
    NotificationKind,
    TeenDay,
)
from controls.notifications.services import email_preferences_set
from familypairing.celery import app as celery_app
from tests.device_support import event, post_usage, register
from tests.factories import TeenFactory, UserFactory, link

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # Wednesday, 12:00 in London (BST)
WARNING, LIMIT = NotificationKind.WARNING, NotificationKind.LIMIT_REACHED


@pytest.fixture
def eager():
    """Run tasks in-process even when REDIS_URL made Celery asynchronous for this run."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def gwen(tom):
    """A second guardian of tom."""
    guardian = UserFactory(email="gwen@example.com", display_name="Gwen")
    link(guardian, tom)
    return guardian


def use(teen, minutes: float, *, on=None) -> None:
    day, _ = TeenDay.objects.get_or_create(teen=teen, local_date=on or NOW.date())
    TeenDay.objects.filter(pk=day.pk).update(counted_seconds=int(minutes * 60))


def kinds(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


def state(teen) -> str:
    return TeenDay.objects.get(teen=teen, local_date=NOW.date()).state


# --- The state machine ---------------------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_each_threshold_is_told_once_to_the_teen_and_every_guardian(tom, alice, gwen):
    use(tom, 45)
    assert teen_day_enforce(teen=tom) == ["warning:15:3600"]
    assert state(tom) == DayState.WARNED
    assert teen_day_enforce(teen=tom) == []

    use(tom, 55)
    assert teen_day_enforce(teen=tom) == ["warning:5:3600"]
    use(tom, 60)
    assert teen_day_enforce(teen=tom) == ["limit:3600"]
    assert state(tom) == DayState.LIMIT_REACHED
    assert teen_day_enforce(teen=tom) == []

    for person in (tom, alice, gwen):
        assert kinds(person) == [WARNING, WARNING, LIMIT]
    titles = list(alice.notifications.order_by("id").values_list("title", flat=True))
    assert titles == [
        "Tom has 15 minutes of screen time left today",
        "Tom has 5 minutes of screen time left today",
        "Tom reached today's screen-time limit (1 hour)",
    ]
    assert (
        tom.notifications.order_by("id").last().title == "You've reached today's screen-time limit"
    )


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_jump_past_both_warnings_sends_only_the_most_urgent(tom, alice):
    use(tom, 57)
    assert teen_day_enforce(teen=tom) == ["warning:5:3600", "warning:15:3600"]
    assert kinds(alice) == [WARNING]
    assert alice.notifications.get().title == "Tom has 3 minutes of screen time left today"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_going_straight_to_the_limit_sends_no_warnings(tom, alice):
    use(tom, 75)
    teen_day_enforce(teen=tom)
    assert kinds(alice) == [LIMIT]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_bonus_time_starts_a_fresh_cycle_that_ends_in_one_more_limit_notice(tom, alice):
    use(tom, 60)
    teen_day_enforce(teen=tom)
    DayGrant.objects.create(teen=tom, local_date=NOW.date(), bonus_minutes=10, granted_by=alice)
    teen_day_enforce(teen=tom)
    assert state(tom) == DayState.WARNED  # 10 minutes left: inside the 15-minute warning
    use(tom, 70)
    # The 5-minute warning of the bonus cycle was never passed by a report: moot, marked only.
    assert teen_day_enforce(teen=tom) == ["limit:4200", "warning:5:4200"]
    assert kinds(alice) == [LIMIT, LIMIT]
    assert alice.notifications.first().title.endswith("(1 h 10 min)")


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_no_limit_today_means_nothing_to_enforce(tom, alice):
    use(tom, 90)
    DayGrant.objects.create(teen=tom, local_date=NOW.date(), no_limit=True)
    assert teen_day_enforce(teen=tom) == []
    assert state(tom) == DayState.OK
    assert not Notification.objects.exists()


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 7, 15, 21, 0, tzinfo=UTC), tick=False)  # 22:00 London
def test_a_teens_notice_inside_the_mute_window_waits_for_the_morning(tom, alice):
    use(tom, 60, on=datetime(2026, 7, 15).date())
    teen_day_enforce(teen=tom)
    notice = tom.notifications.get()
    assert notice.deliver_at == datetime(2026, 7, 16, 7, 0, tzinfo=UTC)  # 08:00 London
    assert alice.notifications.get().deliver_at == datetime(2026, 7, 15, 21, 0, tzinfo=UTC)


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_reports_crossing_thresholds_enqueue_the_task_after_commit(
    client, tom, alice, eager, django_capture_on_commit_callbacks
):
    _, token = register(tom)
    # warnings and the limit are in-app only by default; alice chose e-mail for them
    email_preferences_set(user=alice, wanted={WARNING, LIMIT})
    start = NOW - timedelta(minutes=61)
    reports = [
        [event(start, 2700)],  # 45 min used: 15 left
        [event(start + timedelta(minutes=45), 600)],  # 55 min: 5 left
        [event(start + timedelta(minutes=55), 300)],  # 60 min: limit
    ]
    for report in reports:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert post_usage(client, token, report).status_code == 200
        assert callbacks, "a crossing report enqueues the enforcement task"
    for report in reports:  # the same reports again: nothing booked, nothing enqueued
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post_usage(client, token, report)
        assert not callbacks
    assert kinds(alice) == [WARNING, WARNING, LIMIT]
    assert kinds(tom) == [WARNING, WARNING, LIMIT]
    assert len([m for m in mail.outbox if m.to == [alice.email]]) == 3


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_report_that_crosses_nothing_enqueues_nothing(
    client, tom, eager, django_capture_on_commit_callbacks
):
    _, token = register(tom)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        post_usage(client, token, [event(NOW - timedelta(minutes=20), 600)])
    # (The only callback is the policy cache noting new usage: no task.)
    assert [c.__module__ for c in callbacks] == ["controls.effective.cache"]
    assert not EnforcementMark.objects.exists()


# --- The sweep: downtime starting -----------------------------------------------------------


def window(teen, start: time, end: time, *, name="Homework", weekdays=0b1111111):
    return DowntimeWindow.objects.create(
        teen=teen, name=name, start=start, end=end, weekdays=weekdays
    )


@pytest.mark.django_db
def test_the_teen_is_told_a_few_minutes_before_downtime_starts_and_only_once(tom, alice):
    window(tom, time(16, 0), time(17, 0))
    with time_machine.travel(datetime(2026, 7, 15, 14, 50, tzinfo=UTC), tick=False):  # 15:50
        assert downtime_notices_send() == 0
    with time_machine.travel(datetime(2026, 7, 15, 14, 56, tzinfo=UTC), tick=False):  # 15:56
        assert downtime_notices_send() == 1
        assert downtime_notices_send() == 0
    with time_machine.travel(datetime(2026, 7, 15, 14, 59, tzinfo=UTC), tick=False):
        assert downtime_notices_send() == 0
    notice = tom.notifications.get()
    assert notice.kind == NotificationKind.DOWNTIME_STARTING
    assert notice.title == "Downtime “Homework” starts at 16:00"
    assert not alice.notifications.exists()


@pytest.mark.django_db
def test_downtime_notices_follow_each_teens_own_time_zone(tom, tina):
    window(tom, time(16, 0), time(17, 0))  # London: 15:00 UTC
    window(tina, time(16, 0), time(17, 0))  # New York: 20:00 UTC
    with time_machine.travel(datetime(2026, 7, 15, 14, 57, tzinfo=UTC), tick=False):
        assert downtime_notices_send() == 1
    with time_machine.travel(datetime(2026, 7, 15, 19, 57, tzinfo=UTC), tick=False):
        assert downtime_notices_send() == 1
    assert tom.notifications.count() == 1 and tina.notifications.count() == 1


@pytest.mark.django_db
def test_a_window_starting_at_midnight_is_announced_the_evening_before(tom):
    rules = tom.rules
    rules.mute_start = rules.mute_end = None
    rules.save()
    window(tom, time(0, 0), time(6, 0), name="Night", weekdays=0b0001000)  # Thursdays only
    with time_machine.travel(datetime(2026, 7, 15, 22, 57, tzinfo=UTC), tick=False):  # Wed 23:57
        assert downtime_notices_send() == 1
    assert tom.notifications.get().title == "Downtime “Night” starts at 00:00"


@pytest.mark.django_db
def test_a_window_on_another_weekday_is_not_announced(tom):
    window(tom, time(16, 0), time(17, 0), weekdays=0b0000001)  # Mondays only
    with time_machine.travel(datetime(2026, 7, 15, 14, 57, tzinfo=UTC), tick=False):
        assert downtime_notices_send() == 0


@pytest.mark.django_db
def test_no_downtime_notice_during_the_teens_mute_hours(tom):
    window(tom, time(21, 30), time(7, 0), name="Bedtime")  # tom is muted from 21:00
    with time_machine.travel(datetime(2026, 7, 15, 20, 27, tzinfo=UTC), tick=False):  # 21:27
        assert downtime_notices_send() == 0
        assert downtime_notices_send() == 0
    assert not tom.notifications.exists()


@pytest.mark.django_db
def test_no_notice_for_a_window_that_continues_one_already_running(tom):
    window(tom, time(15, 0), time(16, 0), name="Homework")
    window(tom, time(16, 0), time(17, 0), name="Chores")
    with time_machine.travel(datetime(2026, 7, 15, 14, 57, tzinfo=UTC), tick=False):  # 15:57
        assert downtime_notices_send() == 0


@pytest.mark.django_db
def test_an_unlinked_teen_gets_no_downtime_notice(uma):
    window(uma, time(16, 0), time(17, 0))
    with time_machine.travel(datetime(2026, 7, 15, 14, 57, tzinfo=UTC), tick=False):
        assert downtime_notices_send() == 0


# --- The sweep: limits reached without a crossing report ---------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_limit_lowered_below_todays_use_is_caught_by_the_sweep(tom, alice):
    use(tom, 40)
    assert limits_reconcile() == 0
    rules = tom.rules
    rules.limit_wed = 30
    rules.save()
    assert limits_reconcile() == 1
    assert kinds(alice) == [LIMIT]
    assert limits_reconcile() == 0


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_bonus_time_used_up_is_caught_by_the_sweep(tom, alice):
    DayGrant.objects.create(teen=tom, local_date=NOW.date(), bonus_minutes=15)
    use(tom, 70)
    assert limits_reconcile() == 0
    use(tom, 75)
    assert limits_reconcile() == 1
    assert kinds(alice) == [LIMIT]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_day_already_over_is_marked_but_nobody_is_told(tom, alice):
    yesterday = NOW.date() - timedelta(days=1)
    use(tom, 90, on=yesterday)
    assert limits_reconcile() == 1
    assert TeenDay.objects.get(teen=tom, local_date=yesterday).state == DayState.LIMIT_REACHED
    assert not Notification.objects.exists()


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_sweep_costs_the_same_queries_for_one_teen_or_ten(django_assert_num_queries, bob):
    def teens(n):
        for i in range(n):
            teen = TeenFactory(email=f"teen{n}-{i}@example.com", time_zone="Asia/Tokyo")
            link(bob, teen)
            window(teen, time(6, 0), time(7, 0))
            register(teen)
            use(teen, 10)

    teens(1)
    # Time zones with windows, windows starting now, days over the limit, days past a warning
    # without its notice, devices not applying, silent devices: one query each.
    with django_assert_num_queries(6):
        enforcement_sweep()
    teens(9)
    with django_assert_num_queries(6):
        assert enforcement_sweep() == {
            "downtime_notices": 0,
            "limits": 0,
            "warnings": 0,
            "devices_not_applied": 0,
            "devices_silent": 0,
        }


# --- The sweep: devices not applying the rules ---------------------------------------------------


@pytest.fixture
def acked_phone(tom):
    """Tom's phone, registered an hour ago, which applied the rules then."""
    device, _ = register(tom)
    Device.objects.filter(pk=device.pk).update(
        created_at=NOW - timedelta(hours=1),
        last_seen_at=NOW - timedelta(hours=1),
        acked_version="abc",
        acked_at=NOW - timedelta(hours=1),
        acked_rules_version=tom.rules.version,
    )
    device.refresh_from_db()
    return device


def change_rules(teen, at):
    rules = teen.rules
    rules.version += 1
    rules.updated_at = at
    rules.save()


@pytest.mark.django_db
def test_guardians_hear_once_about_a_device_that_talks_but_does_not_apply(tom, alice, acked_phone):
    change_rules(tom, NOW)
    Device.objects.filter(pk=acked_phone.pk).update(last_seen_at=NOW + timedelta(minutes=1))
    assert devices_not_applied_notify(now=NOW + timedelta(minutes=9)) == 0  # give it time
    assert devices_not_applied_notify(now=NOW + timedelta(minutes=10)) == 1
    assert devices_not_applied_notify(now=NOW + timedelta(minutes=11)) == 0
    notice = alice.notifications.get()
    assert notice.kind == NotificationKind.DEVICE_NOT_APPLIED
    assert notice.title == "“Phone” has not applied Tom's latest rules"
    assert not tom.notifications.exists()

    change_rules(tom, NOW + timedelta(minutes=20))  # a later change is a new question
    Device.objects.filter(pk=acked_phone.pk).update(last_seen_at=NOW + timedelta(minutes=21))
    assert devices_not_applied_notify(now=NOW + timedelta(minutes=30)) == 1


@pytest.mark.django_db
def test_a_device_that_applied_the_change_or_is_offline_is_not_reported(tom, alice, acked_phone):
    change_rules(tom, NOW)
    assert devices_not_applied_notify(now=NOW + timedelta(minutes=15)) == 0  # offline
    Device.objects.filter(pk=acked_phone.pk).update(
        last_seen_at=NOW + timedelta(minutes=1), acked_rules_version=tom.rules.version
    )
    assert devices_not_applied_notify(now=NOW + timedelta(minutes=15)) == 0  # applied
    assert not Notification.objects.exists()


# --- The sweep: silent devices -----------------------------------------------------------------


@pytest.mark.django_db
def test_guardians_hear_once_about_a_silent_device_while_the_teen_is_allowed(
    settings, tom, alice, acked_phone
):
    settings.DEVICE_SILENT_HOURS = 24
    assert devices_silent_notify(now=NOW + timedelta(hours=22)) == 0
    assert devices_silent_notify(now=NOW + timedelta(hours=23)) == 1
    assert devices_silent_notify(now=NOW + timedelta(hours=23, minutes=1)) == 0
    notice = alice.notifications.get()
    assert notice.kind == NotificationKind.DEVICE_SILENT
    assert notice.title == "No news from Tom's “Phone”"

    # Heard from again: the next silence is told again.
    acked_phone.refresh_from_db()
    assert device_seen(device=acked_phone, now=NOW + timedelta(hours=24))
    assert devices_silent_notify(now=NOW + timedelta(hours=30)) == 0
    assert devices_silent_notify(now=NOW + timedelta(hours=48, minutes=1)) == 1


@pytest.mark.django_db
def test_silence_during_downtime_waits_until_the_teen_is_allowed(settings, tom, alice, acked_phone):
    settings.DEVICE_SILENT_HOURS = 24
    window(tom, time(11, 0), time(13, 0), name="School")  # London time
    at_school = NOW + timedelta(days=1)  # Thursday 12:00 London
    assert devices_silent_notify(now=at_school) == 0
    assert devices_silent_notify(now=at_school + timedelta(hours=1, minutes=1)) == 1


@pytest.mark.django_db
def test_a_device_registered_but_never_connected_counts_as_silent(settings, tom, alice):
    settings.DEVICE_SILENT_HOURS = 24
    device, _ = register(tom)
    Device.objects.filter(pk=device.pk).update(created_at=NOW - timedelta(hours=25))
    assert devices_silent_notify(now=NOW) == 1
    assert "since it was registered" in alice.notifications.get().body


@pytest.mark.django_db
def test_a_revoked_device_is_never_reported(settings, tom, alice, acked_phone):
    Device.objects.filter(pk=acked_phone.pk).update(revoked_at=NOW)
    change_rules(tom, NOW)
    assert devices_silent_notify(now=NOW + timedelta(days=3)) == 0
    assert devices_not_applied_notify(now=NOW + timedelta(days=3)) == 0


# --- Celery wiring -------------------------------------------------------------------------------


def test_the_periodic_tasks_are_declared():
    from familypairing.periodic import PERIODIC_TASKS

    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    tasks = dict(PERIODIC_TASKS.values())
    assert tasks["controls.tasks.enforcement_sweep"] == {"minute": "*"}
    assert "controls.tasks.usage_purge_old" in tasks
    assert set(tasks) <= set(celery_app.tasks.keys())


def test_every_task_keeps_the_name_queued_messages_and_beat_rows_carry():
    celery_app.loader.import_default_modules()
    registered = {name for name in celery_app.tasks if name.startswith(("accounts.", "controls."))}
    assert registered == {
        "accounts.tasks.device_enrolments_prune",
        "accounts.tasks.guardian_links_end_at_18",
        "accounts.tasks.pairing_invitations_expire",
        "accounts.tasks.time_zone_changes_apply_due",
        "controls.request_tasks.time_request_send_email",
        "controls.request_tasks.time_requests_lapse",
        "controls.request_tasks.weekly_report_send",
        "controls.request_tasks.weekly_reports_send_due",
        "controls.tasks.enforcement_sweep",
        "controls.tasks.notification_send_email",
        "controls.tasks.notifications_deliver_due",
        "controls.tasks.teen_day_enforce",
        "controls.tasks.usage_purge_old",
        "controls.tasks.rule_change_digests_send",
        "controls.tasks.day_limits_record",
    }


def test_celery_is_configured_to_be_trusted():
    conf = celery_app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.timezone == "UTC" and conf.enable_utc
    from controls.notifications.tasks import notification_send_email

    visibility = conf.broker_transport_options.get("visibility_timeout")
    if visibility is not None:  # Redis
        assert visibility > conf.task_time_limit
    assert not getattr(notification_send_email, "autoretry_for", ())  # the e-mail sweep retries
