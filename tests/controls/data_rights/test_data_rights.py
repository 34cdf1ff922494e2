"""Your data: the export holds the user's data and nobody else's; deleting an account ends
links with notices and leaves no personal data, only an audit trail naming a "deleted user"."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.apps import apps
from django.db import models

from accounts.models import Device, EndReason, GuardianLink, LinkStatus, User
from controls.models import (
    AuditEvent,
    DailyUsage,
    Notification,
    NotificationKind,
    TeenDay,
    TeenRules,
)
from controls.time_requests.grants import day_grant_create
from controls.time_requests.services import time_request_approve, time_request_create
from tests.factories import PASSWORD, UserFactory, link

NOON = datetime(2025, 6, 11, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def family(tom, alice, tina, bob):
    """Tom with usage, a device, a request Alice answered; Tina's family alongside."""
    Device.objects.create(teen=tom, name="Tom's Pixel", token_prefix="abcd", token_hash="s3cr3t")
    for teen, app in ((tom, "Minecraft"), (tina, "Roblox")):
        DailyUsage.objects.create(teen=teen, local_date=date(2025, 6, 11), app=app, seconds=600)
        TeenDay.objects.create(teen=teen, local_date=date(2025, 6, 11), counted_seconds=600)
    time_request = time_request_create(teen=tom, minutes=30, reason="Tom's secret reason")
    time_request_approve(time_request=time_request, guardian=alice, note="Alice's note")
    time_request_create(teen=tina, minutes=15, reason="Tina's reason")
    return tom


def _export(client) -> dict:
    response = client.get("/account/data/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="family-pairing-data')
    return json.loads(response.content)


def test_a_guardians_export_has_their_teens_rules_and_usage_and_nobody_elses(alice_client, family):
    data = _export(alice_client)
    text = json.dumps(data)
    assert data["account"]["email"] == "alice@example.com"
    [teen] = data["teens"]
    assert teen["display_name"] == "Tom"
    assert teen["rules"]["limit_wed"] == 60
    assert teen["usage"]["by_app_and_device"][0]["app"] == "Minecraft"
    assert teen["usage"]["time_requests"][0]["reason"] == "Tom's secret reason"
    assert teen["devices"][0]["name"] == "Tom's Pixel"
    assert data["links"][0] == {**data["links"][0], "my_role": "guardian", "other_person": "Tom"}
    assert any(a["action"] == "time_request.approved" for a in data["my_actions"])
    for stranger in ("Tina", "Roblox", "bob@example.com", "tina@example.com", "tom@example.com"):
        assert stranger not in text
    assert "s3cr3t" not in text and "password" not in text


def test_a_teens_export_has_their_own_data_and_guardians_by_name_only(tom_client, family):
    data = _export(tom_client)
    text = json.dumps(data)
    assert data["account"]["email"] == "tom@example.com"
    assert data["my_rules"]["private_account"] is True
    assert data["my_usage"]["days"][0]["counted_seconds"] == 600
    assert data["my_devices"][0]["name"] == "Tom's Pixel"
    assert data["links"][0]["other_person"] == "Alice"
    assert data["teens"] == []
    assert "alice@example.com" not in text and "Tina" not in text


def test_the_export_is_available_through_the_api(alice_client, family):
    response = alice_client.get("/api/v1/me/export")
    assert response.status_code == 200
    assert response.json()["teens"][0]["display_name"] == "Tom"


def test_the_export_needs_a_signed_in_user(client):
    assert client.get("/account/data/export.json").status_code == 302
    assert client.get("/api/v1/me/export").status_code in (401, 403)


def test_the_data_page_offers_download_and_deletion(alice_client):
    content = alice_client.get("/account/data/").content.decode()
    assert 'href="/account/data/export.json"' in content
    assert 'href="/account/delete/"' in content


# --- deletion --------------------------------------------------------------------------------


def _all_stored_text() -> str:
    """Every value of every row in every table, as one string to search."""
    chunks = []
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields]
        for row in model._default_manager.all().values_list(*fields):
            chunks.append(json.dumps(row, default=str))
    return "\n".join(chunks)


def test_deleting_a_guardian_ends_links_with_notices_and_keeps_an_anonymous_trail(
    client, family, alice, tom
):
    dan = UserFactory(email="dan@example.com", display_name="Dan")
    link(dan, tom)
    day_grant_create(guardian=alice, teen=tom, bonus_minutes=10)
    client.force_login(alice)

    response = client.post("/account/delete/", {"password": PASSWORD, "confirm": "yes"})

    assert response.status_code == 302 and response.url == "/"
    assert not User.objects.filter(email="alice@example.com").exists()
    assert client.get("/dashboard/").status_code == 302  # signed out
    assert Notification.objects.get(recipient=tom, kind=NotificationKind.LINK_ENDED).title == (
        "A guardian deleted their account"
    )
    assert Notification.objects.get(recipient=dan, kind=NotificationKind.LINK_ENDED).title == (
        "Another guardian of Tom deleted their account"
    )
    ended = AuditEvent.objects.get(action="link.ended")
    assert ended.actor_label == "deleted user"
    assert ended.details["after"]["reason"] == EndReason.ACCOUNT_DELETED
    approved = AuditEvent.objects.get(action="time_request.approved")
    assert approved.actor is None and approved.actor_label == "deleted user"
    assert approved.summary.startswith("deleted user approved Tom's request")
    # Tom keeps his account and rules; Dan keeps his link.
    assert TeenRules.objects.filter(teen=tom).exists()
    assert GuardianLink.objects.get(parent=dan).status == LinkStatus.ACTIVE
    stored = _all_stored_text()
    for personal in ("alice@example.com", "Alice"):
        assert personal not in stored


def test_deleting_a_teen_removes_their_data_and_tells_their_guardians(client, family, tom, alice):
    client.force_login(tom)
    client.post("/account/delete/", {"password": PASSWORD, "confirm": "yes"})

    assert not User.objects.filter(email="tom@example.com").exists()
    assert not DailyUsage.objects.filter(app="Minecraft").exists()
    assert not Device.objects.filter(name="Tom's Pixel").exists()
    notice = Notification.objects.get(recipient=alice, kind=NotificationKind.LINK_ENDED)
    assert notice.title == "A teen you supervised deleted their account"
    created = AuditEvent.objects.get(action="time_request.created", teen__isnull=True)
    assert created.teen is None and created.actor_label == "deleted user"
    assert "reason" not in json.dumps(created.details).replace('"reason": ""', "")
    stored = _all_stored_text()
    for personal in ("tom@example.com", "Tom's secret reason", "Tom's Pixel", "Tom"):
        assert personal not in stored
    # Others' data stays.
    assert DailyUsage.objects.filter(app="Roblox").exists()
    assert "Tina's reason" in stored


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"password": "wrong", "confirm": "yes"}, "That password is not right."),
        ({"password": PASSWORD}, "Tick the box to confirm"),
    ],
)
def test_deletion_needs_the_password_and_a_confirmation(alice_client, alice, data, field):
    response = alice_client.post("/account/delete/", data)
    assert response.status_code == 400
    assert field in response.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()


def test_deletion_through_the_api(client, alice, tom):
    client.force_login(alice)
    bad = client.post(
        "/api/v1/me/delete",
        {"password": PASSWORD, "confirm": False},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "confirm" in bad.json()
    response = client.post(
        "/api/v1/me/delete",
        {"password": PASSWORD, "confirm": True},
        content_type="application/json",
    )
    assert response.status_code == 204
    assert not User.objects.filter(pk=alice.pk).exists()
    assert GuardianLink.objects.filter(teen=tom).count() == 0


def test_no_model_keeps_a_column_that_names_a_deleted_user_by_accident():
    """Guard for new models: every foreign key to a user must either cascade or be nulled, so
    deletion can never leave a row pointing at (or blocking on) a deleted account."""
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is User:
                assert field.remote_field.on_delete in (models.CASCADE, models.SET_NULL), (
                    f"{model.__name__}.{field.name}"
                )


def test_a_new_guardian_waiting_for_the_deleted_guardians_approval_is_turned_down(alice, tom, carl):
    from controls.data_rights.services import account_delete

    waiting = GuardianLink.objects.create(parent=carl, teen=tom, status=LinkStatus.PENDING_APPROVAL)
    account_delete(user=alice)
    waiting.refresh_from_db()
    assert waiting.status == LinkStatus.REFUSED
    assert Notification.objects.filter(recipient=carl, kind=NotificationKind.LINK_REFUSED).exists()
