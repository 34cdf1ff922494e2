"""The usage answer carries the warnings due (issue 15): time running down changes no policy
version, so a client that only watched the ETag would never see "15 minutes left"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.device_support import auth, event, post_usage, register

NOW = datetime(2026, 3, 11, 15, 0, tzinfo=UTC)  # a Wednesday, 16:00 in Paris


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_usage_answer_says_which_warnings_are_due(client, tom):
    rules = tom.rules
    rules.warning_minutes = [15, 5]
    rules.limit_wed = 60
    rules.save()
    _, token = register(tom, name="Laptop")
    before = client.get("/api/v1/device/policy", **auth(token)).json()
    assert before["warnings_due"] == []

    early = post_usage(client, token, [event(NOW - timedelta(minutes=90), 600)]).json()
    assert early["warnings_due"] == []
    later = post_usage(client, token, [event(NOW - timedelta(minutes=80), 35 * 60)]).json()
    assert later["seconds_left"] == 15 * 60
    assert later["warnings_due"] == [15]
    assert later["version"] == before["version"]  # no new policy to fetch: only the answer says
    last = post_usage(client, token, [event(NOW - timedelta(minutes=40), 10 * 60)]).json()
    assert last["warnings_due"] == [15, 5]
