"""The notification e-mail task: thin and idempotent, enqueued on commit by `notify`."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from controls.notifications.delivery import notification_email_send


# Registered under its name from before the move to this package (queued messages carry it).
@shared_task(
    name="controls.tasks.notification_send_email",
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=6,
)
def notification_send_email(notification_id: int) -> None:
    notification_email_send(notification_id=notification_id)
