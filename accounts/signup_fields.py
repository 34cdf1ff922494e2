"""What every sign-up asks, whichever door it comes through.

allauth builds both its sign-up page form and its headless API's sign-up input on
`ACCOUNT_SIGNUP_FORM_CLASS`, so the name, the birth date (with the under-13 refusal) and the time
zone are declared and checked once, here, and an app's `POST /_allauth/app/v1/auth/signup`
creates exactly the account the sign-up page would. `AccountAdapter.save_user` stores them.

This module must not import allauth's account forms: allauth imports it while defining them.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import available_timezones

from django import forms

from accounts.models import TEEN_MIN_AGE, age_on


def time_zone_choices() -> list[tuple[str, str]]:
    return [
        (name, name.replace("_", " "))
        for name in sorted(available_timezones())
        if "/" in name or name == "UTC"
    ]


class SignupFieldsForm(forms.Form):
    """The product's sign-up fields: a name, a birth date (ages decide who is a teen and who may
    be a parent) and the IANA time zone a teen's day is counted in."""

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

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError("Please tell us your name.", code="blank")
        return name

    def clean_birth_date(self) -> date:
        birth_date: date = self.cleaned_data["birth_date"]
        today = date.today()
        if birth_date > today:
            raise forms.ValidationError(
                "Your date of birth cannot be in the future.", code="in_future"
            )
        if birth_date.year < 1900:
            raise forms.ValidationError(
                "Please check the year of your date of birth.", code="implausible"
            )
        if age_on(birth_date, today) < TEEN_MIN_AGE:
            raise forms.ValidationError(
                "Sorry, you need to be at least 13 to use Family Pairing. "
                "Ask a parent or guardian to help you find something made for your age.",
                # Apps branch on the code, people read the message.
                code="under_13",
            )
        return birth_date

    def signup(self, request, user) -> None:
        """allauth's hook after the user is saved: nothing left to do, the adapter stored the
        fields with the user."""
