"""Heartbeats and tamper signals, and the uninstall address: what a device says about itself,
what guardians are told (once), and what the devices panel shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.devices.removal import removed_secret_for_token
from accounts.models import Device
from controls.effective.selectors import effective_policy_for_teen
from controls.models import AuditEvent, Notification, NotificationKind
from familypairing.logredact import redact
from tests.device_support import auth, register

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)
HEARTBEAT = "/api/v1/device/heartbeat"


def beat(client, token, **body):
    return client.post(HEARTBEAT, json.dumps(body), content_type="application/json", **auth(token))


@pytest.fixture
def phone(tom):
    return register(tom, name="Tom's Chrome")


def tamper_notices(user):
    return Notification.objects.filter(recipient=user, kind=NotificationKind.DEVICE_TAMPER)


@pytest.mark.django_db
def test_it_stores_the_heartbeat_and_answers_time_skew_and_the_uninstall_address(
    client, tom, phone
):
    device, token = phone
    with time_machine.travel(NOW, tick=False):
        version = effective_policy_for_teen(teen=tom).version
        response = beat(
            client,
            token,
            applied_version=f'"{version}"',
            client_version="1.2.0",
            install_type="admin",
            may_disable=False,
            incognito_allowed=True,
            device_time=(NOW + timedelta(seconds=42)).isoformat(),
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["server_time"] == "2026-07-15T11:00:00Z"
    assert body["clock_skew_seconds"] == 42
    assert body["applied_current"] is True and body["current_version"] == version
    assert body["tamper_signals"] == []
    assert body["removed_url"] == (
        f"http://testserver/devices/removed/{removed_secret_for_token(token)}"
    )
    device.refresh_from_db()
    assert device.heartbeat_at == NOW and device.client_version == "1.2.0"
    assert device.install_type == "admin" and device.may_disable is False
    assert device.incognito_allowed is True and device.clock_skew_seconds == 42
    assert device.acked_version == version


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"install_type": "pirate"}, "install_type"),
        ({"may_disable": "maybe"}, "may_disable"),
        ({"device_time": "yesterday"}, "device_time"),
        ({"applied_version": "not-a-version!"}, "applied_version"),
        ({"client_version": "x" * 41}, "client_version"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, phone, body, field):
    response = beat(client, phone[1], **body)
    assert response.status_code == 400
    assert field in response.json()
    phone[0].refresh_from_db()
    assert phone[0].heartbeat_at is None


@pytest.mark.django_db
def test_only_devices_send_heartbeats(client, tom_client, phone):
    assert client.post(HEARTBEAT, "{}", content_type="application/json").status_code == 401
    assert tom_client.post(HEARTBEAT, "{}", content_type="application/json").status_code == 401


@pytest.mark.django_db
def test_guardians_are_told_once_when_a_device_becomes_tamper_prone(client, alice, tom, phone):
    _device, token = phone
    beat(client, token, install_type="admin", may_disable=False, incognito_allowed=True)
    assert not tamper_notices(alice).exists()

    response = beat(client, token, install_type="normal", may_disable=True, incognito_allowed=True)
    assert response.json()["tamper_signals"] == ["may_disable"]
    beat(client, token, install_type="normal", may_disable=True, incognito_allowed=True)
    (notice,) = tamper_notices(alice)
    assert "can be switched off" in notice.body

    # A new signal is told; the one already told is not told again.
    beat(client, token, install_type="normal", may_disable=True, incognito_allowed=False)
    assert tamper_notices(alice).count() == 2
    assert "private" in tamper_notices(alice).latest("id").body
    assert "switched off" not in tamper_notices(alice).latest("id").body
    assert AuditEvent.objects.filter(teen=tom, action="device.tamper_signal").count() == 2

    # Gone, then back: told again.
    beat(client, token, install_type="admin", may_disable=False, incognito_allowed=True)
    beat(client, token, install_type="admin", may_disable=True, incognito_allowed=True)
    assert tamper_notices(alice).count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(("skew", "told"), [(299, False), (-299, False), (301, True), (-600, True)])
def test_a_clock_more_than_five_minutes_off_is_a_tamper_signal(client, alice, phone, skew, told):
    with time_machine.travel(NOW, tick=False):
        response = beat(client, phone[1], device_time=(NOW + timedelta(seconds=skew)).isoformat())
    assert ("clock_skew" in response.json()["tamper_signals"]) is told
    assert tamper_notices(alice).exists() is told


@pytest.mark.django_db
def test_developer_installs_are_a_tamper_signal(client, alice, phone):
    response = beat(client, phone[1], install_type="development")
    assert response.json()["tamper_signals"] == ["developer_install"]
    assert "outside the store" in tamper_notices(alice).get().body


@pytest.mark.django_db
def test_the_devices_panel_shows_the_heartbeat_in_plain_words(client, alice_client, tom, phone):
    _device, token = phone
    with time_machine.travel(NOW, tick=False):
        beat(
            client,
            token,
            install_type="normal",
            may_disable=True,
            incognito_allowed=False,
            client_version="1.2.0",
            device_time=(NOW - timedelta(minutes=7)).isoformat(),
        )
    page = alice_client.get(f"/teens/{tom.pk}/devices/").content.decode()
    assert "Installed from the store" in page
    assert "can be switched off on the device" in page
    assert "does not run in private windows" in page
    assert "7 min behind" in page and "more than 5 minutes off" in page
    assert "app 1.2.0" in page
    assert "not yet applied" in page  # no version acknowledged


# --- The uninstall address ------------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_the_uninstall_address_marks_the_device_removed_and_tells_guardians_once(
    client, alice, tom, phone
):
    device, token = phone
    path = f"/devices/removed/{removed_secret_for_token(token)}"
    response = client.get(path)
    assert response.status_code == 200
    assert "The family's guardians have been told" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    device.refresh_from_db()
    assert device.removed_at is not None
    (notice,) = tamper_notices(alice)
    assert "removed" in notice.title and "Tom's Chrome" in notice.title
    assert client.get(path).status_code == 200
    assert tamper_notices(alice).count() == 1
    assert AuditEvent.objects.filter(teen=tom, action="device.client_removed").count() == 1

    client.force_login(alice)
    page = client.get(f"/teens/{tom.pk}/devices/").content.decode()
    assert "Removed from the device" in page


@pytest.mark.django_db
def test_an_unknown_uninstall_secret_is_a_404_and_changes_nothing(client, phone):
    assert client.get("/devices/removed/not-the-secret").status_code == 404
    assert client.post(f"/devices/removed/{removed_secret_for_token(phone[1])}").status_code == 405
    assert Device.objects.get().removed_at is None


@pytest.mark.django_db
def test_the_secret_is_stored_only_hashed_and_kept_out_of_logs(phone):
    device, token = phone
    secret = removed_secret_for_token(token)
    assert device.removed_secret_hash and secret not in device.removed_secret_hash
    assert redact(f"GET /devices/removed/{secret} HTTP/1.1") == (
        "GET /devices/removed/[redacted] HTTP/1.1"
    )
    assert redact("GET /devices/link/?code=BCDF-GHJK") == "GET /devices/link/?code=[redacted]"


@pytest.mark.django_db
def test_a_device_registered_before_the_address_existed_gets_it_at_its_first_heartbeat(
    client, phone
):
    device, token = phone
    Device.objects.filter(pk=device.pk).update(removed_secret_hash="")
    response = beat(client, token)
    secret = response.json()["removed_url"].rsplit("/", 1)[1]
    assert client.get(f"/devices/removed/{secret}").status_code == 200
