"""The teen's own page, in tabs like the guardian's: Today, My rules, My guardians, History.

Each tab is its own address (works without JavaScript); the tab links carry htmx attributes
that swap just the tab region in place (`hx-select` picks it out of the full page), so no
partial templates are needed. Nothing for adults here: no home-network filter material.
An unlinked teen gets one clear state per tab: what pairing does and how to start it, no time
left, no limits and no charts (a teen nobody supervises has no rules).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.selectors import active_links_for_teen
from controls.audit import audit_events_for_teen
from controls.pages.views import HISTORY_PAGE_SIZE, rules_context
from controls.rules.describe import history_entry

TEEN_TABS = (
    ("today", "Today", "teen_home"),
    ("rules", "My rules", "my_rules"),
    ("guardians", "My guardians", "my_guardians"),
    ("history", "History", "my_history"),
)


def _teen_tab(request: HttpRequest, tab: str, extra: dict[str, Any] | None = None):
    if not request.user.is_teen:
        return redirect("dashboard")
    teen = request.user
    linked = active_links_for_teen(teen=teen).exists()
    # A teen nobody supervises has no rules yet: they are made, with the defaults for the teen's
    # age at that moment, when the first guardian links.
    context = rules_context(teen) if linked and tab in ("today", "rules") else {"teen": teen}
    context.update(
        linked=linked,
        tab=tab,
        tabs=[(key, label, reverse(name)) for key, label, name in TEEN_TABS],
        **(extra or {}),
    )
    return render(request, f"controls/me_{tab}.html", context)


@login_required
@require_GET
def teen_home(request: HttpRequest) -> HttpResponse:
    """Today: allowed or why not, time left and asking for more, use charts, devices."""
    return _teen_tab(request, "today")


@login_required
@require_GET
def my_rules(request: HttpRequest) -> HttpResponse:
    """The rules the teen's guardians set, read-only."""
    return _teen_tab(request, "rules")


@login_required
@require_GET
def my_guardians(request: HttpRequest) -> HttpResponse:
    """Each guardian, what they can see and manage, unlinking; linking with a parent."""
    return _teen_tab(request, "guardians")


@login_required
@require_GET
def my_history(request: HttpRequest) -> HttpResponse:
    """Every change to the teen's rules and links, newest first, paged."""
    if not request.user.is_teen:
        return redirect("dashboard")
    page = Paginator(audit_events_for_teen(teen=request.user), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return _teen_tab(
        request,
        "history",
        {"page": page, "history": [history_entry(event) for event in page.object_list]},
    )
