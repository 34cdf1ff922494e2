"""The more-time request e-mail task: thin and idempotent, enqueued on commit by
`time_request_create`."""

from __future__ import annotations

from celery import shared_task

from controls.notifications.emails import EMAIL_RETRY
from controls.time_requests.mail import time_request_email_send


# Registered under its name from before the move to this package (queued messages carry it).
@shared_task(name="controls.request_tasks.time_request_send_email", **EMAIL_RETRY)
def time_request_send_email(notification_id: int, time_request_id: int) -> bool:
    return time_request_email_send(notification_id=notification_id, time_request_id=time_request_id)
