"""Cross-site requests and redirects: a browser session cannot be ridden by another site, and no
`next=` parameter sends anyone off the site."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.access.cast import app_token

EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"]


def _browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_page_form_without_the_csrf_token_is_refused(alice, tom):
    client = _browser(alice)
    response = client.post(reverse("teen_grant_time", args=[tom.pk]), {"bonus_minutes": "15"})
    assert response.status_code == 403
    assert not tom.day_grants.exists()


@pytest.mark.django_db
def test_the_api_refuses_a_cookie_session_without_the_csrf_token(alice):
    client = _browser(alice)
    response = client.post("/api/v1/pairing/invitations", content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not alice.pairing_invitations.exists()
    # With the token (as htmx sends it from the page), the same request works.
    client.get(reverse("dashboard"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/pairing/invitations", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201


@pytest.mark.django_db
def test_app_tokens_and_device_tokens_need_no_csrf_token(alice, tom):
    """Headers a browser never adds by itself, so another site cannot send them."""
    from accounts.devices.services import device_register

    client = Client(enforce_csrf_checks=True, HTTP_X_SESSION_TOKEN=app_token(alice))
    assert client.post("/api/v1/pairing/invitations").status_code == 201
    _, token = device_register(teen=tom, actor=tom, name="Phone", platform="ios")
    device = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    response = device.post(
        "/api/v1/device/policy/ack", json.dumps({"version": "1"}), "application/json"
    )
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_next_never_leaves_the_site(alice, target):
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("notification_read_all") + f"?next={target}")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    response = client.post(reverse("notification_read_all"), {"next": target})
    assert response["Location"] == "/notifications/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_signing_in_never_leaves_the_site(alice, target):
    from tests.factories import PASSWORD

    response = Client().post(
        reverse("account_login") + f"?next={target}",
        {"login": alice.email, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/"), response["Location"]
    assert not response["Location"].startswith(("//", "/\\")), response["Location"]
