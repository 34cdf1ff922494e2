"""When and whether a notification is e-mailed: a teen's mute window, each person's e-mail
preferences, and the claim that makes sending safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from controls.models import Notification, NotificationPreference
from controls.notifications.emails import send_templated_email


def mute_window_end(*, user, now: datetime) -> datetime | None:
    """If `user` is a teen inside their notification mute window, when it ends (UTC)."""
    if not user.is_teen:
        return None
    rules = getattr(user, "rules", None)
    try:
        start, end = rules.mute_start, rules.mute_end
    except AttributeError:
        return None
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(user.tz)
    today = local.date()
    for day in (today - timedelta(days=1), today):
        window_start = datetime.combine(day, start, tzinfo=user.tz)
        end_day = day if end > start else day + timedelta(days=1)
        window_end = datetime.combine(end_day, end, tzinfo=user.tz)
        if window_start <= local < window_end:
            return window_end.astimezone(UTC)
    return None


def email_wanted(*, user, kind: str) -> bool:
    pref = NotificationPreference.objects.filter(user=user, kind=kind).values_list(
        "email", flat=True
    )
    return next(iter(pref), True)


def notification_email_claim(*, notification_id: int) -> Notification | None:
    """Atomically mark a due notification as e-mailed; None if already sent or not yet due.
    Claiming before sending is what makes the send task safe to run twice."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, emailed_at__isnull=True, deliver_at__lte=now
    ).update(emailed_at=now)
    if not claimed:
        return None
    return Notification.objects.select_related("recipient").get(pk=notification_id)


def notifications_email_due(*, limit: int = 500) -> list[int]:
    """Ids of notifications whose delivery time has come and whose e-mail was never sent."""
    cutoff = timezone.now()
    return list(
        Notification.objects.filter(emailed_at__isnull=True, deliver_at__lte=cutoff)
        .order_by("deliver_at")
        .values_list("pk", flat=True)[:limit]
    )


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification once it is due, unless already sent, its recipient is gone or
    does not want e-mail of its kind. Safe to run twice: the claim comes first."""
    notification = notification_email_claim(notification_id=notification_id)
    if notification is None or not notification.recipient.is_active:
        return False
    if not email_wanted(user=notification.recipient, kind=notification.kind):
        return False
    send_templated_email(
        to=notification.recipient.email,
        subject=notification.title,
        template="notification",
        context={"notification": notification, "user": notification.recipient},
    )
    return True
