from __future__ import annotations

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms

from accounts.signup_fields import time_zone_choices


class SignupForm(AllauthSignupForm):
    """The sign-up page: allauth's form, which carries the product's fields from
    `accounts.signup_fields.SignupFieldsForm` (ACCOUNT_SIGNUP_FORM_CLASS, shared with the headless
    API), laid out and labelled for people."""

    field_order = ["display_name", "email", "birth_date", "time_zone", "password1", "password2"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget.attrs["data-detect-timezone"] = "1"
        self.fields["display_name"].widget.attrs["autocomplete"] = "name"
        self.fields["birth_date"].widget.attrs["autocomplete"] = "bday"


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
