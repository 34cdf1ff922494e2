"""Issue 13's "done when": a guardian sets "Games 1 h on school days", blocks one app, allows a
learning app during School time and locks now, through the API and through the pages; the
device's next policy says so, and the teen's page says it in words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from controls.models import AuditEvent, DowntimeWindow, Notification
from tests.device_support import auth, event, post_usage, register

# Monday 3 June 2024, 10:00 in London (tom's zone): school time.
NOW = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
POLICY = "/api/v1/device/policy"


def api(client, method: str, url: str, body: dict | None = None):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def rules_by_name(policy: dict) -> dict[str, dict]:
    return {rule["name"]: rule for rule in policy["app_rules"]}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_through_the_api(alice_client, client, tom, alice):
    _, token = register(tom)
    device = client.__class__()
    first = device.get(POLICY, **auth(token))
    base = f"/api/v1/teens/{tom.pk}"
    games = api(
        alice_client,
        "post",
        f"{base}/app-rules",
        {"category": "games", "kind": "limit", "school_days": 60},
    )
    assert games.status_code == 201, games.content
    assert games.json()["text"] == "Games: 1 h on Mon–Fri"
    blocked = api(
        alice_client,
        "post",
        f"{base}/app-rules",
        {"app": "com.zhiliaoapp.musically", "kind": "blocked"},
    )
    assert blocked.json()["app"] == "tiktok" and blocked.json()["name"] == "TikTok"
    school = api(
        alice_client,
        "post",
        f"{base}/downtime-windows",
        {
            "name": "School",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "start": "08:30",
            "end": "15:00",
        },
    )
    assert school.status_code == 201, school.content
    allowed = api(
        alice_client,
        "put",
        f"{base}/downtime-windows/{school.json()['id']}/allowed",
        {"allowed_apps": ["org.khanacademy.android"]},
    )
    assert allowed.json() == {"allowed_apps": ["khan-academy"], "allowed_categories": []}
    lock = api(alice_client, "post", f"{base}/locks", {})
    assert lock.status_code == 201 and lock.json()["text"] == (
        "All devices locked by Alice until unlocked"
    )

    response = device.get(POLICY, HTTP_IF_NONE_MATCH=first["ETag"], **auth(token))
    assert response.status_code == 200  # a new ETag: the device applies the change
    policy = response.json()
    assert (policy["allowed"], policy["reason"]) == (False, "locked")
    assert policy["lock"] == {"category": None, "until": None, "by": "Alice"}
    assert policy["downtime_allowed"] == {"apps": ["khan-academy"], "categories": []}
    rules = rules_by_name(policy)
    assert rules["Games"]["limit_seconds"] == 3600 and rules["Games"]["reason"] == "locked"
    assert rules["TikTok"]["reason"] == "blocked" and not rules["TikTok"]["allowed"]
    assert "com.zhiliaoapp.musically" in rules["TikTok"]["identifiers"]
    # A category names its sites, so that a browser can close them (only web identifiers).
    assert {"web:roblox.com", "web:minecraft.net"} <= set(rules["Games"]["identifiers"])
    assert all(i.startswith("web:") for i in rules["Games"]["identifiers"])

    # Unlocking ends it at once: school time again, Khan Academy usable during it.
    assert api(alice_client, "delete", f"{base}/locks/{lock.json()['id']}").status_code == 204
    policy = device.get(POLICY, **auth(token)).json()
    assert (policy["reason"], policy["downtime_name"], policy["lock"]) == (
        "downtime",
        "School",
        None,
    )
    assert rules_by_name(policy)["Games"]["reason"] == "downtime"
    actions = set(AuditEvent.objects.filter(teen=tom).values_list("action", flat=True))
    assert {"app_rules.set", "downtime.allowed", "lock.start", "lock.end"} <= actions
    assert Notification.objects.filter(recipient=tom, title__contains="locked by Alice").exists()


@pytest.mark.django_db
@time_machine.travel(NOW + timedelta(hours=7), tick=False)  # 17:00: after school
def test_games_time_is_booked_against_the_games_rule_and_stops_at_an_hour(
    alice, client, tom, django_capture_on_commit_callbacks
):
    from controls.app_rules.services import app_rule_set
    from controls.rules.services import screen_time_update

    screen_time_update(actor=alice, teen=tom, changes={"every_day": 180})
    app_rule_set(
        actor=alice, teen=tom, changes={"category": "games", "kind": "limit", "school_days": 60}
    )
    _, token = register(tom)
    now = NOW + timedelta(hours=7)
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_usage(
            client,
            token,
            [
                event(now - timedelta(minutes=50), 1800, app="com.roblox.client"),
                event(now - timedelta(minutes=20), 1200, app="com.mojang.minecraftpe"),
                event(now - timedelta(minutes=60), 600, app="com.whatsapp"),
            ],
        )
    assert answer.status_code == 200, answer.content
    games = rules_by_name(answer.json())["Games"]
    assert games["used_seconds"] == 3000 and games["own_seconds_left"] == 600
    assert Notification.objects.filter(
        recipient=tom, title="10 minutes left for Games today"
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        post_usage(
            client, token, [event(now - timedelta(seconds=600), 600, app="com.roblox.client")]
        )
    policy = client.get(POLICY, **auth(token)).json()
    games = rules_by_name(policy)["Games"]
    assert (games["allowed"], games["reason"], games["used_seconds"]) == (
        False,
        "category_limit",
        3600,
    )
    assert policy["allowed"]  # WhatsApp and the rest go on
    # "Limit reached" for Games once, to the teen and to alice; the 15 and 5 min warnings once.
    titles = list(Notification.objects.filter(recipient=tom).values_list("title", flat=True))
    assert titles.count("Today's time for Games is used up") == 1
    assert (
        Notification.objects.filter(recipient=alice, title__contains="Games is used up").count()
        == 1
    )
    from controls.enforcement.services import teen_day_enforce

    assert not any(kind.startswith("rule:") for kind in teen_day_enforce(teen=tom))


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_through_the_pages(alice_client, client, tom):
    _, token = register(tom)
    page = f"/teens/{tom.pk}/screen-time/"
    saved = alice_client.post(
        f"/teens/{tom.pk}/app-rules/",
        {"cat-category": "games", "cat-kind": "limit", "cat-school_days": "60"},
        follow=True,
    )
    assert "Saved. Games: 1 h on Mon–Fri." in saved.content.decode()
    # The picker works without JavaScript: a GET search, then a link that opens the rule form.
    found = alice_client.get(page, {"q": "tik"}).content.decode()
    assert '<a href="?pick=tiktok#app-rules">TikTok</a>' in found
    picked = alice_client.get(page, {"pick": "tiktok"}).content.decode()
    assert "Rule for TikTok" in picked
    alice_client.post(f"/teens/{tom.pk}/app-rules/", {"app": "tiktok", "kind": "blocked"})
    alice_client.post(
        f"/teens/{tom.pk}/downtime/",
        {
            "new-name": "School",
            "new-weekdays": ["0", "1", "2", "3", "4"],
            "new-start": "08:30",
            "new-end": "15:00",
        },
    )
    school = DowntimeWindow.objects.get(teen=tom, name="School")
    allowed = alice_client.post(
        f"/teens/{tom.pk}/downtime/{school.pk}/allowed/",
        {f"allowed-{school.pk}-apps": "Khan Academy"},
        follow=True,
    )
    assert "School: allowed during it: Khan Academy." in allowed.content.decode()
    locked = alice_client.post(f"/teens/{tom.pk}/lock/", {"until": "18:30"}, follow=True)
    assert "All devices locked by Alice until 18:30" in locked.content.decode()

    policy = client.get(POLICY, **auth(token)).json()
    assert policy["reason"] == "locked" and policy["lock"]["until"] == "2024-06-03T17:30:00Z"
    assert policy["next_change_at"] == "2024-06-03T17:30:00Z"
    assert policy["downtime_allowed"]["apps"] == ["khan-academy"]
    rules = rules_by_name(policy)
    assert rules["Games"]["limit_seconds"] == 3600 and rules["TikTok"]["reason"] == "blocked"

    # The teen reads who locked until when on Today, and every rule in plain words on My rules.
    client.force_login(tom)
    assert "All devices locked by Alice until 18:30" in client.get("/me/").content.decode()
    mine = client.get("/me/rules/").content.decode()
    for words in (
        "All devices locked by Alice until 18:30",
        "Games: 1 h on Mon–Fri",
        "TikTok: blocked",
        "School: allowed during it: Khan Academy",
    ):
        assert words in mine


@pytest.mark.django_db
def test_bad_input_names_the_field_and_saves_nothing(alice_client, tom):
    base = f"/api/v1/teens/{tom.pk}"
    cases = [
        ({"category": "games", "kind": "limit"}, "limit_mon"),
        ({"category": "games", "app": "tiktok", "kind": "blocked"}, "app"),
        ({"app": "has space", "kind": "blocked"}, "app"),
        ({"category": "games", "kind": "limit", "limit_sat": 2000}, "limit_sat"),
        ({"category": "nope", "kind": "blocked"}, "category"),
    ]
    for body, field in cases:
        response = api(alice_client, "post", f"{base}/app-rules", body)
        assert response.status_code == 400 and field in response.json(), (body, response.json())
    past = api(alice_client, "post", f"{base}/locks", {"until": "2000-01-01T00:00:00Z"})
    assert past.status_code == 400 and "until" in past.json()
    label = api(
        alice_client,
        "post",
        f"{base}/app-labels",
        {"app": "com.zhiliaoapp.musically", "name": "x", "category": "social"},
    )
    assert label.status_code == 400 and "app" in label.json()
    assert not AuditEvent.objects.filter(teen=tom, action__startswith="app_").exists()


@pytest.mark.django_db
def test_a_category_form_without_a_category_says_so_next_to_it(alice_client, tom):
    response = alice_client.post(f"/teens/{tom.pk}/app-rules/", {"cat-kind": "blocked"})
    assert response.status_code == 400
    assert response.context["category_form"].errors["category"] == [
        "Choose an app or a category (one of them)."
    ]
