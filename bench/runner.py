"""Processes the benchmark starts (gunicorn, a Celery worker, wrk) and always stops.

Every child runs in its own process group and is registered here; `Processes.stop_all()` runs
on normal exit, on failure, on Ctrl-C and on SIGTERM, and kills the whole group (gunicorn's
workers, Celery's pool) by the ids we started, never by name.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess  # nosec B404 - runs our own server, worker and wrk with fixed arguments
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
WRK_DIR = Path(__file__).resolve().parent / "wrk"


class BenchError(RuntimeError):
    """A failure the benchmark explains to the operator (no traceback needed)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Processes:
    """The children we started, stopped together."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(
        self, name: str, argv: list[str], *, env: dict[str, str], log: Path
    ) -> subprocess.Popen:
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = log.open("ab")
        process = subprocess.Popen(  # noqa: S603  # nosec B603 - fixed argv, no shell
            argv, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        self.children.append((name, process))
        return process

    def stop(self, process: subprocess.Popen, *, grace: float = 10.0) -> None:
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for _, process in reversed(self.children):
            self.stop(process)
        self.children.clear()


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C, so `finally` blocks stop the children."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if os.geteuid() == 0 and apt:
        print("wrk is not installed: installing it with apt-get (running as root) ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "-qq", "wrk"]
        if subprocess.run(install, env=env, check=False).returncode != 0:  # noqa: S603  # nosec B603
            subprocess.run([apt, "update", "-qq"], env=env, check=False)  # noqa: S603  # nosec B603
            subprocess.run(install, env=env, check=False)  # noqa: S603  # nosec B603
        found = shutil.which("wrk")
        if found:
            return found
    raise BenchError(
        "wrk (the HTTP load generator) is not installed. Install it with "
        "`sudo apt-get install wrk` (Debian/Ubuntu) or `brew install wrk` (macOS), "
        "then run `make bench` again."
    )


def wait_for_http(url: str, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise BenchError(f"the server exited (code {process.returncode}) before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  # nosec B310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last_error = str(exc)
        time.sleep(0.2)
    raise BenchError(f"{url} did not answer 200 within {timeout:.0f} s ({last_error})")


def start_gunicorn(
    processes: Processes,
    *,
    env: dict[str, str],
    port: int,
    workers: int,
    worker_class: str,
    threads: int,
    log: Path,
) -> subprocess.Popen:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "familypairing.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]
    return processes.start("gunicorn", argv, env=env, log=log)


def start_celery_worker(
    processes: Processes, *, env: dict[str, str], concurrency: int, log: Path
) -> subprocess.Popen:
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "familypairing",
        "worker",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"bench-{os.getpid()}@%h",
    ]
    return processes.start("celery worker", argv, env=env, log=log)


def wait_for_log(path: Path, text: str, *, timeout: float, process: subprocess.Popen) -> None:
    """Wait until `text` appears in the log of `process` (e.g. Celery's "ready.")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{path.name}: the process exited (code {process.returncode})")
        try:
            if text in path.read_text(errors="replace"):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"{path.name}: no {text!r} within {timeout:.0f} s")


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid` (gunicorn's workers), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return sorted(children)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (its own threads), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def server_cpu(pids: dict, names: tuple[str, ...]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for name in names for pid in pids[name]()}


def cpu_spent(before: dict[int, float], pids: dict, names: tuple[str, ...]) -> float:
    """CPU-seconds spent since `before` by the processes alive then (a PostgreSQL backend that
    ended meanwhile counts until it was last seen)."""
    after = server_cpu(pids, names)
    return sum(max(0.0, after.get(pid, before[pid]) - before[pid]) for pid in before)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    socket_errors: dict[str, int]

    @property
    def error_count(self) -> int:
        return sum(self.socket_errors.values())


def run_wrk(
    wrk: str,
    *,
    url: str,
    script: str,
    data: Path | None,
    duration: float,
    connections: int,
    threads: int,
    log: Path,
) -> WrkResult:
    env = {
        **os.environ,
        "BENCH_WRK_DIR": str(WRK_DIR),
        "BENCH_DATA": str(data or ""),
    }
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_DIR / script),
        url,
    ]
    try:
        completed = subprocess.run(  # noqa: S603  # nosec B603 - fixed argv, no shell
            argv, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {duration + 60:.0f} s") from exc
    with log.open("a") as handle:
        handle.write(f"$ {' '.join(argv)}\n{completed.stdout}\n{completed.stderr}\n")
    report = None
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            report = json.loads(line.removeprefix("BENCH_JSON "))
    if completed.returncode != 0 or report is None:
        raise BenchError(
            f"wrk failed (exit {completed.returncode}): {completed.stderr.strip()[:500]}"
        )
    seconds = report["duration_us"] / 1e6
    return WrkResult(
        requests=report["requests"],
        seconds=seconds,
        rps=report["requests"] / seconds if seconds else 0.0,
        p50_ms=report["p50_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        statuses={str(k): v for k, v in report.get("statuses", {}).items()},
        socket_errors=report.get("errors", {}),
    )
