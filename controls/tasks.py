"""Celery tasks: thin, idempotent, take ids, call a service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from controls.emails import send_templated_email
from controls.notifications import notification_email_claim, notifications_email_due


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
)
def notification_send_email(notification_id: int) -> None:
    from controls.notifications import email_wanted

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


# More-time requests and weekly reports (registered here so the worker finds them).
from controls.request_tasks import *  # noqa: E402, F403
