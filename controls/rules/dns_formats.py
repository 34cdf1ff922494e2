"""A teen's site rules in each home DNS filter's own format: pure functions, no database.

Each list starts with a header in its own comment syntax saying what it covers and what it
cannot: a DNS filter sees only the names a device looks up, so keyword filters, restricted
mode, search settings and time limits are never in it. What each format can express:

| format   | blocks a site and its subdomains      | "only these sites"                       |
| -------- | ------------------------------------- | ---------------------------------------- |
| hosts    | no: exact names only (we add `www.`)  | no (says so, blocks nothing)             |
| dnsmasq  | `address=/d/0.0.0.0` + `address=/d/::`| `address=/#/…` + `server=/allowed/#`     |
| unbound  | `local-zone: "d." always_null`        | `"." always_null` + `"allowed." transparent` |
| adguard  | `||d^`                                | `|*^$important` + `@@||allowed^$important` |
| pihole   | `||d^` (the only ABP form it reads)   | no (says so, contains no rules)          |

Every blocked name is answered for IPv4 and IPv6 (0.0.0.0 and ::): blocking A alone lets a
dual-stack device reach the site over IPv6. Allow-only lists always let the Family Pairing
server's own host through, or the teen's devices could not fetch their policy.

A `*.example.com` rule means "everything under example.com, not example.com itself". dnsmasq and
AdGuard say that exactly; unbound and Pi-hole cannot, so there it covers example.com too (the
safe side for a block list) and a comment says so; a hosts file lists `www.example.com`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from controls.models import DomainMode
from controls.rules.domains import base_host, is_wildcard

IPV4_NULL = "0.0.0.0"  # noqa: S104  # nosec B104 - the unroutable answer for a blocked name
IPV6_NULL = "::"
FORMATS = ("hosts", "dnsmasq", "unbound", "adguard", "pihole")
# AdGuard Home client names as its `$client` modifier takes them: names, IPs, CIDR ranges, IDs.
CLIENT_NAME = re.compile(r"^[\w .:/\-]{1,64}$")
MAX_CLIENTS = 20


def server_host() -> str:
    """The Family Pairing server's own host name, from SITE_URL; "" for an IP address (a DNS
    filter never stands between a device and an address it already has)."""
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return ""


def _entries(browsing: Mapping[str, Any]) -> list[str]:
    return [str(entry) for entry in browsing.get("domains") or []]


def _allow_only(browsing: Mapping[str, Any]) -> bool:
    return browsing.get("domain_mode") == DomainMode.ALLOW_ONLY


def _header(
    mark: str, title: str, version: int | str, browsing: Mapping[str, Any], covers: list[str]
) -> list[str]:
    keywords = len(browsing.get("keyword_filters") or [])
    mode = (
        "only the sites listed are allowed"
        if _allow_only(browsing)
        else "the sites listed are blocked"
    )
    lines = [
        f"Title: Family Pairing site rules ({title})",
        f"Rules version: {version}; {mode}.",
        *covers,
        "Not in this list: keyword filters"
        + (f" ({keywords} set)" if keywords else "")
        + ", restricted mode, search settings, time limits",
        "and downtime. A DNS filter sees only site names; the Family Pairing app on the",
        "teen's devices enforces those.",
    ]
    return [f"{mark} {line}" for line in lines]


def _text(lines: Iterable[str]) -> str:
    return "\n".join(lines) + "\n"


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


# --- hosts ---------------------------------------------------------------------------------


def hosts_file(*, browsing: Mapping[str, Any], version: int | str, **_: Any) -> str:
    lines = _header(
        "#",
        "hosts file",
        version,
        browsing,
        [
            "A hosts file matches exact names only: it cannot cover subdomains, so each site",
            "is listed with its www. name; other names under it stay open. dnsmasq, unbound",
            "and AdGuard Home lists cover every subdomain.",
        ],
    )
    if _allow_only(browsing):
        lines += [
            "# A hosts file can only block names, not allow only some sites,",
            "# so it blocks nothing here: use the dnsmasq, unbound or AdGuard Home list.",
        ]
        return _text(lines)
    entries = _entries(browsing)
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
                lines += [f"{IPV4_NULL} {name}", f"{IPV6_NULL} {name}"]
    return _text(lines)


# --- dnsmasq -------------------------------------------------------------------------------


def _dnsmasq_domain(entry: str) -> str:
    # dnsmasq ≥ 2.86: /*.d/ matches names under d but not d itself; /d/ matches d and below.
    return f"*.{base_host(entry)}" if is_wildcard(entry) else entry


def dnsmasq_conf(*, browsing: Mapping[str, Any], version: int | str, **_: Any) -> str:
    lines = _header(
        "#",
        "dnsmasq / OpenWrt",
        version,
        browsing,
        [
            "Each address=/site/ line covers the site and every name under it, for IPv4 and IPv6.",
            "Needs dnsmasq 2.86 or later (OpenWrt 22.03+). Use as a conf-file / conf-dir file.",
        ],
    )
    entries = _entries(browsing)
    if _allow_only(browsing):
        host = server_host()
        allowed = _unique([*([host] if host else []), *map(_dnsmasq_domain, entries)])
        lines += [
            "# Everything is answered 0.0.0.0 / :: except the sites below, which go to the",
            "# usual upstream servers (server=/site/# means 'use the standard servers').",
            f"address=/#/{IPV4_NULL}",
            f"address=/#/{IPV6_NULL}",
        ]
        if host:
            lines.append(f"# {host} is the Family Pairing server: always allowed.")
        lines += [f"server=/{domain}/#" for domain in allowed]
        return _text(lines)
    if not entries:
        lines.append("# No sites are blocked.")
    for domain in _unique(map(_dnsmasq_domain, entries)):
        lines += [f"address=/{domain}/{IPV4_NULL}", f"address=/{domain}/{IPV6_NULL}"]
    return _text(lines)


# --- unbound -------------------------------------------------------------------------------


def _unbound_zones(entries: list[str]) -> list[tuple[str, str | None]]:
    """(zone, note) pairs: unbound has no "names under d but not d" zone, so `*.d` is `d`."""
    found: dict[str, str | None] = {}
    for entry in entries:
        host = base_host(entry)
        note = f"{entry}: unbound cannot leave {host} itself out" if is_wildcard(entry) else None
        found.setdefault(host, note)
    return list(found.items())


def unbound_conf(*, browsing: Mapping[str, Any], version: int | str, **_: Any) -> str:
    lines = _header(
        "#",
        "unbound",
        version,
        browsing,
        [
            "Each local-zone covers the site and every name under it; always_null answers",
            "0.0.0.0 and ::. Include this file from the server: section (include: <file>).",
        ],
    )
    entries = _entries(browsing)
    if _allow_only(browsing):
        host = server_host()
        lines += [
            "# Everything is answered 0.0.0.0 / ::, except the sites below (transparent:",
            "# resolved as usual).",
            'local-zone: "." always_null',
        ]
        if host:
            lines += [
                f"# {host} is the Family Pairing server: always allowed.",
                f'local-zone: "{host}." transparent',
            ]
        for zone, note in _unbound_zones(entries):
            if zone == host:
                continue
            if note:
                lines.append(f"# {note}")
            lines.append(f'local-zone: "{zone}." transparent')
        return _text(lines)
    if not entries:
        lines.append("# No sites are blocked.")
    for zone, note in _unbound_zones(entries):
        if note:
            lines.append(f"# {note}")
        lines.append(f'local-zone: "{zone}." always_null')
    return _text(lines)


# --- AdGuard Home --------------------------------------------------------------------------


def clean_clients(raw: Iterable[str]) -> list[str]:
    """AdGuard Home client names for `$client`, or ValueError naming the bad one."""
    names = _unique(name.strip() for name in raw if name and name.strip())
    if len(names) > MAX_CLIENTS:
        raise ValueError(f"at most {MAX_CLIENTS} client names.")
    for name in names:
        if not CLIENT_NAME.match(name):
            raise ValueError(
                f"“{name[:40]}” is not an AdGuard Home client name: use letters, digits, "
                "spaces, dots, hyphens, colons or slashes (at most 64)."
            )
    return names


def _client_modifier(clients: list[str]) -> str:
    if not clients:
        return ""
    # AdGuard's syntax: names with spaces in single quotes, several joined by "|".
    quoted = [f"'{name}'" if " " in name else name for name in clients]
    return "$client=" + "|".join(quoted)


def _adguard_rule(entry: str) -> str:
    return f"||*.{base_host(entry)}^" if is_wildcard(entry) else f"||{entry}^"


def adguard_list(
    *, browsing: Mapping[str, Any], version: int | str, clients: Iterable[str] = (), **_: Any
) -> str:
    client_list = list(clients)
    covers = [
        "||site^ covers the site and every name under it; AdGuard Home answers 0.0.0.0 / ::",
        "(or its configured blocking mode) for IPv4 and IPv6.",
    ]
    if client_list:
        covers.append("Applies only to these AdGuard Home clients: " + ", ".join(client_list))
    lines = _header("!", "AdGuard Home", version, browsing, covers)
    modifier = _client_modifier(client_list)
    entries = _entries(browsing)
    if _allow_only(browsing):
        host = server_host()
        lines += [
            "! Everything is blocked except the sites below.",
            f"|*^$important{modifier.replace('$', ',', 1)}",
        ]
        if host:
            lines += [
                f"! {host} is the Family Pairing server: always allowed.",
                f"@@||{host}^$important",
            ]
        lines += [f"@@{_adguard_rule(entry)}$important" for entry in entries]
        return _text(_unique(lines))
    if not entries:
        lines.append("! No sites are blocked.")
    lines += [f"{_adguard_rule(entry)}{modifier}" for entry in entries]
    return _text(lines)


# --- Pi-hole -------------------------------------------------------------------------------


def pihole_list(*, browsing: Mapping[str, Any], version: int | str, **_: Any) -> str:
    lines = _header(
        "#",
        "Pi-hole",
        version,
        browsing,
        [
            "Pi-hole reads only ||site^ lines from an Adblock-style list: each covers the",
            "site and every name under it (Pi-hole v5.16+ / v6).",
        ],
    )
    if _allow_only(browsing):
        lines += [
            "# These rules allow only some sites. Pi-hole cannot do that with a subscribed list",
            "# (it ignores /.*/ and @@ lines), so this list contains no rules on purpose.",
            "# Use AdGuard Home, dnsmasq or unbound for 'only allowed sites'.",
        ]
        return _text(lines)
    entries = _entries(browsing)
    if not entries:
        lines.append("# No sites are blocked.")
    written: set[str] = set()
    for entry in entries:
        host = base_host(entry)
        if is_wildcard(entry):
            lines.append(f"# {entry}: Pi-hole cannot leave {host} itself out")
        if host not in written:
            written.add(host)
            lines.append(f"||{host}^")
    return _text(lines)


RENDERERS: dict[str, Callable[..., str]] = {
    "hosts": hosts_file,
    "dnsmasq": dnsmasq_conf,
    "unbound": unbound_conf,
    "adguard": adguard_list,
    "pihole": pihole_list,
}


def render(
    fmt: str, *, browsing: Mapping[str, Any], version: int | str, clients: Iterable[str] = ()
) -> str:
    return RENDERERS[fmt](browsing=browsing, version=version, clients=list(clients))
