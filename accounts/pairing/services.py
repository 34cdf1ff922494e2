"""Pairing: a parent's invitation (QR code and short code), the teen finding it, and the teen's
answer. A second guardian's approval is `accounts.pairing.guardians`; unlinking and the end of
supervision at 18 are `accounts.pairing.unlinking` (the layers: docs/architecture.md).

Pages, the API, the admin and the periodic tasks all call these functions, so each rule has one
home. Writes are atomic, audited (`controls.audit.audit_record`) and notify the people concerned
(`controls.notifications.services.notify`, which e-mails after commit).

Secrets: an invitation's token (QR) and code (typed) are stored as keyed hashes for lookup, plus
an encrypted copy (`sealed`, key derived from SECRET_KEY) so the parent can see them again while
the invitation is open; the copy is wiped when the invitation is answered, revoked or expired.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.crypto import keyed_hash
from accounts.models import (
    OPEN_LINK_STATUSES,
    GuardianLink,
    InvitationStatus,
    LinkStatus,
    PairingInvitation,
    User,
)
from accounts.pairing.throttle import (
    attempt_counters_prune,
)
from controls.audit import audit_record
from controls.models import NotificationKind
from controls.notifications.services import notify
from controls.rules.services import rules_reset_to_age_defaults

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


def invitation_token_hash(token: str) -> str:
    return keyed_hash(token, purpose="pairing-token")


def invitation_code_hash(code: str) -> str:
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


def who(user: User | None) -> str:
    """How a message names `user`: their short name, or the service itself for no one."""
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
                    token_hash=invitation_token_hash(token),
                    code_hash=invitation_code_hash(code),
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
    now = now or timezone.now()
    expired = PairingInvitation.objects.filter(
        status=InvitationStatus.PENDING, expires_at__lte=now
    ).update(status=InvitationStatus.EXPIRED, sealed="")
    attempt_counters_prune(now=now)
    return expired


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
        return PairingError(f"You are already linked with {who(parent)}.", code="already_linked")
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
            f"{who(teen)} accepted {who(parent)}'s invitation: {who(parent)} is now a guardian."
        )
    else:
        summary = (
            f"{who(teen)} accepted {who(parent)}'s invitation; an existing guardian must "
            "approve it."
        )
    audit_record(
        actor=teen,
        teen=teen,
        action="link.created",
        summary=summary,
        after={"guardian": who(parent), "status": status},
        extra={"link_id": link.pk, "parent_id": parent.pk, "invitation_id": invitation.pk},
    )
    invitation_page = reverse("pairing_invitation", args=[invitation.pk])
    if status == LinkStatus.ACTIVE:
        notify(
            recipient=parent,
            kind=NotificationKind.LINK_ACCEPTED,
            title=f"{who(teen)} accepted your pairing invitation",
            body=f"You can now see and manage {who(teen)}'s screen time, browsing and privacy "
            "settings.",
            link=reverse("dashboard"),
            teen=teen,
        )
    else:
        notify(
            recipient=parent,
            kind=NotificationKind.LINK_ACCEPTED,
            title=f"{who(teen)} accepted your pairing invitation",
            body=f"{who(teen)} already has a guardian, who must approve before you can manage "
            f"{who(teen)}'s account. We'll tell you when they answer.",
            link=invitation_page,
            teen=teen,
        )
        for approver in approvers:
            notify(
                recipient=approver,
                kind=NotificationKind.GUARDIAN_APPROVAL_NEEDED,
                title=f"{who(parent)} wants to become {who(teen)}'s guardian",
                body=f"{who(teen)} accepted an invitation from {who(parent)} "
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
        summary=f"{who(teen)} declined {who(parent)}'s invitation to link.",
        extra={"parent_id": parent.pk, "invitation_id": invitation.pk},
    )
    notify(
        recipient=parent,
        kind=NotificationKind.LINK_DECLINED,
        title=f"{who(teen)} declined your pairing invitation",
        body="Nothing was linked. You can talk it over and make a new code at any time.",
        link=reverse("pairing_invitation", args=[invitation.pk]),
    )
    return invitation
