"""allauth's pages in our words (issue 17): no "Confirm Access", "Verify Your Email Address",
"Change Password", "Password Reset" or "Two-Factor Authentication" left."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

STOCK = (
    "Confirm Access",
    "Verify Your Email Address",
    "Change Password",
    "Password Reset",
    "Two-Factor",
    "Reset My Password",
    "Bad Token",
    "Please reauthenticate",
)


def _ours(response, heading: str) -> str:
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in page
    for stock in STOCK:
        assert stock not in page, stock
    return page


@pytest.mark.django_db
def test_the_signed_out_password_pages(client):
    _ours(client.get(reverse("account_reset_password")), "Forgot your password?")
    _ours(client.get(reverse("account_reset_password_done")), "Check your e-mail")
    bad = reverse("account_reset_password_from_key", kwargs={"uidb36": "x", "key": "y"})
    page = _ours(client.get(bad, follow=True), "This link no longer works")
    assert reverse("account_reset_password") in page
    _ours(client.get(reverse("account_reset_password_from_key_done")), "Password changed")
    _ours(client.get(reverse("account_email_verification_sent")), "Check your e-mail")


@pytest.mark.django_db
def test_the_signed_in_password_and_confirm_pages(alice_client):
    page = _ours(alice_client.get(reverse("account_change_password")), "Change your password")
    assert 'for="id_oldpassword"' in page
    page = _ours(alice_client.get(reverse("account_reauthenticate")), "Confirm it's you")
    assert 'for="id_password"' in page  # a visible label, not a bare box


@pytest.mark.django_db
def test_two_step_e_mails_say_two_step_verification(alice):
    context = {"user": alice, "ip": "127.0.0.1", "user_agent": "test", "timestamp": "now"}
    for name in ("totp_activated", "totp_deactivated", "recovery_codes_generated"):
        subject = render_to_string(f"mfa/email/{name}_subject.txt", context)
        body = render_to_string(f"mfa/email/{name}_message.txt", context)
        text = subject + body
        assert "Two-Factor" not in text and "Authenticator App" not in text
        assert "two-step verification" in text.lower()


@pytest.mark.django_db
def test_the_confirmation_and_reset_e_mails_are_in_our_words(
    client, alice, django_capture_on_commit_callbacks
):
    from django.core import mail

    mail.outbox.clear()
    client.post(reverse("account_reset_password"), {"email": alice.email})
    (reset,) = mail.outbox
    assert reset.subject == "[Family Pairing] Choose a new password"
    assert "It works once and for a limited time" in reset.body
    assert "/accounts/password/reset/key/" in reset.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "display_name": "Sam",
                "email": "new@example.com",
                "birth_date": "1985-05-01",
                "time_zone": "Europe/Paris",
                "password1": "a very long passphrase 42",
                "password2": "a very long passphrase 42",
            },
        )
    assert response.status_code == 302
    subjects = [m.subject for m in mail.outbox]
    assert "[Family Pairing] Confirm your e-mail address" in subjects, subjects


@pytest.mark.django_db
def test_sign_out_is_in_our_words(alice_client):
    _ours(alice_client.get(reverse("account_logout")), "Sign out")


@pytest.mark.django_db
def test_the_sessions_page_is_in_our_words(alice_client):
    page = _ours(alice_client.get(reverse("usersessions_list")), "Where you're signed in")
    assert "This browser" in page and "Sign Out" not in page and "Started At" not in page
