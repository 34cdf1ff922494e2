"""Linking a device with a code (RFC 8628 semantics): the device asks, a teen or guardian approves
on the site, the device polls and collects its token once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine

from accounts.devices.enrolment import (
    GRANT_TYPE,
    USER_CODE_ALPHABET,
    device_enrolment_start,
    device_enrolments_prune,
    normalize_user_code,
)
from accounts.devices.services import device_for_token, token_hash
from accounts.models import Device, DeviceEnrolment, EnrolmentStatus
from controls.models import AuditEvent, Notification, NotificationKind
from tests.device_support import auth

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)


def start(client, **body):
    body.setdefault("platform", "chromeos")
    return client.post(
        "/api/v1/device/enrolment", json.dumps(body), content_type="application/json"
    )


def poll(client, device_code: str):
    return client.post(
        "/api/v1/device/enrolment/token",
        json.dumps({"grant_type": GRANT_TYPE, "device_code": device_code}),
        content_type="application/json",
    )


def approve(client, code: str, **fields):
    return client.post("/devices/link/", {"code": code, "decision": "approve", **fields})


@pytest.mark.django_db
def test_it_answers_codes_and_stores_only_their_hashes(client):
    response = start(client, suggested_name="School Chromebook")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert body["expires_in"] == 600 and body["interval"] == 5
    assert body["verification_uri"] == "http://testserver/devices/link/"
    assert body["verification_uri_complete"] == (
        f"http://testserver/devices/link/?code={body['user_code']}"
    )
    code = body["user_code"]
    assert len(code) == 9 and code[4] == "-"
    assert all(ch in USER_CODE_ALPHABET for ch in code.replace("-", ""))
    assert len(body["device_code"]) >= 40
    row = DeviceEnrolment.objects.get()
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert body["device_code"] not in stored and code.replace("-", "") not in stored
    assert row.suggested_name == "School Chromebook"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "toaster"}, "platform"),
        ({"platform": "ios", "suggested_name": "x" * 81}, "suggested_name"),
    ],
)
def test_a_bad_request_names_the_field(client, body, field):
    response = client.post(
        "/api/v1/device/enrolment", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not DeviceEnrolment.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_missing_platform(client):
    response = client.post("/api/v1/device/enrolment", "{}", content_type="application/json")
    assert response.status_code == 400 and "platform" in response.json()


@pytest.mark.django_db
def test_the_whole_flow_pending_then_the_token_once(client, tom, alice):
    with time_machine.travel(NOW, tick=False) as clock:
        body = start(client, suggested_name="Chrome").json()
        pending = poll(client, body["device_code"])
        assert pending.status_code == 400
        assert pending.json()["error"] == "authorization_pending"

        client.force_login(tom)
        page = client.get(body["verification_uri_complete"].removeprefix("http://testserver"))
        assert page.status_code == 200
        assert "Chromebook" in page.content.decode() and "Chrome" in page.content.decode()
        response = approve(client, body["user_code"], name="Tom's Chromebook", teen=tom.pk)
        assert response.status_code == 302 and response["Location"] == "/devices/"
        client.logout()

        clock.shift(timedelta(seconds=5))
        answer = poll(client, body["device_code"])
        assert answer.status_code == 200, answer.content
        token = answer.json()["device_token"]
        assert answer.json()["device"]["name"] == "Tom's Chromebook"
        assert answer.json()["device"]["teen"] == tom.pk
        assert answer.json()["removed_url"].startswith("http://testserver/devices/removed/")
        device = device_for_token(token=token)
        assert device is not None and device.teen == tom and device.platform == "chromeos"
        assert Device.objects.get().token_hash == token_hash(token)

        # Handed out once, and the sealed copy is gone.
        clock.shift(timedelta(seconds=5))
        again = poll(client, body["device_code"])
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
        enrolment = DeviceEnrolment.objects.get()
        assert enrolment.status == EnrolmentStatus.COLLECTED and enrolment.sealed == ""

    # The token works on the device API.
    assert client.get("/api/v1/device/policy", **auth(token)).status_code == 200
    # Alice is told, and the link is in the audit trail.
    told = Notification.objects.get(recipient=alice, kind=NotificationKind.DEVICE_LINKED)
    assert "Tom's Chromebook" in told.title
    assert AuditEvent.objects.filter(teen=tom, action="device.linked_by_code").exists()


@pytest.mark.django_db
def test_polling_faster_than_the_interval_answers_slow_down_and_widens_it(client):
    with time_machine.travel(NOW, tick=False) as clock:
        body = start(client).json()
        assert poll(client, body["device_code"]).json()["error"] == "authorization_pending"
        clock.shift(timedelta(seconds=2))
        fast = poll(client, body["device_code"])
        assert fast.status_code == 400 and fast.json()["error"] == "slow_down"
        assert DeviceEnrolment.objects.get().interval == 10
        clock.shift(timedelta(seconds=6))  # 6 s < the new 10 s
        assert poll(client, body["device_code"]).json()["error"] == "slow_down"
        clock.shift(timedelta(seconds=16))
        assert poll(client, body["device_code"]).json()["error"] == "authorization_pending"


@pytest.mark.django_db
def test_a_code_expires_after_ten_minutes(client, tom):
    with time_machine.travel(NOW, tick=False) as clock:
        body = start(client).json()
        clock.shift(timedelta(minutes=10))
        assert poll(client, body["device_code"]).json()["error"] == "expired_token"
        client.force_login(tom)
        response = approve(client, body["user_code"], name="Late", teen=tom.pk)
        assert response.status_code == 400
        assert "No device is waiting with this code" in response.content.decode()
    assert not Device.objects.exists()


@pytest.mark.django_db
def test_expired_codes_lose_their_token_at_once_and_go_a_day_later(client, tom):
    with time_machine.travel(NOW, tick=False) as clock:
        old = start(client).json()
        client.force_login(tom)
        approve(client, old["user_code"], name="Never collected", teen=tom.pk)
        clock.shift(timedelta(minutes=9))
        fresh = start(client).json()
        clock.shift(timedelta(minutes=2))  # the first code has expired, the second has not

        assert device_enrolments_prune() == 0
        sealed = dict(DeviceEnrolment.objects.values_list("user_code_hash", "sealed"))
        assert all(value == "" for value in sealed.values())  # the uncollected token is gone
        assert poll(client, old["device_code"]).json()["error"] == "expired_token"

        clock.shift(timedelta(days=1, minutes=8))  # both a day past their expiry
        assert device_enrolments_prune() == 2
        assert device_enrolments_prune() == 0
        assert poll(client, fresh["device_code"]).json()["error"] == "invalid_grant"


@pytest.mark.django_db
def test_a_denial_answers_access_denied(client, tom):
    body = start(client).json()
    client.force_login(tom)
    response = client.post("/devices/link/", {"code": body["user_code"], "decision": "deny"})
    assert response.status_code == 302
    client.logout()
    assert poll(client, body["device_code"]).json()["error"] == "access_denied"
    assert not Device.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"grant_type": GRANT_TYPE, "device_code": "nope"},
        {"grant_type": "password", "device_code": "nope"},
        {"grant_type": GRANT_TYPE},
    ],
)
def test_unknown_codes_and_bad_requests_get_rfc_errors(client, payload):
    response = client.post(
        "/api/v1/device/enrolment/token", json.dumps(payload), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}
    if "device_code" not in payload or payload["grant_type"] != GRANT_TYPE:
        assert response.json()["error"] == "invalid_request"


@pytest.mark.django_db
def test_the_token_endpoint_takes_a_form_as_the_rfc_posts_it(client):
    body = start(client).json()
    response = client.post(
        "/api/v1/device/enrolment/token",
        urlencode({"grant_type": GRANT_TYPE, "device_code": body["device_code"]}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json()["error"] == "authorization_pending"


@pytest.mark.django_db
def test_a_guardian_picks_which_teen_and_names_the_device(client, alice, tom):
    body = start(client, suggested_name="Laptop").json()
    client.force_login(alice)
    page = client.get(f"/devices/link/?code={body['user_code'].lower()}")
    assert page.status_code == 200 and "Laptop" in page.content.decode()
    response = approve(client, body["user_code"], name="Tom's laptop", teen=tom.pk)
    assert response.status_code == 302 and response["Location"] == f"/teens/{tom.pk}/devices/"
    device = Device.objects.get()
    assert device.teen == tom and device.name == "Tom's laptop" and device.created_by == alice
    # The approving guardian is not told of what she did herself.
    assert not Notification.objects.filter(kind=NotificationKind.DEVICE_LINKED).exists()


@pytest.mark.django_db
def test_a_guardian_cannot_link_a_device_for_a_stranger_teen(client, alice, tina):
    body = start(client).json()
    client.force_login(alice)
    response = approve(client, body["user_code"], name="Sneaky", teen=tina.pk)
    assert response.status_code == 400
    assert "teen" in response.context["form"].errors
    assert not Device.objects.exists()
    assert DeviceEnrolment.objects.get().status == EnrolmentStatus.PENDING


@pytest.mark.django_db
def test_a_name_already_taken_is_a_form_error(client, tom):
    from tests.device_support import register

    register(tom, name="Phone")
    body = start(client).json()
    client.force_login(tom)
    response = approve(client, body["user_code"], name="phone", teen=tom.pk)
    assert response.status_code == 400
    assert "There is already a device called" in response.content.decode()
    assert DeviceEnrolment.objects.get().status == EnrolmentStatus.PENDING


@pytest.mark.django_db
def test_a_malformed_or_empty_code_is_a_form_error_and_not_counted(client, tom):
    client.force_login(tom)
    response = client.post("/devices/link/", {"code": "hello"})
    assert response.status_code == 400 and "8 letters" in response.content.decode()
    assert client.post("/devices/link/", {}).status_code == 400


@pytest.mark.django_db
def test_wrong_codes_are_throttled_per_account(client, tom, settings):
    settings.PAIRING_MAX_FAILURES = 3
    client.force_login(tom)
    for _ in range(3):
        assert client.post("/devices/link/", {"code": "BBBB-BBBB"}).status_code == 400
    body = start(client).json()
    refused = client.post("/devices/link/", {"code": body["user_code"]})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many wrong device codes" in refused.content.decode()


@pytest.mark.django_db
def test_starting_is_limited_per_address(client, monkeypatch):
    from accounts.api import enrolment

    monkeypatch.setattr(enrolment, "STARTS_PER_ADDRESS", 2)
    assert start(client).status_code == 200
    assert start(client).status_code == 200
    refused = start(client)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert DeviceEnrolment.objects.count() == 2


def test_user_codes_are_read_forgivingly():
    assert normalize_user_code(" bcdf-ghjk ") == "BCDFGHJK"
    assert normalize_user_code("BCDF GHJK") == "BCDFGHJK"
    assert normalize_user_code("BCDF-GHJA") is None  # a vowel is never in a code
    assert normalize_user_code("BCDF") is None


@pytest.mark.django_db
def test_two_pending_enrolments_never_share_a_user_code():
    codes = {device_enrolment_start(platform="other").user_code for _ in range(20)}
    assert len(codes) == 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type"), [("\x00", "application/json"), ("x", "text/plain")]
)
def test_an_unreadable_poll_still_gets_an_rfc_error(client, body, content_type):
    response = client.post("/api/v1/device/enrolment/token", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
