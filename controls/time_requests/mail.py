"""A guardian's e-mail about a teen's request for more time, with signed Approve / Deny
buttons (sent by its own task instead of the generic notification e-mail)."""

from __future__ import annotations

from controls.models import Notification, TimeRequest, TimeRequestStatus
from controls.notifications.delivery import email_wanted
from controls.notifications.emails import send_templated_email
from controls.time_requests.email_links import email_action_url
from controls.wording import minutes_spoken


def time_request_email_send(*, notification_id: int, time_request_id: int) -> bool:
    """Send it unless the request has been answered (the buttons would only be refused), the
    guardian is gone or does not want e-mail of this kind."""
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
            "asked": minutes_spoken(time_request.minutes),
            "approve_url": email_action_url(
                time_request=time_request, guardian=guardian, action="approve"
            ),
            "deny_url": email_action_url(
                time_request=time_request, guardian=guardian, action="deny"
            ),
        },
    )
    return True
