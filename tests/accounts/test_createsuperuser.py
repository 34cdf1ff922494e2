"""`createsuperuser --noinput` for a deployment script: an e-mail (and a password from the
environment) is all it needs."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_creates_an_operator_from_an_email_alone(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long operator passphrase")
    call_command("createsuperuser", "--noinput", "--email", "Ops.Team@Example.com", verbosity=0)
    user = User.objects.get(email="ops.team@example.com")
    assert user.is_superuser and user.is_staff
    assert user.display_name == "Ops.Team"
    assert user.check_password("a long operator passphrase")


def test_a_display_name_given_in_code_is_kept():
    user = User.objects.create_superuser(
        "root@example.com", "a long operator passphrase", display_name="Root"
    )
    assert user.display_name == "Root" and user.is_superuser
