"""The API schema passes Spectral's `spectral:oas` rules (.spectral.yaml): no errors and at most
10 warnings. Spectral comes from package.json (`npm ci`); without node_modules the test skips."""

from __future__ import annotations

import json
import subprocess  # nosec B404 - runs Spectral from our own node_modules
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"
MAX_WARNINGS = 10


@pytest.mark.django_db
def test_the_schema_passes_spectral_with_no_errors_and_few_warnings(client, tmp_path):
    if not SPECTRAL.exists():
        pytest.skip("Spectral is not installed: run `npm ci` (package.json)")
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = tmp_path / "schema.json"
    schema.write_bytes(response.content)
    result = subprocess.run(  # nosec B603 - fixed arguments
        [
            str(SPECTRAL),
            "lint",
            str(schema),
            "--ruleset",
            str(ROOT / ".spectral.yaml"),
            "--format",
            "json",
            "--quiet",
            "--fail-severity",
            "error",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    problems = json.loads(result.stdout or "[]")
    errors = [p for p in problems if p["severity"] == 0]
    warnings = [p for p in problems if p["severity"] == 1]
    shown = [f"{p['code']} at {'.'.join(map(str, p['path']))}: {p['message']}" for p in problems]
    assert errors == [], "\n".join(shown)
    assert len(warnings) <= MAX_WARNINGS, "\n".join(shown)
    assert result.returncode == 0, result.stderr
