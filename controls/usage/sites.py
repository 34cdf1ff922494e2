"""Site usage from browsers: the `app` of a usage event is `web:<registrable domain>` (issue 14).

A browser client reports the time a site was in the foreground as an event whose app is `web:`
followed by the site's registrable domain by the Public Suffix List: `web:example.com` for
`https://www.example.com/watch`, `web:bbc.co.uk` for `news.bbc.co.uk`, `web:foo.github.io` for
`foo.github.io` (github.io is a public suffix), `web:xn--bcher-kva.de` for `bücher.de` (IDNA,
lower case). The server normalises what it gets to that form (case, a trailing dot, a subdomain,
a Unicode name), so per-app totals and per-app limits count one site once whatever the client
sent; it refuses what is not a domain name at all (an IP address, a single label, a port or a
path, an empty name) with a message naming the expected form.

(The list is the one `controls.rules.domains` uses for the site rules a guardian types: the
snapshot bundled with `publicsuffixlist`, nothing fetched at run time.)
"""

from __future__ import annotations

import ipaddress
import re

import idna

from controls.rules.domains import registrable_domain

WEB_PREFIX = "web:"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_site(app: str) -> bool:
    return app[:4].casefold() == WEB_PREFIX


def site_app_normalise(app: str) -> str:
    """`web:<registrable domain>` for a `web:` app; ValueError (with the reason) when the rest
    is not a domain name."""
    name = app[len(WEB_PREFIX) :].strip().rstrip(".")
    expected = "Report sites as web:<domain>, e.g. web:example.com."
    if not name or any(char in name for char in "/:?#@ "):
        raise ValueError(f"Not a domain name. {expected}")
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValueError(f"An IP address is not a site name. {expected}")
    try:
        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ValueError(f"Not a domain name. {expected}") from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"Not a domain name. {expected}")
    return WEB_PREFIX + registrable_domain(ascii_name)
