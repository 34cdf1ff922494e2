"""A password change or reset ends every session of the account: the browser it was made in,
the account's other browsers, and the app tokens (allauth headless) issued before it."""

from __future__ import annotations

import json
import re

import pytest
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase 1984"


def _browser_sign_in(user, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content
    return client


def _app_token(user, password: str = PASSWORD) -> str:
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": user.email, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def _signed_in(client: Client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def _token_works(token: str) -> bool:
    return Client().get("/api/v1/me", HTTP_X_SESSION_TOKEN=token).status_code == 200


@pytest.mark.django_db
def test_it_ends_every_session_when_the_password_is_changed(alice):
    here, elsewhere = _browser_sign_in(alice), _browser_sign_in(alice)
    token = _app_token(alice)
    assert _signed_in(here) and _signed_in(elsewhere) and _token_works(token)
    assert UserSession.objects.filter(user=alice).count() == 3  # listed for the user to see

    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not _signed_in(here)  # ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE
    assert not _signed_in(elsewhere)
    assert not _token_works(token)
    assert _signed_in(_browser_sign_in(alice, NEW_PASSWORD))


@pytest.mark.django_db
def test_it_ends_every_session_when_the_password_is_reset(client, alice):
    elsewhere = _browser_sign_in(alice)
    token = _app_token(alice)
    client.post(reverse("account_reset_password"), {"email": alice.email})
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    form = client.get(link.group(0), follow=True)
    response = client.post(
        form.redirect_chain[-1][0],
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert not _signed_in(elsewhere)
    assert not _token_works(token)


@pytest.mark.django_db
def test_it_ends_the_session_on_sign_out_for_the_app_token_too(alice):
    token = _app_token(alice)
    response = Client().delete("/_allauth/app/v1/auth/session", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 401  # allauth answers a sign-out with "not authenticated"
    assert not _token_works(token)
