"""Forms for the per-app rules on the screen-time tab (issue 13): they parse what was typed; the
services (`controls.app_rules`) check every rule and their errors go back next to the field."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms

from controls.app_models import RULE_WEEKDAY_FIELDS, AppCategory, AppRuleKind
from controls.catalogue.lookup import catalogue_resolve
from controls.pages.forms import TIME_INPUT
from controls.rules.describe import WEEKDAY_SHORT

CATEGORY_CHOICES = [(c.value, c.label) for c in AppCategory]


def _minutes_field(label: str, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=1440,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "list": "limit-presets"}),
    )


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(label="Find an app or site", required=False, max_length=100)
    category = forms.ChoiceField(
        label="Category", required=False, choices=[("", "All categories"), *CATEGORY_CHOICES]
    )


class AppRuleForm(forms.Form):
    """One app's or one category's rule. Minutes: Monday to Friday, the weekend, or day by day
    (a day filled in wins); empty everywhere with "Time limit" is refused by the service. The
    days are labelled "Mon".."Sun": the daily limits on the same page use the full names."""

    app = forms.CharField(required=False, widget=forms.HiddenInput)
    category = forms.ChoiceField(
        label="Category", required=False, choices=[("", "—"), *CATEGORY_CHOICES]
    )
    kind = forms.ChoiceField(
        label="Rule", choices=AppRuleKind.choices, widget=forms.RadioSelect, initial="limit"
    )
    school_days = _minutes_field("Minutes Monday to Friday", "School days. Empty: no limit.")
    weekend = _minutes_field("Minutes Saturday and Sunday", "Empty: no limit.")
    limit_mon = _minutes_field(WEEKDAY_SHORT[0])
    limit_tue = _minutes_field(WEEKDAY_SHORT[1])
    limit_wed = _minutes_field(WEEKDAY_SHORT[2])
    limit_thu = _minutes_field(WEEKDAY_SHORT[3])
    limit_fri = _minutes_field(WEEKDAY_SHORT[4])
    limit_sat = _minutes_field(WEEKDAY_SHORT[5])
    limit_sun = _minutes_field(WEEKDAY_SHORT[6])

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        days: dict[str, int | None] = {}
        for index, name in enumerate(RULE_WEEKDAY_FIELDS):
            group = data.get("school_days") if index < 5 else data.get("weekend")
            days[name] = data.get(name) or group
        changes: dict[str, Any] = {"kind": data["kind"]}
        if data["kind"] == AppRuleKind.LIMIT:
            changes.update(days)
        if data.get("app"):
            changes["app"] = data["app"]
        if data.get("category"):
            changes["category"] = data["category"]
        return changes

    @classmethod
    def initial_from(cls, rule) -> dict[str, Any]:
        limits = rule.daily_limits()
        initial = {"app": rule.app, "category": rule.category, "kind": rule.kind}
        if len(set(limits[:5])) == 1:
            initial["school_days"] = limits[0]
        if len(set(limits[5:])) == 1:
            initial["weekend"] = limits[5]
        for name, minutes in zip(RULE_WEEKDAY_FIELDS, limits, strict=True):
            if initial.get("school_days" if name in RULE_WEEKDAY_FIELDS[:5] else "weekend") is None:
                initial[name] = minutes
        return initial


class LockForm(forms.Form):
    category = forms.ChoiceField(
        label="What to lock",
        required=False,
        choices=[("", "All devices"), *CATEGORY_CHOICES],
    )
    until = forms.TimeField(
        label="Until",
        required=False,
        widget=TIME_INPUT,
        help_text="In the teen's time zone (the next time the clock shows it). Empty: until "
        "you unlock.",
    )

    def until_instant(self, *, tz, now: datetime) -> datetime | None:
        """The next instant after `now` at which the teen's clock shows the chosen time."""
        wall = self.cleaned_data.get("until")
        if wall is None:
            return None
        local = now.astimezone(tz)
        moment = datetime.combine(local.date(), wall, tzinfo=tz)
        if moment <= local:
            moment = datetime.combine(local.date() + timedelta(days=1), wall, tzinfo=tz)
        return moment


class AppLabelForm(forms.Form):
    app = forms.CharField(widget=forms.HiddenInput, max_length=200)
    name = forms.CharField(label="Name", max_length=80)
    category = forms.ChoiceField(label="Category", choices=CATEGORY_CHOICES)


class DowntimeAllowedForm(forms.Form):
    apps = forms.CharField(
        label="Apps allowed during it",
        required=False,
        help_text="Names from the catalogue or identifiers, separated by commas, such as "
        "“Khan Academy, Google Classroom”.",
    )
    categories = forms.MultipleChoiceField(
        label="Categories allowed during it",
        required=False,
        choices=CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_apps(self) -> list[str]:
        keys, unknown = [], []
        for part in (self.cleaned_data.get("apps") or "").split(","):
            if not part.strip():
                continue
            key = catalogue_resolve(part)
            if key is None:
                unknown.append(part.strip())
            elif key not in keys:
                keys.append(key)
        if unknown:
            raise forms.ValidationError(
                "Not in the catalogue: " + ", ".join(f"“{name}”" for name in unknown) + "."
            )
        return keys
