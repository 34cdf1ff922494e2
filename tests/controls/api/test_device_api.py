"""The device API: bearer tokens, the policy with its ETag, acknowledgements, the time-request
and blocklist endpoints, isolation between teens, and the query counts of the hot paths."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from accounts.devices.services import device_revoke
from accounts.models import Device, GuardianLink, LinkStatus
from controls.models import DailyUsage, TeenDay, TimeRequest, UsageEvent
from tests.device_support import auth, event, post_usage, register

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # Wednesday, 12:00 in London
POLICY = "/api/v1/device/policy"


@pytest.fixture
def phone(tom):
    return register(tom)


def ack(client, token, version):
    return client.post(
        "/api/v1/device/policy/ack",
        data=json.dumps({"version": version}),
        content_type="application/json",
        **auth(token),
    )


# --- Authentication ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer fpd_unknown_token",
        "Bearer not-even-our-format",
        "Bearer two parts",
        "Token fpd_x",
    ],
)
def test_it_answers_401_with_www_authenticate_without_a_valid_token(client, phone, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(POLICY, **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_a_revoked_token_gets_401_at_once_even_after_it_was_cached(client, tom, phone):
    device, token = phone
    assert client.get(POLICY, **auth(token)).status_code == 200  # now in the lookup cache
    device_revoke(device=device, actor=tom)
    response = client.get(POLICY, **auth(token))
    assert response.status_code == 401
    assert post_usage(client, token, [event(datetime.now(UTC), 1)]).status_code == 401


@pytest.mark.django_db
def test_a_token_revoked_by_someone_else_meanwhile_stops_working(client, tom, phone):
    device, token = phone
    assert client.get(POLICY, **auth(token)).status_code == 200
    Device.objects.filter(pk=device.pk).update(revoked_at=NOW, last_seen_at=NOW - timedelta(1))
    cache.clear()
    assert client.get(POLICY, **auth(token)).status_code == 401


@pytest.mark.django_db
def test_only_a_hash_of_the_token_is_stored(tom, phone):
    device, token = phone
    assert token.startswith(f"{device.token_prefix}_") and device.token_prefix.startswith("fpd_")
    assert len(token.split("_", 2)[2]) >= 43  # 256 bits in url-safe base64
    stored = Device.objects.filter(pk=device.pk).values().get()
    assert token not in json.dumps(stored, default=str)


@pytest.mark.django_db
def test_a_device_token_is_not_a_key_to_the_rest_of_the_api(client, tom, phone):
    _, token = phone
    assert client.get("/api/v1/me", **auth(token)).status_code == 401
    assert client.get(f"/api/v1/teens/{tom.pk}/devices", **auth(token)).status_code == 401


@pytest.mark.django_db
def test_a_teen_without_a_guardian_gets_403_nothing_to_enforce(client, tom, phone):
    _, token = phone
    GuardianLink.objects.filter(teen=tom).update(status=LinkStatus.ENDED, ended_at=NOW)
    cache.clear()
    response = client.get(POLICY, **auth(token))
    assert response.status_code == 403
    assert "no parent or guardian" in response.json()["detail"]


# --- The policy and its ETag -----------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_it_serves_the_effective_policy_with_an_etag(client, tom, phone):
    _, token = phone
    response = client.get(POLICY, **auth(token))
    assert response.status_code == 200
    body = response.json()
    assert body["allowed"] is True
    assert body["seconds_left"] == 3600
    assert body["local_date"] == "2026-07-15"
    assert response["ETag"] == f'"{body["version"]}-{body["time_requests_version"]}"'
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_it_answers_304_with_no_body_while_nothing_changed(client, tom, phone, form):
    _, token = phone
    etag = client.get(POLICY, **auth(token))["ETag"]
    response = client.get(POLICY, HTTP_IF_NONE_MATCH=form.format(etag=etag), **auth(token))
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_rule_change_or_reaching_the_limit_changes_the_etag(client, tom, phone):
    _, token = phone
    etag = client.get(POLICY, **auth(token))["ETag"]
    rules = tom.rules
    rules.restricted_mode = False
    rules.version += 1
    rules.save()
    response = client.get(POLICY, HTTP_IF_NONE_MATCH=etag, **auth(token))
    assert response.status_code == 200
    etag = response["ETag"]
    TeenDay.objects.create(teen=tom, local_date=NOW.date(), counted_seconds=3600)
    response = client.get(POLICY, HTTP_IF_NONE_MATCH=etag, **auth(token))
    assert response.status_code == 200
    assert response.json()["reason"] == "daily_limit"


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_policy_get_costs_no_query_once_token_and_policy_are_cached(
    client, tom, phone, django_assert_num_queries
):
    _, token = phone
    # token lookup, last-seen write, the policy's six: rules, windows, grants, app rules and
    # locks (issue 13; on a cold cache only), today's total
    with django_assert_num_queries(8):
        client.get(POLICY, **auth(token))
    with django_assert_num_queries(0):
        assert client.get(POLICY, **auth(token)).status_code == 200
    etag = client.get(POLICY, **auth(token))["ETag"]
    with django_assert_num_queries(0):
        assert client.get(POLICY, HTTP_IF_NONE_MATCH=etag, **auth(token)).status_code == 304


# --- Acknowledgements ----------------------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_acknowledging_the_current_version_marks_the_device_applied(client, tom, phone):
    device, token = phone
    version = client.get(POLICY, **auth(token)).json()["version"]
    response = ack(client, token, version)
    assert response.status_code == 200
    assert response.json() == {
        "version": version,
        "current_version": version,
        "applied_current": True,
    }
    device.refresh_from_db()
    assert device.acked_version == version and device.acked_at == NOW
    assert device.acked_rules_version == tom.rules.version


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_acknowledging_an_old_version_is_recorded_but_not_current(client, tom, phone):
    device, token = phone
    response = ack(client, token, "0123456789abcdef")
    assert response.json()["applied_current"] is False
    device.refresh_from_db()
    assert device.acked_version == "0123456789abcdef"
    assert device.acked_rules_version is None


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_acknowledging_again_keeps_the_time_it_was_first_applied(client, tom, phone):
    device, token = phone
    version = client.get(POLICY, **auth(token)).json()["version"]
    ack(client, token, version)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        ack(client, token, version)
    device.refresh_from_db()
    assert device.acked_at == NOW


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [{}, {"version": ""}, {"version": 12}, {"version": "NOT HEX"}, {"version": "a" * 65}]
)
def test_a_bad_acknowledgement_gets_400(client, phone, body):
    device, token = phone
    response = client.post(
        "/api/v1/device/policy/ack",
        data=json.dumps(body),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 400
    assert "version" in response.json()
    device.refresh_from_db()
    assert device.acked_version == ""


# --- Usage: the answer and its cost ------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_usage_report_costs_the_same_queries_for_one_event_or_ten(
    client, tom, phone, django_assert_num_queries
):
    _, token = phone
    client.get(POLICY, **auth(token))  # token cached, last seen fresh

    def batch(start, n):
        return [event(start + timedelta(seconds=60 * i), 60) for i in range(n)]

    # The rules are cached and the day's total comes back from the booking. PostgreSQL: one
    # statement checks for overlaps and books. SQLite: the overlap check, then savepoint,
    # events, daily totals, day total, release.
    postgres = connection.vendor == "postgresql"
    with django_assert_num_queries(1 if postgres else 6):
        response = post_usage(client, token, batch(NOW - timedelta(minutes=40), 1))
    assert response.status_code == 200
    ten = batch(NOW - timedelta(minutes=30), 10)
    with django_assert_num_queries(1 if postgres else 6):
        response = post_usage(client, token, ten)
    assert len(response.json()["booked"]) == 10
    # A pure retry books nothing, so the answer reads the day's total (the policy is cached).
    with django_assert_num_queries(2 if postgres else 5):
        assert len(post_usage(client, token, ten).json()["ignored"]) == 10


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_usage_answer_says_when_the_limit_is_reached(client, tom, phone):
    _, token = phone
    body = post_usage(client, token, [event(NOW - timedelta(minutes=61), 3600)]).json()
    assert body["allowed"] is False
    assert body["reason"] == "daily_limit"
    assert body["seconds_left"] == 0


# --- One teen's device cannot touch another teen's data ---------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_device_reads_and_writes_only_its_own_teens_data(client, tom, tina, phone):
    _, token = phone
    tina_rules = tina.rules
    tina_rules.limit_wed = 30
    tina_rules.domains = ["tina-only.example"]
    tina_rules.save()

    policy = client.get(POLICY, **auth(token)).json()
    assert policy["limit_seconds"] == 3600  # tom's 60 minutes, not tina's 30
    assert "tina-only.example" not in client.get("/api/v1/device/blocklist.hosts", **auth(token))
    # Naming tina anywhere in the body changes nothing: the teen comes from the token.
    response = client.post(
        "/api/v1/device/usage",
        data=json.dumps(
            {
                "teen": tina.pk,
                "events": [{**event(NOW - timedelta(minutes=5), 60), "teen": tina.pk}],
            }
        ),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 200
    assert not UsageEvent.objects.filter(teen=tina).exists()
    assert not DailyUsage.objects.filter(teen=tina).exists()
    assert not TeenDay.objects.filter(teen=tina).exists()
    assert TeenDay.objects.get(teen=tom).counted_seconds == 60

    response = client.post(
        "/api/v1/device/time-requests",
        data=json.dumps({"minutes": 15, "teen": tina.pk}),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 201
    assert TimeRequest.objects.get().teen == tom


@pytest.mark.django_db
def test_a_device_cannot_manage_devices(client, tom, phone):
    device, token = phone
    response = client.post(f"/api/v1/devices/{device.pk}/revoke", **auth(token))
    assert response.status_code == 401
    device.refresh_from_db()
    assert device.revoked_at is None


# --- More time and blocklists ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_device_asks_for_more_time_for_its_teen(client, tom, alice, phone):
    device, token = phone
    response = client.post(
        "/api/v1/device/time-requests",
        data=json.dumps({"minutes": 30, "reason": "Homework video"}),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 201, response.content
    request = TimeRequest.objects.get()
    assert (request.teen, request.device, request.minutes) == (tom, device, 30)
    assert alice.notifications.filter(kind="time_requested").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"minutes": 7}, {}, {"minutes": 15, "reason": "x" * 201}])
def test_a_bad_time_request_gets_400(client, tom, phone, body):
    _, token = phone
    response = client.post(
        "/api/v1/device/time-requests",
        data=json.dumps(body),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 400
    assert not TimeRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/device/blocklist.hosts", "0.0.0.0 blocked.example"),
        ("/api/v1/device/blocklist.adguard", "||blocked.example^"),
    ],
)
def test_it_serves_the_teens_blocklists_as_text(client, tom, phone, path, expected):
    _, token = phone
    rules = tom.rules
    rules.domains = ["blocked.example"]
    rules.save()
    response = client.get(path, **auth(token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert expected in response.content.decode()
    again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"], **auth(token))
    assert again.status_code == 304


# --- The schema --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_documents_the_device_api_and_its_bearer_token(client):
    schema = json.loads(client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content)
    for path in ["policy", "policy/ack", "usage", "time-requests", "blocklist.hosts"]:
        operation = next(iter(schema["paths"][f"/api/v1/device/{path}"].values()))
        assert {"deviceToken": []} in operation["security"]
        assert "401" in operation["responses"]
    assert schema["components"]["securitySchemes"]["deviceToken"]["scheme"] == "bearer"
    assert "304" in schema["paths"]["/api/v1/device/policy"]["get"]["responses"]


def test_event_ids_are_uuids():
    assert uuid.UUID(event(NOW, 1)["id"])
