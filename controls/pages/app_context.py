"""What the screen-time tab and the teen's page show of the per-app rules (issue 13): the rules
in plain words, each rule's state now, the locks, the catalogue picker (a GET search form, so it
works without JavaScript; htmx swaps only the picker when it is there), the unknown apps seen and
the downtime windows' allowed lists."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from controls.app_models import AppRule
from controls.app_rules.describe import downtime_allowed_text, lock_text, rule_text, target_name
from controls.app_rules.selectors import labels_of, locks_open, unknown_apps_seen
from controls.catalogue.lookup import catalogue, catalogue_search
from controls.models import DowntimeWindow
from controls.pages import app_forms
from controls.wording import duration_short

REASON_WORDS = {
    "ok": "usable now",
    "always_allowed": "always usable",
    "downtime_allowed": "usable during this downtime",
    "blocked": "blocked",
    "locked": "locked now",
    "downtime": "not during downtime",
    "daily_limit": "today's overall time is used up",
    "app_limit": "its time is used up today",
    "category_limit": "its category's time is used up today",
}


def _state_text(result) -> str:
    words = REASON_WORDS.get(result.reason.value, result.reason.value)
    if result.allowed and result.seconds_left is not None:
        words += f", {duration_short(result.seconds_left)} left today"
    return words


def app_rules_readonly(*, teen, policy) -> dict[str, Any]:
    """For every page that shows a teen's rules (the teen's own page too)."""
    labels = labels_of(teen)
    rules = list(AppRule.objects.filter(teen=teen))
    states = {result.rule_id: result for result in policy.app_rules}
    now = timezone.now()
    return {
        "app_rule_rows": [
            {
                "rule": rule,
                "text": rule_text(rule, labels),
                "state": _state_text(states[rule.pk]) if rule.pk in states else "",
                "allowed": states[rule.pk].allowed if rule.pk in states else True,
            }
            for rule in rules
        ],
        "lock_rows": [
            {"lock": lock, "text": lock_text(lock, teen.tz, now=now)}
            for lock in locks_open(teen=teen, now=now)
        ],
        "downtime_allowed_rows": [
            {"window": window, "text": downtime_allowed_text(window, labels)}
            for window in DowntimeWindow.objects.filter(teen=teen)
        ],
    }


def app_rules_editing(*, teen, request, bound: dict[str, Any]) -> dict[str, Any]:
    """The forms of the screen-time tab's per-app cards (bound ones when a save failed)."""
    search = app_forms.CatalogueSearchForm(request.GET or None, auto_id="search_%s")
    query = category = ""
    if search.is_valid():
        query, category = search.cleaned_data["q"], search.cleaned_data["category"]
    searched = bool(query or category)
    results = catalogue_search(query, category=category) if searched else []
    pick = request.GET.get("pick", "")
    picked = catalogue().by_key.get(pick) if pick else None
    labels = labels_of(teen)
    if pick and picked is None and pick in labels:
        picked_name = labels[pick][0]
    else:
        picked_name = picked.name if picked else pick
    existing = AppRule.objects.filter(teen=teen, app=pick).first() if pick else None
    pick_form = bound.get("app_rule") or (
        app_forms.AppRuleForm(
            initial=app_forms.AppRuleForm.initial_from(existing) if existing else {"app": pick}
        )
        if pick
        else None
    )
    rows = []
    seen = unknown_apps_seen(teen=teen, today=timezone.localdate())
    for index, (info, seconds) in enumerate(seen):
        rows.append(
            {
                "info": info,
                "used": duration_short(seconds),
                "form": app_forms.AppLabelForm(
                    auto_id=f"label{index}_%s",
                    initial={"app": info.key, "name": labels.get(info.key, ("",))[0],
                             "category": info.category},
                ),
            }
        )  # fmt: skip
    windows = list(DowntimeWindow.objects.filter(teen=teen))
    return {
        "search_form": search,
        "searched": searched,
        "search_results": results,
        "picked": pick,
        "picked_name": picked_name,
        "pick_form": pick_form,
        "category_form": bound.get("category_rule")
        or app_forms.AppRuleForm(prefix="cat", initial={"kind": "limit"}),
        "lock_form": bound.get("lock") or app_forms.LockForm(auto_id="lock_%s"),
        "unknown_app_rows": rows,
        "allowed_forms": [
            {
                "window": window,
                "form": bound.get(f"allowed_{window.pk}")
                or app_forms.DowntimeAllowedForm(
                    prefix=f"allowed-{window.pk}",
                    initial={
                        "apps": ", ".join(
                            target_name(app=app, labels=labels) for app in window.allowed_apps
                        ),
                        "categories": window.allowed_categories,
                    },
                ),
            }
            for window in windows
        ],
    }
