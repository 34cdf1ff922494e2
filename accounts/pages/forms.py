from __future__ import annotations

from datetime import date
from zoneinfo import available_timezones

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms

from accounts.models import TEEN_MIN_AGE, age_on


def time_zone_choices() -> list[tuple[str, str]]:
    return [
        (name, name.replace("_", " "))
        for name in sorted(available_timezones())
        if "/" in name or name == "UTC"
    ]


class SignupForm(AllauthSignupForm):
    """allauth's sign-up plus what this product needs: a name, a birth date (ages decide who is a
    teen and who may be a parent) and the IANA time zone a teen's day is counted in."""

    display_name = forms.CharField(
        label="Your name", max_length=80, help_text="Shown to the people you link with."
    )
    birth_date = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="You must be at least 13. Teens 13–17 can be linked to a parent or guardian.",
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        initial="UTC",
        help_text="Screen-time days are counted in this time zone.",
    )

    field_order = ["display_name", "email", "birth_date", "time_zone", "password1", "password2"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget.attrs["data-detect-timezone"] = "1"
        self.fields["display_name"].widget.attrs["autocomplete"] = "name"
        self.fields["birth_date"].widget.attrs["autocomplete"] = "bday"

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("Please tell us your name.")
        return name

    def clean_birth_date(self) -> date:
        birth_date: date = self.cleaned_data["birth_date"]
        today = date.today()
        if birth_date > today:
            raise forms.ValidationError("Your date of birth cannot be in the future.")
        if birth_date.year < 1900:
            raise forms.ValidationError("Please check the year of your date of birth.")
        if age_on(birth_date, today) < TEEN_MIN_AGE:
            raise forms.ValidationError(
                "Sorry, you need to be at least 13 to use Family Pairing. "
                "Ask a parent or guardian to help you find something made for your age."
            )
        return birth_date

    def save(self, request):
        user = super().save(request)
        return user


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Your name", max_length=80)
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        help_text="Teens: your day, your limits and downtime follow this time zone. Change it when "
        "you travel or move; your guardians see the change in your history.",
    )

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("Please tell us your name.")
        return name
