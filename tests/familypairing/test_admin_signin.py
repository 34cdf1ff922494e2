"""The admin is reached only through allauth's sign-in: two-step verification and rate limits
apply, and in production a staff account needs two-step verification before the admin opens."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, hotp_value
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXP"
USERS_PAGE = "/admin/accounts/user/"


def _totp_now(secret: str) -> str:
    return f"{hotp_value(secret, int(time.time()) // 30):06d}"


@pytest.fixture
def staff(db):
    user = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.mark.django_db
def test_it_sends_the_admin_login_to_allauths_sign_in(staff):
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2F"


@pytest.mark.django_db
def test_it_does_not_open_the_admin_with_the_password_alone(staff):
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.get(USERS_PAGE)["Location"].startswith("/admin/login/")

    # allauth's sign-in asks for the TOTP code after the password.
    response = client.post(
        reverse("account_login") + "?next=/admin/",
        {"login": staff.email, "password": PASSWORD},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(USERS_PAGE).status_code == 302

    response = client.post(reverse("mfa_authenticate"), {"code": _totp_now(TOTP_SECRET)})
    assert response["Location"] == "/admin/"
    assert client.get(USERS_PAGE).status_code == 200


@pytest.mark.django_db
def test_it_rate_limits_password_guessing_for_the_admin(staff):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(15):
        # The admin's own form checks nothing any more: every attempt is sent to allauth.
        response = client.post("/admin/login/", {"username": staff.email, "password": "nope"})
        assert response.status_code == 302
        response = client.post(
            reverse("account_login") + "?next=/admin/", {"login": staff.email, "password": "nope"}
        )
    assert "Too many failed login attempts" in response.content.decode()
    # The right password is refused too while the account cools down, from any address.
    for address in ("203.0.113.9", "198.51.100.7"):
        other = Client(REMOTE_ADDR=address)
        response = other.post(
            reverse("account_login") + "?next=/admin/", {"login": staff.email, "password": PASSWORD}
        )
        assert "Too many failed login attempts" in response.content.decode()
        assert "_auth_user_id" not in other.session
        other.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
        assert "_auth_user_id" not in other.session


@pytest.mark.django_db
def test_it_sends_staff_without_mfa_to_set_it_up_when_required(settings, client):
    settings.ADMIN_REQUIRE_MFA = True
    operator = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    client.post(reverse("account_login"), {"login": operator.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(operator.pk)

    response = client.get(USERS_PAGE, follow=True)
    visited = [url for url, _ in response.redirect_chain]
    assert reverse("mfa_activate_totp") in visited
    assert "Turn on two-step verification before opening the admin" in response.content.decode()
    assert client.get(USERS_PAGE).status_code == 302

    TOTP.activate(operator, TOTP_SECRET)
    assert client.get(USERS_PAGE).status_code == 200


@pytest.mark.django_db
def test_it_lets_staff_without_mfa_in_when_not_required(settings, client):
    settings.ADMIN_REQUIRE_MFA = False
    operator = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    client.post(reverse("account_login"), {"login": operator.email, "password": PASSWORD})
    assert client.get(USERS_PAGE).status_code == 200


@pytest.mark.django_db
def test_it_refuses_the_admin_to_a_signed_in_non_staff_user(alice_client):
    assert alice_client.get("/admin/login/").status_code == 403
    assert alice_client.get(USERS_PAGE)["Location"].startswith("/admin/login/")


def test_the_admin_requires_mfa_by_default_in_production(tmp_path):
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "familypairing.settings",
    }
    code = "from django.conf import settings; print(settings.ADMIN_REQUIRE_MFA, settings.DEBUG)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "False"]
