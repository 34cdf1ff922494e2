"""No secret, code or token is ever written to the logs.

Every log record (all loggers at DEBUG, SQL statements with their parameters included) is
captured while a parent and two teens pair by code and by QR link (pages and API, with wrong
codes, a used link and an adult opening a live link on the way), and while a teen and a guardian
register devices that then call the API; the records are then searched for every pairing code
(raw and grouped), QR token and device token (and its secret part) that was handed out.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import PairingInvitation
from tests.access.cast import app_token

DEVICE_TOKEN = re.compile(r"fpd_[a-z0-9]{8}_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def all_logs(caplog, settings):
    """Every record from every logger at DEBUG, SQL included (Django logs SQL with its
    parameters only through a debug cursor)."""
    caplog.set_level(logging.DEBUG)
    for name in ("django.request", "django.db.backends", "django.server", "celery", "allauth"):
        caplog.set_level(logging.DEBUG, logger=name)
    previous = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = previous


def _record_texts(caplog) -> list[str]:
    """What a log handler writes for each record: the project's own format (message and any
    traceback), plus the raw arguments a structured handler would ship."""
    from django.conf import settings

    formatter = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    texts = []
    for record in caplog.records:
        texts.append(formatter.format(record))
        texts.append(repr(record.args))
    return texts


def _assert_not_logged(caplog, secrets: dict[str, str]) -> None:
    assert caplog.records, "nothing was captured: the test would prove nothing"
    texts = _record_texts(caplog)
    leaks = sorted(
        f"{name} ({value[:12]}…)"
        for name, value in secrets.items()
        if value and any(value in text for text in texts)
    )
    assert not leaks, f"written to the logs: {', '.join(leaks)}"


def _browser(user=None, address: str = "203.0.113.20") -> Client:
    client = Client(REMOTE_ADDR=address)
    if user is not None:
        client.force_login(user)
    return client


def _latest_secrets(parent):
    from accounts.pairing.services import pairing_invitation_secrets

    invitation = PairingInvitation.objects.filter(parent=parent).latest("id")
    return invitation, pairing_invitation_secrets(invitation=invitation)


@pytest.mark.django_db(transaction=True)  # on-commit work (notifications, e-mails) runs too
def test_pairing_writes_no_code_or_token_to_the_logs(all_logs, alice, carl, uma):
    from tests.factories import TeenFactory

    secrets: dict[str, str] = {}
    parent = _browser(alice)

    # By code, through the pages, after two wrong guesses.
    assert parent.post(reverse("pairing_start")).status_code == 302
    invitation, first = _latest_secrets(alice)
    secrets.update(code=first.code, code_grouped=first.code_display, token=first.token)
    teen = _browser(uma)
    for wrong in ("ZZZZ-ZZZZ", "abcd efgh"):
        teen.post(reverse("pair_enter_code"), {"code": wrong})
    response = teen.post(reverse("pair_enter_code"), {"code": first.code_display.lower()})
    assert response.status_code == 302
    response = teen.post(reverse("pair_confirm", args=[invitation.pk]), {"answer": "accept"})
    assert response.status_code == 302
    assert parent.get(reverse("pairing_invitation", args=[invitation.pk])).status_code == 200
    # The used QR link, opened afterwards.
    teen.get(reverse("pair_by_token", args=[first.token]))

    # By QR link, after an adult opened the live link by mistake.
    parent.post(reverse("pairing_start"))
    invitation, second = _latest_secrets(alice)
    secrets.update(code2=second.code, code2_grouped=second.code_display, token2=second.token)
    _browser(carl).get(reverse("pair_by_token", args=[second.token]))
    second_teen = TeenFactory(email="sam@example.com")
    other = _browser(second_teen, "198.51.100.30")
    assert other.get(reverse("pair_by_token", args=[second.token])).status_code == 302
    other.post(reverse("pair_confirm", args=[invitation.pk]), {"answer": "accept"})

    # Through the API with an app token: create, look up, decline.
    api = Client(HTTP_X_SESSION_TOKEN=app_token(alice))
    created = api.post("/api/v1/pairing/invitations", content_type="application/json").json()
    third = {k: v for k, v in created.items() if k in ("code", "token")}
    secrets.update({f"api_{k}": str(v) for k, v in third.items()})
    third_teen = TeenFactory(email="kim@example.com")
    teen_api = Client(HTTP_X_SESSION_TOKEN=app_token(third_teen))
    for body in ({"code": "ZZZZZZZZ"}, third, third):
        teen_api.post("/api/v1/pairing/lookup", json.dumps(body), content_type="application/json")
    teen_api.post("/api/v1/pairing/decline", json.dumps(third), content_type="application/json")
    assert any(k.startswith("api_") for k in secrets), created

    _assert_not_logged(all_logs, secrets)


@pytest.mark.django_db(transaction=True)
def test_device_registration_writes_no_token_to_the_logs(all_logs, alice, tom):
    secrets: dict[str, str] = {}

    # The teen registers a phone on the devices page; the token is shown once, on the page.
    page = _browser(tom).post(reverse("my_devices"), {"name": "Tom's phone", "platform": "ios"})
    assert page.status_code == 200
    token = DEVICE_TOKEN.search(page.content.decode()).group(0)
    secrets.update(page_token=token, page_secret=token.split("_", 2)[2])

    # A guardian registers a laptop through the API.
    api = Client(HTTP_X_SESSION_TOKEN=app_token(alice))
    response = api.post(
        f"/api/v1/teens/{tom.pk}/devices",
        json.dumps({"name": "Laptop", "platform": "windows"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    api_token = DEVICE_TOKEN.search(response.content.decode()).group(0)
    secrets.update(api_token=api_token, api_secret=api_token.split("_", 2)[2])

    # Both devices talk to the API; one with a mistyped token, one after it was revoked.
    for used in (token, api_token, token[:-2] + "xx"):
        device = Client(HTTP_AUTHORIZATION=f"Bearer {used}")
        device.get("/api/v1/device/policy")
        device.post("/api/v1/device/policy/ack", json.dumps({"version": "x"}), "application/json")
    device_id = response.json()["device"]["id"]
    api.post(f"/api/v1/devices/{device_id}/revoke", content_type="application/json")
    Client(HTTP_AUTHORIZATION=f"Bearer {api_token}").get("/api/v1/device/policy")

    _assert_not_logged(all_logs, secrets)


def test_the_log_filter_redacts_secrets_in_request_lines_and_paths():
    """What runserver and Django's request logger write, through the project's logging setup."""
    from django.conf import settings

    from familypairing.logredact import RedactSecretPaths, redact

    configured = settings.LOGGING["filters"]["redact_secret_paths"]["()"]
    assert configured == "familypairing.logredact.RedactSecretPaths"
    for name in ("django.request", "django.server"):
        assert "redact_secret_paths" in settings.LOGGING["loggers"][name]["filters"]
        logger = logging.getLogger(name)
        assert logger.handlers or logger.propagate, f"{name} would write nothing at all"
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        ("GET /pair/s3cr3t-T0ken_x?utm=1 HTTP/1.1", "302", "0"), None,
    )  # fmt: skip
    RedactSecretPaths().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert redact("Forbidden: /requests/email/eyJy.abc:1x/") == (
        "Forbidden: /requests/email/[redacted]/"
    )
    assert redact("Bad Request: /pair/") == "Bad Request: /pair/"
    assert redact("Bad Request: /pair/confirm/12/") == "Bad Request: /pair/confirm/12/"


def test_the_log_filter_redacts_allauths_keys_in_paths():
    from familypairing.logredact import redact

    assert redact('"GET /accounts/confirm-email/MQ:1tXy:abc-_d/ HTTP/1.1" 302') == (
        '"GET /accounts/confirm-email/[redacted]/ HTTP/1.1" 302'
    )
    assert redact("GET /accounts/password/reset/key/1-c8x-3f2a9/") == (
        "GET /accounts/password/reset/key/[redacted]/"
    )
    # The secret-free pages after the redirect stay readable.
    assert redact("GET /accounts/confirm-email/") == "GET /accounts/confirm-email/"
    assert redact("GET /requests/email/confirm/12/") == "GET /requests/email/confirm/12/"


def test_gunicorns_access_log_writes_neither_query_strings_nor_path_secrets(capsys):
    """The production access log (familypairing.gunicorn_conf): a token in the path of a link's
    first request is redacted, a query string is never written."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from familypairing import gunicorn_conf

    config = Config()
    config.set("accesslog", gunicorn_conf.accesslog)
    config.set("access_log_format", gunicorn_conf.access_log_format)
    config.set("logger_class", gunicorn_conf.logger_class)
    logger = config.logger_class(config)
    assert isinstance(logger, gunicorn_conf.RedactingLogger)
    for path, query in [
        ("/requests/email/eyJyIjo1fQ:1tXy:s3cr3t/", ""),
        ("/accounts/confirm-email/MQ:1tXy:s3cr3t/", ""),
        ("/pair/s3cr3t-T0ken", ""),
        ("/dashboard/", "token=s3cr3t"),
    ]:
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"{path}?{query}" if query else path,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "203.0.113.9",
            "HTTP_REFERER": f"https://family.example.org{path}",
            "HTTP_USER_AGENT": "test",
        }
        response = SimpleNamespace(status="302 Found", sent=0, headers=[])
        request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
        logger.access(response, request, environ, timedelta(milliseconds=3))
    written = capsys.readouterr()
    lines = (written.out + written.err).strip().splitlines()
    assert len(lines) == 4
    assert all("s3cr3t" not in line for line in lines), lines
    assert '"GET /requests/email/[redacted]/ HTTP/1.1" 302' in lines[0]
    assert '"GET /dashboard/ HTTP/1.1" 302' in lines[3]
