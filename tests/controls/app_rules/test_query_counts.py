"""The device paths' query counts with per-app rules (issue 13): the cached policy GET stays at
0; a usage report stays at 1 query on PostgreSQL for a teen whose rules are always-allowed or
blocked apps, and is 2 for a teen with an app or category limit (today's time per app)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from controls.app_rules.locks import lock_start
from controls.app_rules.services import app_rule_set
from tests.device_support import auth, event, post_usage, register

NOW = datetime(2024, 6, 3, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_the_cached_policy_is_no_query_with_rules_and_a_lock(
    client, alice, tom, django_assert_num_queries
):
    app_rule_set(
        actor=alice, teen=tom, changes={"category": "games", "kind": "limit", "every_day": 30}
    )
    app_rule_set(actor=alice, teen=tom, changes={"app": "phone", "kind": "always_allowed"})
    lock_start(actor=alice, teen=tom, category="social")
    _, token = register(tom)
    etag = client.get("/api/v1/device/policy", **auth(token))["ETag"]
    with django_assert_num_queries(0):
        assert client.get("/api/v1/device/policy", **auth(token)).status_code == 200
    with django_assert_num_queries(0):
        response = client.get("/api/v1/device/policy", HTTP_IF_NONE_MATCH=etag, **auth(token))
        assert response.status_code == 304


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule", "queries"),
    [
        ({"app": "phone", "kind": "always_allowed"}, 1),
        ({"app": "tiktok", "kind": "blocked"}, 1),
        ({"category": "games", "kind": "limit", "every_day": 30}, 2),
    ],
)
def test_a_usage_report_on_postgresql(client, alice, tom, rule, queries, django_assert_num_queries):
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement booking is PostgreSQL's")
    app_rule_set(actor=alice, teen=tom, changes=rule)
    _, token = register(tom)
    post_usage(client, token, [event(NOW - timedelta(minutes=30), 60, app="com.roblox.client")])
    with django_assert_num_queries(queries):
        response = post_usage(
            client, token, [event(NOW - timedelta(minutes=20), 60, app="com.roblox.client")]
        )
    assert response.status_code == 200
