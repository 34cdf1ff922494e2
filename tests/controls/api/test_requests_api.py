"""More-time requests, grants and notifications in the API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from controls.models import DayGrant, Notification, TimeRequest, TimeRequestStatus
from controls.time_requests.services import time_request_approve, time_request_create
from tests.factories import UserFactory, link

NOON = datetime(2025, 6, 11, 14, 0, tzinfo=UTC)
JSON = "application/json"


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


def test_a_teen_asks_and_lists_their_requests(tom_client, tom):
    response = tom_client.post(
        "/api/v1/time-requests", {"minutes": 30, "reason": "Film"}, content_type=JSON
    )
    assert response.status_code == 201
    assert response.json()["status"] == "pending" and response.json()["minutes"] == 30
    listed = tom_client.get("/api/v1/time-requests").json()
    assert [r["reason"] for r in listed] == ["Film"]


def test_a_teen_asks_for_the_rest_of_today(tom_client, tom):
    response = tom_client.post("/api/v1/time-requests", {"minutes": None}, content_type=JSON)
    assert response.status_code == 201 and response.json()["minutes"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 45}, "minutes"),
        ({"minutes": 15, "reason": "x" * 201}, "reason"),
        ({}, "minutes"),
    ],
)
def test_it_names_the_bad_field(tom_client, body, field):
    response = tom_client.post("/api/v1/time-requests", body, content_type=JSON)
    assert response.status_code == 400 and field in response.json()


def test_it_refuses_a_second_open_request_with_400(tom_client, tom):
    time_request_create(teen=tom, minutes=15)
    response = tom_client.post("/api/v1/time-requests", {"minutes": 15}, content_type=JSON)
    assert response.status_code == 400
    assert "already asked" in response.json()["request"][0]


def test_a_guardian_cannot_ask(alice_client):
    response = alice_client.post("/api/v1/time-requests", {"minutes": 15}, content_type=JSON)
    assert response.status_code == 403


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/time-requests").status_code == 401
    assert client.get("/api/v1/notifications").status_code == 401


def test_a_guardian_lists_approves_and_the_second_answer_gets_409(alice_client, tom, alice):
    dan = UserFactory(email="dan@example.com", display_name="Dan")
    link(dan, tom)
    time_request = time_request_create(teen=tom, minutes=30)
    listed = alice_client.get("/api/v1/time-requests?status=pending").json()
    assert [r["id"] for r in listed] == [time_request.pk]

    response = alice_client.post(
        f"/api/v1/time-requests/{time_request.pk}/approve", {"minutes": 15}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["answered_by"]["display_name"] == "Alice"
    assert DayGrant.objects.get().bonus_minutes == 15

    alice_client.force_login(dan)
    conflict = alice_client.post(
        f"/api/v1/time-requests/{time_request.pk}/deny", {}, content_type=JSON
    )
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "Already approved by Alice at 15:00."


def test_a_guardian_denies_with_a_note(alice_client, tom):
    time_request = time_request_create(teen=tom, minutes=30)
    response = alice_client.post(
        f"/api/v1/time-requests/{time_request.pk}/deny", {"note": "Bedtime"}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["note"] == "Bedtime"


def test_strangers_get_404_and_teens_403_on_answers(client, bob, tom, tom_client):
    time_request = time_request_create(teen=tom, minutes=30)
    url = f"/api/v1/time-requests/{time_request.pk}/approve"
    assert tom_client.post(url, {}, content_type=JSON).status_code == 403
    client.force_login(bob)
    assert client.post(url, {}, content_type=JSON).status_code == 404
    assert client.get(f"/api/v1/time-requests/{time_request.pk}").status_code == 404
    assert client.get(f"/api/v1/time-requests?teen={tom.pk}").status_code == 404
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.PENDING


def test_a_guardian_grants_time_unasked(alice_client, tom, client, bob):
    url = f"/api/v1/teens/{tom.pk}/grants"
    assert alice_client.post(url, {}, content_type=JSON).status_code == 400
    response = alice_client.post(url, {"bonus_minutes": 20}, content_type=JSON)
    assert response.status_code == 201 and response.json()["bonus_minutes"] == 20
    assert alice_client.post(url, {"no_limit": True}, content_type=JSON).status_code == 201
    client.force_login(bob)
    assert client.post(url, {"bonus_minutes": 20}, content_type=JSON).status_code == 404
    assert DayGrant.objects.count() == 2


def test_notifications_list_count_and_mark_read(alice_client, tom, alice):
    time_request = time_request_create(teen=tom, minutes=30)
    page = alice_client.get("/api/v1/notifications?unread=1").json()
    assert page["count"] == 1 and page["unread"] == 1
    assert page["results"][0]["time_request_id"] == time_request.pk
    assert alice_client.get("/api/v1/notifications/unread-count").json() == {"unread": 1}
    marked = alice_client.post("/api/v1/notifications/read", {}, content_type=JSON).json()
    assert marked == {"marked": 1, "unread": 0}
    assert Notification.objects.get(recipient=alice).read_at is not None


def test_notification_preferences_round_trip(alice_client, alice):
    response = alice_client.put(
        "/api/v1/notifications/preferences",
        {"email": {"warning": True}},
        content_type=JSON,
    )
    assert response.status_code == 200
    prefs = response.json()["email"]
    # warnings turned on; the limit stays off (in-the-moment kinds are in-app by default)
    assert prefs["warning"] is True and prefs["limit_reached"] is False
    bad = alice_client.put(
        "/api/v1/notifications/preferences", {"email": {"nope": True}}, content_type=JSON
    )
    assert bad.status_code == 400


def test_a_teen_sees_the_answer_through_the_api(tom_client, tom, alice):
    time_request = time_request_create(teen=tom, minutes=30)
    time_request_approve(time_request=time_request, guardian=alice)
    data = tom_client.get(f"/api/v1/time-requests/{time_request.pk}").json()
    assert data["status"] == "approved"
    assert TimeRequest.objects.count() == 1


def test_every_endpoint_is_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/time-requests",
        "/api/v1/time-requests/{time_request_id}/approve",
        "/api/v1/time-requests/{time_request_id}/deny",
        "/api/v1/teens/{teen_id}/grants",
        "/api/v1/notifications",
        "/api/v1/notifications/read",
        "/api/v1/notifications/unread-count",
        "/api/v1/notifications/preferences",
        "/api/v1/me/export",
        "/api/v1/me/delete",
    ):
        assert path in schema["paths"], path
    approve = schema["paths"]["/api/v1/time-requests/{time_request_id}/approve"]["post"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(approve["responses"])
