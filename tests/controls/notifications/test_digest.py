"""Notifications with sensible defaults (issue 17): a co-guardian gets one digest e-mail of rule
changes, not one per save; the teen is told in-app when a change affects today; e-mail choices
are switches that persist, with fewer e-mails by default."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from controls.models import Notification, NotificationKind, NotificationPreference
from controls.notifications.digest import DIGEST_WINDOW, rule_change_digests_send
from controls.notifications.selectors import email_preferences_for_user
from controls.rules import downtime, services
from controls.tasks import notifications_deliver_due
from tests.factories import UserFactory, link

K = NotificationKind
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday, noon (Tom is in Europe/London)


@pytest.fixture
def pat(db, tom):
    guardian = UserFactory(email="pat@example.com", display_name="Pat")
    link(guardian, tom)
    return guardian


def _pat_mail():
    return [m for m in mail.outbox if m.to == ["pat@example.com"]]


@pytest.mark.django_db
def test_a_co_guardian_gets_one_e_mail_for_five_saves_in_a_minute(alice, tom, pat):
    with time_machine.travel(NOW, tick=False) as traveller:
        mail.outbox.clear()
        for minutes in (40, 50, 60, 70, 80):
            services.screen_time_update(actor=alice, teen=tom, changes={"limit_sat": minutes})
            traveller.shift(timedelta(seconds=12))
        # five in-app notices, one per change, and no e-mail yet, also not from the sweep
        assert Notification.objects.filter(recipient=pat, kind=K.RULE_CHANGED).count() == 5
        notifications_deliver_due()
        assert rule_change_digests_send() == 0
        assert _pat_mail() == []

        traveller.move_to(NOW + DIGEST_WINDOW)
        assert rule_change_digests_send() == 1
        assert rule_change_digests_send() == 0  # sent once, whatever runs again
        notifications_deliver_due()
    (message,) = _pat_mail()
    assert message.subject == "[Family Pairing] 5 rule changes for Tom"
    assert message.body.count("Alice changed Tom's screen time") == 5
    assert "Saturday limit: 1 h → 40 min" in message.body
    assert "Saturday limit: 1 h 10 min → 1 h 20 min" in message.body
    assert not Notification.objects.filter(recipient=pat, emailed_at__isnull=True).exists()
    assert not any(m.to == ["alice@example.com"] for m in mail.outbox)  # not the one who saved


@pytest.mark.django_db
def test_a_change_after_the_digest_starts_a_new_window(alice, tom, pat):
    with time_machine.travel(NOW, tick=False) as traveller:
        services.screen_time_update(actor=alice, teen=tom, changes={"limit_sat": 40})
        traveller.move_to(NOW + DIGEST_WINDOW)
        rule_change_digests_send()
        services.screen_time_update(actor=alice, teen=tom, changes={"limit_sat": 50})
        traveller.shift(DIGEST_WINDOW - timedelta(seconds=1))
        assert rule_change_digests_send() == 0
        traveller.shift(timedelta(seconds=1))
        assert rule_change_digests_send() == 1
    assert [m.subject for m in _pat_mail()] == [
        "[Family Pairing] Alice changed Tom's screen time",
        "[Family Pairing] Alice changed Tom's screen time",
    ]


@pytest.mark.django_db
def test_a_digest_turned_off_is_not_sent_but_the_notices_stay(alice, tom, pat):
    NotificationPreference.objects.create(user=pat, kind=K.RULE_CHANGED, email=False)
    with time_machine.travel(NOW, tick=False) as traveller:
        services.screen_time_update(actor=alice, teen=tom, changes={"limit_sat": 40})
        traveller.move_to(NOW + DIGEST_WINDOW)
        assert rule_change_digests_send() == 0
    assert _pat_mail() == []
    assert Notification.objects.filter(recipient=pat, kind=K.RULE_CHANGED).count() == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_teen_is_told_in_app_when_todays_limit_is_cut(alice, tom):
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 10})
    notice = Notification.objects.get(recipient=tom, kind=K.TODAY_CHANGED)
    assert notice.title == "Alice changed today's limit: 1 h → 10 min"
    assert notice.link == "/me/"
    assert not any(m.to == [tom.email] for m in mail.outbox)  # in-app; e-mail off by default


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_teen_is_not_told_about_another_days_limit(alice, tom):
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_sat": 10})
    assert not Notification.objects.filter(recipient=tom, kind=K.TODAY_CHANGED).exists()


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_teen_is_told_when_todays_downtime_changes_not_another_days(alice, tom):
    downtime.downtime_window_create(
        actor=alice, teen=tom, name="Weekend", weekdays=[5], start=time(22), end=time(23)
    )
    assert not Notification.objects.filter(recipient=tom, kind=K.TODAY_CHANGED).exists()
    downtime.downtime_window_create(
        actor=alice, teen=tom, name="Homework", weekdays=[2], start=time(16), end=time(18)
    )
    notice = Notification.objects.get(recipient=tom, kind=K.TODAY_CHANGED)
    assert notice.title == "Alice changed downtime that affects today"
    assert "Homework" in notice.body


@pytest.mark.django_db
def test_fewer_e_mails_by_default(alice, tom):
    guardian = dict(email_preferences_for_user(user=alice))
    assert guardian[K.TIME_REQUESTED] is True and guardian[K.DEVICE_TAMPER] is True
    assert guardian[K.RULE_CHANGED] is True  # as a digest
    assert guardian[K.WARNING] is False and guardian[K.LIMIT_REACHED] is False
    teen = dict(email_preferences_for_user(user=tom))
    assert teen[K.TODAY_CHANGED] is False and teen[K.DOWNTIME_STARTING] is False


@pytest.mark.django_db
def test_the_switches_show_and_persist_the_choices(alice, alice_client):
    page = alice_client.get(reverse("notification_centre")).content.decode()
    assert 'role="switch" id="email-warning" name="email" value="warning">' in page
    assert 'id="email-time_requested" name="email" value="time_requested" checked>' in page
    wanted = [K.WARNING.value, K.TIME_REQUESTED.value]
    response = alice_client.post(reverse("notification_preferences"), {"email": wanted})
    assert response.status_code == 302
    page = alice_client.get(reverse("notification_centre")).content.decode()
    assert 'id="email-warning" name="email" value="warning" checked>' in page
    assert 'id="email-rule_changed" name="email" value="rule_changed">' in page
    prefs = dict(email_preferences_for_user(user=alice))
    assert prefs[K.WARNING] and prefs[K.TIME_REQUESTED] and not prefs[K.RULE_CHANGED]


@pytest.mark.django_db
def test_saving_the_switches_with_htmx_answers_in_place(alice, alice_client):
    response = alice_client.post(
        reverse("notification_preferences"), {"email": [K.WARNING.value]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith("{#") is False and 'id="email-preferences"' in page
    assert '<p class="form-outcome" role="status">Saved.</p>' in page
    assert 'value="warning" checked>' in page
