"""Reads shared by pages, API and tasks."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from controls.models import AuditEvent, Notification


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(
        recipient=user, read_at__isnull=True, deliver_at__lte=timezone.now()
    ).count()


def notifications_for_user(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, deliver_at__lte=timezone.now())


def audit_events_for_teen(*, teen) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(teen=teen).select_related("actor")
