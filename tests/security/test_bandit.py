"""bandit finds nothing in the project's code, and every finding silenced with `# nosec` names
the check it silences and says why: on the same line, or in a comment heading the block of lines
it belongs to."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "controls", "familypairing")
# `# nosec B105 - why` or `# nosec B308 B703: why`: the check ids, then a reason in words.
EXPLAINED = re.compile(r"#\s*nosec\s+B\d{3}(?:[\s,]+B\d{3})*\s*[-–:(]\s*\w+")


def test_bandit_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-f", "json", "-c", "pyproject.toml", "-r",
         *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    findings = json.loads(result.stdout)["results"]
    assert not findings, "bandit:\n" + "\n".join(
        f"{f['filename']}:{f['line_number']}: {f['test_id']} {f['issue_text']}" for f in findings
    )


def _explained(lines: list[str], index: int) -> bool:
    if EXPLAINED.search(lines[index]):
        return True
    for above in reversed(lines[:index]):  # the comment heading this block of lines
        if not above.strip():
            return False
        if above.strip().startswith("#"):
            return True
    return False


def test_every_silenced_finding_is_explained():
    unexplained = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text().splitlines()
            for index, line in enumerate(lines):
                if "# nosec" in line and not _explained(lines, index):
                    where = f"{path.relative_to(ROOT)}:{index + 1}"
                    unexplained.append(f"{where}: {line.strip()}")
    assert not unexplained, "# nosec without the check id and a reason:\n" + "\n".join(unexplained)
