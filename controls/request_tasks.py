"""Celery tasks for more-time requests and weekly reports: thin, idempotent, take ids.

Registered through the import at the bottom of `controls/tasks.py`.
"""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

__all__ = [
    "time_request_send_email",
    "time_requests_lapse",
    "weekly_report_send",
    "weekly_reports_send_due",
]

_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 30,
    # Below the broker's visibility timeout (see settings), or Redis would hand a retry that is
    # merely waiting to a second worker.
    "retry_backoff_max": settings.CELERY_RETRY_BACKOFF_MAX,
    "max_retries": 6,
}


@shared_task(**_RETRY)
def time_request_send_email(notification_id: int, time_request_id: int) -> bool:
    """E-mail a guardian about a teen's request, with signed Approve / Deny buttons. Sends
    nothing once the request has been answered (the buttons would only be refused)."""
    from controls.email_actions import email_action_url
    from controls.emails import send_templated_email
    from controls.models import Notification, TimeRequest, TimeRequestStatus
    from controls.notifications import email_wanted
    from controls.requests import minutes_label

    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    time_request = TimeRequest.objects.select_related("teen").filter(pk=time_request_id).first()
    if notification is None or time_request is None:
        return False
    guardian = notification.recipient
    if not guardian.is_active or time_request.status != TimeRequestStatus.PENDING:
        return False
    if not email_wanted(user=guardian, kind=notification.kind):
        return False
    send_templated_email(
        to=guardian.email,
        subject=notification.title,
        template="time_request",
        context={
            "user": guardian,
            "teen": time_request.teen,
            "time_request": time_request,
            "asked": minutes_label(time_request.minutes),
            "approve_url": email_action_url(
                time_request=time_request, guardian=guardian, action="approve"
            ),
            "deny_url": email_action_url(
                time_request=time_request, guardian=guardian, action="deny"
            ),
        },
    )
    return True


@shared_task
def time_requests_lapse() -> int:
    """Lapse open requests whose teen day has ended (every few minutes)."""
    from controls.requests import time_requests_lapse_due

    return time_requests_lapse_due()


@shared_task
def weekly_reports_send_due() -> int:
    """Hourly: queue the weekly report of every guardian whose local time is Sunday 18:xx."""
    from controls.reports import weekly_report_guardians_due

    due = weekly_report_guardians_due()
    for guardian_id, week_start in due:
        weekly_report_send.delay(guardian_id, week_start.isoformat())
    return len(due)


@shared_task(**_RETRY)
def weekly_report_send(guardian_id: int, week_start: str) -> bool:
    """Send one guardian's report for the week starting `week_start` (a Monday), once."""
    from datetime import date

    from controls.reports import weekly_report_send_once

    return weekly_report_send_once(
        guardian_id=guardian_id, week_start=date.fromisoformat(week_start)
    )
