"""The change channel's figures (issue 14): `python -m bench.channel` (PostgreSQL + Redis).

1. **Grant → device**: 1,000 devices (2 per teen) hold `GET /api/v1/device/policy?wait=50` on
   uvicorn (`familypairing.asgi`, one process); a guardian's grant is POSTed to gunicorn (the
   pages-and-API server) for one teen at a time; the time from the POST returning to each of
   that teen's devices receiving the new policy, p50/p95/max over every (grant, device) pair.
   Each device re-issues its poll with the new ETag at once, as a real client does.
2. **Memory per idle connection**: the uvicorn process's RSS with 0 and with 1,000 held
   requests.
3. **Steady state of a real device**: one usage report a minute (with its once-a-minute
   last-seen write) on gunicorn plus its channel (a held poll re-issued after each answer) on
   uvicorn, measured in two phases so that each cost is read alone: every device sends
   `--reports` reports a minute apart with no channel connected (CPU-seconds of the gunicorn
   workers and the PostgreSQL backends of the bench database, per report); then every device
   holds its channel while nothing changes, after the connection surge, for
   `--channel-seconds` (CPU-seconds of uvicorn and PostgreSQL, per answered poll). A device
   costs one report plus `60 / 40` polls a minute (waits drawn from 30-50 s); the capacity at
   50% of the machine's cores is `cores × 0.5 × 60 / (CPU-seconds per device-minute)`. Redis
   serves other users on this machine, so its CPU (`INFO cpu`) is added only as an upper bound.
   The bench client runs on the same cores and is not counted.

Every server binds to 127.0.0.1; every loop is bounded; the processes stop when it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.engines import (
    VAR_DIR,
    bench_database_url,
    redis_db,
    reset_postgres,
    server_environment,
)
from bench.runner import (
    HOST,
    BenchError,
    Processes,
    child_pids,
    cpu_spent,
    free_port,
    install_signal_handlers,
    rss_mb,
    server_cpu,
    start_gunicorn,
    wait_for_http,
)

WAIT = 50


def say(text: str) -> None:
    print(text, flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- Data --------------------------------------------------------------------------------------


def seed(teens: int) -> dict:
    """`teens` supervised teens with 2 devices each, and one guardian per teen with a session."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.devices.services import device_register
    from accounts.models import Platform
    from tests.factories import TeenFactory, UserFactory, link

    # Nobody signs in with these passwords: hash them cheaply (this process only).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    families = []
    for index in range(teens):
        guardian = UserFactory(email=f"g{index}@bench.example")
        teen = TeenFactory(email=f"t{index}@bench.example")
        link(guardian, teen)
        tokens = [
            device_register(teen=teen, actor=teen, name=f"D{n}", platform=Platform.BROWSER)[1]
            for n in range(2)
        ]
        session = SessionStore()
        session[SESSION_KEY] = str(guardian.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = guardian.get_session_auth_hash()
        session.create()
        families.append({"teen": teen.pk, "session": session.session_key, "tokens": tokens})
    return {"families": families}


# --- The measurement ---------------------------------------------------------------------------


class Device:
    def __init__(self, token: str, teen: int) -> None:
        self.token, self.teen, self.etag = token, teen, ""
        self.changed: asyncio.Event = asyncio.Event()
        self.received_at = 0.0
        self.polls = 0


async def hold(http, channel_url: str, device: Device, stop: asyncio.Event) -> None:
    """The device's channel: a held poll, re-issued at once after each answer."""
    while not stop.is_set():
        headers = {"Authorization": f"Bearer {device.token}"}
        if device.etag:
            headers["If-None-Match"] = device.etag
        # Real devices connect at random moments, so their waits end at random moments; a
        # thousand devices started together would all re-poll in the same instant every WAIT s.
        wait = random.randint(WAIT - 20, WAIT)  # noqa: S311  # nosec B311 - not a secret
        try:
            response = await http.get(f"{channel_url}?wait={wait}", headers=headers)
        except Exception:
            if stop.is_set():
                return
            await asyncio.sleep(0.5)
            continue
        device.polls += 1
        if response.status_code == 200:
            first = not device.etag
            device.etag = response.headers["ETag"]
            if not first:
                device.received_at = time.perf_counter()
                device.changed.set()
        elif response.status_code != 304:
            await asyncio.sleep(1)


async def measure(args, urls: dict, data: dict, pids: dict) -> dict:
    import httpx

    families = data["families"]
    devices = [Device(token, f["teen"]) for f in families for token in f["tokens"]]
    limits = httpx.Limits(max_connections=len(devices) + 50, max_keepalive_connections=None)
    timeout = httpx.Timeout(WAIT + 20)
    result: dict = {}
    async with (
        httpx.AsyncClient(limits=limits, timeout=timeout) as channel_http,
        httpx.AsyncClient(timeout=30) as api,
    ):
        rss_idle = rss_mb(pids["uvicorn_pid"])
        stop = asyncio.Event()
        tasks = [asyncio.create_task(hold(channel_http, urls["channel"], d, stop)) for d in devices]
        for _ in range(600):  # until every device holds a poll (its first answer came)
            if all(d.etag for d in devices):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # every second poll is now held
        rss_held = rss_mb(pids["uvicorn_pid"])
        result["connections"] = len(devices)
        result["rss_idle_mb"] = rss_idle
        result["rss_held_mb"] = rss_held
        result["kb_per_connection"] = (rss_held - rss_idle) * 1024 / len(devices)
        say(
            f"  uvicorn RSS {rss_idle:.1f} MB idle, {rss_held:.1f} MB with {len(devices)} held "
            f"requests: {result['kb_per_connection']:.1f} KB per connection"
        )

        # 1. Grants
        latencies: list[float] = []
        for family in families[: args.grants]:
            mine = [d for d in devices if d.teen == family["teen"]]
            for device in mine:
                device.changed.clear()
            csrf = secrets.token_hex(16)
            response = await api.post(
                f"{urls['api']}/api/v1/teens/{family['teen']}/grants",
                json={"bonus_minutes": 15},
                headers={"X-CSRFToken": csrf, "Referer": urls["api"] + "/"},
                cookies={"sessionid": family["session"], "csrftoken": csrf},
            )
            returned = time.perf_counter()
            if response.status_code != 201:
                raise BenchError(f"grant answered {response.status_code}: {response.text[:200]}")
            await asyncio.wait_for(
                asyncio.gather(*(d.changed.wait() for d in mine)), timeout=WAIT + 5
            )
            latencies += [max(0.0, d.received_at - returned) for d in mine]
            await asyncio.sleep(0.05)
        result["grant_p50_ms"] = statistics.median(latencies) * 1000
        result["grant_p95_ms"] = percentile(latencies, 0.95) * 1000
        result["grant_max_ms"] = max(latencies) * 1000
        result["grant_pairs"] = len(latencies)
        say(
            f"  grant → device ({args.grants} grants, {len(latencies)} devices told, "
            f"{len(devices)} connected): p50 {result['grant_p50_ms']:.0f} ms, p95 "
            f"{result['grant_p95_ms']:.0f} ms, max {result['grant_max_ms']:.0f} ms"
        )

        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return result


async def report_cost(urls: dict, data: dict, pids: dict, per_device: int) -> dict:
    """CPU of gunicorn and PostgreSQL per usage report (one minute of use, the device's
    once-a-minute last-seen write included), with no channel connected so nothing else runs."""
    import httpx

    devices = [Device(token, f["teen"]) for f in data["families"] for token in f["tokens"]]
    start = datetime.now(UTC) - timedelta(minutes=per_device + 5)
    sem = asyncio.Semaphore(8)
    accepted = 0

    async def report(api, device: Device, minute: int) -> None:
        nonlocal accepted
        started_at = start + timedelta(minutes=minute)
        body = {
            "events": [
                {
                    "id": str(uuid.uuid4()),
                    "started_at": started_at.isoformat(),
                    "seconds": 60,
                    "app": "web:example.com",
                }
            ]
        }
        async with sem:
            response = await api.post(
                f"{urls['api']}/api/v1/device/usage",
                content=json.dumps(body),
                headers={
                    "Authorization": f"Bearer {device.token}",
                    "Content-Type": "application/json",
                },
            )
        if response.status_code == 200:
            accepted += 1

    async with httpx.AsyncClient(timeout=60) as api:
        before = {name: server_cpu(pids, (name,)) for name in ("gunicorn", "postgres")}
        redis_before = pids["redis_cpu"]()
        started = time.perf_counter()
        for minute in range(per_device):
            # Each device's minutes in order, as a device sends them, a real minute apart, so
            # that every report makes its once-a-minute last-seen write (LAST_SEEN_RESOLUTION).
            round_started = time.perf_counter()
            await asyncio.gather(*(report(api, d, minute) for d in devices))
            if minute < per_device - 1:
                await asyncio.sleep(max(0.0, 61 - (time.perf_counter() - round_started)))
        elapsed = time.perf_counter() - started
        split = {name: cpu_spent(before[name], pids, (name,)) for name in before}
        cpu = sum(split.values())
    return {
        "reports": accepted,
        "sent": len(devices) * per_device,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "cpu_seconds_by_process": split,
        "redis_cpu_seconds": max(0.0, pids["redis_cpu"]() - redis_before),
    }


async def channel_cost(urls: dict, data: dict, pids: dict, seconds: float) -> dict:
    """CPU of uvicorn and PostgreSQL per answered poll while every device holds its channel
    and nothing changes: measured after the connection surge (every device's first answer
    and its second poll held), over `seconds`."""
    import httpx

    devices = [Device(token, f["teen"]) for f in data["families"] for token in f["tokens"]]
    limits = httpx.Limits(max_connections=len(devices) + 50, max_keepalive_connections=None)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(WAIT + 20)) as http:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(hold(http, urls["channel"], d, stop)) for d in devices]
        for _ in range(600):
            if all(d.etag for d in devices):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(5)  # every second poll is held now: the surge is over
        before = {name: server_cpu(pids, (name,)) for name in ("uvicorn", "postgres")}
        redis_before = pids["redis_cpu"]()
        polls_before = sum(d.polls for d in devices)
        await asyncio.sleep(seconds)
        split = {name: cpu_spent(before[name], pids, (name,)) for name in before}
        cpu = sum(split.values())
        polls = sum(d.polls for d in devices) - polls_before
        redis_cpu = max(0.0, pids["redis_cpu"]() - redis_before)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "devices": len(devices),
        "seconds": seconds,
        "polls": polls,
        "cpu_seconds": cpu,
        "cpu_seconds_by_process": split,
        "redis_cpu_seconds": redis_cpu,
    }


# --- The run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.channel")
    parser.add_argument("--devices", type=int, default=1000, help="connected devices (1000)")
    parser.add_argument("--grants", type=int, default=40, help="grants measured (40)")
    parser.add_argument(
        "--reports", type=int, default=2, help="usage reports per device, a minute apart (2)"
    )
    parser.add_argument(
        "--channel-seconds", type=float, default=60, help="the held-channel phase (60 s)"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", type=Path, default=VAR_DIR / "channel.json")
    args = parser.parse_args(argv)
    raw_database_url = os.environ.get("DATABASE_URL", "").strip()
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not raw_database_url or not redis_url or redis_db(redis_url) == 0:
        raise BenchError(
            "The channel bench needs DATABASE_URL (PostgreSQL) and REDIS_URL with a database of "
            "its own (not 0): the fan-out between gunicorn and uvicorn is Redis pub/sub."
        )
    database_url = bench_database_url(raw_database_url)
    install_signal_handlers()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    env = server_environment(
        secret_key=secrets.token_urlsafe(50), database_url=database_url, redis_url=redis_url
    )
    env["ROOT_URLCONF"] = "familypairing.urls"
    os.environ.update(env)
    say("== Family Pairing change-channel benchmark")
    say(f"  database {database_url.rsplit('/', 1)[-1]!r}, Redis db {redis_db(redis_url)}")

    reset_postgres(database_url)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    cache.clear()
    started = time.perf_counter()
    data = seed(args.devices // 2)
    say(
        f"  seeded {args.devices // 2} teens, {args.devices} devices in "
        f"{time.perf_counter() - started:.0f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (db_name,) = cursor.fetchone()
    connection.close()

    processes = Processes()
    try:
        api_port, channel_port = free_port(), free_port()
        gunicorn = start_gunicorn(
            processes,
            env={**os.environ},
            port=api_port,
            workers=args.workers,
            worker_class="sync",
            threads=1,
            log=VAR_DIR / "gunicorn-channel.log",
        )
        uvicorn = processes.start(
            "uvicorn",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "familypairing.asgi:application",
                "--host",
                HOST,
                "--port",
                str(channel_port),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--timeout-keep-alive",
                str(WAIT + 30),
                "--backlog",
                "4096",
            ],
            env={**os.environ},
            log=VAR_DIR / "uvicorn.log",
        )
        wait_for_http(f"http://{HOST}:{api_port}/healthz", timeout=60, process=gunicorn)
        wait_for_http(f"http://{HOST}:{channel_port}/healthz", timeout=60, process=uvicorn)
        urls = {
            "api": f"http://{HOST}:{api_port}",
            "channel": f"http://{HOST}:{channel_port}/api/v1/device/policy",
        }

        import psycopg
        import redis

        def postgres_pids() -> list[int]:
            with psycopg.connect(database_url.replace(f"/{db_name}", "/postgres")) as conn:
                # The servers' own connections: not autovacuum, which runs on its own schedule
                # after the seed and would be charged to whichever phase it overlaps.
                rows = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s"
                    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                    [db_name],
                ).fetchall()
            return [row[0] for row in rows]

        client = redis.Redis.from_url(redis_url)

        def redis_cpu() -> float:
            info = client.info("cpu")
            return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])

        pids = {
            "uvicorn_pid": uvicorn.pid,
            "uvicorn": lambda: [uvicorn.pid],
            "gunicorn": lambda: [gunicorn.pid, *child_pids(gunicorn.pid)],
            "postgres": postgres_pids,
            "redis_cpu": redis_cpu,
        }
        result = asyncio.run(measure(args, urls, data, pids))
        say(f"  report phase: {args.reports} usage reports per device, no channel connected")
        reports = asyncio.run(report_cost(urls, data, pids, args.reports))
        say(f"  channel phase: every device holds its poll, {args.channel_seconds:g} s measured")
        channel = asyncio.run(channel_cost(urls, data, pids, args.channel_seconds))
    finally:
        processes.stop_all()

    cores = os.cpu_count() or 1
    per_report = reports["cpu_seconds"] / max(1, reports["reports"])
    per_poll = channel["cpu_seconds"] / max(1, channel["polls"])
    # A device re-polls when its wait ends (a client waits `WAIT` s; the bench draws 30-50 s, like
    # devices that connected at random moments): polls per device-minute at the mean wait.
    polls_per_minute = 60 / (WAIT - 10)
    per_device_minute = per_report + per_poll * polls_per_minute
    capacity = cores * 0.5 * 60 / per_device_minute
    redis_per_minute = (
        reports["redis_cpu_seconds"] / max(1, reports["reports"])
        + channel["redis_cpu_seconds"] / max(1, channel["polls"]) * polls_per_minute
    )
    capacity_with_redis = cores * 0.5 * 60 / (per_device_minute + redis_per_minute)
    summary = {
        **result,
        "reports": reports,
        "channel": channel,
        "cpu_ms_per_report": per_report * 1000,
        "cpu_ms_per_poll": per_poll * 1000,
        "polls_per_device_minute": polls_per_minute,
        "cpu_ms_per_device_minute": per_device_minute * 1000,
        "devices_at_half_cpu": capacity,
        "devices_at_half_cpu_with_redis": capacity_with_redis,
        "cores": cores,
        "load_average_after": os.getloadavg()[0],
    }
    say(
        f"  a usage report costs {per_report * 1000:.2f} CPU-ms (gunicorn + PostgreSQL; "
        f"{reports['reports']}/{reports['sent']} accepted in {reports['seconds']:.0f} s); "
        f"a held poll {per_poll * 1000:.2f} CPU-ms (uvicorn + PostgreSQL; {channel['polls']} "
        f"answered in {channel['seconds']:g} s)"
    )
    say(
        f"  a real device (1 report + {polls_per_minute:.1f} polls a minute) costs "
        f"{per_device_minute * 1000:.2f} CPU-ms a minute: {capacity:,.0f} devices at 50% of "
        f"{cores} cores ({capacity_with_redis:,.0f} counting Redis's CPU, an upper bound: other "
        f"users of this machine share it); load average {summary['load_average_after']:.2f}"
    )
    args.output.write_text(json.dumps(summary, indent=2, default=str))
    say(f"  written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
