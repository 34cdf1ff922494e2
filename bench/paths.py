"""The measured paths: what wrk sends, what answer is expected, and the database queries one
request makes (counted in-process with Django's test client against the same database and
cache as the server, after one warm-up request)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import Target
from bench.seed import SeededDevice
from bench.urls import NOOP_PATH

POLICY_URL = "/api/v1/device/policy"
USAGE_URL = "/api/v1/device/usage"
DASHBOARD_URL = "/dashboard/"
TEEN_PAGE_URL = "/me/"
BENCH_APP = "com.bench.load"


@dataclass
class BenchPath:
    key: str
    label: str
    method: str
    url: str
    script: str
    expected_status: int
    target: Target
    data: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # One request through the test client; returns the response (for status and headers).
    probe: Callable[[], object] | None = None
    extra: dict = field(default_factory=dict)
    # Recomputes `data` before each round (the 304 path's ETags).
    refresh: Callable[[], list[str]] | None = None
    # Statuses that are right answers too, reported but not failures.
    tolerated: tuple[int, ...] = ()
    # Run once before the load: the path's devices have been in touch before (their token and
    # policy are cached, as in steady state; the cold cost is counted separately).
    prime: Callable[[], None] | None = None

    def write_data(self, folder: Path, copies: int) -> Path | None:
        """The wrk data file; every wrk thread needs at least one line."""
        if not self.data:
            return None
        lines = list(self.data)
        while len(lines) < copies:
            lines.extend(self.data)
        path = folder / f"{self.key}.tsv"
        path.write_text("\n".join(lines) + "\n")
        return path


def _client():
    from django.test import Client

    # The server's settings: DEBUG off, ALLOWED_HOSTS=127.0.0.1.
    return Client(HTTP_HOST="127.0.0.1")


def usage_body(count: int, *, start: datetime, seconds: int = 1) -> dict:
    """A batch like the Lua script sends: `count` back-to-back events of `seconds` each."""
    return {
        "events": [
            {
                "id": str(uuid.uuid4()),
                "started_at": (start + timedelta(seconds=i * seconds))
                .replace(microsecond=0)
                .isoformat()
                .replace("+00:00", "Z"),
                "seconds": seconds,
                "app": BENCH_APP,
            }
            for i in range(count)
        ]
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def split_devices(devices: list[SeededDevice], parts: int) -> list[list[SeededDevice]]:
    """Disjoint device sets, so one path's writes never change another path's answers (a
    usage POST must not turn a 304 into a 200)."""
    return [devices[i::parts] for i in range(parts)]


def build_paths(
    *,
    load_devices: list[SeededDevice],
    dashboard_cookie: str,
    teen_cookie: str,
    postgres: bool,
) -> list[BenchPath]:
    client = _client()
    policy_200, policy_304, usage_1, usage_10, probes = split_devices(load_devices, 5)

    def policy_probe() -> object:
        return client.get(POLICY_URL, headers=bearer(probes[0].token))

    def primer(devices: list[SeededDevice]) -> Callable[[], None]:
        def prime() -> None:
            for device in devices:
                client.get(POLICY_URL, headers=bearer(device.token))

        return prime

    etag_device = probes[1 % len(probes)]
    etag = client.get(POLICY_URL, headers=bearer(etag_device.token)).headers.get("ETag", "")

    def etag_probe() -> object:
        return client.get(POLICY_URL, headers={**bearer(etag_device.token), "If-None-Match": etag})

    def usage_probe(count: int, device: SeededDevice) -> Callable[[], object]:
        def probe() -> object:
            start = datetime.now(UTC) - timedelta(seconds=random.randint(120, 6900))  # noqa: S311  # nosec B311
            return client.post(
                USAGE_URL,
                data=json.dumps(usage_body(count, start=start)),
                content_type="application/json",
                headers=bearer(device.token),
            )

        return probe

    def current_etags() -> list[str]:
        """Each device's ETag as it stands, as a device keeps the last one it got."""
        lines = []
        for device in policy_304:
            response = client.get(POLICY_URL, headers=bearer(device.token))
            lines.append(f"{device.token}\t{response.headers.get('ETag', 'missing')}")
        return lines

    return [
        BenchPath(
            key="policy_200",
            prime=primer(policy_200),
            label="device policy GET 200",
            method="GET",
            url=POLICY_URL,
            script="policy.lua",
            expected_status=200,
            target=Target(min_ratio=0.4),
            data=[device.token for device in policy_200],
            probe=policy_probe,
        ),
        BenchPath(
            key="policy_304",
            label="device policy GET 304",
            method="GET",
            url=POLICY_URL,
            script="policy.lua",
            expected_status=304,
            target=Target(min_ratio=0.6, max_queries=1),
            data=current_etags(),
            probe=etag_probe,
            # A teen's policy can change during a round (a downtime starts, a day ends in the
            # teen's zone): the device then rightly gets 200 with the new ETag.
            refresh=current_etags,
            tolerated=(200,),
        ),
        BenchPath(
            key="usage_1",
            prime=primer(usage_1),
            label="device usage POST, 1 event",
            method="POST",
            url=USAGE_URL,
            script="usage.lua",
            expected_status=200,
            target=Target(
                min_ratio=0.3 if postgres else None,
                max_queries=3 if postgres else None,
                note="" if postgres else "targets are for PostgreSQL",
            ),
            data=[device.token for device in usage_1],
            env={"BENCH_EVENTS": "1", "BENCH_APP": BENCH_APP},
            probe=usage_probe(1, probes[2 % len(probes)]),
        ),
        BenchPath(
            key="usage_10",
            prime=primer(usage_10),
            label="device usage POST, 10 events",
            method="POST",
            url=USAGE_URL,
            script="usage.lua",
            expected_status=200,
            target=Target(),
            data=[device.token for device in usage_10],
            env={"BENCH_EVENTS": "10", "BENCH_APP": BENCH_APP},
            probe=usage_probe(10, probes[3 % len(probes)]),
        ),
        BenchPath(
            key="dashboard",
            label="guardian dashboard, 10 teens",
            method="GET",
            url=DASHBOARD_URL,
            script="session.lua",
            expected_status=200,
            target=Target(min_ratio=0.15, note="queries independent of teens"),
            data=[dashboard_cookie],
            probe=page_probe(DASHBOARD_URL, dashboard_cookie),
        ),
        BenchPath(
            key="teen_page",
            label="teen page",
            method="GET",
            url=TEEN_PAGE_URL,
            script="session.lua",
            expected_status=200,
            target=Target(),
            data=[teen_cookie],
            probe=page_probe(TEEN_PAGE_URL, teen_cookie),
        ),
    ]


def noop_path() -> BenchPath:
    return BenchPath(
        key="noop",
        label="no-op reference view",
        method="GET",
        url=NOOP_PATH,
        script="noop.lua",
        expected_status=200,
        target=Target(),
        probe=page_probe(NOOP_PATH, ""),
    )


def count_queries(path: BenchPath) -> tuple[int | None, int | None]:
    """(queries, status) of one request after a warm-up request; (None, None) without a probe."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if path.probe is None:
        return None, None
    path.probe()
    with CaptureQueriesContext(connection) as captured:
        response = path.probe()
    return len(captured), response.status_code


def count_cold_queries(path: BenchPath) -> int | None:
    """Queries of one request with nothing cached (the cache flushed first): what a device's
    first request costs, or any request once its cache entries have expired."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if path.probe is None:
        return None
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        path.probe()
    return len(captured)


def page_probe(url: str, cookie: str) -> Callable[[], object]:
    client = _client()

    def probe() -> object:
        return client.get(url, headers={"Cookie": cookie})

    return probe


def page_probe_for(url: str, user) -> Callable[[], object]:
    return page_probe(url, session_cookie(user))


def session_cookie(user) -> str:
    """A signed-in session for `user`, as the browser would send it."""
    from django.conf import settings

    client = _client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
