"""Sending e-mail: one template pair (text + HTML) per message, always with a plain-text part.

The text part and the subject are plain text, rendered without HTML escaping; the HTML part is
escaped as every page is (`familypairing.mail`)."""

from __future__ import annotations

from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from familypairing.mail import plain_subject, render_plain_text


def send_templated_email(*, to: str, subject: str, template: str, context: dict) -> None:
    context = {"SITE_URL": settings.SITE_URL, **context}
    text = render_plain_text(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=plain_subject(f"[Family Pairing] {subject}"),
        body=text,
        to=[to],
        from_email=settings.DEFAULT_FROM_EMAIL,
    )
    message.attach_alternative(html, "text/html")
    message.send()


# How every e-mail task retries a mail server that is down or slow (each is safe to run twice).
EMAIL_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": 30,
    # Below the broker's visibility timeout (see settings), or Redis would hand a retry that is
    # merely waiting to a second worker.
    "retry_backoff_max": settings.CELERY_RETRY_BACKOFF_MAX,
    "max_retries": 6,
}
