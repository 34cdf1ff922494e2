"""After a worker crash: lost enforcement tasks and lost e-mails are redone by the per-minute
sweeps within about a minute, each notice exactly once, each e-mail at worst once too many and
never lost; and the broker hands a dead worker's tasks back within minutes, not hours."""

from __future__ import annotations

import os
import subprocess  # nosec B404 - runs this project's own settings module, fixed arguments
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from smtplib import SMTPException

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import TestCase

from controls.enforcement.services import teen_day_enforce
from controls.enforcement.sweep import enforcement_sweep, warnings_reconcile
from controls.models import DayState, EnforcementMark, Notification, NotificationKind, TeenDay
from controls.notifications import delivery
from controls.notifications.delivery import email_claim_stale_after, notification_email_claim
from controls.notifications.services import notify
from controls.notifications.tasks import notification_send_email
from controls.tasks import notifications_deliver_due
from controls.time_requests import mail as request_mail
from controls.time_requests.services import time_request_create
from familypairing.celery import app as celery_app
from tests.device_support import event, post_usage, register

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # Wednesday, 12:00 in London (BST)
WARNING, LIMIT = NotificationKind.WARNING, NotificationKind.LIMIT_REACHED


@pytest.fixture(autouse=True)
def _every_kind_e_mailed():
    """These tests are about how e-mails are sent, not which kinds are on by default (some are
    in-app only unless chosen: tests/controls/notifications/test_digest.py)."""
    with pytest.MonkeyPatch.context() as patch:  # not the test's own (it calls undo())
        patch.setattr(delivery, "EMAIL_OFF_BY_DEFAULT", frozenset())
        yield


class WorkerKilled(BaseException):
    """The process dies: nothing after this line runs, no except clause catches it."""


@pytest.fixture(autouse=True)
def eager():
    """Tasks run in-process (the sweeps' re-queued e-mails too), also on a Redis run."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def use(teen, minutes: float) -> None:
    """Usage booked (a report came in), its enforcement task lost with the worker."""
    day, _ = TeenDay.objects.get_or_create(teen=teen, local_date=NOW.date())
    TeenDay.objects.filter(pk=day.pk).update(counted_seconds=int(minutes * 60))


def kinds(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True)
    )


def sent_to(user) -> int:
    return len([m for m in mail.outbox if m.to == [user.email]])


def committed():
    """Run what waits for the commit (the e-mail tasks) as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def sweep(at: datetime) -> None:
    """One minute's beat: the enforcement sweep and the e-mail sweep, each committed."""
    with time_machine.travel(at, tick=False):
        with committed():
            enforcement_sweep()
        with committed():
            notifications_deliver_due()


# --- Notices: the sweep heals them --------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_lost_warning_task_is_redone_by_the_sweep_once(
    client, tom, alice, django_capture_on_commit_callbacks
):
    _, token = register(tom)
    with django_capture_on_commit_callbacks(execute=False) as lost:  # the worker died
        post_usage(client, token, [event(NOW - timedelta(minutes=50), 46 * 60)])
    assert lost and not Notification.objects.exists()
    assert enforcement_sweep()["warnings"] == 1
    assert kinds(tom) == kinds(alice) == [WARNING]
    assert alice.notifications.get().title == "Tom has 14 minutes of screen time left today"
    assert TeenDay.objects.get(teen=tom).state == DayState.WARNED
    assert enforcement_sweep()["warnings"] == 0
    for callback in lost:  # the lost task comes back from the broker after all: nothing new
        callback()
    assert kinds(alice) == [WARNING]


@time_machine.travel(NOW, tick=False)
def test_a_lost_second_warning_is_redone_after_the_first_was_told(tom, alice):
    use(tom, 46)
    teen_day_enforce(teen=tom)
    use(tom, 56)  # crosses 5 minutes left; its task is lost
    assert warnings_reconcile() == 1
    assert kinds(alice) == [WARNING, WARNING]
    assert alice.notifications.first().title == "Tom has 4 minutes of screen time left today"
    assert warnings_reconcile() == 0


@time_machine.travel(NOW, tick=False)
def test_the_sweep_follows_each_teens_own_warnings(tom, alice):
    rules = tom.rules
    rules.warning_minutes = [30, 10, 2]
    rules.save()
    use(tom, 25)  # 35 left: nothing passed
    assert warnings_reconcile() == 0
    use(tom, 51)  # 9 left: 30 and 10 passed
    assert warnings_reconcile() == 1
    assert alice.notifications.get().title == "Tom has 9 minutes of screen time left today"
    assert set(EnforcementMark.objects.values_list("kind", flat=True)) == {
        "warning:30:3600",
        "warning:10:3600",
    }
    use(tom, 58.5)
    assert warnings_reconcile() == 1
    assert kinds(alice) == [WARNING, WARNING]


@time_machine.travel(NOW, tick=False)
def test_a_warning_untold_on_a_day_already_over_is_marked_and_not_sent(tom, alice):
    yesterday = NOW.date() - timedelta(days=1)
    TeenDay.objects.create(teen=tom, local_date=yesterday, counted_seconds=50 * 60)
    assert warnings_reconcile() == 1
    assert not Notification.objects.exists()
    assert warnings_reconcile() == 0  # marked: not picked again every minute


@time_machine.travel(NOW, tick=False)
def test_an_unlinked_teen_is_not_warned_by_the_sweep(uma):
    use(uma, 50)
    assert warnings_reconcile() == 0


def test_warning_then_limit_15_seconds_apart_after_a_delayed_task(tom, alice):
    """The rule for thresholds passed while the worker was down: a warning still true when the
    task runs is told ("4 minutes left"); one made moot by the limit is marked and never sent,
    and the limit notice is the one message. Exactly once: neither the late task nor the sweep
    ever sends that warning afterwards."""
    with time_machine.travel(NOW - timedelta(minutes=10), tick=False), committed():
        use(tom, 46)
        teen_day_enforce(teen=tom)  # the 15-minute warning, on time
    use(tom, 56)  # report 1 crosses 5 minutes left at 12:00:00; its task is delayed
    use(tom, 60)  # report 2 reaches the limit at 12:00:15
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False), committed():  # worker back
        assert teen_day_enforce(teen=tom) == ["limit:3600", "warning:5:3600"]  # task 1
        assert teen_day_enforce(teen=tom) == []  # task 2
    sweep(NOW + timedelta(minutes=4))
    sweep(NOW + timedelta(minutes=5))
    for person in (tom, alice):
        assert kinds(person) == [WARNING, LIMIT]
        assert sent_to(person) == 2
    assert alice.notifications.last().title == "Tom has 14 minutes of screen time left today"


# --- E-mails: claimed, sent, then marked --------------------------------------------------------


def _lost_notification(recipient, django_capture_on_commit_callbacks) -> Notification:
    """A notification created, its e-mail task lost with the worker."""
    with django_capture_on_commit_callbacks(execute=False):
        notice = notify(recipient=recipient, kind=LIMIT, title="Limit reached")
    return notice


def test_an_email_lost_between_create_and_send_is_sent_by_the_sweep_once(
    alice, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        notice = _lost_notification(alice, django_capture_on_commit_callbacks)
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert notifications_deliver_due() == 0  # its own task may still be on its way
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert notifications_deliver_due() == 1
        assert notifications_deliver_due() == 0
    sweep(NOW + timedelta(minutes=5))
    assert sent_to(alice) == 1
    assert [m.subject for m in mail.outbox] == ["[Family Pairing] Limit reached"]
    notice.refresh_from_db()
    assert notice.emailed_at == NOW + timedelta(seconds=61)


def test_an_email_is_marked_sent_only_after_the_send(alice, monkeypatch):
    def killed_while_sending(**_) -> None:
        raise WorkerKilled

    with time_machine.travel(NOW, tick=False):
        notice = notify(recipient=alice, kind=LIMIT, title="Limit reached")  # (no task yet)
        monkeypatch.setattr(delivery, "send_templated_email", killed_while_sending)
        with pytest.raises(WorkerKilled):
            notification_send_email(notice.pk)
    monkeypatch.undo()
    notice.refresh_from_db()
    assert notice.emailed_at is None and sent_to(alice) == 0
    # The dead worker's claim blocks everyone until it is stale, then the sweep sends.
    sweep(NOW + timedelta(minutes=1, seconds=1))
    assert sent_to(alice) == 0
    sweep(NOW + email_claim_stale_after() + timedelta(seconds=1))
    assert sent_to(alice) == 1
    sweep(NOW + timedelta(minutes=10))
    assert sent_to(alice) == 1


def test_a_crash_after_the_send_costs_at_most_one_duplicate(alice, monkeypatch):
    def killed_before_marking(**_) -> None:
        raise WorkerKilled

    with time_machine.travel(NOW, tick=False):
        notice = Notification.objects.create(
            recipient=alice, kind=LIMIT, title="Limit reached", created_at=NOW, deliver_at=NOW
        )
        monkeypatch.setattr(delivery, "notification_email_sent", killed_before_marking)
        with pytest.raises(WorkerKilled):
            notification_send_email(notice.pk)
    monkeypatch.undo()
    assert sent_to(alice) == 1
    for minutes in range(1, 11):  # ten minutes of sweeps
        sweep(NOW + timedelta(minutes=minutes, seconds=1))
    assert sent_to(alice) == 2
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_a_failed_send_is_retried_by_the_next_sweep(alice, monkeypatch):
    def mail_server_down(**_) -> None:
        raise SMTPException("421 try later")

    with time_machine.travel(NOW, tick=False):
        notice = Notification.objects.create(
            recipient=alice, kind=LIMIT, title="Limit reached", created_at=NOW, deliver_at=NOW
        )
        monkeypatch.setattr(delivery, "send_templated_email", mail_server_down)
        with pytest.raises(SMTPException):
            notification_send_email(notice.pk)
    monkeypatch.undo()
    notice.refresh_from_db()
    assert notice.email_claimed_at is None and notice.emailed_at is None  # claim given back
    sweep(NOW + timedelta(minutes=1, seconds=1))
    assert sent_to(alice) == 1


def test_two_workers_never_both_claim_one_email(alice):
    with time_machine.travel(NOW, tick=False):
        notice = Notification.objects.create(
            recipient=alice, kind=LIMIT, title="Limit reached", created_at=NOW, deliver_at=NOW
        )
        assert notification_email_claim(notification_id=notice.pk) is not None
        assert notification_email_claim(notification_id=notice.pk) is None
        assert notification_send_email(notice.pk) is False
    assert sent_to(alice) == 0


def test_an_email_not_wanted_is_settled_and_not_swept_again(alice):
    from controls.models import NotificationPreference

    NotificationPreference.objects.create(user=alice, kind=LIMIT, email=False)
    with time_machine.travel(NOW, tick=False), committed():
        notice = notify(recipient=alice, kind=LIMIT, title="Limit reached")
    notice.refresh_from_db()
    assert notice.emailed_at is not None and sent_to(alice) == 0
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert notifications_deliver_due() == 0


def test_running_the_sweeps_twice_sends_nothing_twice(
    tom, alice, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        use(tom, 46)  # a warning whose task was lost
        _lost_notification(alice, django_capture_on_commit_callbacks)  # an e-mail whose task was
    for _ in range(2):
        sweep(NOW + timedelta(minutes=1, seconds=5))
    assert kinds(tom) == [WARNING]
    assert kinds(alice) == [LIMIT, WARNING]
    assert sent_to(tom) == 1
    assert sent_to(alice) == 2


# --- The broker -----------------------------------------------------------------------------


def test_a_dead_workers_tasks_come_back_within_minutes_and_never_while_running():
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    assert visibility <= 10 * 60
    assert visibility > celery_app.conf.task_time_limit > celery_app.conf.task_soft_time_limit
    for name, task in celery_app.tasks.items():
        if getattr(task, "autoretry_for", ()) and getattr(task, "retry_backoff", False):
            assert task.retry_backoff_max < visibility, name
    if settings.REDIS_URL:
        assert celery_app.conf.broker_transport_options["visibility_timeout"] == visibility


def test_settings_refuse_a_visibility_timeout_shorter_than_a_task():
    env = {
        **os.environ,
        "CELERY_VISIBILITY_TIMEOUT": "60",
        "CELERY_TASK_TIME_LIMIT": "90",
        "DJANGO_SETTINGS_MODULE": "familypairing.settings",
        "DEBUG": "1",
    }
    result = subprocess.run(  # nosec B603 - fixed arguments, this interpreter
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(settings.BASE_DIR),
        check=False,
    )
    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT (60 s) must exceed" in result.stderr


def test_a_request_email_lost_before_its_send_is_sent_by_the_sweep_once(
    tom, alice, django_capture_on_commit_callbacks
):
    """The Approve / Deny e-mail follows the same rule: nothing marks it sent before the send,
    so a worker lost between the request and the e-mail leaves it for the per-minute delivery
    (as the plain notification e-mail, which links to the request)."""
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=False) as lost:
            time_request_create(teen=tom, minutes=30)
        assert lost  # its own e-mail task was queued, and is now lost with the worker
    notice = Notification.objects.get(recipient=alice, kind=NotificationKind.TIME_REQUESTED)
    assert notice.emailed_at is None
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert notifications_deliver_due() == 1
        assert notifications_deliver_due() == 0
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    notice.refresh_from_db()
    assert notice.emailed_at == NOW + timedelta(seconds=61)


def test_a_request_email_is_marked_sent_only_after_its_send(
    tom, alice, monkeypatch, django_capture_on_commit_callbacks
):
    def killed_while_sending(**_) -> None:
        raise WorkerKilled

    with time_machine.travel(NOW, tick=False):
        monkeypatch.setattr(request_mail, "send_templated_email", killed_while_sending)
        with pytest.raises(WorkerKilled), django_capture_on_commit_callbacks(execute=True):
            time_request_create(teen=tom, minutes=30)
        monkeypatch.undo()
    notice = Notification.objects.get(recipient=alice, kind=NotificationKind.TIME_REQUESTED)
    assert notice.emailed_at is None and mail.outbox == []
    # The dead worker's claim blocks the sweep until it is stale; then the e-mail goes once.
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert notifications_deliver_due() == 0
    with time_machine.travel(NOW + email_claim_stale_after() + timedelta(seconds=1), tick=False):
        assert notifications_deliver_due() == 1
        assert notifications_deliver_due() == 0
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_a_request_email_is_sent_once_with_its_buttons(
    tom, alice, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        time_request_create(teen=tom, minutes=30)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert notifications_deliver_due() == 0
    assert len(mail.outbox) == 1
    assert "/requests/email/" in mail.outbox[0].body
