"""A teen's site rules as text a home DNS filter understands: pure functions, no database.

- `hosts_file`: lines `0.0.0.0 <host>` for a hosts file (or a Pi-hole/AdGuard "hosts" list).
  A hosts file matches exact names only, so `example.com` also gets a `www.example.com` line,
  and a `*.example.com` wildcard (which no hosts file can hold) gets its `www.` name and a
  comment. A hosts file cannot say "only these sites": in allow-only mode it blocks nothing
  and says so.
- `adguard_list`: Adblock-style rules read by AdGuard Home and Pi-hole (v6):
  `||example.com^` blocks the site and everything under it, `||*.example.com^` only what is
  under it; allow-only mode blocks everything (`/.*/`) except `@@` exceptions.

Both take the mapping `controls.effective.selectors.browsing_rules` returns and the rules version,
and
return the same text for the same input, so the exports can be compared exactly in tests and
cached by a filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from controls.models import DomainMode
from controls.rules.domains import base_host, is_wildcard

BLOCKED_ADDRESS = "0.0.0.0"  # noqa: S104  # nosec B104 - the unroutable address a hosts file points to


def _entries(browsing: Mapping[str, Any]) -> list[str]:
    return [str(entry) for entry in browsing.get("domains") or []]


def hosts_file(*, browsing: Mapping[str, Any], version: int | str) -> str:
    lines = [
        "# Family Pairing: sites blocked by a teen's rules (hosts file)",
        f"# Rules version {version}",
    ]
    entries = _entries(browsing)
    if browsing.get("domain_mode") == DomainMode.ALLOW_ONLY:
        lines += [
            "# These rules allow only some sites. A hosts file can only block names,",
            "# so it blocks nothing here: use the AdGuard/Pi-hole list instead.",
        ]
        return "\n".join(lines) + "\n"
    if not entries:
        lines.append("# No sites are blocked.")
    written: set[str] = set()
    for entry in entries:
        host = base_host(entry)
        if is_wildcard(entry):
            lines.append(f"# {entry}: a hosts file cannot match every name under {host}")
            names = [f"www.{host}"]
        else:
            names = [host] if host.startswith("www.") else [host, f"www.{host}"]
        for name in names:
            if name not in written:
                written.add(name)
                lines.append(f"{BLOCKED_ADDRESS} {name}")
    return "\n".join(lines) + "\n"


def _rule(entry: str) -> str:
    return f"||*.{base_host(entry)}^" if is_wildcard(entry) else f"||{entry}^"


def adguard_list(*, browsing: Mapping[str, Any], version: int | str) -> str:
    lines = [
        "! Title: Family Pairing rules for a teen",
        f"! Version: {version}",
    ]
    entries = _entries(browsing)
    if browsing.get("domain_mode") == DomainMode.ALLOW_ONLY:
        lines.append("! Only the sites below are allowed; everything else is blocked.")
        lines.append("/.*/")
        lines += [f"@@{_rule(entry)}" for entry in entries]
    else:
        lines.append("! The sites below are blocked.")
        lines += [_rule(entry) for entry in entries]
    return "\n".join(lines) + "\n"
