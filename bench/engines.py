"""The engines the benchmark runs on and the environment of every process it starts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.runner import HOST, BenchError

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var" / "bench"


def bench_database_url(url: str) -> str:
    """The benchmark's own database on the server of DATABASE_URL: it is dropped and recreated,
    so it is never the deployment's database."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        name = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{name}"))


def reset_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise BenchError(f"cannot recreate PostgreSQL database {name!r}: {exc}") from exc


def data_set_exists(database_url: str) -> bool:
    """Whether the database an earlier run seeded is still there."""
    if not database_url:
        return (VAR_DIR / "db.sqlite3").exists()
    import psycopg

    parts = urlsplit(database_url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]
            ).fetchone()
    except psycopg.Error as exc:
        raise BenchError(f"cannot reach PostgreSQL: {exc}") from exc
    return row is not None


def redis_db(url: str) -> int:
    path = urlsplit(url).path.lstrip("/")
    return int(path) if path.isdigit() else 0


def describe_engines(database_url: str, redis_url: str) -> list[str]:
    lines = []
    if database_url:
        parts = urlsplit(database_url)
        lines.append(
            f"database: PostgreSQL, database {parts.path.lstrip('/')!r} on "
            f"{parts.hostname}:{parts.port or 5432} (DATABASE_URL is set; recreated by the bench)"
        )
    else:
        lines.append(
            f"database: SQLite {VAR_DIR / 'db.sqlite3'} (DATABASE_URL not set; set it to "
            "measure PostgreSQL)"
        )
    if redis_url:
        lines.append(
            f"broker and cache: Redis db {redis_db(redis_url)} (REDIS_URL is set; flushed by the "
            "bench)"
        )
    else:
        lines.append(
            "broker and cache: Celery's filesystem broker and a file cache under var/bench "
            "(REDIS_URL not set; the enforcement figure needs Redis and is skipped)"
        )
    return lines


def load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def server_environment(*, secret_key: str, database_url: str, redis_url: str) -> dict[str, str]:
    """Production-like settings for every process (server, worker, this one), on loopback."""
    env = {
        "DJANGO_SETTINGS_MODULE": "familypairing.settings",
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "ROOT_URLCONF": "bench.urls",
        "VAR_DIR": str(VAR_DIR),
        "STATIC_ROOT": str(VAR_DIR / "static"),
        "SITE_URL": f"http://{HOST}",
        "LOG_LEVEL": "WARNING",
        "SEED_DEMO": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "PYTHONPATH": str(BASE_DIR),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def describe_machine() -> dict[str, str]:
    """What the figures were measured on (for docs/benchmarks.md)."""
    import platform
    import subprocess  # nosec B404 - git, fixed arguments

    import django

    commit = subprocess.run(  # nosec B603 B607
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    info = {
        "commit": commit or "unknown",
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "django": django.get_version(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in cpuinfo.splitlines()
            if line.startswith("model name")
        )
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory"] = f"{int(meminfo[meminfo.index('MemTotal:') + 1]) / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    from django.db import connection

    if connection.vendor == "postgresql":
        info["postgresql"] = connection.cursor().connection.info.parameter_status("server_version")
    else:
        import sqlite3

        info["sqlite"] = sqlite3.sqlite_version
    return info
