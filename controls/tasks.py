"""Celery tasks: thin, idempotent, take ids, call a service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from controls.emails import send_templated_email
from controls.notifications import (
    notification_email_claim,
    notification_email_release,
    notification_email_sent,
    notifications_email_due,
)


@shared_task
def notification_send_email(notification_id: int) -> bool:
    """E-mail one notification: claim, send, then mark sent (the rule and its one-duplicate
    worst case: `controls.notifications.notification_email_claim`). A failed send gives the
    claim back and fails loudly; the per-minute `notifications_deliver_due` is the retry, for
    as long as the mail server is down, so no e-mail is dropped after a few retries and no
    countdown outlives the broker's visibility timeout."""
    from controls.notifications import email_wanted

    notification = notification_email_claim(notification_id=notification_id)
    if notification is None:
        return False
    recipient = notification.recipient
    if not recipient.is_active or not email_wanted(user=recipient, kind=notification.kind):
        notification_email_sent(notification=notification)  # nothing to send, ever
        return False
    try:
        send_templated_email(
            to=recipient.email,
            subject=notification.title,
            template="notification",
            context={"notification": notification, "user": recipient},
        )
    except (SMTPException, ConnectionError, TimeoutError):
        notification_email_release(notification=notification)
        raise
    notification_email_sent(notification=notification)
    return True


@shared_task
def notifications_deliver_due() -> int:
    """Every minute: queue the e-mails that are due and unsent: those that waited for a teen's
    mute window to end, and those whose task was lost with a worker or whose send failed."""
    ids = notifications_email_due()
    for notification_id in ids:
        notification_send_email.delay(notification_id)
    return len(ids)


# --- Enforcement and usage (the devices feature) ------------------------------------------------

# A database hiccup is worth retrying; the work is idempotent (see controls/enforcement.py).
_DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "max_retries": 5,
}


@shared_task(**_DB_RETRY)
def teen_day_enforce(teen_id: int) -> list[str]:
    """Move the teen's day along ok → warned → limit reached and tell everyone once. Enqueued on
    commit by a usage report that crossed a threshold."""
    from accounts.models import User
    from controls.enforcement import teen_day_enforce as enforce

    teen = User.objects.filter(pk=teen_id, is_active=True).first()
    if teen is None:
        return []
    return enforce(teen=teen)


@shared_task(**_DB_RETRY)
def enforcement_sweep() -> dict[str, int]:
    """Every minute (UTC): downtime starting, limits reached without a report, devices not
    applying the rules, silent devices. Set-based; a second run changes nothing."""
    from controls.enforcement import enforcement_sweep as sweep

    return sweep()


@shared_task(**_DB_RETRY)
def usage_purge_old() -> int:
    """Daily: delete usage events older than USAGE_RETENTION_DAYS (daily totals stay)."""
    from controls.usage import usage_purge_old as purge

    return purge()


# More-time requests and weekly reports (registered here so the worker finds them).
from controls.request_tasks import *  # noqa: E402, F403
