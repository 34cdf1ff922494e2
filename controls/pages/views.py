"""Pages: the guardian's dashboard and per-teen pages (Today, Screen time, Browsing, Privacy,
History); the teen's own page is `controls.pages.teen_views`.

Thin views: access through `controls.access`, reads through selectors, every change through a
service in `controls.rules.services`; a failed save re-renders the section with each error next to
its field (status 400) and nothing saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.pairing.unlinking import UNLINKED_SESSION_KEY
from accounts.selectors import teens_for_guardian
from controls.access import teen_for_rule_change
from controls.audit import audit_events_for_teen
from controls.effective.selectors import effective_policy_for_teen, policies_for_teens
from controls.models import WEEKDAY_FIELDS, DowntimeWindow
from controls.pages import forms
from controls.pages.app_context import app_rules_editing, app_rules_readonly
from controls.pages.feeds import feed_card
from controls.rules import downtime, services
from controls.rules.bounds import band_for_teen
from controls.rules.describe import (
    FIELD_LABELS,
    WEEKDAY_NAMES,
    history_entry,
    policy_summary,
    value_text,
    window_text,
)
from controls.rules.domains import display_domain
from controls.rules.selectors import rules_ensure_for_teen
from controls.rules.services import PRIVACY_FIELDS
from controls.time_requests.selectors import pending_time_request_counts
from controls.wording import minutes_short

TABS = (
    ("today", "Today", "teen_detail"),
    ("screen_time", "Screen time", "teen_screen_time"),
    ("browsing", "Browsing", "teen_browsing"),
    ("privacy", "Privacy", "teen_privacy"),
    ("history", "History", "teen_history"),
)
HISTORY_PAGE_SIZE = 50


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------


def _weekday_rows(rules, today_weekday: int) -> list[dict[str, Any]]:
    return [
        {"day": day, "limit": minutes_short(getattr(rules, name)), "today": index == today_weekday}
        for index, (name, day) in enumerate(zip(WEEKDAY_FIELDS, WEEKDAY_NAMES, strict=True))
    ]


def _window_rows(windows) -> list[dict[str, Any]]:
    return [
        {
            "window": window,
            "text": window_text(
                name=window.name,
                weekdays=window.weekday_list(),
                start=window.start,
                end=window.end,
            ),
        }
        for window in windows
    ]


def rules_context(teen) -> dict[str, Any]:
    """The teen's rules and what they mean right now, for every per-teen page."""
    rules = rules_ensure_for_teen(teen=teen)
    policy = effective_policy_for_teen(teen=teen)
    windows = list(DowntimeWindow.objects.filter(teen=teen))
    return {
        "teen": teen,
        "rules": rules,
        "policy": policy,
        "status": policy_summary(policy, teen.tz),
        "weekday_rows": _weekday_rows(rules, policy.local_date.weekday()),
        "windows": windows,
        "window_rows": _window_rows(windows),
        "band": band_for_teen(teen),
        "warnings_text": value_text("warning_minutes", rules.warning_minutes),
        "privacy_rows": _privacy_rows(rules),
        "domain_rows": [display_domain(entry) for entry in rules.domains or []],
        **app_rules_readonly(teen=teen, policy=policy),
    }


def _privacy_rows(rules) -> list[tuple[str, str]]:
    names = [name for name in PRIVACY_FIELDS if not name.startswith("mute_")]
    rows = [(FIELD_LABELS[name], value_text(name, getattr(rules, name))) for name in names]
    if rules.mute_start and rules.mute_end:
        mute = f"{rules.mute_start:%H:%M}–{rules.mute_end:%H:%M}"
    else:
        mute = "off"
    rows.append(("Notifications muted", mute))
    return rows


def _teen_page(
    request: HttpRequest,
    teen,
    tab: str,
    extra: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    context = rules_context(teen)
    if tab == "browsing":  # only guardians reach this tab: the filter address is theirs
        context["feed_card"] = feed_card(teen=teen)
    context.update(
        tab=tab,
        tabs=[(key, label, reverse(name, args=[teen.pk])) for key, label, name in TABS],
        other_tz=request.user.time_zone != teen.time_zone,
        **(extra or {}),
    )
    return render(request, f"controls/teen_{tab}.html", context, status=status)


def _save(
    request: HttpRequest,
    form,
    call: Callable[[], services.RulesChange],
    *,
    invalid: Callable[[], HttpResponse],
    done: str,
    key: str = "",
) -> HttpResponse:
    """Run a service for a valid form: success → message saying what changed and redirect (to
    `done?saved=<key>`, where the form itself shows the message: htmx follows the redirect and
    swaps the form's card in place); a rule broken → the errors next to their fields, nothing
    saved (400, which htmx is configured to swap too)."""
    if form.is_valid():
        try:
            change = call()
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            if change.changed:
                messages.success(request, change.message())
            else:
                messages.info(request, change.message())
            return redirect(f"{done}?saved={key}" if key else done)
    return invalid()


# --------------------------------------------------------------------------------------------
# Dashboard and the teen's own page
# --------------------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The guardian's home: one card per linked teen with today's use against the limit,
    allowed or why not, and open requests. A fixed number of queries for any number of teens."""
    if request.user.is_teen:
        return redirect("teen_home")
    teens = list(teens_for_guardian(guardian=request.user).select_related("rules"))
    policies = policies_for_teens(teens=teens)
    pending = pending_time_request_counts(teen_ids=[teen.pk for teen in teens])
    cards = [
        {
            "teen": teen,
            "status": policy_summary(policies[teen.pk], teen.tz),
            "pending": pending.get(teen.pk, 0),
        }
        for teen in teens
    ]
    offer_mfa = not Authenticator.objects.filter(user=request.user).exists()
    unlinked = request.session.pop(UNLINKED_SESSION_KEY, None)
    return render(
        request,
        "controls/dashboard.html",
        {"teens": teens, "cards": cards, "offer_mfa": offer_mfa, "unlinked": unlinked},
    )


# --------------------------------------------------------------------------------------------
# The guardian's per-teen pages
# --------------------------------------------------------------------------------------------


def _guardian_get(request: HttpRequest, teen_id: int):
    """GET by a guardian; the teen themself is sent to their own page instead."""
    if str(request.user.pk) == str(teen_id):
        return None
    return teen_for_rule_change(user=request.user, teen_id=teen_id)


@login_required
@require_GET
def teen_detail(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = _guardian_get(request, teen_id)
    if teen is None:
        return redirect("teen_home")
    return _teen_page(request, teen, "today")


def _screen_time_forms(teen, rules, **bound) -> dict[str, Any]:
    windows = list(DowntimeWindow.objects.filter(teen=teen))
    window_forms = []
    for window in windows:
        form = bound.get(f"window_{window.pk}") or forms.DowntimeWindowForm(
            prefix=f"w{window.pk}", initial=forms.DowntimeWindowForm.initial_from(window)
        )
        window_forms.append(
            {"window": window, "form": form, "open": f"window_{window.pk}" in bound}
        )
    return {
        "limits_form": bound.get("limits")
        or forms.DailyLimitsForm(initial={n: getattr(rules, n) for n in WEEKDAY_FIELDS}),
        "every_day_form": bound.get("every_day")
        or forms.EveryDayLimitForm(initial=forms.EveryDayLimitForm.initial_from(rules)),
        "options_form": bound.get("options")
        or forms.ScreenTimeOptionsForm(initial=forms.ScreenTimeOptionsForm.initial_from(rules)),
        "window_forms": window_forms,
        "new_window_form": bound.get("new_window")
        or forms.DowntimeWindowForm(prefix="new", initial={"weekdays": list(range(7))}),
        "new_window_open": "new_window" in bound,
        "presets": forms.LIMIT_PRESETS,
    }


def screen_time_page(request, teen, *, status: int = 200, **bound) -> HttpResponse:
    """The screen-time tab (`bound`: forms of a failed save, shown with their errors)."""
    rules = rules_ensure_for_teen(teen=teen)
    context = _screen_time_forms(teen, rules, **bound)
    context.update(app_rules_editing(teen=teen, request=request, bound=bound))
    return _teen_page(request, teen, "screen_time", context, status=status)


_screen_time_page = screen_time_page


@login_required
@require_GET
def teen_screen_time(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = _guardian_get(request, teen_id)
    if teen is None:
        return redirect("teen_home")
    return _screen_time_page(request, teen)


@login_required
@require_POST
def screen_time_limits(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    form = forms.DailyLimitsForm(request.POST)
    return _save(
        request,
        form,
        lambda: services.screen_time_update(actor=request.user, teen=teen, changes=form.changes()),
        invalid=lambda: _screen_time_page(request, teen, status=400, limits=form),
        done=reverse("teen_screen_time", args=[teen.pk]),
        key="limits",
    )


@login_required
@require_POST
def screen_time_every_day(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    form = forms.EveryDayLimitForm(request.POST)
    return _save(
        request,
        form,
        lambda: services.screen_time_update(actor=request.user, teen=teen, changes=form.changes()),
        invalid=lambda: _screen_time_page(request, teen, status=400, every_day=form),
        done=reverse("teen_screen_time", args=[teen.pk]),
        key="every-day",
    )


@login_required
@require_POST
def screen_time_options(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    form = forms.ScreenTimeOptionsForm(request.POST)
    return _save(
        request,
        form,
        lambda: services.screen_time_update(
            actor=request.user, teen=teen, changes=form.cleaned_data
        ),
        invalid=lambda: _screen_time_page(request, teen, status=400, options=form),
        done=reverse("teen_screen_time", args=[teen.pk]),
        key="options",
    )


@login_required
@require_POST
def downtime_create(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    form = forms.DowntimeWindowForm(request.POST, prefix="new")
    done = reverse("teen_screen_time", args=[teen.pk])
    if form.is_valid():
        try:
            window = downtime.downtime_window_create(
                actor=request.user, teen=teen, **form.cleaned_data
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            text = window_text(
                name=window.name,
                weekdays=window.weekday_list(),
                start=window.start,
                end=window.end,
            )
            messages.success(request, f"Saved. New downtime: {text}.")
            return redirect(done)
    return _screen_time_page(request, teen, status=400, new_window=form)


@login_required
@require_POST
def downtime_update(request: HttpRequest, teen_id: int, window_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    window = get_object_or_404(DowntimeWindow, pk=window_id, teen=teen)
    form = forms.DowntimeWindowForm(request.POST, prefix=f"w{window.pk}")
    return _save(
        request,
        form,
        lambda: downtime.downtime_window_update(
            actor=request.user, window=window, **form.cleaned_data
        ),
        invalid=lambda: _screen_time_page(
            request, teen, status=400, **{f"window_{window.pk}": form}
        ),
        done=reverse("teen_screen_time", args=[teen.pk]),
    )


@login_required
@require_POST
def downtime_delete(request: HttpRequest, teen_id: int, window_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    window = get_object_or_404(DowntimeWindow, pk=window_id, teen=teen)
    change = downtime.downtime_window_delete(actor=request.user, window=window)
    messages.success(request, change.message())
    return redirect(reverse("teen_screen_time", args=[teen.pk]))


@login_required
def teen_browsing(request: HttpRequest, teen_id: int) -> HttpResponse:
    if request.method == "POST":
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        form = forms.BrowsingForm(request.POST, teen_name=teen.display_name)
        return _save(
            request,
            form,
            lambda: services.browsing_update(actor=request.user, teen=teen, changes=form.changes()),
            invalid=lambda: _teen_page(request, teen, "browsing", {"form": form}, status=400),
            done=reverse("teen_browsing", args=[teen.pk]),
            key="browsing",
        )
    teen = _guardian_get(request, teen_id)
    if teen is None:
        return redirect("teen_home")
    form = forms.BrowsingForm(
        initial=forms.BrowsingForm.initial_from(teen.rules), teen_name=teen.display_name
    )
    return _teen_page(request, teen, "browsing", {"form": form})


def _privacy_page(request, teen, *, status: int = 200, form=None, governance=None):
    rules = rules_ensure_for_teen(teen=teen)
    band = band_for_teen(teen)
    form = form or forms.PrivacyForm(initial=forms.PrivacyForm.initial_from(rules), band=band)
    governance = governance or forms.GovernanceForm(
        initial={"unlink_needs_approval": rules.unlink_needs_approval}
    )
    return _teen_page(
        request, teen, "privacy", {"form": form, "governance": governance}, status=status
    )


@login_required
def teen_privacy(request: HttpRequest, teen_id: int) -> HttpResponse:
    if request.method == "POST":
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        form = forms.PrivacyForm(request.POST, band=band_for_teen(teen))
        return _save(
            request,
            form,
            lambda: services.privacy_update(actor=request.user, teen=teen, changes=form.changes()),
            invalid=lambda: _privacy_page(request, teen, status=400, form=form),
            done=reverse("teen_privacy", args=[teen.pk]),
            key="privacy",
        )
    teen = _guardian_get(request, teen_id)
    if teen is None:
        return redirect("teen_home")
    return _privacy_page(request, teen)


@login_required
@require_POST
def teen_governance(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    form = forms.GovernanceForm(request.POST)
    return _save(
        request,
        form,
        lambda: services.governance_update(
            actor=request.user,
            teen=teen,
            unlink_needs_approval=form.cleaned_data["unlink_needs_approval"],
        ),
        invalid=lambda: _privacy_page(request, teen, status=400, governance=form),
        done=reverse("teen_privacy", args=[teen.pk]),
        key="governance",
    )


@login_required
@require_GET
def teen_history(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = _guardian_get(request, teen_id)
    if teen is None:
        return redirect("my_history")
    page = Paginator(audit_events_for_teen(teen=teen), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _teen_page(
        request,
        teen,
        "history",
        {"page": page, "history": [history_entry(event) for event in page.object_list]},
    )
