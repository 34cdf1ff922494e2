"""A second guardian: when a teen already has one, the existing guardian approves or refuses the
new link before it becomes active."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    GuardianLink,
    LinkStatus,
    User,
)
from accounts.pairing.services import NotAllowed, PairingError, who
from controls.audit import audit_record
from controls.models import NotificationKind
from controls.notifications.services import notify
from controls.rules.selectors import rules_ensure_for_teen

# --- A second guardian ---------------------------------------------------------------------------


def lock_link(link: GuardianLink) -> GuardianLink:
    return GuardianLink.objects.select_for_update().select_related("parent", "teen").get(pk=link.pk)


def active_guardians(teen: User) -> list[User]:
    return [
        link.parent
        for link in GuardianLink.objects.filter(teen=teen, status=LinkStatus.ACTIVE)
        .select_related("parent")
        .order_by("created_at")
    ]


def _check_pending_approver(link: GuardianLink, guardian: User) -> list[User]:
    if link.status != LinkStatus.PENDING_APPROVAL:
        raise PairingError("This link is no longer waiting for approval.", code="not_pending")
    guardians = active_guardians(link.teen)
    if guardian not in guardians:
        raise NotAllowed("Only one of the teen's guardians can answer this.")
    return guardians


@transaction.atomic
def guardian_link_approve(
    *, link: GuardianLink, guardian: User, now: datetime | None = None
) -> GuardianLink:
    now = now or timezone.now()
    link = lock_link(link)
    guardians = _check_pending_approver(link, guardian)
    link.status = LinkStatus.ACTIVE
    link.approved_at = now
    link.approved_by = guardian
    link.save(update_fields=["status", "approved_at", "approved_by"])
    rules_ensure_for_teen(teen=link.teen)
    teen, parent = link.teen, link.parent
    audit_record(
        actor=guardian,
        teen=teen,
        action="link.approved",
        summary=f"{who(guardian)} approved {who(parent)} as {who(teen)}'s guardian.",
        before={"status": LinkStatus.PENDING_APPROVAL},
        after={"status": LinkStatus.ACTIVE},
        extra={"link_id": link.pk, "parent_id": parent.pk},
    )
    notify(
        recipient=parent,
        kind=NotificationKind.LINK_APPROVED,
        title=f"You are now {who(teen)}'s guardian",
        body=f"{who(guardian)} approved your link with {who(teen)}.",
        link=reverse("dashboard"),
        teen=teen,
    )
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_APPROVED,
        title=f"{who(parent)} is now one of your guardians",
        body=f"{who(guardian)} approved the link you accepted.",
        link=reverse("teen_home"),
    )
    for other in guardians:
        if other != guardian:
            notify(
                recipient=other,
                kind=NotificationKind.LINK_APPROVED,
                title=f"{who(parent)} is now also {who(teen)}'s guardian",
                body=f"{who(guardian)} approved the link.",
                link=reverse("dashboard"),
                teen=teen,
            )
    return link


@transaction.atomic
def guardian_link_refuse(
    *, link: GuardianLink, guardian: User, now: datetime | None = None
) -> GuardianLink:
    now = now or timezone.now()
    link = lock_link(link)
    guardians = _check_pending_approver(link, guardian)
    pending_link_close(link, by=guardian, now=now)
    teen, parent = link.teen, link.parent
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_REFUSED,
        title=f"{who(guardian)} did not approve {who(parent)} as your guardian",
        body=f"{who(parent)} cannot see or manage your account.",
        link=reverse("teen_home"),
    )
    for other in guardians:
        if other != guardian:
            notify(
                recipient=other,
                kind=NotificationKind.LINK_REFUSED,
                title=f"{who(guardian)} refused {who(parent)} as {who(teen)}'s guardian",
                link=reverse("dashboard"),
                teen=teen,
            )
    return link


def pending_link_close(link: GuardianLink, *, by: User | None, now: datetime) -> None:
    """Close a link that was waiting for approval and tell its parent."""
    link.status = LinkStatus.REFUSED
    link.ended_at = now
    link.ended_by = by
    link.save(update_fields=["status", "ended_at", "ended_by"])
    teen, parent = link.teen, link.parent
    if by is not None:
        summary = f"{who(by)} refused {who(parent)} as {who(teen)}'s guardian."
        body = f"{who(by)} did not approve your link with {who(teen)}."
    else:
        summary = (
            f"{who(parent)}'s link with {who(teen)} was cancelled: no guardian was left "
            "to approve it."
        )
        body = (
            f"{who(teen)} no longer has a guardian who could approve your link. "
            f"Ask {who(teen)} to pair again with a new code."
        )
    audit_record(
        actor=by,
        teen=teen,
        action="link.refused",
        summary=summary,
        before={"status": LinkStatus.PENDING_APPROVAL},
        after={"status": LinkStatus.REFUSED},
        extra={"link_id": link.pk, "parent_id": parent.pk},
    )
    notify(
        recipient=parent,
        kind=NotificationKind.LINK_REFUSED,
        title=f"Your link with {who(teen)} was not approved",
        body=body,
        link=reverse("dashboard"),
    )
