"""Pages: asking for more time, answering, the notification centre, your data.

Thin views: every rule lives in `controls.time_requests.services`,
`controls.notifications.selectors` and
`controls.data_rights.services`; forms work without JavaScript, htmx only refreshes parts in place.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import teen_for_guardian, teens_for_guardian
from controls.data_rights.services import account_delete, user_data_export
from controls.models import Notification
from controls.notifications.selectors import (
    InboxFilters,
    email_preferences_for_user,
    kinds_for_user,
    notification_unread_count,
    notifications_filtered,
    open_time_requests_for,
    time_request_id_from,
)
from controls.notifications.services import email_preferences_set, notification_mark_read
from controls.rules.describe import policy_summary
from controls.time_requests.email_actions import (
    EmailActionRefused,
    email_action_peek,
    email_action_resolve,
)
from controls.time_requests.grants import day_grant_create
from controls.time_requests.panel import time_requests_panel_context
from controls.time_requests.selectors import time_request_for_user
from controls.time_requests.services import (
    REASON_MAX_LENGTH,
    REQUEST_MINUTES,
    time_request_approve,
    time_request_create,
    time_request_deny,
)
from controls.wording import minutes_spoken

NOTIFICATIONS_PER_PAGE = 30


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def _first_error(exc: ValidationError) -> str:
    return " ".join(message for messages_ in _errors(exc).values() for message in messages_)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _optional_int(value: str | None, field: str) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        raise ValidationError({field: "Enter a whole number of minutes."}) from None


# --------------------------------------------------------------------------------------------
# The teen asks
# --------------------------------------------------------------------------------------------


@login_required
def teen_time_request(request: HttpRequest) -> HttpResponse:
    """GET: the "ask for more time" form on its own page; POST: ask (from here or the panel
    on the teen's page)."""
    if not request.user.is_teen:
        raise PermissionDenied("Only a teen asks for more time.")
    errors: dict[str, list[str]] = {}
    values = {"minutes": "30", "reason": ""}
    if request.method == "POST":
        values = {
            "minutes": request.POST.get("minutes", ""),
            "reason": request.POST.get("reason", ""),
        }
        try:
            minutes = (
                None if values["minutes"] == "rest" else _optional_int(values["minutes"], "minutes")
            )
            if minutes is None and values["minutes"] != "rest":
                raise ValidationError({"minutes": "Choose how much more time you need."})
            time_request_create(teen=request.user, minutes=minutes, reason=values["reason"])
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(
                request,
                f"Asked for {minutes_spoken(minutes)}. Your guardians have been told; "
                "you'll see their answer here.",
            )
            return redirect(_safe_next(request, "/me/"))
    context = time_requests_panel_context(teen=request.user, user=request.user)
    context.update(
        {
            "errors": errors,
            "values": values,
            "minute_choices": REQUEST_MINUTES,
            "reason_max": REASON_MAX_LENGTH,
        }
    )
    return render(request, "controls/requests/ask.html", context, status=400 if errors else 200)


@login_required
@require_GET
def teen_time_panel(request: HttpRequest) -> HttpResponse:
    """The teen's time panel alone, for htmx to refresh in place while a request is open."""
    if not request.user.is_teen:
        raise PermissionDenied("Only a teen has this panel.")
    context = time_requests_panel_context(teen=request.user, user=request.user)
    return render(request, "controls/_time_requests_panel.html", context)


# --------------------------------------------------------------------------------------------
# Guardians answer and give time
# --------------------------------------------------------------------------------------------


@login_required
def time_request_detail(request: HttpRequest, time_request_id: int) -> HttpResponse:
    """One request: what was asked, and (for a guardian while it is open) Approve / Deny."""
    time_request = time_request_for_user(user=request.user, time_request_id=time_request_id)
    return render(
        request,
        "controls/requests/detail.html",
        {
            "time_request": time_request,
            "teen": time_request.teen,
            "is_guardian": time_request.teen_id != request.user.pk,
            "asked": minutes_spoken(time_request.minutes),
            "minute_choices": REQUEST_MINUTES,
        },
    )


@login_required
@require_POST
def time_request_answer(request: HttpRequest, time_request_id: int) -> HttpResponse:
    """A guardian's one-tap answer (from the request page, the teen's page or the
    notification centre)."""
    time_request = time_request_for_user(user=request.user, time_request_id=time_request_id)
    if time_request.teen_id == request.user.pk:
        raise PermissionDenied("A teen cannot answer their own request.")
    answer = request.POST.get("answer")
    note = request.POST.get("note", "")
    teen_name = time_request.teen.display_name
    try:
        if answer == "approve":
            minutes = _optional_int(request.POST.get("minutes"), "minutes")
            grant = time_request_approve(
                time_request=time_request, guardian=request.user, minutes=minutes, note=note
            )
            what = (
                "no limit for the rest of today"
                if grant.no_limit
                else (f"{minutes_spoken(grant.bonus_minutes)} more today")
            )
            messages.success(request, f"Approved: {teen_name} has {what}.")
        elif answer == "deny":
            time_request_deny(time_request=time_request, guardian=request.user, note=note)
            messages.success(request, f"Declined. {teen_name} has been told.")
        else:
            messages.error(request, "Choose Approve or Deny.")
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    return redirect(_safe_next(request, f"/requests/{time_request.pk}/"))


@login_required
@require_POST
def teen_grant_time(request: HttpRequest, teen_id: int) -> HttpResponse:
    """Bonus minutes or no limit today, given unasked by a guardian."""
    if request.user.is_teen:
        raise PermissionDenied("Only a guardian can give extra time.")
    teen = teen_for_guardian(guardian=request.user, teen_id=teen_id)
    no_limit = request.POST.get("no_limit") == "1"
    try:
        minutes = (
            None
            if no_limit
            else _optional_int(
                request.POST.get("minutes") or request.POST.get("custom_minutes"), "bonus_minutes"
            )
        )
        grant = day_grant_create(
            guardian=request.user, teen=teen, bonus_minutes=minutes, no_limit=no_limit
        )
    except ValidationError as exc:
        outcome, failed = _first_error(exc), True
    else:
        what = (
            "no limit for the rest of today"
            if grant.no_limit
            else (f"{minutes_spoken(grant.bonus_minutes)} more today")
        )
        outcome, failed = f"{teen.display_name} has {what}. They have been told.", False
    if request.headers.get("HX-Request"):  # the panel answers in place, with the new sums
        context = time_requests_panel_context(teen=teen, user=request.user)
        status = policy_summary(context["policy"], teen.tz)  # the page's header, out of band
        context.update(request=request, outcome=outcome, outcome_error=failed, status=status)
        return render(request, "controls/_grant_response.html", context)
    (messages.error if failed else messages.success)(request, outcome)
    return redirect(_safe_next(request, "/dashboard/"))


# Tokens of the Approve / Deny links this browser opened, by request id (the latest link opened
# for a request wins); a few at most.
EMAIL_ACTION_SESSION_KEY = "email_action_tokens"
EMAIL_ACTIONS_KEPT = 5


def _email_action_refused(request: HttpRequest, refused: EmailActionRefused) -> HttpResponse:
    return render(
        request,
        "controls/requests/email_action_refused.html",
        {"message": refused.message, "time_request": refused.time_request},
        status=refused.status,
    )


def email_action(request: HttpRequest, token: str) -> HttpResponse:
    """Where an Approve / Deny link from an e-mail lands. The token is in this one URL only: it
    goes into the session and the browser moves on to a token-free address (as a QR pairing
    link does), so access logs, the address bar, the history and a Referer never carry it again.
    Not signed in: the sign-in comes after, on the token-free address, and the session keeps the
    token through it."""
    try:
        time_request_id, _ = email_action_peek(token=token)
    except EmailActionRefused as refused:
        return _email_action_refused(request, refused)
    stashed = {
        key: value
        for key, value in request.session.get(EMAIL_ACTION_SESSION_KEY, {}).items()
        if key != str(time_request_id)
    }
    stashed[str(time_request_id)] = token
    request.session[EMAIL_ACTION_SESSION_KEY] = dict(list(stashed.items())[-EMAIL_ACTIONS_KEPT:])
    return redirect("time_request_email_confirm", time_request_id)


@login_required
def email_action_confirm(request: HttpRequest, time_request_id: int) -> HttpResponse:
    """The answer an e-mailed link stands for, with one button to give it: GET shows it (and
    changes nothing, so mail scanners do no harm), POST gives it. The link itself stays a
    shortcut, never a credential: `email_action_resolve` checks the signed-in guardian."""
    token = request.session.get(EMAIL_ACTION_SESSION_KEY, {}).get(str(time_request_id))
    if token is None:
        return _email_action_refused(
            request,
            EmailActionRefused(
                "Open the Approve or Deny link from your e-mail again, or answer from your "
                "notifications.",
                status=404,
            ),
        )
    try:
        action = email_action_resolve(token=token, user=request.user)
    except EmailActionRefused as refused:
        return _email_action_refused(request, refused)
    time_request = action.time_request
    error = ""
    status = 200
    if request.method == "POST" and request.POST.get("answer", action.action) != action.action:
        # Both links of one request opened in two tabs: the page is for the one opened first,
        # the session holds the other. Say so rather than give the answer the guardian did not
        # see.
        error = "You opened the other link of this e-mail since. Check the answer and confirm."
        status = 409
    elif request.method == "POST":
        try:
            if action.action == "approve":
                time_request_approve(time_request=time_request, guardian=request.user)
                messages.success(request, "Approved. The time counts straight away.")
            else:
                time_request_deny(
                    time_request=time_request,
                    guardian=request.user,
                    note=request.POST.get("note", ""),
                )
                messages.success(request, f"Declined. {time_request.teen.display_name} is told.")
        except ValidationError as exc:
            error = _first_error(exc)
            status = 400
        else:
            return redirect("time_request_detail", time_request.pk)
    return render(
        request,
        "controls/requests/email_action.html",
        {
            "time_request": time_request,
            "teen": time_request.teen,
            "action": action.action,
            "asked": minutes_spoken(time_request.minutes),
            "error": error,
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------
# The notification centre
# --------------------------------------------------------------------------------------------


@login_required
def notification_centre(request: HttpRequest) -> HttpResponse:
    user = request.user
    teens = [] if user.is_teen else list(teens_for_guardian(guardian=user))
    filters = InboxFilters.from_query(request.GET, allowed_teen_ids={t.pk for t in teens})
    page = Paginator(notifications_filtered(user=user, filters=filters), NOTIFICATIONS_PER_PAGE)
    page_obj = page.get_page(request.GET.get("page"))
    notifications = list(page_obj.object_list)
    open_requests = open_time_requests_for(notifications)
    rows = [(n, open_requests.get(time_request_id_from(n) or 0)) for n in notifications]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/centre.html",
        {
            "rows": rows,
            "page_obj": page_obj,
            "filters": filters,
            "filter_query": query.urlencode(),
            "kinds": kinds_for_user(user),
            "teens": teens,
            "preferences": email_preferences_for_user(user=user),
            "now": timezone.now(),
        },
    )


@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    notification = Notification.objects.filter(
        pk=notification_id, recipient=request.user, deliver_at__lte=timezone.now()
    ).first()
    if notification is None:
        raise Http404("No such notification.")
    notification_mark_read(user=request.user, notification_ids=[notification.pk])
    link = notification.link if notification.link.startswith("/") else ""
    return redirect(link or "notification_centre")


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification_mark_read(user=request.user, notification_ids=[notification_id])
    return redirect(_safe_next(request, "/notifications/"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect(_safe_next(request, "/notifications/"))


@login_required
@require_POST
def notification_preferences(request: HttpRequest) -> HttpResponse:
    changed = email_preferences_set(user=request.user, wanted=set(request.POST.getlist("email")))
    text = "Saved." if changed else "Nothing changed in your e-mails."
    if request.headers.get("HX-Request"):  # saved in place: the section says so itself
        return render(
            request,
            "notifications/_email_preferences.html",
            {
                "preferences": email_preferences_for_user(user=request.user),
                "saved_message": text,
            },
        )
    messages.success(request, "E-mail preferences saved." if changed else text)
    return redirect("/notifications/#email-preferences")


@require_GET
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The header's unread count, polled by htmx. Status 286 tells htmx to stop polling once
    the visitor is signed out."""
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    return render(
        request,
        "partials/notification_badge.html",
        {"unread_notifications": notification_unread_count(user=request.user)},
    )


# --------------------------------------------------------------------------------------------
# Your data
# --------------------------------------------------------------------------------------------


@login_required
def data_rights(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/data_rights.html", {"errors": {}})


@login_required
@require_GET
def data_export(request: HttpRequest) -> HttpResponse:
    """Everything we hold about the user (a guardian's includes their teens' rules and
    usage), as a JSON download."""
    data = user_data_export(user=request.user)
    stamp = timezone.now().strftime("%Y-%m-%d")
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="family-pairing-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def data_delete(request: HttpRequest) -> HttpResponse:
    """Delete the account after the password and an explicit confirmation."""
    if request.method != "POST":
        return render(request, "accounts/data_delete.html", {"errors": {}})
    errors: dict[str, str] = {}
    if not request.user.check_password(request.POST.get("password", "")):
        errors["password"] = "That password is not right."  # noqa: S105  # nosec B105 - a message
    if request.POST.get("confirm") != "yes":
        errors["confirm"] = "Tick the box to confirm that you want to delete your account."
    if errors:
        return render(request, "accounts/data_delete.html", {"errors": errors}, status=400)
    user = request.user
    logout(request)
    account_delete(user=user)
    messages.success(request, "Your account and your personal data have been deleted.")
    return redirect("landing")
