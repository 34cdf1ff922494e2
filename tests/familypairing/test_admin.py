"""Operators can open every admin list we register, with search and filters."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory


@pytest.fixture
def operator_client(client, db):
    operator = UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    client.force_login(operator)
    return client


@pytest.mark.django_db
def test_it_opens_every_admin_changelist(operator_client, tom):
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = operator_client.get(url, {"q": "tom"})
        assert response.status_code == 200, url


@pytest.mark.django_db
def test_it_filters_users_by_role(operator_client, tom, alice):
    response = operator_client.get(reverse("admin:accounts_user_changelist"), {"role": "teen"})
    body = response.content.decode()
    assert "tom@example.com" in body
    assert "alice@example.com" not in body


@pytest.mark.django_db
def test_the_audit_trail_is_read_only(operator_client, tom, alice):
    from controls.audit import audit_record

    event = audit_record(actor=alice, teen=tom, action="test.action", summary="Changed something")
    url = reverse("admin:controls_auditevent_change", args=[event.pk])
    assert operator_client.get(url).status_code == 200
    operator_client.post(url, {"summary": "rewritten"})
    event.refresh_from_db()
    assert event.summary == "Changed something"
    assert operator_client.get(reverse("admin:controls_auditevent_add")).status_code == 403
