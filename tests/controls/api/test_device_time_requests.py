"""A device reads its teen's more-time requests of today and their answers; another teen's
request is a 404; an answer bumps the teen's policy generation (what the change channel
watches)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from controls.effective.cache import policy_entry_keys
from controls.models import TimeRequest
from controls.time_requests.services import (
    time_request_approve,
    time_request_create,
    time_request_deny,
)
from tests.device_support import auth, register

NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)
LIST = "/api/v1/device/time-requests"


@pytest.fixture
def phone(tom):
    return register(tom)


@pytest.mark.django_db
def test_a_device_reads_todays_requests_newest_first_with_the_answer(client, alice, tom, phone):
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        time_request_create(teen=tom, minutes=15, reason="yesterday")
    TimeRequest.objects.update(status="lapsed")
    with time_machine.travel(NOW, tick=False) as clock:
        first = time_request_create(teen=tom, minutes=30, reason="homework")
        time_request_deny(time_request=first, guardian=alice, note="Dinner first")
        clock.shift(timedelta(minutes=40))
        second = time_request_create(teen=tom, minutes=15, reason="one more level")
        response = client.get(LIST, **auth(phone[1]))
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body] == [second.pk, first.pk]
    denied = body[1]
    assert denied["status"] == "denied" and denied["minutes"] == 30
    assert denied["reason"] == "homework" and denied["note"] == "Dinner first"
    assert denied["answered_by"]["display_name"] == "Alice"
    assert denied["answered_at"].startswith("2026-07-15T11:00:00")
    assert body[0]["status"] == "pending" and body[0]["answered_by"] is None


@pytest.mark.django_db
def test_a_device_reads_one_request_and_another_teens_is_a_404(client, tom, tina, phone):
    mine = time_request_create(teen=tom, minutes=15)
    theirs = time_request_create(teen=tina, minutes=15)
    assert client.get(f"{LIST}/{mine.pk}", **auth(phone[1])).json()["id"] == mine.pk
    assert client.get(f"{LIST}/{theirs.pk}", **auth(phone[1])).status_code == 404
    assert client.get(f"{LIST}/999999", **auth(phone[1])).status_code == 404
    assert client.get(f"{LIST}/{mine.pk}").status_code == 401


@pytest.mark.django_db
def test_the_post_to_ask_still_works_at_the_same_address(client, tom, phone):
    response = client.post(
        LIST, json.dumps({"minutes": 15}), content_type="application/json", **auth(phone[1])
    )
    assert response.status_code == 201
    assert client.get(LIST, **auth(phone[1])).json()[0]["id"] == response.json()["id"]


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["approve", "deny"])
def test_an_answer_changes_the_etag_and_only_an_approval_the_policy(alice, tom, answer):
    time_request = time_request_create(teen=tom, minutes=15)
    inputs_key, _, requests_key, _ = policy_entry_keys(tom.pk)
    cache.set(inputs_key, 1)
    cache.set(requests_key, 1)
    if answer == "approve":
        time_request_approve(time_request=time_request, guardian=alice)
    else:
        time_request_deny(time_request=time_request, guardian=alice)
    # The requests generation is in the ETag: a held device request wakes for either answer.
    assert cache.get(requests_key) > 1
    # Only an approval (its grant) changes the policy; a denial leaves its version alone.
    assert (cache.get(inputs_key) > 1) is (answer == "approve")
