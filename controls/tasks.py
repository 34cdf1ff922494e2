"""Celery tasks: thin, idempotent, take ids, call a service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from controls.notifications.emails import send_templated_email
from controls.notifications.services import notification_email_claim, notifications_email_due


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
)
def notification_send_email(notification_id: int) -> None:
    from controls.notifications.services import email_wanted

    notification = notification_email_claim(notification_id=notification_id)
    if notification is None or not notification.recipient.is_active:
        return
    if not email_wanted(user=notification.recipient, kind=notification.kind):
        return
    send_templated_email(
        to=notification.recipient.email,
        subject=notification.title,
        template="notification",
        context={"notification": notification, "user": notification.recipient},
    )


@shared_task
def notifications_deliver_due() -> int:
    """Send the e-mails of notifications that waited for a teen's mute window to end."""
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
    from controls.enforcement.services import teen_day_enforce as enforce

    teen = User.objects.filter(pk=teen_id, is_active=True).first()
    if teen is None:
        return []
    return enforce(teen=teen)


@shared_task(**_DB_RETRY)
def enforcement_sweep() -> dict[str, int]:
    """Every minute (UTC): downtime starting, limits reached without a report, devices not
    applying the rules, silent devices. Set-based; a second run changes nothing."""
    from controls.enforcement.services import enforcement_sweep as sweep

    return sweep()


@shared_task(**_DB_RETRY)
def usage_purge_old() -> int:
    """Daily: delete usage events older than USAGE_RETENTION_DAYS (daily totals stay)."""
    from controls.usage.services import usage_purge_old as purge

    return purge()


# More-time requests and weekly reports (registered here so the worker finds them).
from controls.time_requests.tasks import *  # noqa: E402, F403
