"""Notifications: in-app rows plus an e-mail each, respecting a teen's mute window.

Adding a kind is one line in `NotificationKind` (models.py) and a call to `notify`. When and
whether each one is e-mailed is `controls.notifications.delivery`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from controls.models import Notification, NotificationKind, NotificationPreference
from controls.notifications.delivery import mute_window_end
from controls.notifications.selectors import email_preferences_for_user
from controls.notifications.tasks import notification_send_email
from familypairing.enqueue import enqueue_on_commit


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
    queue_email: bool = True,
) -> Notification | None:
    """Create a notification (and its e-mail, after commit). With a `dedupe_key`, a second call
    for the same recipient and key creates nothing and returns None.

    `queue_email=False` is for a caller that sends a richer e-mail of its own; that task must
    follow the claim rule of `notification_email_claim`, and if it is lost the per-minute
    delivery sends the plain notification e-mail instead, so nothing is dropped."""
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
    if deliver_at <= now and queue_email:
        enqueue_on_commit(notification_send_email, notification.pk)
    return notification


def notification_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all of them when `notification_ids` is None)."""
    qs = Notification.objects.filter(
        recipient=user, read_at__isnull=True, deliver_at__lte=timezone.now()
    )
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def email_preferences_set(*, user, wanted: set[str]) -> list[str]:
    """Save e-mail on/off for every kind the user can receive (`wanted` are the ones on);
    returns the kinds whose setting changed."""
    changed = []
    current = dict(email_preferences_for_user(user=user))
    with transaction.atomic():
        for kind, was_on in current.items():
            now_on = kind.value in wanted
            if now_on != was_on:
                NotificationPreference.objects.update_or_create(
                    user=user, kind=kind.value, defaults={"email": now_on}
                )
                changed.append(kind.value)
    return changed
