from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.mark.django_db
def test_it_answers_me_for_a_browser_session(alice_client, alice):
    response = alice_client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": alice.pk,
        "email": "alice@example.com",
        "display_name": "Alice",
        "role": "adult",
        "age": 40,
        "time_zone": "Europe/London",
        "time_zone_change": None,
    }


@pytest.mark.django_db
def test_it_answers_me_for_a_headless_app_token(client, tom):
    response = client.post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": tom.email, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["meta"]["session_token"]
    client.logout()
    response = client.get("/api/v1/me", HTTP_X_SESSION_TOKEN=token)
    assert response.status_code == 200
    assert response.json()["role"] == "teen"
    assert client.get("/api/v1/me", HTTP_X_SESSION_TOKEN="not-a-token").status_code == 401


@pytest.mark.django_db
def test_it_answers_401_to_an_anonymous_caller(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response


@pytest.mark.django_db
def test_it_serves_the_schema_and_the_docs(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/me" in json.loads(schema.content)["paths"]
    assert client.get(reverse("api-docs")).status_code == 200


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_names_the_database_when_it_is_unreachable(client, monkeypatch):
    from familypairing import views

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["database"]


@pytest.mark.django_db
def test_healthz_names_the_broker_when_it_is_unreachable(client, settings):
    from familypairing.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


@pytest.mark.django_db
def test_allauths_phone_endpoints_answer_404_not_500(alice_client):
    for client_kind in ("browser", "app"):
        response = alice_client.get(f"/_allauth/{client_kind}/v1/account/phone")
        assert response.status_code == 404
        assert "phone numbers" in response.json()["errors"][0]["message"]
