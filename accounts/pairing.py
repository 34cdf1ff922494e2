"""Pairing and unlinking: every rule of DESIGN.md's "Pairing" and "Unlinking" sections.

Pages, the API, the admin and the periodic tasks all call these functions, so each rule has one
home. Writes are atomic, audited (`controls.audit.audit_record`) and notify the people concerned
(`controls.notifications.notify`, which e-mails after commit).

Secrets: an invitation's token (QR) and code (typed) are stored as keyed hashes for lookup, plus
an encrypted copy (`sealed`, key derived from SECRET_KEY) so the parent can see them again while
the invitation is open; the copy is wiped when the invitation is answered, revoked or expired.
"""

from __future__ import annotations

import base64
import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from allauth.account.models import EmailAddress
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.crypto import keyed_hash
from accounts.models import (
    ADULT_AGE,
    OPEN_LINK_STATUSES,
    EndReason,
    GuardianLink,
    InvitationStatus,
    LinkStatus,
    PairingInvitation,
    UnlinkRequest,
    UnlinkRequestStatus,
    User,
)
from accounts.throttle import (
    TooManyAttempts,
    attempt_begin,
    attempt_key,
    attempt_refund,
    client_address_key,
)
from controls.audit import audit_record
from controls.models import NotificationKind, TeenRules
from controls.notifications import notify

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I/L
CODE_LENGTH = 8
TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128
MAX_OPEN_INVITATIONS = 5

# What a guardian can and cannot do, in the words the teen reads before accepting (and on their
# own page afterwards). Keep this true: it is a promise to the teen.
GUARDIAN_CAN = (
    "See how much time you spend on your devices each day, per app and per device.",
    "Set daily screen-time limits and downtime (hours when your devices are locked).",
    "Answer your requests for more time, and give you extra time.",
    "Turn restricted browsing and search on or off, and block or allow websites.",
    "Change your privacy settings: private account, who can message you or comment, "
    "live, duet/stitch and downloads (within the limits for your age).",
    "See your devices and when they last applied the rules.",
    "See the history of every change, which you can see too.",
)
GUARDIAN_CANNOT = (
    "Read your messages or see the videos you watch.",
    "See what you search for or which websites you visit.",
    "See where you are or sign in as you.",
)

INVALID_CODE_MESSAGE = (
    "That code or link doesn't work. Codes work once and only for a few minutes: "
    "check the code, or ask your parent to make a new one."
)
MALFORMED_CODE_MESSAGE = "A code has 8 letters and numbers, like ABCD-EFGH."
NOT_A_TEEN_MESSAGE = (
    "Only teens (13 to 17) can accept a pairing invitation. Your account is an adult's account, "
    "so there is nothing to link here. If you are a parent, show this code to your teen."
)
OWN_INVITATION_MESSAGE = (
    "This is your own pairing code. Show it to your teen: they open the link or type the code "
    "on their own phone or computer, signed in to their own account."
)


class PairingError(Exception):
    """A rule said no. `code` names it for the API; `message` is for people."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        self.message = message or getattr(self, "default_message", "")
        if code:
            self.code = code
        super().__init__(self.message)


class InvitationUnavailable(PairingError):
    """Wrong, expired, revoked or used: one message for all, so nobody learns which."""

    code = "invalid_code"
    default_message = INVALID_CODE_MESSAGE


class NotAllowed(PairingError):
    status_code = 403
    code = "not_allowed"


@dataclass(frozen=True)
class InvitationSecrets:
    token: str
    code: str

    @property
    def code_display(self) -> str:
        return format_code(self.code)

    @property
    def url(self) -> str:
        return f"{settings.SITE_URL}/pair/{self.token}"


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalize_code(raw: str) -> str | None:
    """`abcd efgh`, `ABCD-EFGH` and `abcdefgh` are the same code; None when it cannot be one."""
    cleaned = "".join(ch for ch in raw.upper() if not ch.isspace() and ch not in "-‐–—_.")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def _token_hash(token: str) -> str:
    return keyed_hash(token, purpose="pairing-token")


def _code_hash(code: str) -> str:
    return keyed_hash(code, purpose="pairing-code")


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"familypairing:pairing-seal:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _seal(token: str, code: str) -> str:
    return _fernet().encrypt(f"{token}:{code}".encode()).decode()


def verified_email(user: User) -> str | None:
    """The user's verified address (primary first), or None."""
    addresses = sorted(
        EmailAddress.objects.filter(user=user, verified=True), key=lambda a: not a.primary
    )
    return addresses[0].email if addresses else None


def _name(user: User | None) -> str:
    return user.get_short_name() if user is not None else "Family Pairing"


# --- Invitations (parent side) -----------------------------------------------------------------


def pairing_invitation_create(
    *, parent: User, now: datetime | None = None
) -> tuple[PairingInvitation, InvitationSecrets]:
    """A new invitation with its QR token and short code (returned once, in clear)."""
    now = now or timezone.now()
    if not parent.is_adult:
        raise NotAllowed(
            "Only parents and guardians (18 or older) can create a pairing code. "
            "To link with a parent, enter the code they show you."
        )
    if verified_email(parent) is None:
        raise NotAllowed(
            "Please confirm your e-mail address first: your teen sees it before accepting."
        )
    open_count = PairingInvitation.objects.filter(
        parent=parent, status=InvitationStatus.PENDING, expires_at__gt=now
    ).count()
    if open_count >= MAX_OPEN_INVITATIONS:
        raise PairingError(
            f"You already have {open_count} codes waiting. Revoke one before making another.",
            code="too_many_invitations",
        )
    expires_at = now + timedelta(minutes=settings.PAIRING_INVITATION_MINUTES)
    for _ in range(5):
        token = secrets.token_urlsafe(TOKEN_BYTES)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                invitation = PairingInvitation.objects.create(
                    parent=parent,
                    token_hash=_token_hash(token),
                    code_hash=_code_hash(code),
                    sealed=_seal(token, code),
                    created_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:  # the code equals another live one (about 1 in 10^12): redraw
            continue
        return invitation, InvitationSecrets(token=token, code=code)
    raise RuntimeError("Could not draw a unique pairing code.")


def pairing_invitation_secrets(
    *, invitation: PairingInvitation, now: datetime | None = None
) -> InvitationSecrets | None:
    """The token and code of an open invitation, to show its parent again; None once closed
    (or if SECRET_KEY changed since)."""
    if not invitation.sealed or not invitation.is_usable(now):
        return None
    try:
        token, code = _fernet().decrypt(invitation.sealed.encode()).decode().split(":", 1)
    except (InvalidToken, ValueError):
        return None
    return InvitationSecrets(token=token, code=code)


def pairing_invitation_revoke(*, invitation: PairingInvitation, parent: User) -> PairingInvitation:
    """Stop a waiting invitation from working. Revoking a closed one changes nothing."""
    if invitation.parent_id != parent.pk:
        raise NotAllowed("This is not your invitation.")
    PairingInvitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.REVOKED, sealed=""
    )
    invitation.refresh_from_db()
    return invitation


def pairing_invitation_renew(
    *, invitation: PairingInvitation, parent: User, now: datetime | None = None
) -> tuple[PairingInvitation, InvitationSecrets]:
    """ "Make a new code": the old one stops working and a fresh one replaces it."""
    with transaction.atomic():
        pairing_invitation_revoke(invitation=invitation, parent=parent)
        return pairing_invitation_create(parent=parent, now=now)


def pairing_invitations_expire(*, now: datetime | None = None) -> int:
    """Mark invitations past their expiry as expired and wipe their sealed secrets."""
    from accounts.throttle import attempt_counters_prune

    now = now or timezone.now()
    expired = PairingInvitation.objects.filter(
        status=InvitationStatus.PENDING, expires_at__lte=now
    ).update(status=InvitationStatus.EXPIRED, sealed="")
    attempt_counters_prune(now=now)
    return expired


# --- Finding an invitation (teen side) ---------------------------------------------------------


def _usable_invitation(
    *, token: str | None, code: str | None, now: datetime
) -> PairingInvitation | None:
    invitations = PairingInvitation.objects.select_related("parent").filter(
        status=InvitationStatus.PENDING, expires_at__gt=now
    )
    if token:
        return invitations.filter(token_hash=_token_hash(token)).first()
    if code:
        normalized = normalize_code(code)
        if normalized is None:
            return None
        return invitations.filter(code_hash=_code_hash(normalized)).first()
    return None


def pairing_invitation_own(
    *, user: User, token: str | None = None, code: str | None = None
) -> PairingInvitation | None:
    """The user's own invitation behind this token/code, if any: lets us tell a parent who opened
    their own QR code what to do. Only ever matches the user's own invitations, so it is no
    oracle for anybody else's."""
    if token:
        found = PairingInvitation.objects.filter(parent=user, token_hash=_token_hash(token))
    elif code and (normalized := normalize_code(code)):
        found = PairingInvitation.objects.filter(parent=user, code_hash=_code_hash(normalized))
    else:
        return None
    return found.order_by("-created_at").first()


def pairing_inviter_name(*, token: str, now: datetime | None = None) -> str | None:
    """The display name of whoever made the open invitation behind a QR token, for the sign-in
    page a signed-out visitor lands on. Only the name: nothing else about the parent, never the
    code. The token is long and random (no guessing, so no throttle), and nothing is spent."""
    invitation = (
        PairingInvitation.objects.select_related("parent")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_usable(now):
        return None
    return invitation.parent.get_short_name()


ACCOUNT_SCOPE = "pairing:account"
ADDRESS_SCOPE = "pairing:address"


def pairing_attempt_keys(*, user: User, client_address: str) -> tuple:
    """The two limits on typed codes, the account's first (its message wins when both trip).

    - Per account (PAIRING_MAX_FAILURES, 5): one person's guesses.
    - Per address (PAIRING_MAX_FAILURES_PER_ADDRESS, 50): guesses spread over many accounts
      from one place. A home or a school shares one address behind NAT, and each account stops
      at its own 5, so one teen's typos (or a few) never reach it.
    """
    return (
        attempt_key(scope=ACCOUNT_SCOPE, value=str(user.pk), limit=settings.PAIRING_MAX_FAILURES),
        attempt_key(
            scope=ADDRESS_SCOPE,
            value=client_address_key(client_address),
            limit=settings.PAIRING_MAX_FAILURES_PER_ADDRESS,
        ),
    )


def pairing_throttled_message(*, exc: TooManyAttempts) -> str:
    """What to tell someone whose typed code was refused by a limit, for that limit.

    Only typed codes are ever refused (a QR link never is), so pointing at the QR code is
    advice the reader has not tried yet, and it works for them now."""
    minutes = max(1, math.ceil(exc.retry_after / 60))
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if exc.scope == ADDRESS_SCOPE:
        return (
            "Too many wrong codes were typed on this network (your home or school Wi-Fi, for "
            f"example) in the last few minutes, so typing codes here is paused for {wait}. "
            "Scanning the QR code on your parent's screen still works, or try again later."
        )
    return (
        f"You've tried too many codes that didn't work. Wait {wait}, then ask your parent for "
        "a fresh code; or scan the QR code on their screen, which works now."
    )


def pairing_invitation_lookup(
    *,
    user: User,
    client_address: str,
    token: str | None = None,
    code: str | None = None,
    now: datetime | None = None,
) -> PairingInvitation:
    """The open invitation behind a QR token or a typed code, for a teen to answer.

    Typed codes (8 characters, about 8·10^11 values) can be guessed, so every wrong one counts
    against the account and the client address in the database (shared by all processes), and
    past either limit this raises `accounts.throttle.TooManyAttempts` before looking, for the
    right code too: were the right code accepted, a refusal would only ever mean "wrong", and
    the limit would slow nobody. The per-address limit is high (see `pairing_attempt_keys`), so
    a sibling typing the right code is refused only on a network where many accounts have been
    guessing.

    A QR token is 256 random bits: opening one is never a guess, so it is neither counted nor
    refused by either limit. Whoever holds a valid QR link gets the confirmation page, even
    from an address or an account that typed too many wrong codes.

    Wrong, expired, revoked and used all raise the same `InvitationUnavailable`.
    """
    now = now or timezone.now()
    if not user.is_teen:
        raise NotAllowed(NOT_A_TEEN_MESSAGE)
    if token:
        invitation = _usable_invitation(token=token, code=None, now=now)
        if invitation is None:
            raise InvitationUnavailable()
        return invitation
    attempt = attempt_begin(
        keys=pairing_attempt_keys(user=user, client_address=client_address), now=now
    )
    invitation = _usable_invitation(token=None, code=code, now=now)
    if invitation is None:
        raise InvitationUnavailable()
    attempt_refund(attempt=attempt)
    return invitation


# --- The teen's answer ---------------------------------------------------------------------------


def _lock_open_invitation(invitation: PairingInvitation, now: datetime) -> PairingInvitation:
    locked = (
        PairingInvitation.objects.select_for_update()
        .select_related("parent")
        .filter(pk=invitation.pk)
        .first()
    )
    if locked is None or not locked.is_usable(now) or not locked.parent.is_active:
        raise InvitationUnavailable()
    return locked


def _check_teen_may_answer(*, invitation: PairingInvitation, teen: User) -> None:
    if invitation.parent_id == teen.pk:
        raise NotAllowed(OWN_INVITATION_MESSAGE, code="own_invitation")
    if not teen.is_teen:
        raise NotAllowed(NOT_A_TEEN_MESSAGE, code="not_a_teen")


def _link_blocker(*, parent: User, open_links: list[GuardianLink]) -> PairingError | None:
    if any(link.parent_id == parent.pk for link in open_links):
        return PairingError(f"You are already linked with {_name(parent)}.", code="already_linked")
    if len(open_links) >= settings.MAX_GUARDIANS_PER_TEEN:
        return PairingError(
            f"You already have {len(open_links)} guardians, the most allowed. One of them must "
            "unlink before you can link with someone else.",
            code="guardian_limit",
        )
    return None


def pairing_accept_blocker(*, invitation: PairingInvitation, teen: User) -> str | None:
    """Why accepting would be refused right now (already linked, guardian cap), so the
    confirmation page can say so before the teen presses Accept; `pairing_accept` re-checks."""
    open_links = list(GuardianLink.objects.filter(teen=teen, status__in=OPEN_LINK_STATUSES))
    problem = _link_blocker(parent=invitation.parent, open_links=open_links)
    return problem.message if problem else None


@transaction.atomic
def pairing_accept(
    *, invitation: PairingInvitation, teen: User, now: datetime | None = None
) -> GuardianLink:
    """The teen accepts: a link, active at once for a first guardian; waiting for an existing
    guardian's approval otherwise (so a stranger holding a code cannot take over)."""
    from controls.services import rules_reset_to_age_defaults

    now = now or timezone.now()
    # Locking the teen's row serialises two acceptances for one teen, so the cap holds.
    teen = User.objects.select_for_update().get(pk=teen.pk)
    invitation = _lock_open_invitation(invitation, now)
    _check_teen_may_answer(invitation=invitation, teen=teen)
    parent = invitation.parent
    if not parent.is_adult:
        raise InvitationUnavailable()
    open_links = list(
        GuardianLink.objects.filter(teen=teen, status__in=OPEN_LINK_STATUSES).select_related(
            "parent"
        )
    )
    if (problem := _link_blocker(parent=parent, open_links=open_links)) is not None:
        raise problem
    approvers = [link.parent for link in open_links if link.status == LinkStatus.ACTIVE]
    status = LinkStatus.PENDING_APPROVAL if approvers else LinkStatus.ACTIVE
    link = GuardianLink.objects.create(
        parent=parent,
        teen=teen,
        invitation=invitation,
        status=status,
        created_at=now,
        approved_at=now if status == LinkStatus.ACTIVE else None,
    )
    invitation.status = InvitationStatus.ACCEPTED
    invitation.answered_by = teen
    invitation.answered_at = now
    invitation.sealed = ""
    invitation.save(update_fields=["status", "answered_by", "answered_at", "sealed"])
    if status == LinkStatus.ACTIVE:
        # The first guardian: supervision starts from the defaults for the teen's age today.
        rules_reset_to_age_defaults(teen=teen, actor=teen, now=now)
        summary = (
            f"{_name(teen)} accepted {_name(parent)}'s invitation: {_name(parent)} is now a "
            "guardian."
        )
    else:
        summary = (
            f"{_name(teen)} accepted {_name(parent)}'s invitation; an existing guardian must "
            "approve it."
        )
    audit_record(
        actor=teen,
        teen=teen,
        action="link.created",
        summary=summary,
        after={"guardian": _name(parent), "status": status},
        extra={"link_id": link.pk, "parent_id": parent.pk, "invitation_id": invitation.pk},
    )
    invitation_page = reverse("pairing_invitation", args=[invitation.pk])
    if status == LinkStatus.ACTIVE:
        notify(
            recipient=parent,
            kind=NotificationKind.LINK_ACCEPTED,
            title=f"{_name(teen)} accepted your pairing invitation",
            body=f"You can now see and manage {_name(teen)}'s screen time, browsing and privacy "
            "settings.",
            link=reverse("dashboard"),
            teen=teen,
        )
    else:
        notify(
            recipient=parent,
            kind=NotificationKind.LINK_ACCEPTED,
            title=f"{_name(teen)} accepted your pairing invitation",
            body=f"{_name(teen)} already has a guardian, who must approve before you can manage "
            f"{_name(teen)}'s account. We'll tell you when they answer.",
            link=invitation_page,
            teen=teen,
        )
        for approver in approvers:
            notify(
                recipient=approver,
                kind=NotificationKind.GUARDIAN_APPROVAL_NEEDED,
                title=f"{_name(parent)} wants to become {_name(teen)}'s guardian",
                body=f"{_name(teen)} accepted an invitation from {_name(parent)} "
                f"({verified_email(parent) or parent.email}). Nothing changes until you approve; "
                "refuse if you don't know this person.",
                link=reverse("guardian_approval", args=[link.pk]),
                teen=teen,
            )
    return link


@transaction.atomic
def pairing_decline(
    *, invitation: PairingInvitation, teen: User, now: datetime | None = None
) -> PairingInvitation:
    now = now or timezone.now()
    invitation = _lock_open_invitation(invitation, now)
    _check_teen_may_answer(invitation=invitation, teen=teen)
    invitation.status = InvitationStatus.DECLINED
    invitation.answered_by = teen
    invitation.answered_at = now
    invitation.sealed = ""
    invitation.save(update_fields=["status", "answered_by", "answered_at", "sealed"])
    parent = invitation.parent
    audit_record(
        actor=teen,
        teen=teen,
        action="link.declined",
        summary=f"{_name(teen)} declined {_name(parent)}'s invitation to link.",
        extra={"parent_id": parent.pk, "invitation_id": invitation.pk},
    )
    notify(
        recipient=parent,
        kind=NotificationKind.LINK_DECLINED,
        title=f"{_name(teen)} declined your pairing invitation",
        body="Nothing was linked. You can talk it over and make a new code at any time.",
        link=reverse("pairing_invitation", args=[invitation.pk]),
    )
    return invitation


# --- A second guardian ---------------------------------------------------------------------------


def _lock_link(link: GuardianLink) -> GuardianLink:
    return GuardianLink.objects.select_for_update().select_related("parent", "teen").get(pk=link.pk)


def _active_guardians(teen: User) -> list[User]:
    return [
        link.parent
        for link in GuardianLink.objects.filter(teen=teen, status=LinkStatus.ACTIVE)
        .select_related("parent")
        .order_by("created_at")
    ]


def _check_pending_approver(link: GuardianLink, guardian: User) -> list[User]:
    if link.status != LinkStatus.PENDING_APPROVAL:
        raise PairingError("This link is no longer waiting for approval.", code="not_pending")
    guardians = _active_guardians(link.teen)
    if guardian not in guardians:
        raise NotAllowed("Only one of the teen's guardians can answer this.")
    return guardians


@transaction.atomic
def guardian_link_approve(
    *, link: GuardianLink, guardian: User, now: datetime | None = None
) -> GuardianLink:
    from controls.services import rules_ensure_for_teen

    now = now or timezone.now()
    link = _lock_link(link)
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
        summary=f"{_name(guardian)} approved {_name(parent)} as {_name(teen)}'s guardian.",
        before={"status": LinkStatus.PENDING_APPROVAL},
        after={"status": LinkStatus.ACTIVE},
        extra={"link_id": link.pk, "parent_id": parent.pk},
    )
    notify(
        recipient=parent,
        kind=NotificationKind.LINK_APPROVED,
        title=f"You are now {_name(teen)}'s guardian",
        body=f"{_name(guardian)} approved your link with {_name(teen)}.",
        link=reverse("dashboard"),
        teen=teen,
    )
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_APPROVED,
        title=f"{_name(parent)} is now one of your guardians",
        body=f"{_name(guardian)} approved the link you accepted.",
        link=reverse("teen_home"),
    )
    for other in guardians:
        if other != guardian:
            notify(
                recipient=other,
                kind=NotificationKind.LINK_APPROVED,
                title=f"{_name(parent)} is now also {_name(teen)}'s guardian",
                body=f"{_name(guardian)} approved the link.",
                link=reverse("dashboard"),
                teen=teen,
            )
    return link


@transaction.atomic
def guardian_link_refuse(
    *, link: GuardianLink, guardian: User, now: datetime | None = None
) -> GuardianLink:
    now = now or timezone.now()
    link = _lock_link(link)
    guardians = _check_pending_approver(link, guardian)
    pending_link_close(link, by=guardian, now=now)
    teen, parent = link.teen, link.parent
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_REFUSED,
        title=f"{_name(guardian)} did not approve {_name(parent)} as your guardian",
        body=f"{_name(parent)} cannot see or manage your account.",
        link=reverse("teen_home"),
    )
    for other in guardians:
        if other != guardian:
            notify(
                recipient=other,
                kind=NotificationKind.LINK_REFUSED,
                title=f"{_name(guardian)} refused {_name(parent)} as {_name(teen)}'s guardian",
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
        summary = f"{_name(by)} refused {_name(parent)} as {_name(teen)}'s guardian."
        body = f"{_name(by)} did not approve your link with {_name(teen)}."
    else:
        summary = (
            f"{_name(parent)}'s link with {_name(teen)} was cancelled: no guardian was left "
            "to approve it."
        )
        body = (
            f"{_name(teen)} no longer has a guardian who could approve your link. "
            f"Ask {_name(teen)} to pair again with a new code."
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
        title=f"Your link with {_name(teen)} was not approved",
        body=body,
        link=reverse("dashboard"),
    )


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
    remaining = _active_guardians(link.teen)
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
    link = _lock_link(link)
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
        summary=f"{_name(guardian)} unlinked from {_name(teen)}.",
        now=now,
    )
    if not was_active:
        return  # withdrawing a pending link: nobody was supervised by it
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_ENDED,
        title=f"{_name(guardian)} unlinked from your account",
        body=f"{_name(guardian)} can no longer see or manage your account.",
        link=reverse("teen_home"),
    )
    for other in remaining:
        notify(
            recipient=other,
            kind=NotificationKind.LINK_ENDED,
            title=f"{_name(guardian)} unlinked from {_name(teen)}",
            body=f"You are still {_name(teen)}'s guardian.",
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
    link = _lock_link(link)
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
            summary=f"{_name(teen)} withdrew the link with {_name(parent)} before it was approved.",
            now=now,
        )
        notify(
            recipient=parent,
            kind=NotificationKind.LINK_ENDED,
            title=f"{_name(teen)} cancelled your link",
            body="The link was cancelled before it was approved.",
            link=reverse("dashboard"),
        )
        return link
    if unlink_needs_approval(teen=teen):
        return _unlink_request_create(link, now=now)
    guardians = _active_guardians(teen)
    _end(
        link,
        by=teen,
        reason=EndReason.TEEN_UNLINKED,
        actor=teen,
        summary=f"{_name(teen)} unlinked from {_name(parent)}.",
        now=now,
    )
    for guardian in guardians:
        if guardian == parent:
            notify(
                recipient=guardian,
                kind=NotificationKind.LINK_ENDED,
                title=f"{_name(teen)} unlinked from you",
                body=f"You can no longer see or manage {_name(teen)}'s account.",
                link=reverse("dashboard"),
            )
        else:
            notify(
                recipient=guardian,
                kind=NotificationKind.LINK_ENDED,
                title=f"{_name(teen)} unlinked from {_name(parent)}",
                body=f"You are still {_name(teen)}'s guardian.",
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
        summary=f"{_name(teen)} asked to unlink from {_name(parent)}.",
        extra={"link_id": link.pk, "unlink_request_id": request.pk},
    )
    for guardian in _active_guardians(teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.UNLINK_REQUESTED,
            title=f"{_name(teen)} asked to unlink from "
            + ("you" if guardian == parent else _name(parent)),
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
    link = _lock_link(unlink_request.link)
    teen, parent = link.teen, link.parent
    guardians = _active_guardians(teen)
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
        summary=f"{_name(guardian)} approved {_name(teen)}'s request to unlink from "
        f"{_name(parent)}.",
        now=now,
    )
    notify(
        recipient=teen,
        kind=NotificationKind.LINK_ENDED,
        title=f"You are no longer linked with {_name(parent)}",
        body=f"{_name(guardian)} approved your request to unlink.",
        link=reverse("teen_home"),
    )
    for other in guardians:
        if other != guardian:
            notify(
                recipient=other,
                kind=NotificationKind.LINK_ENDED,
                title=f"{_name(teen)} is no longer linked with "
                + ("you" if other == parent else _name(parent)),
                body=f"{_name(guardian)} approved {_name(teen)}'s request to unlink.",
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
    if guardian not in _active_guardians(teen):
        raise NotAllowed("Only one of the teen's guardians can answer this.")
    unlink_request.status = UnlinkRequestStatus.DECLINED
    unlink_request.decided_by = guardian
    unlink_request.decided_at = now
    unlink_request.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=guardian,
        teen=teen,
        action="link.unlink_declined",
        summary=f"{_name(guardian)} declined {_name(teen)}'s request to unlink from "
        f"{_name(parent)}.",
        extra={"link_id": link.pk, "unlink_request_id": unlink_request.pk},
    )
    notify(
        recipient=teen,
        kind=NotificationKind.UNLINK_DECLINED,
        title=f"{_name(guardian)} declined your request to unlink from {_name(parent)}",
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
        summary=f"{_name(teen)} withdrew the request to unlink from {_name(link.parent)}.",
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
            summary=f"{_name(teen)} turned 18: {_name(link.parent)}'s supervision ended.",
            now=now,
        )
        notify(
            recipient=link.parent,
            kind=NotificationKind.SUPERVISION_ENDED,
            title=f"{_name(teen)} turned 18: supervision has ended",
            body=(
                f"Adults manage their own accounts, so you can no longer see or manage "
                f"{_name(teen)}'s account."
                if was_active
                else f"Your link with {_name(teen)}, which was waiting for approval, was closed."
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
