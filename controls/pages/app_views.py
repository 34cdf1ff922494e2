"""The screen-time tab's per-app actions (issue 13): set or remove an app or category rule,
name an unknown app, lock now and unlock, and a downtime window's allowed list. Thin: access
checked once (`controls.access`), the same services as the API, a failed save re-renders the tab
with each error next to its field (status 400), nothing saved."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from controls.access import teen_for_rule_change
from controls.app_models import AppRule, FamilyAppLabel, Lock
from controls.app_rules import locks, services
from controls.app_rules.describe import downtime_allowed_text, lock_text, rule_text
from controls.app_rules.selectors import labels_of
from controls.models import DowntimeWindow
from controls.pages import app_forms
from controls.pages.forms import add_service_errors
from controls.pages.views import screen_time_page


def _done(teen, anchor: str = "app-rules") -> str:
    return reverse("teen_screen_time", args=[teen.pk]) + f"#{anchor}"


@login_required
@require_POST
def app_rule_save(request: HttpRequest, teen_id: int) -> HttpResponse:
    """An app's rule (from the picker) or, with the `cat-` fields, a category's."""
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    is_category = "cat-kind" in request.POST
    form = app_forms.AppRuleForm(request.POST, prefix="cat" if is_category else None)
    if form.is_valid():
        try:
            rule, changed = services.app_rule_set(
                actor=request.user, teen=teen, changes=form.changes()
            )
        except ValidationError as exc:
            if is_category and hasattr(exc, "error_dict") and "app" in exc.error_dict:
                # (the category form has no visible app field: the error is the category's)
                exc.error_dict["category"] = exc.error_dict.pop("app")
            add_service_errors(form, exc)
        else:
            text = rule_text(rule, labels_of(teen))
            if changed:
                messages.success(request, f"Saved. {text}.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect(_done(teen))
    key = "category_rule" if is_category else "app_rule"
    return screen_time_page(request, teen, status=400, **{key: form})


@login_required
@require_POST
def app_rule_delete(request: HttpRequest, teen_id: int, rule_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    rule = get_object_or_404(AppRule, pk=rule_id, teen=teen)
    services.app_rule_delete(actor=request.user, teen=teen, rule_id=rule.pk)
    messages.success(request, "Rule removed.")
    return redirect(_done(teen))


@login_required
@require_POST
def app_label_save(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    form = app_forms.AppLabelForm(request.POST)
    if form.is_valid():
        try:
            label = services.app_label_set(actor=request.user, teen=teen, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved. {label.app} is shown as “{label.name}”.")
            return redirect(_done(teen, "unknown-apps"))
    messages.error(request, "Not saved: " + "; ".join(
        f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
    ))  # fmt: skip
    return screen_time_page(request, teen, status=400)


@login_required
@require_POST
def app_label_delete(request: HttpRequest, teen_id: int, label_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    label = get_object_or_404(FamilyAppLabel, pk=label_id, teen=teen)
    services.app_label_delete(actor=request.user, teen=teen, label_id=label.pk)
    messages.success(request, "Name removed.")
    return redirect(_done(teen, "unknown-apps"))


@login_required
@require_POST
def lock_start(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    form = app_forms.LockForm(request.POST, auto_id="lock_%s")
    now = timezone.now()
    if form.is_valid():
        try:
            lock = locks.lock_start(
                actor=request.user,
                teen=teen,
                category=form.cleaned_data["category"],
                until=form.until_instant(tz=teen.tz, now=now),
                now=now,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Done. {lock_text(lock, teen.tz, now=now)}.")
            return redirect(_done(teen, "lock"))
    return screen_time_page(request, teen, status=400, lock=form)


@login_required
@require_POST
def lock_end(request: HttpRequest, teen_id: int, lock_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    lock = get_object_or_404(Lock, pk=lock_id, teen=teen)
    locks.lock_end(actor=request.user, teen=teen, lock_id=lock.pk)
    messages.success(request, "Unlocked.")
    return redirect(_done(teen, "lock"))


@login_required
@require_POST
def downtime_allowed(request: HttpRequest, teen_id: int, window_id: int) -> HttpResponse:
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    window = get_object_or_404(DowntimeWindow, pk=window_id, teen=teen)
    form = app_forms.DowntimeAllowedForm(request.POST, prefix=f"allowed-{window.pk}")
    if form.is_valid():
        try:
            window = services.downtime_allowed_set(
                actor=request.user,
                teen=teen,
                window_id=window.pk,
                apps=form.cleaned_data["apps"],
                categories=form.cleaned_data["categories"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            text = downtime_allowed_text(window, labels_of(teen))
            messages.success(request, f"Saved. {window.name}: {text}.")
            return redirect(_done(teen, "downtime"))
    return screen_time_page(request, teen, status=400, **{f"allowed_{window.pk}": form})
