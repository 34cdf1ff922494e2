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


# --- Pairing codes ----------------------------------------------------------------------------


def _wrong_code(real: str) -> str:
    return "ABCDEFGH" if real != "ABCDEFGH" else "HGFEDCBA"


def _enter_code(client: Client, code: str):
    return client.post(reverse("pair_enter_code"), {"code": code})


def _teen_client(teen, address: str = "203.0.113.5") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.force_login(teen)
    return client


@pytest.fixture
def invitation(alice):
    from accounts.pairing.services import pairing_invitation_create

    return pairing_invitation_create(parent=alice)


@pytest.mark.django_db
def test_it_answers_429_after_five_wrong_pairing_codes(uma, invitation):
    _, secrets = invitation
    client = _teen_client(uma)
    wrong = _wrong_code(secrets.code)
    for _ in range(5):
        assert _enter_code(client, wrong).status_code == 400
    response = _enter_code(client, wrong)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "too many" in response.content.decode().lower()  # a readable page, not a bare 429
    # Guessing right now does not help: the limit is checked before the code.
    assert _enter_code(client, secrets.code).status_code == 429


@pytest.mark.django_db
def test_the_pairing_limit_follows_the_account_across_addresses(uma, invitation):
    _, secrets = invitation
    for n in range(5):
        _enter_code(_teen_client(uma, f"198.51.100.{n + 1}"), _wrong_code(secrets.code))
    response = _enter_code(_teen_client(uma, "198.51.100.99"), _wrong_code(secrets.code))
    assert response.status_code == 429


@pytest.mark.django_db
def test_the_pairing_limit_follows_the_address_across_accounts(invitation):
    from tests.factories import TeenFactory

    _, secrets = invitation
    for _ in range(10):  # ten accounts, each stopping at its own five: 50, the address limit
        client = _teen_client(TeenFactory())
        for _ in range(5):
            assert _enter_code(client, _wrong_code(secrets.code)).status_code == 400
    response = _enter_code(_teen_client(TeenFactory()), _wrong_code(secrets.code))
    assert response.status_code == 429
    assert "this network" in response.content.decode()


@pytest.mark.django_db
def test_the_pages_and_the_api_share_one_pairing_limit(uma, invitation):
    _, secrets = invitation
    client = _teen_client(uma)
    for _ in range(3):
        assert _enter_code(client, _wrong_code(secrets.code)).status_code == 400
    for _ in range(2):
        response = client.post(
            "/api/v1/pairing/lookup",
            data=json.dumps({"code": _wrong_code(secrets.code)}),
            content_type="application/json",
        )
        assert response.status_code == 400
    response = client.post(
        "/api/v1/pairing/lookup",
        data=json.dumps({"code": secrets.code}),
        content_type="application/json",
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["detail"]


@pytest.mark.django_db
def test_the_pairing_limit_lifts_after_the_window(uma, invitation):
    from datetime import timedelta

    import time_machine
    from django.conf import settings
    from django.utils import timezone

    _, secrets = invitation
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = _teen_client(uma)
        for _ in range(5):
            _enter_code(client, _wrong_code(secrets.code))
        assert _enter_code(client, _wrong_code(secrets.code)).status_code == 429
    later = start + timedelta(minutes=settings.PAIRING_FAILURE_WINDOW_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        # The invitation itself expired meanwhile; the answer is the ordinary "wrong code".
        assert _enter_code(client, _wrong_code(secrets.code)).status_code == 400
