"""A lock of one category reaches a device with its sites, with or without a rule for that
category, so that a browser can close them (issue 13's lock now, issue 15's client)."""

from __future__ import annotations

import pytest

from controls.app_rules.locks import lock_end, lock_start
from controls.app_rules.services import app_label_set
from tests.device_support import auth, register

POLICY = "/api/v1/device/policy"


@pytest.mark.django_db
def test_a_category_lock_lists_its_sites_in_the_policy_until_it_ends(client, alice, tom):
    _, token = register(tom)
    app_label_set(actor=alice, teen=tom, app="web:chess.example", name="Chess", category="games")
    lock = lock_start(actor=alice, teen=tom, category="games")

    policy = client.get(POLICY, **auth(token)).json()
    assert policy["allowed"] is True and policy["lock"] is None  # the rest stays open
    [games] = policy["category_locks"]
    assert (games["category"], games["by"], games["until"]) == ("games", "Alice", None)
    assert {"web:roblox.com", "web:minecraft.net", "web:chess.example"} <= set(games["sites"])
    assert all(site.startswith("web:") for site in games["sites"])

    lock_end(actor=alice, teen=tom, lock_id=lock.pk)
    assert client.get(POLICY, **auth(token)).json()["category_locks"] == []
