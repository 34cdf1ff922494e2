"""Unlinking pages: a guardian unlinks, a teen unlinks or asks to, guardians answer a teen's
request, a teen withdraws it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import LinkStatus, UnlinkRequest
from accounts.pages.views import problem_page
from accounts.pairing import unlinking
from accounts.pairing.selectors import (
    active_link_for_guardian,
    link_for_teen,
    unlink_request_for_guardian,
    unlink_request_for_teen,
)
from accounts.pairing.services import (
    PairingError,
)
from accounts.selectors import guardians_for_teen, teen_for_guardian

# --- unlinking -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def guardian_unlink(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_guardian(guardian=request.user, teen_id=teen_id)
    link = active_link_for_guardian(guardian=request.user, teen=teen)
    if request.method == "POST":
        unlinking.guardian_unlink(link=link, guardian=request.user)
        # Said on the dashboard where the teen's card was (not as a banner at the top).
        request.session[unlinking.UNLINKED_SESSION_KEY] = teen.get_short_name()
        return redirect("dashboard")
    others = [g for g in guardians_for_teen(teen=teen) if g != request.user]
    return render(
        request, "accounts/guardian_unlink.html", {"teen": teen, "link": link, "others": others}
    )


@login_required
@require_http_methods(["GET", "POST"])
def unlink_request_decide(request: HttpRequest, request_id: int) -> HttpResponse:
    unlink_request = unlink_request_for_guardian(guardian=request.user, request_id=request_id)
    link = unlink_request.link
    if request.method == "POST":
        answer = request.POST.get("answer")
        try:
            if answer == "approve":
                unlinking.unlink_request_approve(
                    unlink_request=unlink_request, guardian=request.user
                )
                messages.success(
                    request,
                    f"Approved: {link.teen.get_short_name()} is no longer linked with "
                    f"{link.parent.get_short_name()}.",
                )
            elif answer == "decline":
                unlinking.unlink_request_decline(
                    unlink_request=unlink_request, guardian=request.user
                )
                messages.success(
                    request, f"Declined. {link.teen.get_short_name()} was told and stays linked."
                )
            else:
                return problem_page(
                    request, title="Choose an answer", message="Approve or decline."
                )
        except PairingError as exc:
            messages.error(request, exc.message)
        return redirect("dashboard")
    return render(request, "accounts/unlink_request.html", {"unlink_request": unlink_request})


@login_required
@require_http_methods(["GET", "POST"])
def teen_unlink(request: HttpRequest, link_id: int) -> HttpResponse:
    if not request.user.is_teen:
        return redirect("dashboard")
    link = link_for_teen(teen=request.user, link_id=link_id)
    needs_approval = unlinking.unlink_needs_approval(teen=request.user)
    if request.method == "POST":
        try:
            result = unlinking.teen_unlink(link=link, teen=request.user)
        except PairingError as exc:
            messages.error(request, exc.message)
            return redirect("teen_home")
        parent = link.parent.get_short_name()
        if link.status == LinkStatus.PENDING_APPROVAL:
            messages.success(request, f"You cancelled the link with {parent}.")
        elif isinstance(result, UnlinkRequest):
            messages.success(
                request,
                f"Your request to unlink from {parent} was sent. Your guardians will answer it.",
            )
        else:
            messages.success(
                request, f"You unlinked from {parent}. Your guardians were told right away."
            )
        return redirect("teen_home")
    others = [g for g in guardians_for_teen(teen=request.user) if g != link.parent]
    return render(
        request,
        "accounts/teen_unlink.html",
        {"link": link, "needs_approval": needs_approval, "others": others},
    )


@login_required
@require_POST
def teen_unlink_request_cancel(request: HttpRequest, request_id: int) -> HttpResponse:
    unlink_request = unlink_request_for_teen(teen=request.user, request_id=request_id)
    try:
        unlinking.unlink_request_cancel(unlink_request=unlink_request, teen=request.user)
    except PairingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your request to unlink was withdrawn.")
    return redirect("teen_home")
