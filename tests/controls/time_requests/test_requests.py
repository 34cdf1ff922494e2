"""More-time requests: asking, answering (first answer wins), the wait after a denial, lapsing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from controls.effective.selectors import effective_policy_for_teen
from controls.models import (
    AuditEvent,
    DayGrant,
    Notification,
    NotificationKind,
    TimeRequest,
    TimeRequestStatus,
)
from controls.time_requests.grants import day_grant_create
from controls.time_requests.services import (
    time_request_approve,
    time_request_create,
    time_request_deny,
    time_requests_lapse_due,
)
from tests.factories import UserFactory, link

# A Wednesday, 15:00 in London (BST, UTC+1).
NOON = datetime(2025, 6, 11, 14, 0, tzinfo=UTC)


@pytest.fixture
def dan(db, tom):
    """Tom's second guardian."""
    guardian = UserFactory(email="dan@example.com", display_name="Dan")
    link(guardian, tom)
    return guardian


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


def test_it_creates_a_request_for_the_teens_day_and_tells_every_guardian(
    tom, alice, dan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        time_request = time_request_create(teen=tom, minutes=30, reason="Finishing homework video")

    assert time_request.status == TimeRequestStatus.PENDING
    assert time_request.local_date.isoformat() == "2025-06-11"
    for guardian in (alice, dan):
        notification = Notification.objects.get(recipient=guardian)
        assert notification.kind == NotificationKind.TIME_REQUESTED
        assert notification.title == "Tom asks for 30 minutes more today"
        assert "Finishing homework video" in notification.body
    # One e-mail each, the one with Approve / Deny buttons (not the generic notification too).
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "dan@example.com"]
    assert "Approve 30 minutes" in mail.outbox[0].alternatives[0][0]
    assert "/requests/email/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="time_request.created", teen=tom).count() == 1


def test_it_books_the_request_on_the_teens_day_with_a_late_day_start(tom):
    tom.rules.day_start = time(4, 0)
    tom.rules.save()
    # 02:30 London on Thursday still belongs to Wednesday's day.
    with time_machine.travel(datetime(2025, 6, 12, 1, 30, tzinfo=UTC), tick=False):
        time_request = time_request_create(teen=tom, minutes=None)
    assert time_request.local_date.isoformat() == "2025-06-11"


@pytest.mark.parametrize(
    ("minutes", "reason", "field"),
    [(45, "", "minutes"), (0, "", "minutes"), (15, "x" * 201, "reason")],
)
def test_it_refuses_bad_input_naming_the_field(tom, minutes, reason, field):
    with pytest.raises(ValidationError) as exc:
        time_request_create(teen=tom, minutes=minutes, reason=reason)
    assert field in exc.value.message_dict
    assert not TimeRequest.objects.exists()


def test_it_refuses_a_second_request_while_one_is_open(tom):
    time_request_create(teen=tom, minutes=15)
    with pytest.raises(ValidationError) as exc:
        time_request_create(teen=tom, minutes=30)
    assert "already asked" in exc.value.message_dict["request"][0]
    assert TimeRequest.objects.count() == 1


def test_it_refuses_a_teen_with_no_guardian(uma):
    with pytest.raises(ValidationError) as exc:
        time_request_create(teen=uma, minutes=15)
    assert "request" in exc.value.message_dict


def test_it_approves_with_a_grant_the_policy_counts_at_once(tom, alice, dan):
    before = effective_policy_for_teen(teen=tom).limit_seconds
    time_request = time_request_create(teen=tom, minutes=30)
    mail.outbox.clear()

    grant = time_request_approve(time_request=time_request, guardian=alice)

    assert grant.bonus_minutes == 30 and grant.granted_by == alice
    assert effective_policy_for_teen(teen=tom).limit_seconds == before + 30 * 60
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.APPROVED
    assert time_request.answered_by == alice
    teen_note = Notification.objects.get(recipient=tom)
    assert teen_note.kind == NotificationKind.TIME_REQUEST_ANSWERED
    assert teen_note.title == "Alice said yes: 30 minutes more today"
    dan_note = Notification.objects.get(recipient=dan, kind=NotificationKind.TIME_REQUEST_ANSWERED)
    assert dan_note.title == "Alice approved Tom's request for 30 minutes"
    # The "asks for" notifications are settled for both guardians.
    assert not Notification.objects.filter(
        kind=NotificationKind.TIME_REQUESTED, read_at__isnull=True
    ).exists()
    assert AuditEvent.objects.filter(action="time_request.approved", actor=alice).count() == 1


def test_it_approves_the_rest_of_today_as_no_limit(tom, alice):
    time_request = time_request_create(teen=tom, minutes=None)
    time_request_approve(time_request=time_request, guardian=alice)
    policy = effective_policy_for_teen(teen=tom)
    assert policy.limit_seconds is None and policy.seconds_left is None


def test_it_lets_the_guardian_give_a_different_amount(tom, alice):
    time_request = time_request_create(teen=tom, minutes=60)
    grant = time_request_approve(time_request=time_request, guardian=alice, minutes=15)
    assert grant.bonus_minutes == 15


def test_it_lets_only_the_first_answer_win_and_tells_the_other_who_answered(tom, alice, dan):
    time_request = time_request_create(teen=tom, minutes=15)
    stale_copy = TimeRequest.objects.get(pk=time_request.pk)
    time_request_approve(time_request=time_request, guardian=alice)

    with pytest.raises(ValidationError) as exc:
        time_request_deny(time_request=stale_copy, guardian=dan, note="no")
    assert exc.value.message_dict["request"] == ["Already approved by Alice at 15:00."]
    assert DayGrant.objects.count() == 1
    stale_copy.refresh_from_db()
    assert stale_copy.status == TimeRequestStatus.APPROVED


@pytest.mark.django_db(transaction=True)
def test_it_grants_once_when_two_guardians_approve_at_the_same_moment(tom, alice, dan):
    if connection.vendor == "sqlite":
        pytest.skip("in-memory SQLite locks whole tables; run with DATABASE_URL=postgres://…")
    time_request = time_request_create(teen=tom, minutes=15)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(guardian):
        copy = TimeRequest.objects.select_related("teen").get(pk=time_request.pk)
        barrier.wait()
        try:
            time_request_approve(time_request=copy, guardian=guardian)
            outcomes.append("approved")
        except ValidationError as exc:
            outcomes.append(exc.message_dict["request"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(g,)) for g in (alice, dan)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert DayGrant.objects.filter(time_request=time_request).count() == 1
    assert outcomes.count("approved") == 1
    assert any(o.startswith("Already approved by") for o in outcomes)


def test_it_denies_with_a_note_the_teen_sees(tom, alice):
    time_request = time_request_create(teen=tom, minutes=60)
    time_request_deny(time_request=time_request, guardian=alice, note="Dinner is ready")
    note = Notification.objects.get(recipient=tom)
    assert note.title == "Alice said no to 1 hour more"
    assert "Note from Alice: Dinner is ready" in note.body
    assert "You can ask again at 15:30." in note.body
    assert not DayGrant.objects.exists()


def test_it_makes_the_teen_wait_after_a_denial(tom, alice, settings):
    settings.TIME_REQUEST_WAIT_AFTER_DENIAL_MINUTES = 30
    time_request_deny(time_request=time_request_create(teen=tom, minutes=15), guardian=alice)

    with time_machine.travel(NOON + timedelta(minutes=29), tick=False):
        with pytest.raises(ValidationError) as exc:
            time_request_create(teen=tom, minutes=15)
        assert exc.value.message_dict["request"] == [
            "Your last request was declined. You can ask again at 15:30."
        ]
    with time_machine.travel(NOON + timedelta(minutes=30), tick=False):
        assert time_request_create(teen=tom, minutes=15).status == TimeRequestStatus.PENDING


def test_it_refuses_an_answer_from_someone_who_is_not_a_guardian(tom, bob):
    time_request = time_request_create(teen=tom, minutes=15)
    with pytest.raises(ValidationError):
        time_request_approve(time_request=time_request, guardian=bob)
    assert not DayGrant.objects.exists()


def test_it_lapses_an_open_request_at_the_end_of_the_teens_day(tom, alice):
    time_request = time_request_create(teen=tom, minutes=30)
    # Tom's day ends at midnight London time = 23:00 UTC.
    with time_machine.travel(datetime(2025, 6, 11, 22, 59, tzinfo=UTC), tick=False):
        assert time_requests_lapse_due() == 0
    with time_machine.travel(datetime(2025, 6, 11, 23, 0, tzinfo=UTC), tick=False):
        assert time_requests_lapse_due() == 1
        assert time_requests_lapse_due() == 0  # twice is harmless
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.LAPSED
    lapsed = Notification.objects.get(recipient=tom)
    assert lapsed.title == "Your request for 30 minutes lapsed"
    assert AuditEvent.objects.get(action="time_request.lapsed").actor_label == "Family Pairing"


def test_it_refuses_to_approve_after_the_day_ended(tom, alice):
    time_request = time_request_create(teen=tom, minutes=30)
    next_morning = datetime(2025, 6, 12, 6, 0, tzinfo=UTC)
    with time_machine.travel(next_morning, tick=False), pytest.raises(ValidationError) as exc:
        time_request_approve(time_request=time_request, guardian=alice)
    assert "lapsed" in exc.value.message_dict["request"][0]
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.LAPSED
    assert not DayGrant.objects.exists()


def test_it_lets_a_teen_ask_the_next_day_when_yesterdays_request_was_never_answered(tom):
    time_request_create(teen=tom, minutes=30)
    with time_machine.travel(datetime(2025, 6, 12, 8, 0, tzinfo=UTC), tick=False):
        fresh = time_request_create(teen=tom, minutes=15)
    assert fresh.local_date.isoformat() == "2025-06-12"
    assert TimeRequest.objects.filter(status=TimeRequestStatus.LAPSED).count() == 1


def test_it_grants_bonus_time_unasked(tom, alice, dan):
    before = effective_policy_for_teen(teen=tom).limit_seconds
    day_grant_create(guardian=alice, teen=tom, bonus_minutes=20)
    assert effective_policy_for_teen(teen=tom).limit_seconds == before + 20 * 60
    assert Notification.objects.get(recipient=tom).title == "Alice gave you 20 minutes more today"
    assert Notification.objects.get(recipient=dan).kind == NotificationKind.TIME_GRANTED
    assert AuditEvent.objects.filter(action="day_grant.created").count() == 1


def test_it_lifts_the_limit_for_today_unasked(tom, alice):
    day_grant_create(guardian=alice, teen=tom, no_limit=True)
    assert effective_policy_for_teen(teen=tom).limit_seconds is None


@pytest.mark.parametrize("minutes", [None, 0, 1441])
def test_it_refuses_a_bonus_out_of_range(tom, alice, minutes):
    with pytest.raises(ValidationError) as exc:
        day_grant_create(guardian=alice, teen=tom, bonus_minutes=minutes)
    assert "bonus_minutes" in exc.value.message_dict


def test_it_refuses_a_grant_from_a_stranger(tom, bob):
    with pytest.raises(ValidationError):
        day_grant_create(guardian=bob, teen=tom, bonus_minutes=15)
    assert not DayGrant.objects.exists()
