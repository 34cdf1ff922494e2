"""Pairing data for the partials included on the guardian dashboard and the teen's page
(`{% family_overview as family %}`, `{% teen_overview as mine %}`), so those pages' views need
not know about pairing. Each tag runs a fixed number of queries."""

from __future__ import annotations

import re

from django import template

from accounts.pairing import services as pairing
from accounts.pairing.lookup import pairing_inviter_name
from accounts.pairing.selectors import FamilyOverview, TeenOverview, family_overview, teen_overview

register = template.Library()


@register.simple_tag(takes_context=True)
def family_overview_for_user(context) -> FamilyOverview:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return FamilyOverview()
    return family_overview(guardian=user)


@register.simple_tag(takes_context=True)
def teen_overview_for_user(context) -> TeenOverview:
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return TeenOverview()
    return teen_overview(teen=user)


@register.simple_tag
def guardian_can() -> tuple[str, ...]:
    return pairing.GUARDIAN_CAN


@register.simple_tag
def guardian_cannot() -> tuple[str, ...]:
    return pairing.GUARDIAN_CANNOT


@register.filter
def code_display(code: str) -> str:
    return pairing.format_code(code)


PAIRING_NEXT = re.compile(r"^/pair/(?P<token>[A-Za-z0-9_-]{16,128})$")


@register.simple_tag(takes_context=True)
def pairing_invite_from_next(context) -> dict | None:
    """On the sign-in and sign-up pages: when `?next=` is a QR pairing link, who is inviting
    (`{"inviter": "Alex"}`, or `{"inviter": None}` once the link no longer works)."""
    request = context.get("request")
    if request is None:
        return None
    match = PAIRING_NEXT.match(request.GET.get("next") or request.POST.get("next") or "")
    if match is None:
        return None
    return {"inviter": pairing_inviter_name(token=match["token"])}
