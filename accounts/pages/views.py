"""Pairing pages: the parent's "Link a teen" page, the teen's code entry and confirmation, the
second guardian's approval, and unlinking from both sides. Thin: every rule is in
`accounts.pairing.services`."""

from __future__ import annotations

import math
from datetime import timedelta

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import InvitationStatus, LinkStatus, PairingInvitation
from accounts.pairing import guardians, lookup, unlinking
from accounts.pairing import services as pairing
from accounts.pairing.selectors import (
    invitation_for_parent,
    invitations_open_for_parent,
    link_awaiting_approval_for_guardian,
    link_for_parent,
)
from accounts.pairing.services import (
    GUARDIAN_CAN,
    GUARDIAN_CANNOT,
    MALFORMED_CODE_MESSAGE,
    InvitationUnavailable,
    PairingError,
)
from accounts.pairing.throttle import TooManyAttempts, client_address
from accounts.selectors import guardians_for_teen

PROVEN_SESSION_KEY = "pairing_proven_invitations"
POLL_SECONDS = 2


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Pairing code",
        max_length=32,
        help_text="8 letters and numbers, shown on your parent's screen. Dashes and spaces "
        "don't matter.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "ABCD-EFGH",
                "inputmode": "text",
            }
        ),
    )

    def clean_code(self) -> str:
        code = pairing.normalize_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(MALFORMED_CODE_MESSAGE)
        return code


# --- helpers -------------------------------------------------------------------------------------


def _throttled(request: HttpRequest, exc: TooManyAttempts) -> HttpResponse:
    retry_at = timezone.now() + timedelta(seconds=exc.retry_after)
    response = render(
        request,
        "accounts/pair_throttled.html",
        {
            "minutes": max(1, math.ceil(exc.retry_after / 60)),
            "retry_at": timezone.localtime(retry_at, request.user.tz),
            "network": exc.scope == lookup.ADDRESS_SCOPE,
            "message": lookup.pairing_throttled_message(exc=exc),
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def problem_page(
    request: HttpRequest, *, title: str, message: str, status: int = 400, kind: str = ""
) -> HttpResponse:
    return render(
        request,
        "accounts/pair_problem.html",
        {"title": title, "message": message, "kind": kind},
        status=status,
    )


def _not_a_teen(request: HttpRequest, *, own: PairingInvitation | None = None) -> HttpResponse:
    if own is not None:
        return problem_page(
            request,
            title="This is your own code",
            message=pairing.OWN_INVITATION_MESSAGE,
            status=403,
            kind="own",
        )
    return problem_page(
        request,
        title="Pairing codes are for teens' accounts",
        message=pairing.NOT_A_TEEN_MESSAGE,
        status=403,
        kind="adult",
    )


def _remember_proven(request: HttpRequest, invitation: PairingInvitation) -> None:
    """The teen showed the token or code: let the confirmation page load this invitation by id
    (keeps the secret out of the address bar and the page)."""
    proven = [pk for pk in request.session.get(PROVEN_SESSION_KEY, []) if pk != invitation.pk]
    request.session[PROVEN_SESSION_KEY] = [*proven[-4:], invitation.pk]


def qr_svg(url: str) -> str:
    qr = segno.make(url, error="m")
    svg = qr.svg_inline(
        border=2, omitsize=True, title="QR code to link with your teen", svgclass="qr-code"
    )
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703 - segno's own output from our URL


def _invitation_context(invitation: PairingInvitation, *, viewer) -> dict:
    now = timezone.now()
    secrets_ = pairing.pairing_invitation_secrets(invitation=invitation, now=now)
    link = next(iter(invitation.links.all()), None)
    seconds_left = max(0, int((invitation.expires_at - now).total_seconds()))
    status = invitation.status
    if status == InvitationStatus.PENDING and not invitation.is_usable(now):
        status = InvitationStatus.EXPIRED
    return {
        "invitation": invitation,
        "status": status,
        "secrets": secrets_,
        "qr_svg": qr_svg(secrets_.url) if secrets_ else "",
        "minutes_left": math.ceil(seconds_left / 60),
        "expires_local": timezone.localtime(invitation.expires_at, viewer.tz),
        "link": link,
        "poll_seconds": POLL_SECONDS,
        "LinkStatus": LinkStatus,
        "InvitationStatus": InvitationStatus,
    }


# --- parent: link a teen -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pairing_start(request: HttpRequest) -> HttpResponse:
    """GET: what linking means and a button; POST: a new code, then its page."""
    user = request.user
    if not user.is_adult:
        return problem_page(
            request,
            title="Only parents can create a pairing code",
            message="To link with a parent or guardian, enter the code they show you.",
            status=403,
            kind="teen" if user.is_teen else "adult",
        )
    if request.method == "POST":
        try:
            invitation, _ = pairing.pairing_invitation_create(parent=user)
        except PairingError as exc:
            return render(
                request,
                "accounts/pair_start.html",
                {
                    "error": exc.message,
                    "open_invitations": invitations_open_for_parent(parent=user),
                    "invitation_minutes": settings.PAIRING_INVITATION_MINUTES,
                },
                status=exc.status_code,
            )
        return redirect("pairing_invitation", invitation.pk)
    open_invitation = invitations_open_for_parent(parent=user).first()
    if open_invitation is not None:
        return redirect("pairing_invitation", open_invitation.pk)
    return render(
        request,
        "accounts/pair_start.html",
        {"open_invitations": [], "invitation_minutes": settings.PAIRING_INVITATION_MINUTES},
    )


@login_required
@require_GET
def pairing_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = invitation_for_parent(parent=request.user, invitation_id=invitation_id)
    return render(
        request,
        "accounts/pair_invitation.html",
        _invitation_context(invitation, viewer=request.user),
    )


@login_required
@require_GET
def pairing_invitation_status(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Polled by htmx while the code waits: the small status line, or — once the teen answered
    or the code closed — the whole card, swapped in place of the QR code."""
    invitation = invitation_for_parent(parent=request.user, invitation_id=invitation_id)
    context = _invitation_context(invitation, viewer=request.user)
    if context["status"] == InvitationStatus.PENDING:
        if request.GET.get("m") == str(context["minutes_left"]):
            return HttpResponse(status=204)  # nothing new: htmx keeps the page as it is
        return render(request, "accounts/_invitation_status.html", context)
    response = render(request, "accounts/_invitation_card.html", context)
    response["HX-Retarget"] = "#invitation-card"
    response["HX-Reswap"] = "outerHTML"
    return response


@login_required
@require_POST
def pairing_invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = invitation_for_parent(parent=request.user, invitation_id=invitation_id)
    invitation = pairing.pairing_invitation_revoke(invitation=invitation, parent=request.user)
    if invitation.status == InvitationStatus.REVOKED:
        messages.success(request, "The code was revoked: it no longer works.")
    return redirect("pairing_invitation", invitation.pk)


@login_required
@require_POST
def pairing_invitation_renew(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = invitation_for_parent(parent=request.user, invitation_id=invitation_id)
    try:
        new, _ = pairing.pairing_invitation_renew(invitation=invitation, parent=request.user)
    except PairingError as exc:
        messages.error(request, exc.message)
        return redirect("pairing_invitation", invitation.pk)
    messages.success(request, "Here is a new code. The old one no longer works.")
    return redirect("pairing_invitation", new.pk)


# --- teen: enter a code, open a QR link, confirm -----------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pair_enter_code(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = CodeForm(request.POST if request.method == "POST" else None)
    if not user.is_teen:
        own = None
        if request.method == "POST" and form.is_valid():
            own = lookup.pairing_invitation_own(user=user, code=form.cleaned_data["code"])
        return _not_a_teen(request, own=own)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = lookup.pairing_invitation_lookup(
                user=user, client_address=client_address(request), code=form.cleaned_data["code"]
            )
        except TooManyAttempts as exc:
            return _throttled(request, exc)
        except InvitationUnavailable as exc:
            form.add_error("code", exc.message)
        else:
            _remember_proven(request, invitation)
            return redirect("pair_confirm", invitation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/pair_enter.html", {"form": form}, status=status)


@login_required
@require_GET
def pair_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """Where the QR code leads. Not signed in: sign in or sign up first, then back here."""
    user = request.user
    if not user.is_teen:
        return _not_a_teen(request, own=lookup.pairing_invitation_own(user=user, token=token))
    try:
        invitation = lookup.pairing_invitation_lookup(
            user=user, client_address=client_address(request), token=token
        )
    except TooManyAttempts as exc:
        return _throttled(request, exc)
    except InvitationUnavailable as exc:
        form = CodeForm()
        return render(
            request, "accounts/pair_enter.html", {"form": form, "error": exc.message}, status=400
        )
    _remember_proven(request, invitation)
    return redirect("pair_confirm", invitation.pk)


@login_required
@require_http_methods(["GET", "POST"])
def pair_confirm(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Who the parent is and what they will see and manage; nothing happens until the teen
    chooses Accept or Decline."""
    user = request.user
    if not user.is_teen:
        return _not_a_teen(request)
    if invitation_id not in request.session.get(PROVEN_SESSION_KEY, []):
        return _invalid(request)
    invitation = PairingInvitation.objects.select_related("parent").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_usable():
        return _invalid(request)
    if request.method == "POST":
        answer = request.POST.get("answer")
        try:
            if answer == "accept":
                link = pairing.pairing_accept(invitation=invitation, teen=user)
            elif answer == "decline":
                pairing.pairing_decline(invitation=invitation, teen=user)
            else:
                return problem_page(request, title="Choose an answer", message="Accept or decline.")
        except InvitationUnavailable:
            return _invalid(request)
        except PairingError as exc:
            return problem_page(
                request, title="You can't link now", message=exc.message, status=exc.status_code
            )
        parent = invitation.parent.get_short_name()
        if answer == "decline":
            messages.success(request, f"You declined. Nothing was linked; {parent} was told.")
        elif link.status == LinkStatus.PENDING_APPROVAL:
            messages.success(
                request,
                f"You accepted. Because you already have a guardian, they must approve before "
                f"{parent} can manage your account.",
            )
        else:
            messages.success(request, f"You are now linked with {parent}.")
        return redirect("teen_home")
    return render(
        request,
        "accounts/pair_confirm.html",
        {
            "invitation": invitation,
            "parent": invitation.parent,
            "parent_email": pairing.verified_email(invitation.parent),
            "guardians": list(guardians_for_teen(teen=user)),
            "can": GUARDIAN_CAN,
            "cannot": GUARDIAN_CANNOT,
            "unlink_needs_approval": unlinking.unlink_needs_approval(teen=user),
            "blocker": pairing.pairing_accept_blocker(invitation=invitation, teen=user),
        },
    )


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/pair_enter.html",
        {"form": CodeForm(), "error": pairing.INVALID_CODE_MESSAGE},
        status=400,
    )


# --- a second guardian ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def guardian_approval(request: HttpRequest, link_id: int) -> HttpResponse:
    link = link_awaiting_approval_for_guardian(guardian=request.user, link_id=link_id)
    if request.method == "POST":
        answer = request.POST.get("answer")
        try:
            if answer == "approve":
                guardians.guardian_link_approve(link=link, guardian=request.user)
                messages.success(
                    request,
                    f"{link.parent.get_short_name()} is now also "
                    f"{link.teen.get_short_name()}'s guardian.",
                )
            elif answer == "refuse":
                guardians.guardian_link_refuse(link=link, guardian=request.user)
                messages.success(
                    request,
                    f"Refused. {link.parent.get_short_name()} cannot see or manage "
                    f"{link.teen.get_short_name()}'s account.",
                )
            else:
                return problem_page(request, title="Choose an answer", message="Approve or refuse.")
        except PairingError as exc:
            messages.error(request, exc.message)
        return redirect("dashboard")
    return render(
        request,
        "accounts/guardian_approval.html",
        {
            "link": link,
            "parent_email": pairing.verified_email(link.parent),
        },
    )


@login_required
@require_POST
def guardian_link_withdraw(request: HttpRequest, link_id: int) -> HttpResponse:
    """The parent withdraws their own link that still waits for approval."""
    link = link_for_parent(parent=request.user, link_id=link_id)
    if link.status != LinkStatus.PENDING_APPROVAL:
        return redirect("guardian_unlink", link.teen_id)
    unlinking.guardian_unlink(link=link, guardian=request.user)
    messages.success(request, f"You withdrew your link with {link.teen.get_short_name()}.")
    return redirect("dashboard")
