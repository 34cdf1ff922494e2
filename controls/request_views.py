"""Pages: asking for more time, answering, the notification centre, your data."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from controls.email_actions import EmailActionRefused, email_action_resolve
from controls.request_selectors import time_request_for_user
from controls.requests import (
    REQUEST_MINUTES,
    minutes_label,
    time_request_approve,
    time_request_deny,
)


def _first_error(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(message for messages in exc.message_dict.values() for message in messages)
    return " ".join(exc.messages)


@login_required
def email_action(request: HttpRequest, token: str) -> HttpResponse:
    """An Approve / Deny link from an e-mail: GET shows the answer with one button, POST
    gives it. Refused links get a page that says why."""
    try:
        action = email_action_resolve(token=token, user=request.user)
    except EmailActionRefused as refused:
        return render(
            request,
            "controls/requests/email_action_refused.html",
            {"message": refused.message, "time_request": refused.time_request},
            status=refused.status,
        )
    time_request = action.time_request
    error = ""
    if request.method == "POST":
        try:
            if action.action == "approve":
                time_request_approve(time_request=time_request, guardian=request.user)
            else:
                time_request_deny(
                    time_request=time_request,
                    guardian=request.user,
                    note=request.POST.get("note", ""),
                )
        except ValidationError as exc:
            error = _first_error(exc)
        else:
            return redirect("time_request_detail", time_request.pk)
    return render(
        request,
        "controls/requests/email_action.html",
        {
            "time_request": time_request,
            "teen": time_request.teen,
            "action": action.action,
            "asked": minutes_label(time_request.minutes),
            "error": error,
        },
        status=400 if error else 200,
    )


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def time_request_detail(request: HttpRequest, time_request_id: int) -> HttpResponse:
    """One request: what was asked, and (for a guardian while it is open) Approve / Deny."""
    time_request = time_request_for_user(user=request.user, time_request_id=time_request_id)
    is_guardian = time_request.teen_id != request.user.pk
    return render(
        request,
        "controls/requests/detail.html",
        {
            "time_request": time_request,
            "teen": time_request.teen,
            "is_guardian": is_guardian,
            "asked": minutes_label(time_request.minutes),
            "minute_choices": REQUEST_MINUTES,
        },
    )


@login_required
@require_POST
def time_request_answer(request: HttpRequest, time_request_id: int) -> HttpResponse:
    """A guardian's one-tap answer (from the request page or the notification centre)."""
    time_request = time_request_for_user(user=request.user, time_request_id=time_request_id)
    if time_request.teen_id == request.user.pk:
        raise PermissionDenied("A teen cannot answer their own request.")
    answer = request.POST.get("answer")
    note = request.POST.get("note", "")
    try:
        if answer == "approve":
            minutes = _optional_int(request.POST.get("minutes"))
            time_request_approve(
                time_request=time_request, guardian=request.user, minutes=minutes, note=note
            )
            messages.success(
                request,
                f"Approved: {time_request.teen.display_name} has "
                f"{minutes_label(minutes or time_request.minutes)} more today.",
            )
        elif answer == "deny":
            time_request_deny(time_request=time_request, guardian=request.user, note=note)
            messages.success(request, f"Declined. {time_request.teen.display_name} is told.")
        else:
            messages.error(request, "Choose Approve or Deny.")
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    return redirect(_safe_next(request, f"/requests/{time_request.pk}/"))


def _optional_int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise ValidationError({"minutes": "Choose a number of minutes."}) from None
