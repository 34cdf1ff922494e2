"""Forms for the guardian's rule pages. They only parse what was typed; every rule (ranges, age
bounds, overlaps, limits on list sizes) is checked by the service the view calls, and its errors
are put back next to the field they concern (`add_service_errors`)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from controls.models import WEEKDAY_FIELDS, Audience, DomainMode, LikedVideosAudience
from controls.rules.bounds import CHOICE_LABELS, AgeBand
from controls.rules.describe import WEEKDAY_NAMES, WEEKDAY_SHORT
from controls.wording import minutes_short

LIMIT_PRESETS = (40, 60, 90, 120)
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's errors next to the matching fields (others at the top of the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        target = name if name in form.fields else None
        if name == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, errors)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# --------------------------------------------------------------------------------------------
# Screen time
# --------------------------------------------------------------------------------------------


class DailyLimitsForm(forms.Form):
    """One limit per weekday, in minutes; empty means no limit that day."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, day in zip(WEEKDAY_FIELDS, WEEKDAY_NAMES, strict=True):
            self.fields[name] = forms.IntegerField(
                label=day,
                required=False,
                min_value=1,
                max_value=1440,
                widget=forms.NumberInput(
                    attrs={"list": "limit-presets", "inputmode": "numeric", "placeholder": "None"}
                ),
                error_messages=dict.fromkeys(
                    ("invalid", "min_value", "max_value"),
                    "Enter 1 to 1440 minutes, or leave it empty for no limit.",
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # A browser always sends every day (an empty box is "no limit"); a day that is missing
        # altogether is a broken request, never a silent "unlimited".
        for name in WEEKDAY_FIELDS:
            if self.is_bound and name not in self.data:
                self.add_error(name, "This day was missing from the form; nothing was saved.")
        return data

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in WEEKDAY_FIELDS}


class EveryDayLimitForm(forms.Form):
    """The same limit for all seven days in one step."""

    choice = forms.ChoiceField(
        label="Same limit every day",
        widget=forms.RadioSelect,
        choices=[
            *[(str(m), minutes_short(m)) for m in LIMIT_PRESETS],
            ("none", "No limit"),
            ("other", "Other"),
        ],
    )
    other_minutes = forms.IntegerField(
        label="Other (minutes)",
        required=False,
        min_value=1,
        max_value=1440,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="1 to 1440 minutes.",
    )

    @staticmethod
    def initial_from(rules) -> dict[str, Any]:
        """The choice in force: selected only when all seven days have the same limit."""
        limits = {getattr(rules, name) for name in WEEKDAY_FIELDS}
        if len(limits) != 1:
            return {}
        (minutes,) = limits
        if minutes is None:
            return {"choice": "none"}
        if minutes in LIMIT_PRESETS:
            return {"choice": str(minutes)}
        return {"choice": "other", "other_minutes": minutes}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("choice") == "other" and data.get("other_minutes") is None:
            self.add_error("other_minutes", "Enter the minutes, or pick one of the choices.")
        return data

    def changes(self) -> dict[str, Any]:
        choice = self.cleaned_data["choice"]
        if choice == "none":
            return {"every_day": None}
        if choice == "other":
            return {"every_day": self.cleaned_data["other_minutes"]}
        return {"every_day": int(choice)}


class ScreenTimeOptionsForm(forms.Form):
    warning_minutes = forms.CharField(
        label="Warn before the limit (minutes)",
        required=False,
        help_text="Up to 3, separated by commas, such as “15, 5”. Leave empty for no warnings.",
    )
    day_start = forms.TimeField(
        label="The day starts at",
        widget=TIME_INPUT,
        help_text="When the daily limit starts again, in the teen's time zone.",
    )

    def clean_warning_minutes(self) -> list[int]:
        text = self.cleaned_data.get("warning_minutes") or ""
        parts = [part for part in re.split(r"[,\s]+", text) if part]
        if not all(part.isdigit() for part in parts):
            raise ValidationError("Enter whole minutes separated by commas, such as “15, 5”.")
        return [int(part) for part in parts]

    @classmethod
    def initial_from(cls, rules) -> dict[str, Any]:
        return {
            "warning_minutes": ", ".join(str(m) for m in rules.warning_minutes or []),
            "day_start": rules.day_start,
        }


class DowntimeWindowForm(forms.Form):
    name = forms.CharField(label="Name", max_length=60, help_text="Such as “Bedtime” or “School”.")
    weekdays = forms.TypedMultipleChoiceField(
        label="Days",
        coerce=int,
        choices=list(enumerate(WEEKDAY_SHORT)),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "weekday"}),
        error_messages={"required": "Choose at least one day."},
    )
    start = forms.TimeField(label="From", widget=TIME_INPUT)
    end = forms.TimeField(
        label="Until", widget=TIME_INPUT, help_text="Earlier than “From” means the next day."
    )

    @classmethod
    def initial_from(cls, window) -> dict[str, Any]:
        return {
            "name": window.name,
            "weekdays": window.weekday_list(),
            "start": window.start,
            "end": window.end,
        }


# --------------------------------------------------------------------------------------------
# Browsing
# --------------------------------------------------------------------------------------------


class BrowsingForm(forms.Form):
    restricted_mode = forms.BooleanField(
        label="Restricted mode",
        required=False,
        help_text="Hides content that may not be suitable for teens.",
    )
    search_enabled = forms.BooleanField(label="Search", required=False)
    keyword_filters = forms.CharField(
        label="Keyword filters",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    domain_mode = forms.ChoiceField(
        label="Sites", widget=forms.RadioSelect, choices=DomainMode.choices
    )
    domains = forms.CharField(
        label="Site list",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocapitalize": "none", "spellcheck": "false"}),
        help_text="One per line: example.com (the site and everything under it) or "
        "*.example.com (everything under it). Pasted links are reduced to the site name.",
    )

    def __init__(self, *args, teen_name: str = "Your teen", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keyword_filters"].help_text = (
            "One word or phrase per line (at most 500). Videos and searches matching them are "
            f"hidden. {teen_name} can see this list."
        )

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "restricted_mode": data["restricted_mode"],
            "search_enabled": data["search_enabled"],
            "keyword_filters": _lines(data.get("keyword_filters")),
            "domain_mode": data["domain_mode"],
            "domains": _lines(data.get("domains")),
        }

    @classmethod
    def initial_from(cls, rules) -> dict[str, Any]:
        return {
            "restricted_mode": rules.restricted_mode,
            "search_enabled": rules.search_enabled,
            "keyword_filters": "\n".join(rules.keyword_filters or []),
            "domain_mode": rules.domain_mode,
            "domains": "\n".join(rules.domains or []),
        }


# --------------------------------------------------------------------------------------------
# Privacy
# --------------------------------------------------------------------------------------------

PRIVACY_SWITCHES = (
    ("private_account", "Private account", "Only approved followers see the teen's videos."),
    ("suggest_account", "Suggest the account to others", ""),
    ("live_streaming", "Live streaming", ""),
    ("duet_stitch", "Duet and Stitch", "Others can reuse the teen's videos."),
    ("downloads", "Downloads", "Others can download the teen's videos."),
)
_SWITCH_NAMES = frozenset(name for name, _, _ in PRIVACY_SWITCHES)
PRIVACY_CHOICES = (
    ("direct_messages", "Who can send direct messages", Audience),
    ("comments", "Who can comment", Audience),
    ("liked_videos", "Who can see liked videos", LikedVideosAudience),
)


class PrivacyForm(forms.Form):
    """Rendered option by option (see `options`), so options outside the teen's age band show
    disabled with the reason; the service refuses them whatever is posted."""

    private_account = forms.BooleanField(required=False)
    suggest_account = forms.BooleanField(required=False)
    live_streaming = forms.BooleanField(required=False)
    duet_stitch = forms.BooleanField(required=False)
    downloads = forms.BooleanField(required=False)
    direct_messages = forms.ChoiceField(choices=Audience.choices)
    comments = forms.ChoiceField(choices=Audience.choices)
    liked_videos = forms.ChoiceField(choices=LikedVideosAudience.choices)
    mute_start = forms.TimeField(label="From", required=False, widget=TIME_INPUT)
    mute_end = forms.TimeField(label="Until", required=False, widget=TIME_INPUT)

    def __init__(self, *args, band: AgeBand, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.band = band

    def _value(self, name: str) -> Any:
        if self.is_bound:
            raw = self.data.get(name)
            if name in _SWITCH_NAMES:
                return raw in ("on", "true", "1")
            return raw
        return self.initial.get(name)

    def switches(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "label": label,
                "help": help_text,
                "checked": bool(self._value(name)) and self.band.allows(name, True),
                "disabled": not self.band.allows(name, True),
                "reason": self.band.reason(name),
                "errors": self.errors.get(name, []) if self.is_bound else [],
            }
            for name, label, help_text in PRIVACY_SWITCHES
        ]

    def choices(self) -> list[dict[str, Any]]:
        groups = []
        for name, label, enum in PRIVACY_CHOICES:
            current = self._value(name)
            options = [
                {
                    "value": value,
                    "label": CHOICE_LABELS.get(value, text),
                    "checked": value == current,
                    "disabled": not self.band.allows(name, value),
                    "reason": self.band.reason(name),
                }
                for value, text in enum.choices
            ]
            blocked = ", ".join(f"“{o['label']}”" for o in options if o["disabled"])
            groups.append(
                {
                    "name": name,
                    "label": label,
                    "errors": self.errors.get(name, []) if self.is_bound else [],
                    "options": options,
                    "note": f"{blocked}: not available for teens {self.band.label}."
                    if blocked
                    else "",
                }
            )
        return groups

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.fields}

    @classmethod
    def initial_from(cls, rules) -> dict[str, Any]:
        return {name: getattr(rules, name) for name in cls.base_fields}


class GovernanceForm(forms.Form):
    unlink_needs_approval = forms.BooleanField(
        label="Unlinking needs a guardian's approval",
        required=False,
        help_text="When on, the teen's request to unlink waits for a guardian to approve it. "
        "When off, the teen can unlink at any time and every guardian is told at once.",
    )
