"""A guardian's e-mail about a teen's request for more time, with signed Approve / Deny
buttons (sent by its own task instead of the generic notification e-mail)."""

from __future__ import annotations

from smtplib import SMTPException

from controls.models import TimeRequest, TimeRequestStatus
from controls.notifications.delivery import (
    email_wanted,
    notification_email_claim,
    notification_email_release,
    notification_email_sent,
)
from controls.notifications.emails import send_templated_email
from controls.time_requests.email_links import email_action_url
from controls.wording import minutes_spoken


def time_request_email_send(*, notification_id: int, time_request_id: int) -> bool:
    """Send it unless the request has been answered (the buttons would only be refused), the
    guardian is gone or does not want e-mail of this kind.

    The notification's e-mail rule holds here too: claim, send, then mark sent, so a crash
    between create and send is healed by the per-minute delivery (with the plain notification
    e-mail) and a crash after the send costs at worst one duplicate."""
    notification = notification_email_claim(notification_id=notification_id)
    if notification is None:  # sent already, or another worker is sending it
        return False
    time_request = TimeRequest.objects.select_related("teen").filter(pk=time_request_id).first()
    guardian = notification.recipient
    if (
        time_request is None
        or not guardian.is_active
        or time_request.status != TimeRequestStatus.PENDING
        or not email_wanted(user=guardian, kind=notification.kind)
    ):
        notification_email_sent(notification=notification)  # nothing to send, ever
        return False
    try:
        send_templated_email(
            to=guardian.email,
            subject=notification.title,
            template="time_request",
            context={
                "user": guardian,
                "teen": time_request.teen,
                "time_request": time_request,
                "asked": minutes_spoken(time_request.minutes),
                "approve_url": email_action_url(
                    time_request=time_request, guardian=guardian, action="approve"
                ),
                "deny_url": email_action_url(
                    time_request=time_request, guardian=guardian, action="deny"
                ),
            },
        )
    except (SMTPException, ConnectionError, TimeoutError):
        notification_email_release(notification=notification)
        raise
    notification_email_sent(notification=notification)
    return True
