from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from familypairing.env import database_from_url, email_from_url, envbool, envint, envlist, redis_url


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_it_rejects_a_malformed_boolean(monkeypatch, raw):
    monkeypatch.setenv("X_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        envbool("X_FLAG", False)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("0", False)]
)
def test_it_reads_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert envbool("X_FLAG", not expected) is expected


def test_it_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_FLAG", raising=False)
    assert envbool("X_FLAG", True) is True
    assert envint("X_INT", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "1.5", "0x10"])
def test_it_rejects_a_malformed_integer(monkeypatch, raw):
    monkeypatch.setenv("X_INT", raw)
    with pytest.raises(ImproperlyConfigured, match="X_INT must be an integer"):
        envint("X_INT", 1)


def test_it_rejects_an_integer_below_the_minimum(monkeypatch):
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        envint("X_INT", 5, minimum=1)


def test_it_splits_lists(monkeypatch):
    monkeypatch.setenv("X_LIST", " a.example , b.example,,")
    assert envlist("X_LIST") == ["a.example", "b.example"]


def test_it_parses_a_postgres_url():
    db = database_from_url("postgres://fp:s%40cret@db.internal:6543/family?sslmode=require")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "fp",
        "s@cret",
        "db.internal",
        "6543",
        "family",
    )
    assert db["CONN_MAX_AGE"] == 600
    assert db["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x@y/z",
        "postgres://x@y:notaport/z",
        "postgres://x@y/",
        "sqlite://",
        "postgres://h/db?conn_max_age=x",
    ],
)
def test_it_rejects_a_malformed_database_url(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url)


def test_it_parses_a_sqlite_url():
    assert database_from_url("sqlite:///var/test.sqlite3")["NAME"] == "var/test.sqlite3"


@pytest.mark.parametrize("raw", ["localhost:6379", "http://redis:6379", "redis://"])
def test_it_rejects_a_malformed_redis_url(monkeypatch, raw):
    monkeypatch.setenv("X_REDIS", raw)
    with pytest.raises(ImproperlyConfigured, match="X_REDIS"):
        redis_url("X_REDIS")


def test_it_parses_an_smtp_url():
    cfg = email_from_url("smtp://mailer:pw@smtp.example.com:2525")
    assert cfg["EMAIL_HOST"] == "smtp.example.com"
    assert cfg["EMAIL_PORT"] == 2525
    assert cfg["EMAIL_USE_TLS"] is True


@pytest.mark.parametrize("url", ["smtp://", "ftp://x", "smtp://h:port"])
def test_it_rejects_a_malformed_email_url(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_from_url(url)
