from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.template import TemplateDoesNotExist

from familypairing.mail import plain_subject, render_plain_text


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

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """allauth's message, with its subject and plain-text part rendered without HTML
        escaping (a display name such as `O'Neil & "Co"` reads as typed there; the HTML part,
        if any, stays escaped)."""
        message = super().render_mail(template_prefix, email, context, headers=headers)
        subject = render_plain_text(f"{template_prefix}_subject.txt", context)
        message.subject = plain_subject(self.format_email_subject(plain_subject(subject)))
        if message.content_subtype == "html":
            return message  # no plain-text template: the body is the HTML one
        try:
            body = render_plain_text(
                f"{template_prefix}_message.txt", context, allauth_context.request
            )
        except TemplateDoesNotExist:
            return message
        message.body = body.strip()
        return message
