"""A teen finds an invitation: by the QR link's token (never counted, never refused) or a typed
code (counted per account and per address, and refused past either limit)."""

from __future__ import annotations

import math
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import (
    InvitationStatus,
    PairingInvitation,
    User,
)
from accounts.pairing.services import (
    NOT_A_TEEN_MESSAGE,
    InvitationUnavailable,
    NotAllowed,
    invitation_code_hash,
    invitation_token_hash,
    normalize_code,
)
from accounts.pairing.throttle import (
    TooManyAttempts,
    attempt_begin,
    attempt_key,
    attempt_refund,
    client_address_key,
)

# --- Finding an invitation (teen side) ---------------------------------------------------------


def _usable_invitation(
    *, token: str | None, code: str | None, now: datetime
) -> PairingInvitation | None:
    invitations = PairingInvitation.objects.select_related("parent").filter(
        status=InvitationStatus.PENDING, expires_at__gt=now
    )
    if token:
        return invitations.filter(token_hash=invitation_token_hash(token)).first()
    if code:
        normalized = normalize_code(code)
        if normalized is None:
            return None
        return invitations.filter(code_hash=invitation_code_hash(normalized)).first()
    return None


def pairing_invitation_own(
    *, user: User, token: str | None = None, code: str | None = None
) -> PairingInvitation | None:
    """The user's own invitation behind this token/code, if any: lets us tell a parent who opened
    their own QR code what to do. Only ever matches the user's own invitations, so it is no
    oracle for anybody else's."""
    if token:
        found = PairingInvitation.objects.filter(
            parent=user, token_hash=invitation_token_hash(token)
        )
    elif code and (normalized := normalize_code(code)):
        found = PairingInvitation.objects.filter(
            parent=user, code_hash=invitation_code_hash(normalized)
        )
    else:
        return None
    return found.order_by("-created_at").first()


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
    past either limit this raises `accounts.pairing.throttle.TooManyAttempts` before looking,
    for the right code too: were the right code accepted, a refusal would only ever mean
    "wrong", and the limit would slow nobody. The per-address limit is high (see
    `pairing_attempt_keys`), so a sibling typing the right code is refused only on a network
    where many accounts have been guessing.

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
