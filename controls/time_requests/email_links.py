"""The signed Approve / Deny links of a guardian's e-mail about a time request (what they mean
when opened is `controls.time_requests.email_actions`).

A link names the request, the guardian it was sent to, the answer and when it expires: the end
of the teen's day.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from controls.effective.selectors import teen_day_of
from controls.models import TimeRequest

SALT = "familypairing.time-request-email-action"
ACTIONS = ("approve", "deny")


def email_action_token(*, time_request: TimeRequest, guardian, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    expires = teen_day_of(teen=time_request.teen, local_date=time_request.local_date).end_utc
    payload = {
        "r": time_request.pk,
        "g": guardian.pk,
        "a": action,
        "e": int(expires.timestamp()),
    }
    return signing.dumps(payload, salt=SALT)


def email_action_url(*, time_request: TimeRequest, guardian, action: str) -> str:
    token = email_action_token(time_request=time_request, guardian=guardian, action=action)
    return settings.SITE_URL + reverse("time_request_email_action", args=[token])
