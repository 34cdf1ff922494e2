"""Rules in the API: guardians read and change, the teen reads only, strangers see nothing; the
same services as the pages, so the same 400s name the same rules. Also the access matrix of
every change URL, pages and API alike."""

from __future__ import annotations

import json
from datetime import time

import pytest

from controls.models import AuditEvent, DowntimeWindow, TeenRules
from controls.rules import downtime, services


def _patch(client, url: str, body: dict):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def _post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def window(alice, tom) -> DowntimeWindow:
    return downtime.downtime_window_create(
        actor=alice, teen=tom, name="Bedtime", weekdays=[0, 1, 2, 3, 4], start=time(21), end=time(7)
    )


@pytest.mark.django_db
def test_a_guardian_reads_all_the_rules(alice_client, tom, window):
    response = alice_client.get(f"/api/v1/teens/{tom.pk}/rules")
    assert response.status_code == 200
    body = response.json()
    assert body["teen_id"] == tom.pk
    assert body["time_zone"] == "Europe/London"
    assert body["screen_time"]["limit_wed"] == 60
    assert body["screen_time"]["day_start"] == "00:00"
    assert body["downtime_windows"] == [
        {
            "id": window.pk,
            "name": "Bedtime",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "start": "21:00",
            "end": "07:00",
            "crosses_midnight": True,
        }
    ]
    assert body["browsing"]["restricted_mode"] is True
    assert body["privacy"]["direct_messages"] == "no_one"
    assert body["privacy"]["bounds"] == {
        "band": "under_16",
        "label": "under 16",
        "choices": {"direct_messages": ["no_one"], "comments": ["friends", "no_one"]},
        "locked_off": ["downloads", "duet_stitch", "live_streaming"],
    }
    assert body["governance"] == {"version": body["version"], "unlink_needs_approval": False}


@pytest.mark.django_db
def test_a_guardian_changes_screen_time_and_is_told_what_changed(alice_client, tom):
    response = _patch(
        alice_client,
        f"/api/v1/teens/{tom.pk}/rules/screen-time",
        {"limit_wed": 90, "warning_minutes": [10], "day_start": "04:00"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["limit_wed"] == 90
    assert body["day_start"] == "04:00"
    assert body["changes"] == [
        "Wednesday limit: 1 h → 1 h 30 min",
        "Warnings: 15 and 5 min before the limit → 10 min before the limit",
        "Day starts at: 00:00 → 04:00",
    ]
    assert TeenRules.objects.get(teen=tom).day_start == time(4)


@pytest.mark.django_db
def test_every_day_and_no_limit_through_the_api(alice_client, tom):
    response = _patch(
        alice_client, f"/api/v1/teens/{tom.pk}/rules/screen-time", {"every_day": None}
    )
    assert response.status_code == 200
    assert TeenRules.objects.get(teen=tom).daily_limits() == (None,) * 7


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [0, 1441])
def test_a_limit_out_of_range_is_400_naming_the_field(alice_client, tom, minutes):
    response = _patch(
        alice_client, f"/api/v1/teens/{tom.pk}/rules/screen-time", {"limit_mon": minutes}
    )
    assert response.status_code == 400
    assert response.json() == {"limit_mon": ["Enter 1 to 1440 minutes, or choose no limit."]}


@pytest.mark.django_db
def test_unparsable_input_is_400_not_500(alice_client, tom):
    response = _patch(
        alice_client, f"/api/v1/teens/{tom.pk}/rules/screen-time", {"day_start": "25:99"}
    )
    assert response.status_code == 400
    assert "day_start" in response.json()
    response = alice_client.patch(
        f"/api/v1/teens/{tom.pk}/rules/browsing", data="{nope", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "direct_messages",
            "everyone",
            "Direct messages can only be “No one” for teens under 16 (age rule).",
        ),
        (
            "comments",
            "everyone",
            "Who can comment can only be “Friends” or “No one” for teens under 16 (age rule).",
        ),
        ("live_streaming", True, "Live streaming must stay off for teens under 16 (age rule)."),
        ("duet_stitch", True, "Duet and Stitch must stay off for teens under 16 (age rule)."),
        ("downloads", True, "Downloads must stay off for teens under 16 (age rule)."),
    ],
)
def test_an_age_bound_violation_is_400_naming_the_rule(alice_client, tom, field, value, message):
    response = _patch(
        alice_client,
        f"/api/v1/teens/{tom.pk}/rules/privacy",
        {field: value, "private_account": False},
    )
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    rules = TeenRules.objects.get(teen=tom)
    assert rules.private_account is True
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_16_year_olds_guardian_may_loosen_within_the_wider_bounds(bob, tina, client):
    client.force_login(bob)
    response = _patch(
        client,
        f"/api/v1/teens/{tina.pk}/rules/privacy",
        {"direct_messages": "friends", "downloads": True, "mute_start": None, "mute_end": None},
    )
    assert response.status_code == 200, response.content
    assert response.json()["bounds"]["band"] == "16_17"
    assert response.json()["mute_start"] is None


@pytest.mark.django_db
def test_browsing_through_the_api_normalises_and_refuses_garbage(alice_client, tom):
    url = f"/api/v1/teens/{tom.pk}/rules/browsing"
    response = _patch(
        alice_client, url, {"keyword_filters": [" Gore ", "gore"], "domains": ["https://a.com/x"]}
    )
    assert response.status_code == 200
    assert response.json()["keyword_filters"] == ["gore"]
    assert response.json()["domains"] == ["a.com"]
    response = _patch(alice_client, url, {"domains": ["a.com", "not a site"]})
    assert response.status_code == 400
    assert response.json() == {"domains": ["“not a site” is not a site name: it contains spaces."]}


@pytest.mark.django_db
def test_the_unlinking_setting_through_the_api(alice_client, tom):
    url = f"/api/v1/teens/{tom.pk}/rules/unlinking"
    assert _patch(alice_client, url, {}).status_code == 400
    response = _patch(alice_client, url, {"unlink_needs_approval": True})
    assert response.status_code == 200
    assert response.json()["changes"] == ["Unlinking needs a guardian's approval: off → on"]


@pytest.mark.django_db
def test_downtime_windows_through_the_api(alice_client, tom):
    url = f"/api/v1/teens/{tom.pk}/downtime-windows"
    response = _post(
        alice_client,
        url,
        {
            "name": "School",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "start": "09:00",
            "end": "15:00",
        },
    )
    assert response.status_code == 201, response.content
    window_id = response.json()["id"]
    assert response.json()["changes"] == ["New downtime: “School” Mon–Fri 09:00–15:00"]

    overlap = _post(
        alice_client, url, {"name": "Lunch", "weekdays": ["wed"], "start": "12:00", "end": "13:00"}
    )
    assert overlap.status_code == 400
    assert overlap.json()["non_field_errors"][0].startswith("This overlaps “School”")

    patched = _patch(alice_client, f"{url}/{window_id}", {"end": "14:30"})
    assert patched.status_code == 200
    assert patched.json()["end"] == "14:30"
    assert alice_client.get(url).json()[0]["end"] == "14:30"

    bad = _patch(alice_client, f"{url}/{window_id}", {"weekdays": []})
    assert bad.status_code == 400
    assert "weekdays" in bad.json()

    assert alice_client.delete(f"{url}/{window_id}").status_code == 204
    assert not DowntimeWindow.objects.filter(teen=tom).exists()


@pytest.mark.django_db
def test_the_teen_reads_their_own_rules_policy_and_history(alice, tom, tom_client):
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 90})
    assert tom_client.get(f"/api/v1/teens/{tom.pk}/rules").status_code == 200
    assert tom_client.get(f"/api/v1/teens/{tom.pk}/rules/privacy").status_code == 200
    policy = tom_client.get(f"/api/v1/teens/{tom.pk}/policy")
    assert policy.status_code == 200
    assert set(policy.json()) >= {"allowed", "reason", "seconds_left", "next_change_at"}
    history = tom_client.get(f"/api/v1/teens/{tom.pk}/history").json()
    assert history[0]["actor"] == "Alice"
    assert history[0]["headline"] == "Alice changed screen time"
    assert history[0]["changes"] == ["Wednesday limit: 1 h → 1 h 30 min"]
    assert history[0]["before"] == {"limit_wed": 60}
    assert tom_client.get(f"/api/v1/teens/{tom.pk}/history?limit=x").status_code == 400


@pytest.mark.django_db
def test_the_guardian_reads_the_effective_policy(alice_client, tom):
    body = alice_client.get(f"/api/v1/teens/{tom.pk}/policy").json()
    assert body["limit_seconds"] == 3600
    assert body["browsing"]["restricted_mode"] is True


READ_URLS = [
    "rules",
    "rules/screen-time",
    "rules/browsing",
    "rules/privacy",
    "rules/unlinking",
    "downtime-windows",
    "downtime-windows/{window}",
    "policy",
    "history",
]
WRITE_REQUESTS = [
    ("patch", "rules/screen-time", {"limit_mon": 30}),
    ("patch", "rules/browsing", {"search_enabled": False}),
    ("patch", "rules/privacy", {"private_account": False}),
    ("patch", "rules/unlinking", {"unlink_needs_approval": True}),
    (
        "post",
        "downtime-windows",
        {"name": "X", "weekdays": ["sun"], "start": "10:00", "end": "11:00"},
    ),
    (
        "put",
        "downtime-windows/{window}",
        {"name": "X", "weekdays": ["sun"], "start": "10:00", "end": "11:00"},
    ),
    ("patch", "downtime-windows/{window}", {"end": "08:00"}),
    ("delete", "downtime-windows/{window}", None),
]


def _send(client, method: str, url: str, body):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("path", READ_URLS)
def test_api_reads_404_for_strangers_and_401_for_nobody(client, bob, uma, tom, window, path):
    url = f"/api/v1/teens/{tom.pk}/" + path.format(window=window.pk)
    assert client.get(url).status_code == 401
    for stranger in (bob, uma):
        client.force_login(stranger)
        assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), WRITE_REQUESTS)
def test_api_writes_403_for_the_teen_and_404_for_strangers(
    client, bob, tom, window, method, path, body
):
    url = f"/api/v1/teens/{tom.pk}/" + path.format(window=window.pk)
    version = TeenRules.objects.get(teen=tom).version
    client.force_login(tom)
    assert _send(client, method, url, body).status_code == 403
    client.force_login(bob)
    assert _send(client, method, url, body).status_code == 404
    assert TeenRules.objects.get(teen=tom).version == version
    assert DowntimeWindow.objects.filter(teen=tom).count() == 1


CHANGE_PAGES = [
    ("screen-time/limits/", {"limit_mon": "30"}),
    ("screen-time/every-day/", {"choice": "40"}),
    ("screen-time/options/", {"warning_minutes": "5", "day_start": "00:00"}),
    ("downtime/", {"new-name": "X", "new-weekdays": "6", "new-start": "10:00", "new-end": "11:00"}),
    ("downtime/{window}/", {"name": "X"}),
    ("downtime/{window}/delete/", {}),
    ("browsing/", {"domain_mode": "block"}),
    ("privacy/", {"direct_messages": "no_one"}),
    ("unlinking/", {"unlink_needs_approval": "on"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "data"), CHANGE_PAGES)
def test_every_change_url_is_403_for_the_teen_and_404_for_another_guardian(
    client, bob, tom, window, path, data
):
    url = f"/teens/{tom.pk}/" + path.format(window=window.pk)
    version = TeenRules.objects.get(teen=tom).version
    client.force_login(tom)
    assert client.post(url, data).status_code == 403
    client.force_login(bob)
    assert client.post(url, data).status_code == 404
    assert TeenRules.objects.get(teen=tom).version == version
    assert DowntimeWindow.objects.filter(teen=tom).count() == 1


@pytest.mark.django_db
def test_the_schema_documents_the_rules_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/teens/{teen_id}/rules",
        "/api/v1/teens/{teen_id}/rules/screen-time",
        "/api/v1/teens/{teen_id}/rules/browsing",
        "/api/v1/teens/{teen_id}/rules/privacy",
        "/api/v1/teens/{teen_id}/rules/unlinking",
        "/api/v1/teens/{teen_id}/downtime-windows",
        "/api/v1/teens/{teen_id}/downtime-windows/{window_id}",
        "/api/v1/teens/{teen_id}/policy",
        "/api/v1/teens/{teen_id}/history",
    ):
        assert path in paths
    privacy = paths["/api/v1/teens/{teen_id}/rules/privacy"]["patch"]["responses"]
    assert {"200", "400", "401", "403", "404"} <= set(privacy)
