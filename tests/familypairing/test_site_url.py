"""`PORT=18801 make run` serves on 18801, and every absolute link follows: make derives SITE_URL
from PORT unless SITE_URL is set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_a_fresh_process(tmp_path: Path, **env: str) -> str:
    """SITE_URL as a freshly started process computes it from `env` alone."""
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "VAR_DIR": str(tmp_path)}
    clean.update({"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "familypairing.settings", **env})
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_every_process_takes_site_url_from_the_environment(tmp_path):
    """honcho gives each process its own PORT (web 18801, worker 18901, beat 19001), so the
    worker's e-mail links must come from the SITE_URL that make sets, never from its PORT."""
    site = _settings_in_a_fresh_process(tmp_path, PORT="18901", SITE_URL="http://127.0.0.1:18801/")
    assert site == "http://127.0.0.1:18801"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_passes_the_port_on_as_site_url():
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    env["PORT"] = "18801"
    result = subprocess.run(
        ["make", "-n", "run"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    commands = [
        line for line in result.stdout.splitlines() if "seed_demo" in line or "honcho" in line
    ]
    assert len(commands) == 2
    # The Procfile's worker and beat send e-mails too: honcho hands SITE_URL on to all three.
    for line in commands:
        assert "PORT=18801" in line
        assert "SITE_URL='http://127.0.0.1:18801'" in line


@pytest.mark.django_db
def test_the_demo_sign_in_line_uses_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:18801"
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Sign in at http://127.0.0.1:18801/accounts/login/" in out.getvalue()
    assert ":8000" not in out.getvalue()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_keeps_an_explicit_site_url():
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    env.update(PORT="18801", SITE_URL="https://family.example.org")
    result = subprocess.run(
        ["make", "-n", "run"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    honcho = next(line for line in result.stdout.splitlines() if "honcho" in line)
    assert "SITE_URL='https://family.example.org'" in honcho
