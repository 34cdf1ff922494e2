"""Ending links: a guardian unlinks, a teen unlinks (or asks, when a guardian made unlinking need
their approval), and supervision ends by itself when a teen turns 18. Everyone concerned is
told, and every step is an audit event."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    ADULT_AGE,
    OPEN_LINK_STATUSES,
    EndReason,
    GuardianLink,
    LinkStatus,
    UnlinkRequest,
    UnlinkRequestStatus,
    User,
)
from accounts.pairing.guardians import active_guardians, lock_link, pending_link_close
from accounts.pairing.services import NotAllowed, PairingError, who
from controls.audit import audit_record
from controls.models import NotificationKind, TeenRules
from controls.notifications.services import notify

# A guardian who unlinked is told on their dashboard, where the teen's card was: the pages keep
# the teen's name in the session under this key until the dashboard shows it once.
UNLINKED_SESSION_KEY = "dashboard_unlinked_teen"

# --- Unlinking -----------------------------------------------------------------------------------


def _end(
    link: GuardianLink,
    *,
    by: User | None,
    reason: EndReason,
    actor: User | None,
    summary: str,
    now: datetime,
) -> list[User]:
    """End a locked open link, cancel its unlink requests and audit it. Returns the guardians who
    remain, for the caller's notices. Pending approvals lose their last possible approver when
    the last active guardian leaves, so they are cancelled too."""
    before = {"status": link.status}
    link.status = LinkStatus.ENDED
    link.ended_at = now
    link.ended_by = by
    link.end_reason = reason
    link.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    UnlinkRequest.objects.filter(link=link, status=UnlinkRequestStatus.PENDING).update(
        status=UnlinkRequestStatus.CANCELLED, decided_at=now
    )
    audit_record(
        actor=actor,
        teen=link.teen,
        action="link.ended",
        summary=summary,
        before=before,
        after={"status": LinkStatus.ENDED, "reason": reason},
        extra={"link_id": link.pk, "parent_id": link.parent_id},
    )
    remaining = active_guardians(link.teen)
    if not remaining and reason != EndReason.TURNED_18:
        for waiting in (
            GuardianLink.objects.select_for_update()
            .filter(teen=link.teen, status=LinkStatus.PENDING_APPROVAL)
            .select_related("parent", "teen")
        ):
            pending_link_close(waiting, by=None, now=now)
    return remaining


@transaction.atomic
def guardian_unlink(*, link: GuardianLink, guardian: User, now: datetime | None = None) -> None:
    """A guardian ends their own link (or withdraws one still waiting for approval). The teen and
    the other guardians are told."""
    now = now or timezone.now()
    link = lock_link(link)
    if link.parent_id != guardian.pk:
        raise NotAllowed("You can only unlink your own link.")
    if link.status not in OPEN_LINK_STATUSES:
        return
    was_active = link.status == LinkStatus.ACTIVE
    teen = link.teen
    remaining = _end(
        link,
        by=guardian,
        reason=EndReason.GUARDIAN_UNLINKED,
        actor=guardian,
        summary=f"{who(guardian)} unlinked from {who(teen)}.",
        now=now,
    )
    if not was_active:
        return  # withdrawing a pending link: nobody was supervised by it
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_ENDED,
        title=f"{who(guardian)} unlinked from your account",
        body=f"{who(guardian)} can no longer see or manage your account.",
        link=reverse("teen_home"),
    )
    for other in remaining:
        notify(
            recipient=other,
            kind=NotificationKind.LINK_ENDED,
            title=f"{who(guardian)} unlinked from {who(teen)}",
            body=f"You are still {who(teen)}'s guardian.",
            link=reverse("dashboard"),
            teen=teen,
        )


def unlink_needs_approval(*, teen: User) -> bool:
    return TeenRules.objects.filter(teen=teen, unlink_needs_approval=True).exists()


@transaction.atomic
def teen_unlink(
    *, link: GuardianLink, teen: User, now: datetime | None = None
) -> GuardianLink | UnlinkRequest:
    """The teen ends a link: at once, with every guardian told; or, when a guardian turned on
    "unlinking needs approval", as a request the guardians answer (the UnlinkRequest returned)."""
    now = now or timezone.now()
    link = lock_link(link)
    if link.teen_id != teen.pk:
        raise NotAllowed("You can only unlink your own guardians.")
    if link.status not in OPEN_LINK_STATUSES:
        raise PairingError("This link has already ended.", code="not_open")
    parent = link.parent
    if link.status == LinkStatus.PENDING_APPROVAL:
        # Withdrawing a link that never started needs nobody's approval.
        _end(
            link,
            by=teen,
            reason=EndReason.TEEN_UNLINKED,
            actor=teen,
            summary=f"{who(teen)} withdrew the link with {who(parent)} before it was approved.",
            now=now,
        )
        notify(
            recipient=parent,
            kind=NotificationKind.LINK_ENDED,
            title=f"{who(teen)} cancelled your link",
            body="The link was cancelled before it was approved.",
            link=reverse("dashboard"),
        )
        return link
    if unlink_needs_approval(teen=teen):
        return _unlink_request_create(link, now=now)
    guardians = active_guardians(teen)
    _end(
        link,
        by=teen,
        reason=EndReason.TEEN_UNLINKED,
        actor=teen,
        summary=f"{who(teen)} unlinked from {who(parent)}.",
        now=now,
    )
    for guardian in guardians:
        if guardian == parent:
            notify(
                recipient=guardian,
                kind=NotificationKind.LINK_ENDED,
                title=f"{who(teen)} unlinked from you",
                body=f"You can no longer see or manage {who(teen)}'s account.",
                link=reverse("dashboard"),
            )
        else:
            notify(
                recipient=guardian,
                kind=NotificationKind.LINK_ENDED,
                title=f"{who(teen)} unlinked from {who(parent)}",
                body=f"You are still {who(teen)}'s guardian.",
                link=reverse("dashboard"),
                teen=teen,
            )
    return link


def _unlink_request_create(link: GuardianLink, *, now: datetime) -> UnlinkRequest:
    existing = UnlinkRequest.objects.filter(link=link, status=UnlinkRequestStatus.PENDING).first()
    if existing is not None:
        return existing
    request = UnlinkRequest.objects.create(link=link, created_at=now)
    teen, parent = link.teen, link.parent
    audit_record(
        actor=teen,
        teen=teen,
        action="link.unlink_requested",
        summary=f"{who(teen)} asked to unlink from {who(parent)}.",
        extra={"link_id": link.pk, "unlink_request_id": request.pk},
    )
    for guardian in active_guardians(teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.UNLINK_REQUESTED,
            title=f"{who(teen)} asked to unlink from "
            + ("you" if guardian == parent else who(parent)),
            body="Unlinking needs a guardian's approval for this teen. Approve or decline.",
            link=reverse("unlink_request", args=[request.pk]),
            teen=teen,
        )
    return request


def _lock_pending_unlink_request(unlink_request: UnlinkRequest) -> UnlinkRequest:
    locked = (
        UnlinkRequest.objects.select_for_update()
        .select_related("link__teen", "link__parent")
        .get(pk=unlink_request.pk)
    )
    if locked.status != UnlinkRequestStatus.PENDING:
        raise PairingError("This request has already been answered.", code="not_pending")
    return locked


@transaction.atomic
def unlink_request_approve(
    *, unlink_request: UnlinkRequest, guardian: User, now: datetime | None = None
) -> GuardianLink:
    now = now or timezone.now()
    unlink_request = _lock_pending_unlink_request(unlink_request)
    link = lock_link(unlink_request.link)
    teen, parent = link.teen, link.parent
    guardians = active_guardians(teen)
    if guardian not in guardians:
        raise NotAllowed("Only one of the teen's guardians can answer this.")
    unlink_request.status = UnlinkRequestStatus.APPROVED
    unlink_request.decided_by = guardian
    unlink_request.decided_at = now
    unlink_request.save(update_fields=["status", "decided_by", "decided_at"])
    _end(
        link,
        by=teen,
        reason=EndReason.TEEN_UNLINKED,
        actor=guardian,
        summary=f"{who(guardian)} approved {who(teen)}'s request to unlink from {who(parent)}.",
        now=now,
    )
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_ENDED,
        title=f"You are no longer linked with {who(parent)}",
        body=f"{who(guardian)} approved your request to unlink.",
        link=reverse("teen_home"),
    )
    for other in guardians:
        if other != guardian:
            notify(
                recipient=other,
                kind=NotificationKind.LINK_ENDED,
                title=f"{who(teen)} is no longer linked with "
                + ("you" if other == parent else who(parent)),
                body=f"{who(guardian)} approved {who(teen)}'s request to unlink.",
                link=reverse("dashboard"),
                teen=teen if other != parent else None,
            )
    return link


@transaction.atomic
def unlink_request_decline(
    *, unlink_request: UnlinkRequest, guardian: User, now: datetime | None = None
) -> UnlinkRequest:
    now = now or timezone.now()
    unlink_request = _lock_pending_unlink_request(unlink_request)
    link = unlink_request.link
    teen, parent = link.teen, link.parent
    if guardian not in active_guardians(teen):
        raise NotAllowed("Only one of the teen's guardians can answer this.")
    unlink_request.status = UnlinkRequestStatus.DECLINED
    unlink_request.decided_by = guardian
    unlink_request.decided_at = now
    unlink_request.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=guardian,
        teen=teen,
        action="link.unlink_declined",
        summary=f"{who(guardian)} declined {who(teen)}'s request to unlink from {who(parent)}.",
        extra={"link_id": link.pk, "unlink_request_id": unlink_request.pk},
    )
    notify(
        recipient=teen,
        kind=NotificationKind.UNLINK_DECLINED,
        title=f"{who(guardian)} declined your request to unlink from {who(parent)}",
        body="You are still linked. Talk it over with your guardians.",
        link=reverse("teen_home"),
    )
    return unlink_request


@transaction.atomic
def unlink_request_cancel(
    *, unlink_request: UnlinkRequest, teen: User, now: datetime | None = None
) -> UnlinkRequest:
    now = now or timezone.now()
    unlink_request = _lock_pending_unlink_request(unlink_request)
    link = unlink_request.link
    if link.teen_id != teen.pk:
        raise NotAllowed("This is not your request.")
    unlink_request.status = UnlinkRequestStatus.CANCELLED
    unlink_request.decided_by = teen
    unlink_request.decided_at = now
    unlink_request.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=teen,
        teen=link.teen,
        action="link.unlink_cancelled",
        summary=f"{who(teen)} withdrew the request to unlink from {who(link.parent)}.",
        extra={"link_id": link.pk, "unlink_request_id": unlink_request.pk},
    )
    return unlink_request


# --- Turning 18 ----------------------------------------------------------------------------------


def _eighteen_years_before(day: date) -> date:
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:  # 29 February
        return day.replace(year=day.year - ADULT_AGE, day=28)


def links_end_at_18(*, now: datetime | None = None) -> int:
    """End every open link of a teen who is 18 today in their own time zone; notify the teen and
    each guardian once. Safe to run again: ended links are not open any more."""
    now = now or timezone.now()
    # Anyone 18 somewhere on Earth now was born on or before this date (UTC+14 is ahead by less
    # than a day); the exact check is in each teen's own time zone below.
    cutoff = _eighteen_years_before((now + timedelta(days=1)).date())
    teens = User.objects.filter(
        birth_date__lte=cutoff, guardian_links__status__in=OPEN_LINK_STATUSES
    ).distinct()
    ended = 0
    for teen in teens:
        if teen.age(on=now.astimezone(teen.tz).date()) < ADULT_AGE:
            continue
        ended += supervision_end_at_18(teen=teen, now=now)
    return ended


@transaction.atomic
def supervision_end_at_18(*, teen: User, now: datetime | None = None) -> int:
    now = now or timezone.now()
    links = list(
        GuardianLink.objects.select_for_update()
        .filter(teen=teen, status__in=OPEN_LINK_STATUSES)
        .select_related("parent", "teen")
    )
    for link in links:
        was_active = link.status == LinkStatus.ACTIVE
        _end(
            link,
            by=None,
            reason=EndReason.TURNED_18,
            actor=None,
            summary=f"{who(teen)} turned 18: {who(link.parent)}'s supervision ended.",
            now=now,
        )
        notify(
            recipient=link.parent,
            kind=NotificationKind.SUPERVISION_ENDED,
            title=f"{who(teen)} turned 18: supervision has ended",
            body=(
                f"Adults manage their own accounts, so you can no longer see or manage "
                f"{who(teen)}'s account."
                if was_active
                else f"Your link with {who(teen)}, which was waiting for approval, was closed."
            ),
            link=reverse("dashboard"),
            dedupe_key=f"supervision-ended:{link.pk}",
        )
    if links:
        notify(
            recipient=teen,
            kind=NotificationKind.SUPERVISION_ENDED,
            title="Happy 18th birthday: supervision has ended",
            body="Your guardians can no longer see or manage your account. It is all yours now.",
            link=reverse("home"),
            dedupe_key=f"supervision-ended:{teen.pk}:{teen.birth_date}",
        )
    return len(links)
