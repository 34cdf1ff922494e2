"""A teen's site rules as text a home DNS filter understands (the session pages and the device
API use these two; the subscription feeds offer every format). The formats themselves, and
what each can and cannot express, are in `controls.rules.dns_formats`."""

from __future__ import annotations

from controls.rules.dns_formats import IPV4_NULL, adguard_list, hosts_file

BLOCKED_ADDRESS = IPV4_NULL

__all__ = ["BLOCKED_ADDRESS", "adguard_list", "hosts_file"]
