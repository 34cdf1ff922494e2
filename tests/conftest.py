"""The cast, after healthchecks' alice/bob/charlie:

- alice: a parent (40), guardian of tom
- tom: alice's teen (15)
- bob: a stranger parent, guardian of tina
- tina: bob's teen (16)
- uma: a teen with no guardian
- carl: an adult with no teen
"""

from __future__ import annotations

import pytest

from tests.factories import TeenFactory, UserFactory, birth_date_for_age, link


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    from django.core.cache import cache

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _extension_signing_key(tmp_path_factory):
    """The browser extension's signing key in a temporary folder (made on first use), never in
    the work tree's var/."""
    from django.conf import settings

    settings.EXTENSION_SIGNING_KEY_FILE = tmp_path_factory.mktemp("extension") / "key.pem"


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in-process in tests, also when REDIS_URL is set (CI's second pass), so a test
    sees the outcome of what it enqueued. Tests marked `celeryworker` talk to a real worker on
    Redis instead."""
    from familypairing.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = request.node.get_closest_marker("celeryworker") is None
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", display_name="Alice")


@pytest.fixture
def tom(db, alice):
    teen = TeenFactory(email="tom@example.com", display_name="Tom")
    link(alice, teen)
    return teen


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.com", display_name="Bob", time_zone="America/New_York")


@pytest.fixture
def tina(db, bob):
    teen = TeenFactory(
        email="tina@example.com",
        display_name="Tina",
        birth_date=birth_date_for_age(16),
        time_zone="America/New_York",
    )
    link(bob, teen)
    return teen


@pytest.fixture
def uma(db):
    return TeenFactory(email="uma@example.com", display_name="Uma")


@pytest.fixture
def carl(db):
    return UserFactory(email="carl@example.com", display_name="Carl")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def tom_client(client, tom):
    client.force_login(tom)
    return client
