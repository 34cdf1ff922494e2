"""Cookies in production: the session cookie is Secure and HttpOnly, the CSRF cookie Secure.

The values are read from the real settings module started with production variables in a
subprocess (tests themselves run with TESTING on, which relaxes them), then applied to a real
sign-in over HTTPS so the Set-Cookie headers themselves are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "pV8-mQ2x_Lr7Tn3Wc9Hj5Bd0Fs4Ga1Ue6Xo_iRlMqVwYtKzNpAeCbDfGhJsQw"
NAMES = (
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "X_FRAME_OPTIONS",
    "ACCOUNT_DEFAULT_HTTP_PROTOCOL",
)


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "TESTING"}}
    env.update(
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="family.example.org",
        CSRF_TRUSTED_ORIGINS="https://family.example.org",
        VAR_DIR=str(tmp_path_factory.mktemp("var")),
    )
    for name in NAMES:  # nothing inherited may loosen what production decides
        env.pop(name, None)
    script = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {NAMES!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_protect_cookies_and_transport(production):
    assert production["DEBUG"] is False
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert production["X_FRAME_OPTIONS"] == "DENY"
    assert production["ACCOUNT_DEFAULT_HTTP_PROTOCOL"] == "https"  # links in e-mails


@pytest.mark.django_db
def test_a_real_sign_in_sets_secure_cookies_in_production(client, settings, production, alice):
    for name in ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE"):
        setattr(settings, name, production[name])
    settings.SESSION_COOKIE_SAMESITE = production["SESSION_COOKIE_SAMESITE"]
    page = client.get(reverse("account_login"), secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] is True

    response = client.post(
        reverse("account_login"),
        {"login": alice.email, "password": PASSWORD},
        secure=True,
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == production["SESSION_COOKIE_SAMESITE"]
    assert "Secure" in session.output() and "HttpOnly" in session.output()
