"""Guessing is slowed down: passwords at sign-in, MFA codes, and pairing codes."""

from __future__ import annotations

import json
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, hotp_value
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def _totp_now(secret: str) -> str:
    return f"{hotp_value(secret, int(time.time()) // 30):06d}"


def _sign_in(client: Client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


@pytest.mark.django_db
def test_it_stops_password_guessing_after_five_failures(alice):
    client = Client()
    for _ in range(5):
        response = _sign_in(client, alice.email, "wrong password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    # Even the right password is refused now, so guessing further is pointless.
    response = _sign_in(client, alice.email, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


@pytest.mark.django_db
def test_the_password_limit_holds_for_the_app_api_too(alice):
    client = Client()
    for _ in range(5):
        client.post(
            "/_allauth/app/v1/auth/login",
            data=json.dumps({"email": alice.email, "password": "wrong password"}),
            content_type="application/json",
        )
    response = client.post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": alice.email, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code in {400, 429}
    assert "session_token" not in response.json().get("meta", {})


@pytest.mark.django_db
def test_the_password_limit_is_per_account_not_only_per_address(alice, carl):
    """Five failures against alice from one address do not lock carl out of another."""
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        _sign_in(attacker, alice.email, "wrong password")
    other = Client(REMOTE_ADDR="198.51.100.7")
    _sign_in(other, alice.email, PASSWORD)
    assert "_auth_user_id" not in other.session  # alice's account is cooling down everywhere
    response = _sign_in(Client(REMOTE_ADDR="198.51.100.8"), carl.email, PASSWORD)
    assert response.status_code == 302


@pytest.mark.django_db
def test_it_stops_mfa_code_guessing_after_five_failures(alice):
    TOTP.activate(alice, TOTP_SECRET)
    client = Client()
    response = _sign_in(client, alice.email, PASSWORD)
    assert response["Location"] == reverse("mfa_authenticate")
    for _ in range(5):
        response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _totp_now(TOTP_SECRET)})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
