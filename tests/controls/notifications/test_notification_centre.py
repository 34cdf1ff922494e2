"""The notification centre: filters, marking read, e-mail preferences, the live badge, and a
teen's notifications held through their mute window and delivered after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from controls.models import Notification, NotificationKind, NotificationPreference
from controls.notifications.delivery import EMAIL_OFF_BY_DEFAULT
from controls.notifications.selectors import GUARDIAN_KINDS
from controls.notifications.services import notify
from controls.tasks import notifications_deliver_due, time_requests_lapse
from controls.time_requests.grants import day_grant_create
from controls.time_requests.services import (
    time_request_approve,
    time_request_create,
    time_request_deny,
)
from tests.factories import UserFactory, link

NOON = datetime(2025, 6, 11, 14, 0, tzinfo=UTC)  # Wednesday 15:00 in London
K = NotificationKind


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


def _note(user, kind=K.WARNING, teen=None, title="Hello", **extra):
    return notify(recipient=user, kind=kind, title=title, teen=teen, **extra)


def test_it_lists_the_users_notifications_and_nobody_elses(alice_client, alice, bob, tom):
    _note(alice, title="For Alice", teen=tom)
    _note(bob, title="For Bob")
    content = alice_client.get("/notifications/").content.decode()
    assert "For Alice" in content
    assert "For Bob" not in content


def test_it_filters_by_unread_kind_and_teen(alice_client, alice, tom):
    other_teen = UserFactory(display_name="Olivia", birth_date=tom.birth_date)
    link(alice, other_teen)
    _note(alice, kind=K.WARNING, title="Tom warned", teen=tom)
    read = _note(alice, kind=K.LIMIT_REACHED, title="Tom limit", teen=tom)
    _note(alice, kind=K.WARNING, title="Olivia warned", teen=other_teen)
    Notification.objects.filter(pk=read.pk).update(read_at=NOON)

    def titles(query):
        content = alice_client.get("/notifications/" + query).content.decode()
        return {t for t in ("Tom warned", "Tom limit", "Olivia warned") if t in content}

    assert titles("") == {"Tom warned", "Tom limit", "Olivia warned"}
    assert titles("?unread=1") == {"Tom warned", "Olivia warned"}
    assert titles("?kind=limit_reached") == {"Tom limit"}
    assert titles(f"?teen={other_teen.pk}") == {"Olivia warned"}
    assert titles(f"?teen={tom.pk}&kind=warning&unread=1") == {"Tom warned"}


def test_it_ignores_filters_naming_a_stranger_or_nonsense(alice_client, alice, tom, tina):
    _note(alice, title="Tom warned", teen=tom)
    for query in (f"?teen={tina.pk}", "?teen=abc", "?kind=nope", "?page=99"):
        response = alice_client.get("/notifications/" + query)
        assert response.status_code == 200
        assert "Tom warned" in response.content.decode()


def test_it_marks_one_and_then_all_read(alice_client, alice):
    first, second = _note(alice, title="one"), _note(alice, title="two")
    alice_client.post(f"/notifications/{first.pk}/read/")
    first.refresh_from_db(), second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None

    response = alice_client.post("/notifications/read-all/", follow=True)
    assert "Marked 1 notification read." in response.content.decode()
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_it_cannot_mark_someone_elses_notification(alice_client, bob):
    theirs = _note(bob)
    alice_client.post(f"/notifications/{theirs.pk}/read/")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert alice_client.get(f"/notifications/{theirs.pk}/open/").status_code == 404


def test_it_opens_a_notification_marking_it_read(alice_client, alice):
    notification = _note(alice, link="/dashboard/")
    response = alice_client.get(f"/notifications/{notification.pk}/open/")
    assert response.url == "/dashboard/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_it_offers_approve_and_deny_in_place_for_an_open_request(alice_client, tom):
    time_request = time_request_create(teen=tom, minutes=30)
    content = alice_client.get("/notifications/").content.decode()
    assert f'action="/requests/{time_request.pk}/answer/"' in content
    assert "Approve 30 min" in content

    alice_client.post(
        f"/requests/{time_request.pk}/answer/", {"answer": "approve", "next": "/notifications/"}
    )
    content = alice_client.get("/notifications/").content.decode()
    assert f'action="/requests/{time_request.pk}/answer/"' not in content


def test_it_saves_e_mail_preferences_per_kind(alice_client, alice, tom):
    wanted = [k.value for k in K if k not in (K.WARNING, K.WEEKLY_REPORT)]
    alice_client.post("/notifications/preferences/", {"email": wanted})
    prefs = dict(NotificationPreference.objects.filter(user=alice).values_list("kind", "email"))
    # only choices that differ from the defaults are stored (warnings are off by default)
    turned_on = {k.value: True for k in EMAIL_OFF_BY_DEFAULT if k in GUARDIAN_KINDS}
    del turned_on[K.WARNING.value]
    assert prefs == {K.WEEKLY_REPORT.value: False, **turned_on}

    mail.outbox.clear()
    _note(alice, kind=K.WARNING, teen=tom)
    _note(alice, kind=K.LIMIT_REACHED, teen=tom)
    from controls.notifications.tasks import notification_send_email

    for notification in Notification.objects.filter(recipient=alice):
        notification_send_email(notification.pk)
    assert [m.subject for m in mail.outbox] == ["[Family Pairing] Hello"]
    assert Notification.objects.filter(recipient=alice).count() == 2  # in-app always


def test_it_shows_a_teen_only_the_kinds_a_teen_receives(tom_client):
    content = tom_client.get("/notifications/").content.decode()
    assert 'value="time_request_answered"' in content
    assert 'value="time_requested"' not in content
    assert 'name="teen"' not in content  # no teen filter for a teen


def test_the_badge_endpoint_gives_the_unread_count(alice_client, alice, client):
    _note(alice), _note(alice)
    response = alice_client.get("/notifications/badge/")
    content = response.content.decode()
    assert '<span class="badge">2</span>' in content
    assert 'hx-trigger="every 30s"' in content
    client.logout()
    assert client.get("/notifications/badge/").status_code == 286  # htmx: stop polling


def test_the_header_badge_polls_on_every_page(alice_client):
    content = alice_client.get("/notifications/").content.decode()
    assert 'hx-get="/notifications/badge/"' in content


def test_the_centre_runs_the_same_queries_for_3_and_for_30_notifications(
    alice_client, alice, tom, django_assert_num_queries
):
    for _ in range(3):
        _note(alice, teen=tom)
    time_request_create(teen=tom, minutes=15)
    alice_client.get("/notifications/")  # the first request of a session records it
    # (and the session is recorded at most once a minute after that: familypairing.usersessions)
    with django_assert_num_queries(8):
        alice_client.get("/notifications/")
    for _ in range(27):
        _note(alice, teen=tom)
    with django_assert_num_queries(8):
        alice_client.get("/notifications/")


# --- the mute window -----------------------------------------------------------------------


def test_a_teens_answer_waits_for_the_mute_window_and_is_delivered_after(
    tom, alice, tom_client, django_capture_on_commit_callbacks
):
    # Tom (15) is muted 21:00–08:00 London time.
    evening = datetime(2025, 6, 11, 20, 30, tzinfo=UTC)  # 21:30 BST
    with time_machine.travel(evening, tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # Alice's e-mail goes now
            time_request = time_request_create(teen=tom, minutes=30)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            time_request_deny(time_request=time_request, guardian=alice, note="Bed")
        held = Notification.objects.get(recipient=tom)
        assert held.deliver_at == datetime(2025, 6, 12, 7, 0, tzinfo=UTC)  # 08:00 BST
        assert mail.outbox == []
        assert "said no" not in tom_client.get("/notifications/").content.decode()
        assert notifications_deliver_due() == 0

    with time_machine.travel(datetime(2025, 6, 12, 7, 0, 30, tzinfo=UTC), tick=False):
        assert "Alice said no" in tom_client.get("/notifications/").content.decode()
        assert notifications_deliver_due() == 1
        assert [m.to for m in mail.outbox] == [["tom@example.com"]]
        assert notifications_deliver_due() == 0  # not twice
    assert len(mail.outbox) == 1


def test_guardians_are_never_held_by_a_teens_mute_window(tom, alice):
    with time_machine.travel(datetime(2025, 6, 11, 22, 30, tzinfo=UTC), tick=False):
        time_request_create(teen=tom, minutes=15)
        notification = Notification.objects.get(recipient=alice)
        assert notification.deliver_at == notification.created_at


# --- each kind once per event --------------------------------------------------------------


def test_each_request_event_notifies_once(tom, alice):
    dan = UserFactory(email="dan@example.com", display_name="Dan")
    link(dan, tom)
    asked = time_request_create(teen=tom, minutes=15)
    time_request_approve(time_request=asked, guardian=alice)
    with pytest.raises(Exception):  # noqa: B017 - a second answer is refused
        time_request_deny(time_request=asked, guardian=dan)
    day_grant_create(guardian=alice, teen=tom, bonus_minutes=10)

    later = NOON + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        lapsing = time_request_create(teen=tom, minutes=30)
    with time_machine.travel(datetime(2025, 6, 12, 0, 0, tzinfo=UTC), tick=False):
        time_requests_lapse()
        time_requests_lapse()

    def count(user, kind):
        return Notification.objects.filter(recipient=user, kind=kind).count()

    assert count(alice, K.TIME_REQUESTED) == 2 and count(dan, K.TIME_REQUESTED) == 2
    assert count(tom, K.TIME_REQUEST_ANSWERED) == 2  # approved, then the lapse
    assert count(dan, K.TIME_REQUEST_ANSWERED) == 1  # told Alice answered
    assert count(alice, K.TIME_REQUEST_ANSWERED) == 0  # she knows: she answered
    assert count(tom, K.TIME_GRANTED) == 1 and count(dan, K.TIME_GRANTED) == 1
    assert lapsing.pk  # the second request lapsed once, told once


def test_notify_with_the_same_dedupe_key_creates_one_notification(alice):
    assert _note(alice, dedupe_key="warning:15:1:2025-06-11") is not None
    assert _note(alice, dedupe_key="warning:15:1:2025-06-11") is None
    assert Notification.objects.filter(recipient=alice).count() == 1
