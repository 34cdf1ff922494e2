"""Notifications: in-app rows plus an e-mail each, respecting a teen's mute window.

Adding a kind is one line in `NotificationKind` (models.py) and a call to `notify`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from controls.models import Notification, NotificationKind, NotificationPreference
from familypairing.enqueue import enqueue_on_commit


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


def notify(
    *,
    recipient,
    kind: NotificationKind | str,
    title: str,
    body: str = "",
    link: str = "",
    teen=None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> Notification | None:
    """Create a notification (and its e-mail, after commit). With a `dedupe_key`, a second call
    for the same recipient and key creates nothing and returns None."""
    from controls.tasks import notification_send_email

    now = now or timezone.now()
    deliver_at = mute_window_end(user=recipient, now=now) or now
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                kind=kind,
                title=title[:200],
                body=body,
                link=link,
                teen=teen,
                dedupe_key=dedupe_key,
                created_at=now,
                deliver_at=deliver_at,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    if deliver_at <= now:
        enqueue_on_commit(notification_send_email, notification.pk)
    return notification


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


def notification_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `notification_ids` is None)."""
    qs = Notification.objects.filter(
        recipient=user, read_at__isnull=True, deliver_at__lte=timezone.now()
    )
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def notifications_email_due(*, limit: int = 500) -> list[int]:
    """Ids of notifications whose delivery time has come and whose e-mail was never sent."""
    cutoff = timezone.now()
    return list(
        Notification.objects.filter(emailed_at__isnull=True, deliver_at__lte=cutoff)
        .order_by("deliver_at")
        .values_list("pk", flat=True)[:limit]
    )
