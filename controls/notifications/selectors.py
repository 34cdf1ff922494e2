"""The notification centre: filtered reads, e-mail preferences per kind, and the open
time requests that a guardian can answer in place."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from controls.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    TimeRequest,
    TimeRequestStatus,
)
from controls.notifications.delivery import email_default

K = NotificationKind
# What each kind of person can receive (the preferences list shows only these).
TEEN_KINDS = (
    K.LINK_ACCEPTED,
    K.LINK_ENDED,
    K.UNLINK_DECLINED,
    K.SUPERVISION_ENDED,
    K.TIME_REQUEST_ANSWERED,
    K.TIME_GRANTED,
    K.WARNING,
    K.LIMIT_REACHED,
    K.DOWNTIME_STARTING,
    K.RULE_CHANGED,
    K.ACCOUNT,
    K.TIME_ZONE_CHANGED,
    K.TODAY_CHANGED,
)
GUARDIAN_KINDS = tuple(kind for kind in K if kind != K.TODAY_CHANGED)


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(
        recipient=user, read_at__isnull=True, deliver_at__lte=timezone.now()
    ).count()


def notifications_for_user(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, deliver_at__lte=timezone.now())


def kinds_for_user(user) -> tuple[NotificationKind, ...]:
    return TEEN_KINDS if user.is_teen else GUARDIAN_KINDS


@dataclass(frozen=True)
class InboxFilters:
    unread: bool = False
    kind: str = ""
    teen_id: int | None = None

    @classmethod
    def from_query(cls, query, *, allowed_teen_ids: set[int]) -> InboxFilters:
        """Unknown values are ignored rather than refused: a filter link is never an error."""
        kind = query.get("kind", "")
        try:
            teen_id = int(query.get("teen", "") or 0) or None
        except ValueError:
            teen_id = None
        return cls(
            unread=query.get("unread") in ("1", "on", "true"),
            kind=kind if kind in K.values else "",
            teen_id=teen_id if teen_id in allowed_teen_ids else None,
        )

    @property
    def active(self) -> bool:
        return self.unread or bool(self.kind) or self.teen_id is not None


def notifications_filtered(*, user, filters: InboxFilters) -> QuerySet[Notification]:
    qs = notifications_for_user(user=user).select_related("teen")
    if filters.unread:
        qs = qs.filter(read_at__isnull=True)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.teen_id is not None:
        qs = qs.filter(teen_id=filters.teen_id)
    return qs


def time_request_id_from(notification: Notification) -> int | None:
    """The request a guardian's "asks for more time" notification is about."""
    if notification.kind != K.TIME_REQUESTED or not notification.dedupe_key:
        return None
    prefix, _, rest = notification.dedupe_key.partition(":")
    return int(rest) if prefix == "time_request" and rest.isdigit() else None


def open_time_requests_for(notifications) -> dict[int, TimeRequest]:
    """The still-open requests behind a page of notifications, in one query, by id."""
    ids = {rid for n in notifications if (rid := time_request_id_from(n)) is not None}
    if not ids:
        return {}
    return {
        r.pk: r
        for r in TimeRequest.objects.filter(
            pk__in=ids, status=TimeRequestStatus.PENDING
        ).select_related("teen")
    }


def email_preferences_for_user(*, user) -> list[tuple[NotificationKind, bool]]:
    """(kind, e-mail wanted) for every kind the user can receive; unchosen kinds follow
    `email_default` (most on, the in-the-moment ones off)."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return [
        (kind, stored.get(kind.value, email_default(kind.value))) for kind in kinds_for_user(user)
    ]
