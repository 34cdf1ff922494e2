"""The fault test (issue 11, "Done when"): a Redis this test starts itself is killed while a
device keeps reporting usage and fetching its policy, then started again on the same port.

Every answer is a 2xx from the database, not a second is lost or counted twice, and the cache
is used again once Redis is back, with nothing reset by hand. Runs wherever `redis-server` is
installed (CI installs it; both CI passes run it). The machine's own Redis is never touched: the
test's server listens on a free loopback port, keeps its files in a temporary directory, and is
always stopped at the end."""

from __future__ import annotations

import shutil
import socket
import subprocess  # nosec B404 - starts a redis-server of the test's own
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from django.db.models import Sum

from controls.models import DailyUsage, TeenDay, UsageEvent
from tests.device_support import auth, event, post_usage, register

REDIS_SERVER = shutil.which("redis-server")
NOW = datetime(2026, 7, 15, 11, 0, tzinfo=UTC)  # Wednesday, 12:00 in London
SECONDS = 30  # per report

pytestmark = [
    pytest.mark.redisfault,
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server on a loopback port, in a directory of its own, without persistence (so a
    restart starts empty, like a cache server after a crash)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)

    def start(self) -> None:
        self.process = subprocess.Popen(  # nosec B603 - fixed arguments, no shell
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):  # at most about 10 s
            try:
                if self.client().ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("the test's redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def keys(self) -> int:
        return self.client().dbsize()


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    server.start()
    try:
        settings.CACHES = {
            "default": {
                "BACKEND": "familypairing.cache.FailSoftRedisCache",
                "LOCATION": server.url,
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
            }
        }
        yield server
    finally:
        server.kill()


@pytest.mark.django_db
def test_the_device_api_keeps_answering_through_a_redis_outage(client, alice, tom, own_redis):
    _, token = register(tom)
    start = NOW - timedelta(hours=2)
    sent: list[dict] = []
    answers: list[int] = []

    def report() -> dict:
        """One more 30-second event (after the last), then the policy, as a device does."""
        one = event(start + timedelta(seconds=SECONDS * len(sent)), SECONDS)
        sent.append(one)
        response = post_usage(client, token, [one])
        answers.append(response.status_code)
        policy = client.get("/api/v1/device/policy", **auth(token))
        answers.append(policy.status_code)
        return policy.json() if policy.status_code == 200 else {}

    with time_machine.travel(NOW, tick=True):
        for _ in range(5):
            report()
        assert own_redis.keys() > 0  # the cache was in use

        own_redis.kill()
        for _ in range(10):
            policy = report()
            assert policy["used_seconds"] == SECONDS * len(sent)  # from the database
        client.force_login(alice)
        answers.append(client.get("/dashboard/").status_code)

        own_redis.start()  # same port, empty
        assert own_redis.keys() == 0
        for _ in range(100):  # the cache is skipped for about 2 s after the last failure
            policy = report()
            if own_redis.keys() > 0:
                break
            time.sleep(0.1)
        assert own_redis.keys() > 0, "the cache was not used again after Redis came back"
        for _ in range(3):
            policy = report()
        assert policy["used_seconds"] == SECONDS * len(sent)

        # A device retrying what it sent during the outage books nothing twice.
        retry = post_usage(client, token, sent[5:15])
        answers.append(retry.status_code)
        assert sorted(retry.json()["ignored"]) == sorted(one["id"] for one in sent[5:15])

    assert answers and all(200 <= status < 300 for status in answers), answers
    total = SECONDS * len(sent)
    assert UsageEvent.objects.filter(teen=tom).count() == len(sent)
    assert TeenDay.objects.filter(teen=tom).aggregate(s=Sum("counted_seconds"))["s"] == total
    assert DailyUsage.objects.filter(teen=tom).aggregate(s=Sum("seconds"))["s"] == total
