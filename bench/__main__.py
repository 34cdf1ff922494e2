"""`make bench` (`python -m bench`): the hot paths against a no-op view, in one run.

1. Chooses the engines: PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set, SQLite and
   the filesystem broker otherwise (and says which).
2. Resets the benchmark's own database (never the one in DATABASE_URL unless its name contains
   "bench": otherwise `<name>_bench` on the same server), migrates, seeds.
3. Starts gunicorn on 127.0.0.1 with production-like settings (DEBUG off, a generated
   SECRET_KEY, one worker per core) and the benchmark's URLs (the project's + a no-op view).
4. Drives each path with wrk for a bounded time and prints requests/s, p50, p99, database
   queries per request and the ratio to the no-op view; then the enforcement figures (with a
   real Celery worker, Redis only), the beat sweep over 100,000 teens, and the workers' memory.

Everything runs on loopback, is bounded in time, and stops its processes on exit, failure,
Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.engines import (
    BASE_DIR,
    VAR_DIR,
    bench_database_url,
    data_set_exists,
    describe_engines,
    describe_machine,
    load_state,
    redis_db,
    reset_postgres,
    server_environment,
)
from bench.load import LoadDriver
from bench.runner import (
    HOST,
    BenchError,
    Processes,
    child_pids,
    ensure_wrk,
    free_port,
    install_signal_handlers,
    rss_mb,
    start_celery_worker,
    start_gunicorn,
    wait_for_http,
    wait_for_log,
)

MEMORY_TARGET_MB = 150


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the hot paths against a no-op view (see docs/benchmarks.md).",
    )
    parser.add_argument("--families", type=int, default=1000, help="families to seed (1000)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per path")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per path")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per path, --duration split between them"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--wrk-threads", type=int, default=min(2, cores), help="wrk threads")
    parser.add_argument("--workers", type=int, default=cores, help="gunicorn workers (cores)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument(
        "--paths",
        default="all",
        help="all (default), none, or some of: "
        "policy_200,policy_304,usage_1,usage_10,dashboard,teen_page",
    )
    parser.add_argument(
        "--reuse-data",
        action="store_true",
        help="keep the database seeded by the previous run with the same --families",
    )
    parser.add_argument("--history-days", type=int, default=28, help="days of daily totals")
    parser.add_argument("--event-days", type=int, default=2, help="days of per-minute events")
    parser.add_argument(
        "--enforcement-teens", type=int, default=200, help="teens in the enforcement figure"
    )
    parser.add_argument(
        "--enforcement-rate",
        type=float,
        default=20,
        help="crossing reports per second in the enforcement figure (20; 0: all at once)",
    )
    parser.add_argument(
        "--sweep-teens", type=int, default=100_000, help="teens in the beat-sweep figure (0: skip)"
    )
    parser.add_argument(
        "--max-minutes", type=int, default=90, help="stop everything after this long (90)"
    )
    parser.add_argument("--output", type=Path, help="where to write the JSON record")
    args = parser.parse_args(argv)
    if args.families < 2 or args.duration <= 0 or args.connections < 1 or args.rounds < 1:
        parser.error("--families must be >= 2, --duration > 0, --connections >= 1, --rounds >= 1")
    args.enforcement_teens = min(args.enforcement_teens, args.families // 2)
    return args


# --- The run ----------------------------------------------------------------------------------


_TRANSCRIPT: list[str] = []


def say(message: str) -> None:
    """Print, and keep for the run's log (var/bench/run-<engine>-<families>.log)."""
    print(message, flush=True)
    _TRANSCRIPT.append(message)


def run(args: argparse.Namespace, processes: Processes) -> int:
    wrk = ensure_wrk()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    raw_database_url = os.environ.get("DATABASE_URL", "").strip()
    redis_url = os.environ.get("REDIS_URL", "").strip()
    database_url = bench_database_url(raw_database_url) if raw_database_url else ""
    if redis_url and redis_db(redis_url) == 0:
        raise BenchError(
            "REDIS_URL points at Redis database 0, which the bench would flush: give the bench a "
            "database of its own, e.g. REDIS_URL=redis://127.0.0.1:6379/9"
        )
    backend = "postgresql" if database_url else "sqlite"
    cores = os.cpu_count() or 1
    say("== Family Pairing benchmark")
    for line in describe_engines(database_url, redis_url):
        say("  " + line)
    say(
        f"  server: gunicorn on {HOST}, {args.workers} {args.worker_class} worker(s) "
        f"on {cores} core(s); load: wrk, {args.wrk_threads} thread(s), {args.connections} "
        f"connections, {args.duration:g} s per path after {args.warmup:g} s of warm-up"
    )

    state_file = VAR_DIR / f"state-{backend}-{args.families}.json"
    state = load_state(state_file) if args.reuse_data else {}
    reuse = (
        bool(state)
        and state.get("families") == args.families
        and state.get("database") == (database_url or "sqlite")
    )
    if args.reuse_data and not reuse:
        say("  --reuse-data: no matching data set from an earlier run, seeding afresh")
    if reuse and not data_set_exists(database_url):
        say("  --reuse-data: the database of the earlier run is gone, seeding afresh")
        reuse = False
    secret_key = state["secret_key"] if reuse else secrets.token_urlsafe(50)
    env = server_environment(secret_key=secret_key, database_url=database_url, redis_url=redis_url)
    os.environ.update(env)

    if not reuse:
        if database_url:
            reset_postgres(database_url)
        else:
            for suffix in ("", "-wal", "-shm"):
                (VAR_DIR / f"db.sqlite3{suffix}").unlink(missing_ok=True)
        shutil.rmtree(VAR_DIR / "cache", ignore_errors=True)
    shutil.rmtree(VAR_DIR / "celery", ignore_errors=True)  # no tasks left from an earlier run
    for folder in ("celery/queue", "celery/processed", "mail", "cache"):
        (VAR_DIR / folder).mkdir(parents=True, exist_ok=True)

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from bench import figures
    from bench.paths import (
        build_paths,
        count_cold_queries,
        count_queries,
        noop_path,
        session_cookie,
    )
    from bench.report import format_table, record_of, save
    from bench.seed import SeededDevice, seed

    t0 = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    if redis_url:
        cache.clear()  # FLUSHDB of the bench's Redis database: cached state of an older seed
    say(f"  migrated and collected static files ({time.monotonic() - t0:.0f} s)")
    machine = describe_machine()
    say("  machine: " + ", ".join(f"{key} {value}" for key, value in machine.items()))
    load = os.getloadavg()[0]
    machine["load_before"] = f"{load:.2f}"
    if load > 0.5 * cores:
        say(
            f"  warning: the machine is busy (load average {load:.2f} on {cores} cores): "
            "ratios hold up, absolute figures will be low"
        )

    if reuse:
        say(f"  reusing the data set of {args.families:,} families seeded {state['seeded_at']}")
    else:
        say(f"  seeding {args.families:,} families ...")
        result = seed(
            families=args.families,
            history_days=args.history_days,
            event_days=args.event_days,
            enforcement_teens=args.enforcement_teens,
            progress=lambda message: say("    " + message),
        )
        state = {
            "secret_key": secret_key,
            "families": args.families,
            "database": database_url or "sqlite",
            "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": {
                "families": result.families,
                "guardians": result.guardians,
                "teens": result.teens,
                "devices": result.devices,
                "rows": result.rows,
                "seconds": round(result.seconds, 1),
            },
            "dashboard_guardian_id": result.dashboard_guardian_id,
            "teen_page_teen_id": result.teen_page_teen_id,
            "load_devices": [asdict(d) for d in result.load_devices],
            "enforcement_devices": [asdict(d) for d in result.enforcement_devices],
            "sweep_teens_seeded": 0,
        }
        state_file.write_text(json.dumps(state, indent=1))
        if not database_url:
            # SQLite keeps one data set (var/bench/db.sqlite3): forget the others.
            for other in VAR_DIR.glob("state-sqlite-*.json"):
                if other != state_file:
                    other.unlink()
        rows = sum(result.rows.values())
        say(
            f"  seeded {result.families:,} families: {result.guardians:,} guardians, "
            f"{result.teens:,} teens, {result.devices:,} devices, {rows:,} rows in "
            f"{result.seconds:.0f} s"
        )

    from accounts.models import User

    load_devices = [SeededDevice(**d) for d in state["load_devices"]]
    enforcement_devices = [SeededDevice(**d) for d in state["enforcement_devices"]]
    dashboard_cookie = session_cookie(User.objects.get(pk=state["dashboard_guardian_id"]))
    teen_cookie = session_cookie(User.objects.get(pk=state["teen_page_teen_id"]))

    wanted = None if args.paths == "all" else set(args.paths.split(",")) - {"none"}
    paths = [
        path
        for path in build_paths(
            load_devices=load_devices,
            dashboard_cookie=dashboard_cookie,
            teen_cookie=teen_cookie,
            postgres=bool(database_url),
        )
        if wanted is None or path.key in wanted
    ]
    queries: dict[str, tuple[int | None, int | None]] = {}
    for path in [noop_path(), *paths]:
        queries[path.key] = count_queries(path)
        status = queries[path.key][1]
        if status is not None and status != path.expected_status:
            say(f"  warning: {path.label} answered {status} in-process, not {path.expected_status}")
    cold_queries = {
        path.key: count_cold_queries(path)
        for path in paths
        if path.key.startswith(("policy", "usage"))
    }
    dashboard_independent = figures.dashboard_queries_independent_of_teens(
        guardian_id=state["dashboard_guardian_id"]
    )
    connection.close()

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    gunicorn_env = {**os.environ, **env}
    server = start_gunicorn(
        processes,
        env=gunicorn_env,
        port=port,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        log=VAR_DIR / "gunicorn.log",
    )
    wait_for_http(base_url + "/bench/noop", timeout=60, process=server)
    say(f"  gunicorn ready on {base_url} (pid {server.pid}, log var/bench/gunicorn.log)")
    # A Celery worker runs beside the server, as in production: reports that cross a threshold
    # enqueue the enforcement task, which moves the day's state on, so later reports do not
    # enqueue it again (and no backlog builds up for the enforcement figure).
    worker_log = VAR_DIR / "celery.log"
    worker_log.unlink(missing_ok=True)
    worker = start_celery_worker(
        processes, env=gunicorn_env, concurrency=args.workers, log=worker_log
    )
    wait_for_log(worker_log, " ready.", timeout=60, process=worker)
    say(f"  celery worker ready (pid {worker.pid}, log var/bench/celery.log)")

    data_dir = VAR_DIR / "wrk"
    data_dir.mkdir(exist_ok=True)
    wrk_log = VAR_DIR / "wrk.log"
    wrk_log.write_text("")
    os.environ["BENCH_THREADS"] = str(args.wrk_threads)

    driver = LoadDriver(
        wrk=wrk,
        base_url=base_url,
        data_dir=data_dir,
        wrk_log=wrk_log,
        connections=args.connections,
        threads=args.wrk_threads,
        queries=queries,
        say=say,
    )
    say(f"== Load (wrk on loopback; {args.rounds} rounds per path, the no-op view runs between)")
    noops, results, noop_row = driver.rounds(
        paths,
        rounds=args.rounds,
        warmup=args.warmup,
        duration=args.duration,
        noop=noop_path(),
        extra={"dashboard": {"queries_independent_of_teens": dashboard_independent}},
    )

    workers = child_pids(server.pid)
    memory = {pid: rss_mb(pid) for pid in workers}
    worker_rss = max((mb for mb in memory.values() if mb is not None), default=None)

    enforcement = {
        "skipped": "REDIS_URL is not set: the enforcement figure needs a real worker on Redis"
    }
    if redis_url and args.enforcement_teens:
        say("== Enforcement (a real Celery worker on Redis)")
        enforcement = figures.enforcement_latency(
            base_url=base_url,
            devices=enforcement_devices,
            rate=args.enforcement_rate,
            say=say,
        )
    elif not args.enforcement_teens:
        enforcement = {"skipped": "--enforcement-teens 0"}
    processes.stop_all()

    sweep = {"skipped": "--sweep-teens 0"}
    if args.sweep_teens:
        say(f"== Beat sweep over {args.sweep_teens:,} teens")
        sweep = figures.sweep(target_teens=args.sweep_teens, state=state, say=say)
        state_file.write_text(json.dumps(state, indent=1))

    table_rows = [noop_row, *results]
    machine["load_after"] = f"{os.getloadavg()[0]:.2f}"
    say("")
    say(
        f"== Results: {args.families:,} families, {backend}, {cores} cores "
        f"(load average {machine['load_before']} before, {machine['load_after']} after)"
    )
    say(format_table(table_rows))
    say("")
    say(
        "no-op req/s run by run: "
        + ", ".join(f"{n.rps:,.0f}" for n in noops)
        + " (each round's ratio uses the runs just before and after it)"
    )
    if cold_queries:
        say(
            "queries with nothing cached (a device's first request, or once its entries "
            "expired): " + ", ".join(f"{key} {count}" for key, count in cold_queries.items())
        )
    if "dashboard" in queries:
        say(f"dashboard queries by teens linked: {dashboard_independent}")
    if worker_rss is not None:
        verdict = "met" if worker_rss <= MEMORY_TARGET_MB else "MISSED"
        say(
            f"gunicorn worker memory after the run: {worker_rss:.0f} MB RSS (max of "
            f"{len(memory)} workers; target <= {MEMORY_TARGET_MB} MB: {verdict})"
        )
    say(figures.describe_enforcement(enforcement))
    say(figures.describe_sweep(sweep))

    output = args.output or VAR_DIR / f"results-{backend}-{args.families}.json"
    save(
        output,
        record_of(
            table_rows,
            families=args.families,
            backend=backend,
            machine=machine,
            redis=bool(redis_url),
            cores=cores,
            workers=args.workers,
            worker_class=args.worker_class,
            connections=args.connections,
            duration=args.duration,
            seed=state.get("seed"),
            memory_mb={str(k): v for k, v in memory.items()},
            worker_rss_mb=worker_rss,
            dashboard_queries=dashboard_independent,
            cold_queries=cold_queries,
            enforcement=enforcement,
            sweep=sweep,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        ),
    )
    transcript = VAR_DIR / f"run-{backend}-{args.families}.log"
    say(f"saved {output.relative_to(BASE_DIR) if output.is_relative_to(BASE_DIR) else output}")
    transcript.write_text("\n".join(_TRANSCRIPT) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install_signal_handlers()
    processes = Processes()

    def out_of_time(signum, frame):
        raise BenchError(f"the run took longer than --max-minutes {args.max_minutes}")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.max_minutes * 60)
    try:
        return run(args, processes)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted; stopping the server and workers", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        processes.stop_all()


if __name__ == "__main__":
    sys.exit(main())
