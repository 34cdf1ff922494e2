"""The change channel (issue 14): `GET /api/v1/device/policy?wait=N` held until the teen's policy
changes, on the ASGI server (familypairing.asgi, an async view) and on a WSGI server (runserver,
a thread per held request); the fan-out per teen, in-process and through Redis pub/sub.

Held requests run in other threads than the test (the ASGI view's thread pool, a WSGI client in a
thread), so these tests commit their data (transactional_db)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from accounts.devices.services import device_revoke
from controls.effective.channel import Hub, ThreadWaiter, hub
from controls.models import TimeRequest
from controls.rules.services import screen_time_update
from controls.time_requests.grants import day_grant_create
from controls.time_requests.services import time_request_create, time_request_deny
from familypairing.asgi import application
from tests.device_support import auth, event, post_usage, register

POLICY = "/api/v1/device/policy"
# How long a test lets a held request run before calling it stuck (the product bound is 1 s;
# timing is `make bench`'s and the browser test's business, this only keeps a failure short).
STUCK = 15

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(tom):
    return register(tom)


def _held_for(teen_id: int, count: int = 1) -> None:
    """Wait (bounded) until `count` requests of the teen are held in this process."""
    for _ in range(STUCK * 100):
        with hub()._lock:
            if len(hub()._waiters.get(teen_id, ())) >= count:
                return
        time.sleep(0.01)
    raise AssertionError("the request was never held")


def _etag(client: Client, token: str) -> str:
    response = client.get(POLICY, **auth(token))
    assert response.status_code == 200
    return response["ETag"]


# --- ASGI (the production channel) ---------------------------------------------------------------


def _asgi(scenario):
    """Run `scenario(http)` against the ASGI application in an event loop of its own."""

    async def main():
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await asyncio.wait_for(scenario(http), STUCK)

    return asyncio.run(main())


def _headers(token: str, etag: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-None-Match"] = etag
    return headers


def test_a_held_request_answers_when_a_guardian_grants_time(client, tom, alice, phone):
    _, token = phone
    etag = _etag(client, token)

    async def scenario(http):
        held = asyncio.create_task(http.get(f"{POLICY}?wait=50", headers=_headers(token, etag)))
        await asyncio.to_thread(_held_for, tom.pk)
        await asyncio.to_thread(day_grant_create, guardian=alice, teen=tom, bonus_minutes=15)
        return await held

    response = _asgi(scenario)

    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert response.json()["limit_seconds"] == (60 + 15) * 60
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the security middleware
    assert not hub()._waiters.get(tom.pk)  # the waiter is gone once answered


def test_a_held_request_answers_304_when_the_wait_ends(client, tom, phone):
    _, token = phone
    etag = _etag(client, token)

    response = _asgi(lambda http: http.get(f"{POLICY}?wait=1", headers=_headers(token, etag)))

    assert response.status_code == 304
    assert response.headers["ETag"] == etag
    assert response.content == b""


def test_a_device_with_an_old_etag_gets_the_policy_at_once(client, tom, alice, phone):
    _, token = phone
    old = _etag(client, token)
    screen_time_update(actor=alice, teen=tom, changes={"every_day": 30})

    response = _asgi(lambda http: http.get(f"{POLICY}?wait=50", headers=_headers(token, old)))

    assert response.status_code == 200
    assert response.json()["limit_seconds"] == 30 * 60


def test_a_strangers_change_does_not_answer_this_device(client, tom, tina, bob, phone):
    _, token = phone
    etag = _etag(client, token)

    async def scenario(http):
        held = asyncio.create_task(http.get(f"{POLICY}?wait=2", headers=_headers(token, etag)))
        await asyncio.to_thread(_held_for, tom.pk)
        await asyncio.to_thread(day_grant_create, guardian=bob, teen=tina, bonus_minutes=15)
        return await held

    assert _asgi(scenario).status_code == 304


@pytest.mark.parametrize("wait", ["0", "56", "-1", "1.5", "abc", ""])
def test_a_bad_wait_is_a_400_naming_wait(client, phone, wait):
    _, token = phone

    asgi = _asgi(lambda http: http.get(f"{POLICY}?wait={wait}", headers=_headers(token)))
    wsgi = client.get(f"{POLICY}?wait={wait}", **auth(token))

    for response in (asgi, wsgi):
        assert response.status_code == 400
        assert "wait" in response.json()


@pytest.mark.parametrize(
    ("query", "named"), [("wiat=30", "wiat"), ("wait=5&wait=6", "wait"), ("wait=5&x=1", "x")]
)
def test_a_misspelt_repeated_or_unknown_parameter_is_a_400_naming_it(client, phone, query, named):
    _, token = phone

    asgi = _asgi(lambda http: http.get(f"{POLICY}?{query}", headers=_headers(token)))
    wsgi = client.get(f"{POLICY}?{query}", **auth(token))

    for response in (asgi, wsgi):
        assert response.status_code == 400
        assert named in response.json()


def test_the_channel_checks_the_token_first(phone):
    response = _asgi(lambda http: http.get(f"{POLICY}?wait=5"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    response = _asgi(lambda http: http.post(POLICY, headers=_headers(phone[1])))
    assert response.status_code == 405


def test_without_wait_the_asgi_server_answers_the_plain_get(client, phone):
    _, token = phone
    etag = _etag(client, token)

    plain = _asgi(lambda http: http.get(POLICY, headers=_headers(token)))
    again = _asgi(lambda http: http.get(POLICY, headers=_headers(token, etag)))

    assert plain.status_code == 200
    assert plain.headers["ETag"] == etag
    assert again.status_code == 304


def test_a_device_revoked_while_held_gets_401(client, tom, phone):
    device, token = phone
    etag = _etag(client, token)

    async def scenario(http):
        held = asyncio.create_task(http.get(f"{POLICY}?wait=50", headers=_headers(token, etag)))
        await asyncio.to_thread(_held_for, tom.pk)
        await asyncio.to_thread(device_revoke, device=device, actor=tom)
        return await held

    assert _asgi(scenario).status_code == 401


def test_the_limit_reached_on_another_device_answers_at_once(client, tom, alice, phone):
    _, token = phone
    _, other = register(tom, name="Laptop")
    screen_time_update(actor=alice, teen=tom, changes={"every_day": 1})
    etag = _etag(client, token)
    now = timezone.now()

    def report(seconds_ago: int):
        return post_usage(Client(), other, [event(now - timedelta(seconds=seconds_ago), 30)])

    async def scenario(http):
        held = asyncio.create_task(http.get(f"{POLICY}?wait=50", headers=_headers(token, etag)))
        await asyncio.to_thread(_held_for, tom.pk)
        under = await asyncio.to_thread(report, 70)  # half the minute: same version, no wake
        await asyncio.sleep(0.3)
        still_held = not held.done()
        over = await asyncio.to_thread(report, 35)
        return under, still_held, over, await held

    under, still_held, over, response = _asgi(scenario)

    assert under.status_code == over.status_code == 200
    assert still_held
    assert response.status_code == 200
    assert response.json()["allowed"] is False
    assert response.json()["reason"] == "daily_limit"


def test_an_answer_to_a_time_request_reaches_the_device(client, tom, alice, phone):
    device, token = phone
    asked = time_request_create(teen=tom, minutes=15, reason="homework", device=device)
    response = client.get(POLICY, **auth(token))
    etag, before = response["ETag"], response.json()

    async def scenario(http):
        held = asyncio.create_task(http.get(f"{POLICY}?wait=50", headers=_headers(token, etag)))
        await asyncio.to_thread(_held_for, tom.pk)
        await asyncio.to_thread(
            time_request_deny, time_request=asked, guardian=alice, note="After dinner"
        )
        return await held

    response = _asgi(scenario)

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == before["version"]  # a denial changes no rule...
    assert body["time_requests_version"] != before["time_requests_version"]  # ...but is news
    assert TimeRequest.objects.get(pk=asked.pk).status == "denied"


# --- WSGI (runserver: `make run`, the live test server) -----------------------------------------


def _hold_in_thread(token: str, etag: str, wait: int) -> tuple[threading.Thread, list]:
    answers: list = []

    def run():
        answers.append(
            Client().get(f"{POLICY}?wait={wait}", HTTP_IF_NONE_MATCH=etag, **auth(token))
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, answers


def test_runserver_holds_the_request_until_a_grant(client, tom, alice, phone):
    _, token = phone
    etag = _etag(client, token)

    thread, answers = _hold_in_thread(token, etag, 50)
    _held_for(tom.pk)
    day_grant_create(guardian=alice, teen=tom, bonus_minutes=15)
    thread.join(STUCK)

    (response,) = answers
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["limit_seconds"] == (60 + 15) * 60


def test_runserver_answers_304_when_the_wait_ends_and_401_once_revoked(client, tom, phone):
    device, token = phone
    etag = _etag(client, token)

    assert client.get(f"{POLICY}?wait=1", HTTP_IF_NONE_MATCH=etag, **auth(token)).status_code == 304

    thread, answers = _hold_in_thread(token, etag, 50)
    _held_for(tom.pk)
    device_revoke(device=device, actor=tom)
    thread.join(STUCK)
    (response,) = answers
    assert response.status_code == 401


def test_every_device_of_the_teen_is_answered(client, tom, alice, phone):
    _, token = phone
    _, laptop = register(tom, name="Laptop")
    held = [_hold_in_thread(t, _etag(client, t), 50) for t in (token, laptop, token)]
    _held_for(tom.pk, count=3)

    day_grant_create(guardian=alice, teen=tom, bonus_minutes=15)

    for thread, answers in held:
        thread.join(STUCK)
        assert [answer.status_code for answer in answers] == [200]


# --- The fan-out ---------------------------------------------------------------------------------


def test_the_hub_wakes_only_the_teens_waiters():
    local = Hub()
    toms, tinas = ThreadWaiter(), ThreadWaiter()
    local.add(1, toms)
    local.add(2, tinas)

    local.publish(1)

    assert toms.wait(0) is True
    assert tinas.wait(0) is False
    local.remove(1, toms)
    local.remove(2, tinas)
    assert local.held() == 0


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_redis_carries_a_change_from_one_process_to_another():
    # Two hubs are two processes: one publishes, the other's subscriber wakes its waiter.
    url = os.environ["REDIS_URL"]
    teen_id = 10**9 + uuid.uuid4().int % 10**6  # a teen no other test run uses
    publisher, subscriber = Hub(redis_url=url), Hub(redis_url=url)
    waiter, stranger = ThreadWaiter(), ThreadWaiter()
    subscriber.add(teen_id, waiter)
    subscriber.add(teen_id + 1, stranger)
    assert subscriber.subscribed.wait(STUCK)
    waiter.wait(0), stranger.wait(0)  # (the wake-everyone of the first subscription)

    publisher.publish(teen_id)

    assert waiter.wait(STUCK) is True
    assert stranger.wait(0.2) is False
    assert json.dumps(publisher.held()) == "0"
