"""The Chromium extension's own unit tests (Node's test runner, `clients/chromium/test/`) run in
`make test`, and its manifest asks for what the product needs and no more."""

from __future__ import annotations

import json
import shutil
import subprocess  # nosec B404 - runs node on the repository's own test files
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "clients" / "chromium"


def test_the_extensions_node_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs)")
    result = subprocess.run(  # nosec B603 - a fixed command on our own files
        [node, "--test", str(EXTENSION / "test")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith("# ")]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in summary
    assert int(next(line for line in summary if line.startswith("# pass ")).split()[-1]) >= 30


def test_the_manifest_is_mv3_with_the_permissions_the_product_uses():
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    assert manifest["manifest_version"] == 3
    assert manifest["background"] == {"service_worker": "background.js", "type": "module"}
    assert set(manifest["permissions"]) == {
        "storage",
        "alarms",
        "idle",
        "tabs",
        "declarativeNetRequest",
        "declarativeNetRequestWithHostAccess",
        "notifications",
    }
    # Access to every site is part of the install (granted without a prompt when installed by
    # policy): an extension that a teen could leave without it would enforce nothing. Any
    # self-hosted server is covered by it.
    assert manifest["host_permissions"] == ["*://*/*"]
    assert "optional_host_permissions" not in manifest
    for name in ("background.js", "options.html", "popup.html", "block.html"):
        assert (EXTENSION / name).is_file()
