"""Reads for more-time requests (pages, API and tasks)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from accounts.selectors import teen_for_guardian, teens_for_guardian
from controls.models import TimeRequest, TimeRequestStatus


def time_request_for_user(*, user, time_request_id: int) -> TimeRequest:
    """A request the user may see: the teen's own, or one of their active teens' (404 for
    everyone else, so a stranger cannot learn that it exists)."""
    try:
        time_request = TimeRequest.objects.select_related("teen", "answered_by", "device").get(
            pk=time_request_id
        )
    except (TimeRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such request.") from None
    if time_request.teen_id != user.pk:
        teen_for_guardian(guardian=user, teen_id=time_request.teen_id)
    return time_request


def time_requests_for_teen(*, teen) -> QuerySet[TimeRequest]:
    return TimeRequest.objects.filter(teen=teen).select_related("answered_by", "device")


def time_requests_pending_for_guardian(*, guardian) -> QuerySet[TimeRequest]:
    return TimeRequest.objects.filter(
        teen__in=teens_for_guardian(guardian=guardian), status=TimeRequestStatus.PENDING
    ).select_related("teen")


def time_request_pending_for_teen(*, teen) -> TimeRequest | None:
    return TimeRequest.objects.filter(teen=teen, status=TimeRequestStatus.PENDING).first()


def pending_time_request_counts(*, teen_ids) -> dict[int, int]:
    """Open more-time requests per teen, in one query."""
    rows = (
        TimeRequest.objects.filter(teen_id__in=list(teen_ids), status=TimeRequestStatus.PENDING)
        .values("teen_id")
        .annotate(count=Count("id"))
        .values_list("teen_id", "count")
    )
    return dict(rows)


def time_requests_for_teen_on(*, teen, local_date) -> QuerySet[TimeRequest]:
    """The teen's requests of one of their days, newest first (what a device shows)."""
    return (
        TimeRequest.objects.filter(teen=teen, local_date=local_date)
        .select_related("teen", "answered_by", "device")
        .order_by("-created_at", "-id")
    )
