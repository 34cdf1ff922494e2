"""Approve / Deny links in a guardian's e-mail about a time request: what opening one means.

A link is a signed token naming the request, the guardian it was sent to, the answer and when
it expires (the end of the teen's day). It is only a shortcut, never a credential: the guardian
must still be signed in as that same guardian, still linked to the teen, and the request must
still be open. Opening a link shows the answer with one button to confirm it (a GET never
changes anything, so mail scanners that open links do no harm); the first answer settles the
request, which makes every other link for it (the other button, the co-guardian's e-mail)
refused with who answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core import signing
from django.utils import timezone

from accounts.selectors import is_guardian_of
from controls.models import TimeRequest, TimeRequestStatus
from controls.time_requests.email_links import ACTIONS, SALT
from controls.time_requests.services import (
    time_request_closed_message,
    time_request_day,
    time_request_lapse,
)


class EmailActionRefused(Exception):
    """A link that cannot be used; `message` is shown to the guardian, `status` is the HTTP
    status of the page that says so."""

    def __init__(self, message: str, *, status: int, time_request: TimeRequest | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.time_request = time_request


@dataclass(frozen=True)
class EmailAction:
    time_request: TimeRequest
    action: str
    token: str


def email_action_peek(*, token: str) -> tuple[int, str]:
    """(request id, answer) of a correctly signed link, without deciding who may use it: what
    the first request needs to move the token out of the address (see request_views.email_action).
    EmailActionRefused for a link that is not ours."""
    try:
        payload = signing.loads(token, salt=SALT)
        request_id, action = int(payload["r"]), payload["a"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise EmailActionRefused(
            "This link is not valid. It may have been copied incompletely. "
            "Open your notifications to answer instead.",
            status=400,
        ) from None
    if action not in ACTIONS:
        raise EmailActionRefused("This link is not valid.", status=400)
    return request_id, action


def email_action_resolve(*, token: str, user, now: datetime | None = None) -> EmailAction:
    """The request and answer a link stands for, if `user` may use it right now; otherwise
    EmailActionRefused with a message that says why in plain words."""
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=SALT)
        request_id, guardian_id = int(payload["r"]), int(payload["g"])
        action, expires = payload["a"], datetime.fromtimestamp(int(payload["e"]), tz=UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise EmailActionRefused(
            "This link is not valid. It may have been copied incompletely. "
            "Open your notifications to answer instead.",
            status=400,
        ) from None
    if action not in ACTIONS:
        raise EmailActionRefused("This link is not valid.", status=400)
    if guardian_id != user.pk:
        raise EmailActionRefused(
            "This link was sent to another guardian. Sign in as the person it was sent to, or "
            "answer from your own notifications.",
            status=403,
        )
    time_request = (
        TimeRequest.objects.select_related("teen", "answered_by").filter(pk=request_id).first()
    )
    if time_request is None or not is_guardian_of(guardian=user, teen=time_request.teen):
        raise EmailActionRefused(
            "This link is for a teen you are not linked to, so it cannot be used.", status=403
        )
    if time_request.status != TimeRequestStatus.PENDING:
        raise EmailActionRefused(
            "This link has already been used: "
            + time_request_closed_message(time_request, viewer=user),
            status=410,
            time_request=time_request,
        )
    if now >= expires or now >= time_request_day(time_request=time_request).end_utc:
        time_request_lapse(time_request_id=time_request.pk, now=now)
        time_request.refresh_from_db()
        raise EmailActionRefused(
            "This link has expired: it was valid until the end of "
            f"{time_request.teen.display_name}'s day, and the request has lapsed.",
            status=410,
            time_request=time_request,
        )
    return EmailAction(time_request=time_request, action=action, token=token)
