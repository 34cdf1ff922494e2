"""Devices: a teen (or their guardian) registers a device and sees its token once; lists,
renames and removes devices, in pages and in the API; guardians see "applied or not"."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.devices.services import MAX_ACTIVE_DEVICES_PER_TEEN, device_for_token
from accounts.models import Device
from controls.effective.selectors import effective_policy_for_teen
from controls.models import AuditEvent, Notification, NotificationKind
from tests.device_support import auth, register

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)


def text(response) -> str:
    """The page as a reader sees it: tags dropped, entities such as &#x27; decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))


@pytest.fixture
def phone(tom):
    return register(tom, name="Tom's phone")


# --- Registering: the token is shown once -------------------------------------------------------


@pytest.mark.django_db
def test_a_teen_registers_a_device_and_sees_its_token_once(tom_client, tom):
    response = tom_client.post("/devices/", {"name": "  Tom's   phone ", "platform": "ios"})
    assert response.status_code == 200
    device = Device.objects.get(teen=tom)
    token = response.context["token"]
    assert token.startswith(device.token_prefix + "_")
    assert token in text(response)
    assert response["Cache-Control"] == "no-store"
    assert (device.name, device.platform, device.created_by) == ("Tom's phone", "ios", tom)
    assert device_for_token(token=token) == device

    listing = text(tom_client.get("/devices/"))
    assert "Tom's phone" in listing
    assert token not in listing
    assert f"{device.token_prefix}…" in listing
    assert AuditEvent.objects.filter(teen=tom, action="device.registered").exists()


@pytest.mark.django_db
def test_a_guardian_registers_a_device_for_their_teen(alice_client, alice, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/devices/", {"name": "School laptop", "platform": "windows"}
    )
    assert response.status_code == 200
    assert "Connect “School laptop”" in text(response)
    device = Device.objects.get(teen=tom)
    assert device.created_by == alice
    assert device_for_token(token=response.context["token"]) == device


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "platform": "ios"}, "name"),
        ({"name": "   ", "platform": "ios"}, "name"),
        ({"name": "x" * 81, "platform": "ios"}, "name"),
        ({"name": "Phone", "platform": "toaster"}, "platform"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(tom_client, tom, data, field):
    response = tom_client.post("/devices/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Device.objects.exists()


@pytest.mark.django_db
def test_two_active_devices_cannot_share_a_name(tom_client, tom, phone):
    response = tom_client.post("/devices/", {"name": "tom's PHONE", "platform": "ios"})
    assert response.status_code == 400
    assert "already a device called" in text(response)
    laptop, _ = register(tom, name="Laptop")
    response = tom_client.post(f"/devices/{laptop.pk}/rename/", {"name": "Tom's phone"})
    assert response.status_code == 400
    assert Device.objects.filter(teen=tom).count() == 2


@pytest.mark.django_db
def test_a_teen_has_at_most_twenty_devices(tom_client, tom):
    for i in range(MAX_ACTIVE_DEVICES_PER_TEEN):
        register(tom, name=f"Device {i}")
    response = tom_client.post("/devices/", {"name": "One more", "platform": "ios"})
    assert response.status_code == 400
    assert "at most 20 devices" in text(response)
    assert Device.objects.filter(teen=tom).count() == MAX_ACTIVE_DEVICES_PER_TEEN


# --- Who may see what ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_strangers_get_404_on_every_device_page(client, bob, tina, tom, phone):
    device, _ = phone
    urls = [
        f"/teens/{tom.pk}/devices/",
        f"/devices/{device.pk}/rename/",
        f"/devices/{device.pk}/remove/",
    ]
    for user in (bob, tina):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
            assert client.post(url, {"name": "Mine now", "platform": "ios"}).status_code == 404
    device.refresh_from_db()
    assert device.name == "Tom's phone" and device.revoked_at is None
    assert not Device.objects.filter(teen=tina).exists()


@pytest.mark.django_db
def test_a_guardian_on_the_teen_page_and_a_teen_on_the_guardian_page_are_sent_home(
    alice_client, alice, tom, client
):
    assert alice_client.get("/devices/").url == reverse("dashboard")
    client.force_login(tom)
    assert client.get(f"/teens/{tom.pk}/devices/").url == reverse("my_devices")


@pytest.mark.django_db
def test_signing_in_is_required(client, tom, phone):
    device, _ = phone
    for url in ["/devices/", f"/teens/{tom.pk}/devices/", f"/devices/{device.pk}/remove/"]:
        assert client.get(url).status_code == 302


# --- Rename and remove ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_renaming_a_device_is_recorded(alice_client, tom, phone):
    device, _ = phone
    page = alice_client.get(f"/devices/{device.pk}/rename/")
    assert page.status_code == 200
    response = alice_client.post(f"/devices/{device.pk}/rename/", {"name": "Old phone"})
    assert response.url == f"/teens/{tom.pk}/devices/"
    device.refresh_from_db()
    assert device.name == "Old phone"
    audit = AuditEvent.objects.get(action="device.renamed")
    assert audit.details["before"] == {"name": "Tom's phone"}
    assert alice_client.post(f"/devices/{device.pk}/rename/", {"name": ""}).status_code == 400


@pytest.mark.django_db
def test_removing_a_device_ends_its_token_at_once(tom_client, client, tom, alice, phone):
    device, token = phone
    assert client.get("/api/v1/device/policy", **auth(token)).status_code == 200
    assert "Remove “Tom's phone”?" in text(tom_client.get(f"/devices/{device.pk}/remove/"))
    response = tom_client.post(f"/devices/{device.pk}/remove/")
    assert response.url == "/devices/"
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert client.get("/api/v1/device/policy", **auth(token)).status_code == 401
    listing = text(tom_client.get("/devices/"))
    assert "Removed “Tom's phone”: its token no longer works." in listing
    assert "Tom's phone" not in text(tom_client.get("/devices/"))  # the message is shown once
    # The teen removed it: every guardian is told.
    notice = alice.notifications.get()
    assert notice.kind == NotificationKind.DEVICE_NOT_APPLIED
    assert notice.title == "Tom removed the device “Tom's phone”"
    assert tom_client.post(f"/devices/{device.pk}/remove/").status_code == 302  # again: fine


@pytest.mark.django_db
def test_a_guardian_removing_a_device_does_not_notify_themself(alice_client, alice, phone):
    device, _ = phone
    alice_client.post(f"/devices/{device.pk}/remove/")
    assert not Notification.objects.exists()
    assert AuditEvent.objects.filter(action="device.revoked").exists()


# --- Applied or not ------------------------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_guardians_see_whether_each_device_applied_the_current_rules(alice_client, tom, phone):
    device, _ = phone
    register(tom, name="Laptop")
    page = text(alice_client.get(f"/teens/{tom.pk}/devices/"))
    assert page.count("Not yet applied") == 2

    version = effective_policy_for_teen(teen=tom).version
    Device.objects.filter(pk=device.pk).update(
        acked_version=version, acked_at=NOW - timedelta(minutes=2), last_seen_at=NOW
    )
    page = text(alice_client.get(f"/teens/{tom.pk}/devices/"))
    assert "✓ Applied 2\xa0minutes ago" in page
    assert page.count("Not yet applied") == 1

    rules = tom.rules
    rules.version += 1
    rules.save()
    page = text(alice_client.get(f"/teens/{tom.pk}/devices/"))
    assert page.count("Not yet applied") == 2
    assert "applied an earlier version" in page


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_devices_panel_shows_on_the_teen_page_and_the_guardian_teen_page(
    tom_client, client, alice, tom, phone
):
    device, _ = phone
    Device.objects.filter(pk=device.pk).update(
        acked_version=effective_policy_for_teen(teen=tom).version, acked_at=NOW, last_seen_at=NOW
    )
    mine = text(tom_client.get(reverse("teen_home")))
    assert "My devices" in mine and "Rules applied on Tom's phone" in mine
    client.force_login(alice)
    theirs = text(client.get(reverse("teen_detail", args=[tom.pk])))
    assert "Tom's devices" in theirs and "Rules applied on Tom's phone" in theirs


@pytest.mark.django_db
def test_an_unlinked_teen_is_told_their_devices_enforce_nothing(client, uma):
    client.force_login(uma)
    assert "don't enforce anything" in text(client.get("/devices/"))


# --- The API -----------------------------------------------------------------------------------


def api_post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


@pytest.mark.django_db
def test_the_api_registers_lists_renames_and_revokes(alice_client, tom):
    response = api_post(
        alice_client, f"/api/v1/teens/{tom.pk}/devices", {"name": "Tablet", "platform": "android"}
    )
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    token = response.json()["token"]
    device_id = response.json()["device"]["id"]
    assert device_for_token(token=token).pk == device_id

    listing = alice_client.get(f"/api/v1/teens/{tom.pk}/devices").json()
    assert [(item["device"]["name"], item["state"]) for item in listing] == [
        ("Tablet", "never_connected")
    ]
    assert "token" not in json.dumps(listing).replace("token_hint", "")

    response = alice_client.patch(
        f"/api/v1/devices/{device_id}",
        data=json.dumps({"name": "Kitchen tablet"}),
        content_type="application/json",
    )
    assert response.json()["name"] == "Kitchen tablet"
    response = alice_client.post(f"/api/v1/devices/{device_id}/revoke")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert device_for_token(token=token) is None


@pytest.mark.django_db
def test_a_teen_manages_their_own_devices_in_the_api(tom_client, tom):
    response = api_post(tom_client, f"/api/v1/teens/{tom.pk}/devices", {"name": "Phone"})
    assert response.status_code == 201
    assert response.json()["device"]["platform"] == "other"


@pytest.mark.django_db
def test_the_api_answers_404_to_strangers_and_400_to_bad_input(
    client, alice_client, bob, tom, phone
):
    device, _ = phone
    assert (
        api_post(alice_client, f"/api/v1/teens/{tom.pk}/devices", {"name": ""}).status_code == 400
    )
    assert (
        api_post(
            alice_client, f"/api/v1/teens/{tom.pk}/devices", {"name": "X", "platform": "toaster"}
        ).status_code
        == 400
    )
    client.force_login(bob)
    assert client.get(f"/api/v1/teens/{tom.pk}/devices").status_code == 404
    assert api_post(client, f"/api/v1/teens/{tom.pk}/devices", {"name": "X"}).status_code == 404
    assert client.get(f"/api/v1/devices/{device.pk}").status_code == 404
    assert client.post(f"/api/v1/devices/{device.pk}/revoke").status_code == 404
    device.refresh_from_db()
    assert device.revoked_at is None
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_the_api_needs_a_signed_in_user(client, tom):
    response = client.get(f"/api/v1/teens/{tom.pk}/devices")
    assert response.status_code == 401


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_panel_reuses_the_pages_policy(rf, alice, tom, phone, django_assert_num_queries):
    from django.template import Context, Template

    template = Template("{% load device_tags %}{% devices_panel teen %}")
    policy = effective_policy_for_teen(teen=tom)
    with django_assert_num_queries(1):  # the devices; the version comes from the page
        html_ = template.render(Context({"teen": tom, "policy": policy, "user": alice}))
    assert "Not yet applied on" in html_
    with django_assert_num_queries(7):  # alone, it computes the policy too (app rules, locks)
        template.render(Context({"teen": tom, "user": alice}))
