"""The notification e-mail task: thin and idempotent, enqueued on commit by `notify`."""

from __future__ import annotations

from celery import shared_task

from controls.notifications.delivery import notification_email_send


# Registered under its name from before the move to this package (queued messages carry it).
# No autoretry: the per-minute `notifications_deliver_due` is the retry (see the delivery).
@shared_task(name="controls.tasks.notification_send_email")
def notification_send_email(notification_id: int) -> bool:
    return notification_email_send(notification_id=notification_id)
