"""Production settings: `check --deploy` is clean and a weak SECRET_KEY stops the process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "kP3v9-QmZx7yLr2Tn8Wc4Hj6Bd1Fs5Ga0Ue-Xo_iRlMqVwYtKzNpAeCbDfGhJs"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # A clean production-like environment: nothing the test session itself set (the browser
    # tests set DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses).
    dropped = {"DEBUG", "SECRET_KEY", "TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="family.example.org",
        CSRF_TRUSTED_ORIGINS="https://family.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_strong_secret_key():
    result = _manage("check", DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="family.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_a_malformed_setting_at_start():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr
