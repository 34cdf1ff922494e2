"""The weekly report: due at Sunday 18:00 in each guardian's own time zone, sent once, with
each teen's week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from controls.audit import audit_record
from controls.models import (
    WEEKDAY_FIELDS,
    DailyUsage,
    DayGrant,
    DayLimit,
    NotificationKind,
    NotificationPreference,
    TeenDay,
    TimeRequest,
    TimeRequestStatus,
    WeeklyReportLog,
)
from controls.reports.services import weekly_report_guardians_due, weekly_report_send_once
from controls.tasks import weekly_reports_send_due
from tests.factories import TeenFactory, UserFactory, link

WEEK = date(2025, 6, 9)  # Monday 9 – Sunday 15 June 2025


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def tonga(db):
    """A guardian at UTC+13: Sunday 18:00 there is Sunday 05:00 UTC."""
    guardian = UserFactory(
        email="sione@example.com", display_name="Sione", time_zone="Pacific/Tongatapu"
    )
    link(guardian, TeenFactory(display_name="Mele", time_zone="Pacific/Tongatapu"))
    return guardian


@pytest.fixture
def honolulu(db):
    """A guardian at UTC−10: Sunday 18:00 there is Monday 04:00 UTC."""
    guardian = UserFactory(
        email="kai@example.com", display_name="Kai", time_zone="Pacific/Honolulu"
    )
    link(guardian, TeenFactory(display_name="Leilani", time_zone="Pacific/Honolulu"))
    return guardian


def _due(now):
    return set(weekly_report_guardians_due(now=now))


def test_it_picks_each_guardian_at_their_own_sunday_evening(tonga, honolulu):
    assert _due(_at(2025, 6, 15, 4, 0)) == set()  # Tonga 17:00 Sun, Honolulu 18:00 Sat
    assert _due(_at(2025, 6, 15, 5, 0)) == {(tonga.pk, WEEK)}  # Tonga 18:00 Sun
    assert _due(_at(2025, 6, 15, 10, 0)) == {(tonga.pk, WEEK)}  # Tonga 23:00: catch-up
    assert _due(_at(2025, 6, 15, 11, 0)) == set()  # Tonga Monday 00:00; Honolulu Sun 01:00
    assert _due(_at(2025, 6, 16, 3, 0)) == set()  # Honolulu 17:00 Sunday
    assert _due(_at(2025, 6, 16, 4, 0)) == {(honolulu.pk, WEEK)}  # Honolulu 18:00 Sunday
    # Monday has begun everywhere: nobody is due any more, sent or not.
    assert _due(_at(2025, 6, 16, 10, 0)) == set()


def test_it_sends_once_when_the_hourly_task_runs_twice(tonga, honolulu):
    with time_machine.travel(_at(2025, 6, 15, 5, 0), tick=False):
        assert weekly_reports_send_due() == 1
        assert weekly_reports_send_due() == 0
    with time_machine.travel(_at(2025, 6, 15, 6, 0), tick=False):
        assert weekly_reports_send_due() == 0  # an hour later: already sent
    assert [m.to for m in mail.outbox] == [["sione@example.com"]]
    with time_machine.travel(_at(2025, 6, 16, 4, 0), tick=False):
        weekly_reports_send_due()
        weekly_reports_send_due()
    assert [m.to[0] for m in mail.outbox] == ["sione@example.com", "kai@example.com"]
    assert WeeklyReportLog.objects.count() == 2


def test_it_catches_up_an_hour_missed_while_the_worker_was_down(tonga):
    with time_machine.travel(_at(2025, 6, 15, 7, 0), tick=False):  # Tonga 20:00
        weekly_reports_send_due()
    assert len(mail.outbox) == 1


def test_sending_the_same_week_twice_sends_nothing_the_second_time(tonga):
    assert weekly_report_send_once(guardian_id=tonga.pk, week_start=WEEK) is True
    assert weekly_report_send_once(guardian_id=tonga.pk, week_start=WEEK) is False
    assert len(mail.outbox) == 1


def test_it_rolls_back_the_log_when_sending_fails_so_a_retry_sends(tonga, monkeypatch):
    import controls.reports.services as reports

    def broken(**kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(reports, "send_templated_email", broken)
    with pytest.raises(ConnectionError):
        weekly_report_send_once(guardian_id=tonga.pk, week_start=WEEK)
    assert not WeeklyReportLog.objects.exists()
    monkeypatch.undo()
    assert weekly_report_send_once(guardian_id=tonga.pk, week_start=WEEK) is True


def test_it_skips_guardians_without_an_active_teen_and_those_who_opted_out(tonga, carl):
    NotificationPreference.objects.create(
        user=tonga, kind=NotificationKind.WEEKLY_REPORT, email=False
    )
    assert _due(_at(2025, 6, 15, 5, 0)) == {(tonga.pk, WEEK)}
    assert weekly_report_send_once(guardian_id=tonga.pk, week_start=WEEK) is False
    assert mail.outbox == []
    assert _due(_at(2025, 6, 15, 5, 0)) == set()  # decided for this week


@pytest.fixture
def toms_week(tom, alice):
    """A known week for Tom (London): limits 60 min on weekdays, 120 at the weekend."""
    rules = tom.rules
    rules.limit_sat = rules.limit_sun = 120
    rules.save()
    minutes = [45, 70, 60, 0, 30, 150, 90]  # Mon..Sun
    for offset, used in enumerate(minutes):
        day = WEEK + timedelta(days=offset)
        # The limit of each day, as recorded that day (controls.rules.day_limits).
        DayLimit.objects.create(teen=tom, local_date=day, limit_minutes=120 if offset >= 5 else 60)
        if used:
            TeenDay.objects.create(teen=tom, local_date=day, counted_seconds=used * 60)
    for app, used in [("YouTube", 200), ("Minecraft", 150), ("Spotify", 60), ("Maps", 5)]:
        DailyUsage.objects.create(teen=tom, local_date=WEEK, app=app, seconds=used * 60)
    DailyUsage.objects.create(
        teen=tom, local_date=WEEK - timedelta(days=1), app="Old", seconds=9999
    )
    approved = TimeRequest.objects.create(
        teen=tom,
        local_date=WEEK + timedelta(days=1),
        minutes=15,
        reason="Homework",
        status=TimeRequestStatus.APPROVED,
        answered_by=alice,
        created_at=_at(2025, 6, 10, 17, 0),
        answered_at=_at(2025, 6, 10, 17, 5),
    )
    DayGrant.objects.create(
        teen=tom,
        local_date=approved.local_date,
        bonus_minutes=15,
        time_request=approved,
        granted_by=alice,
    )
    TimeRequest.objects.create(
        teen=tom,
        local_date=WEEK + timedelta(days=5),
        minutes=30,
        status=TimeRequestStatus.DENIED,
        answered_by=alice,
        created_at=_at(2025, 6, 14, 19, 0),
        answered_at=_at(2025, 6, 14, 19, 1),
    )
    with time_machine.travel(_at(2025, 6, 12, 9, 30), tick=False):
        audit_record(
            actor=alice,
            teen=tom,
            action="rules.screen_time",
            summary="Wednesday limit 60 min → 45 min",
        )
    with time_machine.travel(_at(2025, 6, 16, 9, 30), tick=False):  # the next week
        audit_record(actor=alice, teen=tom, action="rules.screen_time", summary="Too late")
    return tom


def test_the_report_shows_a_known_week(toms_week, alice):
    assert weekly_report_send_once(guardian_id=alice.pk, week_start=WEEK) is True
    message = mail.outbox[0]
    assert message.subject == "[Family Pairing] Weekly report: 9–15 June 2025"
    text = message.body
    assert "==== Tom ====" in text
    assert (
        "Screen time: 7 h 25 min in all, about 1 h 04 min a day; over the limit on 1 day." in text
    )
    assert "Mon 9 Jun: 45 min of 1 h\n" in text
    assert "Tue 10 Jun: 1 h 10 min of 1 h 15 min\n" in text  # the approved 15 minutes count
    assert "Thu 12 Jun: 0 min of 1 h\n" in text
    assert "Sat 14 Jun: 2 h 30 min of 2 h  (over)" in text
    assert "1. YouTube — 3 h 20 min" in text and "4. Maps — 5 min" in text
    assert "Old" not in text
    assert "More-time requests: 2 asked, 1 approved, 1 declined." in text
    assert "Tue 18:00: 15 min — Approved (Alice); “Homework”" in text  # London time
    assert "Thu 10:30 — Alice: Wednesday limit 60 min → 45 min" in text
    assert "Too late" not in text
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert "Your family's week, 9–15 June 2025" in html
    assert "YouTube — 3 h 20 min" in html


def test_the_report_covers_every_active_teen_and_no_other(toms_week, alice, tina):
    second = TeenFactory(display_name="Olivia")
    link(alice, second)
    weekly_report_send_once(guardian_id=alice.pk, week_start=WEEK)
    text = mail.outbox[0].body
    assert "==== Tom ====" in text and "==== Olivia ====" in text
    assert "Tina" not in text


def test_the_report_runs_a_bounded_number_of_queries_per_teen(
    toms_week, alice, django_assert_max_num_queries
):
    with django_assert_max_num_queries(16):
        weekly_report_send_once(guardian_id=alice.pk, week_start=WEEK)


def test_day_start_keeps_each_day_in_its_row(tom, alice):
    tom.rules.day_start = time(4, 0)
    tom.rules.save()
    TeenDay.objects.create(teen=tom, local_date=WEEK + timedelta(days=6), counted_seconds=600)
    DayLimit.objects.create(teen=tom, local_date=WEEK + timedelta(days=6), limit_minutes=60)
    weekly_report_send_once(guardian_id=alice.pk, week_start=WEEK)
    assert "Sun 15 Jun: 10 min of 1 h" in mail.outbox[0].body


def test_each_day_is_reported_against_its_own_limit_not_todays_rules(toms_week, alice):
    # Since that week the limits were cut to 10 minutes a day; last week stays as it was.
    rules = toms_week.rules
    for name in WEEKDAY_FIELDS:
        setattr(rules, name, 10)
    rules.save()
    DayLimit.objects.filter(teen=toms_week, local_date=WEEK + timedelta(days=3)).delete()
    weekly_report_send_once(guardian_id=alice.pk, week_start=WEEK)
    text = mail.outbox[0].body
    assert "Mon 9 Jun: 45 min of 1 h\n" in text
    assert "Sat 14 Jun: 2 h 30 min of 2 h  (over)" in text
    assert "Thu 12 Jun: 0 min (limit not recorded)\n" in text
    assert "of 10 min" not in text
