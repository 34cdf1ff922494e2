from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, hotp_value
from django.urls import reverse

from tests.factories import PASSWORD


def _code(secret: str) -> str:
    return f"{hotp_value(secret, int(time.time()) // 30):06d}"


@pytest.mark.django_db
def test_it_enrols_totp_from_the_activation_page(client, alice):
    # A real sign-in: enrolling MFA asks for a recent authentication.
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": "123"})
    assert not Authenticator.objects.filter(user=alice).exists()
    response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()


@pytest.mark.django_db
def test_it_asks_for_a_totp_code_at_sign_in(client, alice):
    secret = "JBSWY3DPEHPK3PXP"
    TOTP.activate(alice, secret)
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


@pytest.mark.django_db
def test_it_offers_two_step_verification_to_adults_on_the_dashboard(client, alice):
    client.force_login(alice)
    assert "two-step verification" in client.get(reverse("dashboard")).content.decode()
    TOTP.activate(alice, "JBSWY3DPEHPK3PXP")
    assert "two-step verification" not in client.get(reverse("dashboard")).content.decode()
