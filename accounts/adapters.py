from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Stores the product's sign-up fields on the user; the age rule lives in the sign-up form,
    which allauth's headless API uses too."""

    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        data = form.cleaned_data
        user.display_name = data.get("display_name") or ""
        user.birth_date = data.get("birth_date")
        user.time_zone = data.get("time_zone") or "UTC"
        return super().save_user(request, user, form, commit=commit)

    def get_user_search_fields(self) -> list[str]:
        return ["email", "display_name"]
