"""Outages don't look like bugs (issue 11, item 7): with the database, the cache or the broker
unreachable, the JSON APIs answer a JSON 503 with Retry-After; anything else unexpected is a
JSON 500 that says nothing about the error. Pages keep their HTML error page."""

from __future__ import annotations

import json

import kombu.exceptions
import pytest
import redis.exceptions
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

from tests.device_support import auth, register

SECRET_DETAIL = "password=hunter2 at /srv/app/secret.py line 7"


@pytest.fixture
def quiet_client():
    """A client that gets the answer of an exception raised outside a view (a middleware, such
    as the session's, meeting the same dead database) instead of the exception itself."""
    return Client(raise_request_exception=False)


def _broken_cursor(exc: Exception):
    def cursor(*args, **kwargs):
        raise exc

    return cursor


def _assert_503(response, *, allauth: bool = False) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    body = response.json()
    if allauth:
        assert body["status"] == 503
        assert "try again later" in body["errors"][0]["message"]
    else:
        assert "try again later" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "exc", [OperationalError("connection refused"), InterfaceError("connection already closed")]
)
def test_the_api_answers_503_when_the_database_is_down(quiet_client, alice, monkeypatch, exc):
    quiet_client.force_login(alice)
    monkeypatch.setattr(connection, "cursor", _broken_cursor(exc))
    _assert_503(quiet_client.get("/api/v1/me"))


@pytest.mark.django_db
def test_the_device_api_answers_503_when_the_database_is_down(quiet_client, tom, monkeypatch):
    client = quiet_client
    from django.core.cache import cache

    _, token = register(tom)
    cache.clear()  # the device lookup must go to the database
    monkeypatch.setattr(connection, "cursor", _broken_cursor(OperationalError("gone")))
    _assert_503(client.get("/api/v1/device/policy", **auth(token)))
    _assert_503(
        client.post(
            "/api/v1/device/usage",
            data=json.dumps({"events": []}),
            content_type="application/json",
            **auth(token),
        )
    )


@pytest.mark.django_db
def test_allauths_headless_api_answers_503_in_its_own_shape(quiet_client, alice, monkeypatch):
    client = quiet_client
    monkeypatch.setattr(connection, "cursor", _broken_cursor(OperationalError("gone")))
    response = client.post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": alice.email, "password": "whatever"}),
        content_type="application/json",
    )
    _assert_503(response, allauth=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "exc",
    [
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379."),
    ],
)
def test_redis_or_the_broker_unreachable_is_a_503(client, tom, monkeypatch, exc):
    from accounts.devices import services as devices

    _, token = register(tom)

    def unreachable(*args, **kwargs):
        raise exc

    # What a cache backend that is not fail-soft (or a direct Redis client) would raise.
    monkeypatch.setattr(devices.cache, "get", unreachable)
    monkeypatch.setattr(devices.cache, "get_many", unreachable)
    _assert_503(client.get("/api/v1/device/policy", **auth(token)))


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_without_its_detail(alice_client, monkeypatch, caplog):
    from accounts.api import views

    def bug(*args, **kwargs):
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(views.MeView, "get", bug)
    response = alice_client.get("/api/v1/me")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "Retry-After" not in response
    text = response.content.decode()
    assert response.json() == {"detail": "Something went wrong on our side; it has been logged."}
    for leak in ("hunter2", "RuntimeError", "Traceback", "<html", "Server Error"):
        assert leak not in text
    # The operator still gets the traceback, in the log.
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


@pytest.mark.django_db
def test_an_unexpected_error_in_a_non_drf_api_view_is_a_json_500(client, tom, monkeypatch):
    from controls.api import device

    _, token = register(tom)

    def bug(*args, **kwargs):
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(device, "policy_entry_for_teen", bug)
    response = client.get("/api/v1/device/policy", **auth(token))
    assert response.status_code == 500
    assert response.json()["detail"].startswith("Something went wrong")
    assert "hunter2" not in response.content.decode()


@pytest.mark.django_db
def test_an_error_outside_any_view_is_json_too(tom, monkeypatch):
    """A middleware failing: Django's last resort (handler500) answers JSON for the APIs."""
    from familypairing import usersessions

    def down(*args, **kwargs):
        raise OperationalError("gone")

    monkeypatch.setattr(usersessions.MinuteUserSessionsMiddleware, "__call__", down)
    client = Client(raise_request_exception=False)
    client.force_login(tom)
    response = client.get("/api/v1/me")
    _assert_503(response)
    page = client.get("/me/")
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_pages_keep_the_html_error_page(alice, monkeypatch):
    from controls.pages import views

    def bug(*args, **kwargs):
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(views, "render", bug)
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/dashboard/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_the_schema_documents_500_and_503_with_retry_after_on_every_operation(client):
    schema = client.get("/api/schema/?format=json").json()
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) > 20
    for path, method, operation in operations:
        responses = operation["responses"]
        assert "500" in responses, (path, method)
        assert "Retry-After" in responses["503"]["headers"], (path, method)
        ref = responses["503"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/ServerError"
    assert schema["components"]["schemas"]["ServerError"]["required"] == ["detail"]
