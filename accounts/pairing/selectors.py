"""Reads for pairing pages and the API, including the one access check per pairing object: each
`*_for_<who>` returns the object only to the people who may see it and 404s everybody else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import (
    OPEN_LINK_STATUSES,
    GuardianLink,
    InvitationStatus,
    LinkStatus,
    PairingInvitation,
    UnlinkRequest,
    UnlinkRequestStatus,
    User,
)
from controls.models import TeenRules


def _get_or_404(queryset: QuerySet, pk) -> object:
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def invitation_for_parent(*, parent: User, invitation_id: int) -> PairingInvitation:
    return _get_or_404(
        PairingInvitation.objects.filter(parent=parent).prefetch_related(
            Prefetch("links", queryset=GuardianLink.objects.select_related("teen", "approved_by"))
        ),
        invitation_id,
    )


def invitations_open_for_parent(
    *, parent: User, now: datetime | None = None
) -> QuerySet[PairingInvitation]:
    return PairingInvitation.objects.filter(
        parent=parent, status=InvitationStatus.PENDING, expires_at__gt=now or timezone.now()
    ).order_by("-created_at")


def invitations_recent_for_parent(*, parent: User, limit: int = 20) -> list[PairingInvitation]:
    return list(PairingInvitation.objects.filter(parent=parent).order_by("-created_at")[:limit])


def _guardian_teen_ids(guardian: User) -> QuerySet:
    return GuardianLink.objects.filter(parent=guardian, status=LinkStatus.ACTIVE).values("teen_id")


def link_awaiting_approval_for_guardian(*, guardian: User, link_id: int) -> GuardianLink:
    """A link waiting for approval, shown only to the teen's active guardians."""
    return _get_or_404(
        GuardianLink.objects.select_related("parent", "teen").filter(
            status=LinkStatus.PENDING_APPROVAL, teen_id__in=_guardian_teen_ids(guardian)
        ),
        link_id,
    )


def link_for_parent(*, parent: User, link_id: int) -> GuardianLink:
    """One of the parent's own open links (active or waiting for approval)."""
    return _get_or_404(
        GuardianLink.objects.select_related("parent", "teen").filter(
            parent=parent, status__in=OPEN_LINK_STATUSES
        ),
        link_id,
    )


def link_for_participant(*, user: User, link_id: int) -> GuardianLink:
    """A link the user is part of (as the parent or the teen), or one of their teens' links."""
    links = GuardianLink.objects.select_related("parent", "teen")
    link = _get_or_404(links, link_id)
    if user.pk in (link.parent_id, link.teen_id):
        return link
    if GuardianLink.objects.filter(
        parent=user, teen_id=link.teen_id, status=LinkStatus.ACTIVE
    ).exists():
        return link
    raise Http404("Not found.")


def link_for_teen(*, teen: User, link_id: int) -> GuardianLink:
    return _get_or_404(
        GuardianLink.objects.select_related("parent", "teen").filter(
            teen=teen, status__in=OPEN_LINK_STATUSES
        ),
        link_id,
    )


def active_link_for_guardian(*, guardian: User, teen: User) -> GuardianLink:
    link = (
        GuardianLink.objects.select_related("parent", "teen")
        .filter(parent=guardian, teen=teen, status=LinkStatus.ACTIVE)
        .first()
    )
    if link is None:
        raise Http404("Not found.")
    return link


def unlink_request_for_guardian(*, guardian: User, request_id: int) -> UnlinkRequest:
    return _get_or_404(
        UnlinkRequest.objects.select_related("link__parent", "link__teen", "decided_by").filter(
            link__teen_id__in=_guardian_teen_ids(guardian)
        ),
        request_id,
    )


def unlink_request_for_teen(*, teen: User, request_id: int) -> UnlinkRequest:
    return _get_or_404(
        UnlinkRequest.objects.select_related("link__parent", "link__teen").filter(link__teen=teen),
        request_id,
    )


def links_for_user(*, user: User) -> QuerySet[GuardianLink]:
    """Open links where the user is the parent or the teen (the API's link list)."""
    return (
        GuardianLink.objects.filter(Q(parent=user) | Q(teen=user), status__in=OPEN_LINK_STATUSES)
        .select_related("parent", "teen")
        .order_by("created_at", "id")
    )


def approvals_for_guardian(*, guardian: User) -> QuerySet[GuardianLink]:
    """Other parents' links to the guardian's teens, waiting for an approval."""
    return (
        GuardianLink.objects.filter(
            status=LinkStatus.PENDING_APPROVAL, teen_id__in=_guardian_teen_ids(guardian)
        )
        .exclude(parent=guardian)
        .select_related("parent", "teen")
        .order_by("created_at")
    )


def unlink_requests_for_guardian(*, guardian: User) -> QuerySet[UnlinkRequest]:
    return (
        UnlinkRequest.objects.filter(
            status=UnlinkRequestStatus.PENDING, link__teen_id__in=_guardian_teen_ids(guardian)
        )
        .select_related("link__parent", "link__teen")
        .order_by("created_at")
    )


def unlink_requests_for_teen(*, teen: User) -> QuerySet[UnlinkRequest]:
    return (
        UnlinkRequest.objects.filter(link__teen=teen)
        .select_related("link__parent", "decided_by")
        .order_by("-created_at")
    )


@dataclass
class FamilyOverview:
    """What the guardian dashboard's pairing panel shows; a fixed number of queries."""

    links: list[GuardianLink] = field(default_factory=list)
    my_pending_links: list[GuardianLink] = field(default_factory=list)
    approvals: list[GuardianLink] = field(default_factory=list)
    unlink_requests: list[UnlinkRequest] = field(default_factory=list)
    invitations: list[PairingInvitation] = field(default_factory=list)


def family_overview(*, guardian: User, now: datetime | None = None) -> FamilyOverview:
    mine = list(
        GuardianLink.objects.filter(parent=guardian, status__in=OPEN_LINK_STATUSES)
        .select_related("teen")
        .order_by("teen__display_name", "id")
    )
    return FamilyOverview(
        links=[link for link in mine if link.status == LinkStatus.ACTIVE],
        my_pending_links=[link for link in mine if link.status == LinkStatus.PENDING_APPROVAL],
        approvals=list(approvals_for_guardian(guardian=guardian)),
        unlink_requests=list(unlink_requests_for_guardian(guardian=guardian)),
        invitations=list(invitations_open_for_parent(parent=guardian, now=now)),
    )


@dataclass
class TeenOverview:
    links: list[GuardianLink] = field(default_factory=list)
    pending_links: list[GuardianLink] = field(default_factory=list)
    needs_approval: bool = False
    can_link_more: bool = True


def teen_overview(*, teen: User) -> TeenOverview:
    links = list(
        GuardianLink.objects.filter(teen=teen, status__in=OPEN_LINK_STATUSES)
        .select_related("parent")
        .order_by("created_at", "id")
    )
    pending_requests = {
        request.link_id: request
        for request in UnlinkRequest.objects.filter(
            link__teen=teen, status=UnlinkRequestStatus.PENDING
        )
    }
    for link in links:
        link.pending_unlink_request = pending_requests.get(link.pk)
    return TeenOverview(
        links=[link for link in links if link.status == LinkStatus.ACTIVE],
        pending_links=[link for link in links if link.status == LinkStatus.PENDING_APPROVAL],
        needs_approval=TeenRules.objects.filter(teen=teen, unlink_needs_approval=True).exists(),
        can_link_more=len(links) < settings.MAX_GUARDIANS_PER_TEEN,
    )
