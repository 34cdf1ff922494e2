"""The dnsmasq, unbound and hosts lists, read by the real servers and asked for A and AAAA of
blocked names, their subdomains and allowed names, in both modes (see conftest for the setup)."""

from __future__ import annotations

import pytest

from tests.dns.conftest import UPSTREAM_A, UPSTREAM_AAAA

BLOCKED = {"0.0.0.0"}  # noqa: S104
BLOCKED6 = {"::"}
OPEN = {UPSTREAM_A}
OPEN6 = {UPSTREAM_AAAA}
BLOCK_RULES = ["example.com", "www.games.test", "*.wild.test"]
ALLOW_RULES = ["school.test", "*.wiki.test"]

pytestmark = pytest.mark.django_db


def _answers(resolver, names: list[str]) -> dict[str, tuple[set[str], set[str]]]:
    return {
        name: (resolver.addresses(name, "A"), resolver.addresses(name, "AAAA")) for name in names
    }


def _blocked(*names: str) -> dict:
    return dict.fromkeys(names, (BLOCKED, BLOCKED6))


def _open(*names: str) -> dict:
    return dict.fromkeys(names, (OPEN, OPEN6))


def test_dnsmasq_blocks_sites_and_every_subdomain_over_ipv4_and_ipv6(feed_text, dnsmasq):
    server = dnsmasq(feed_text("dnsmasq", mode="block", domains=BLOCK_RULES))
    names = [
        "example.com",
        "m.example.com",
        "a.b.example.com",
        "www.games.test",
        "x.www.games.test",
        "en.wild.test",
        "wild.test",
        "games.test",
        "open.test",
        "notexample.com",
    ]
    assert _answers(server, names) == {
        **_blocked("example.com", "m.example.com", "a.b.example.com"),
        **_blocked("www.games.test", "x.www.games.test", "en.wild.test"),
        # `*.wild.test` is only what is under it; `www.games.test` does not block its parent.
        **_open("wild.test", "games.test", "open.test", "notexample.com"),
    }


def test_dnsmasq_allow_only_opens_the_allowed_sites_and_the_server_only(feed_text, dnsmasq):
    server = dnsmasq(feed_text("dnsmasq", mode="allow_only", domains=ALLOW_RULES))
    names = [
        "school.test",
        "www.school.test",
        "en.wiki.test",
        "family.example.org",
        "wiki.test",
        "other.test",
        "m.other.test",
        "example.org",
    ]
    assert _answers(server, names) == {
        **_open("school.test", "www.school.test", "en.wiki.test", "family.example.org"),
        **_blocked("wiki.test", "other.test", "m.other.test", "example.org"),
    }


def test_unbound_blocks_sites_and_every_subdomain_over_ipv4_and_ipv6(feed_text, unbound):
    server = unbound(feed_text("unbound", mode="block", domains=BLOCK_RULES))
    names = [
        "example.com",
        "m.example.com",
        "www.games.test",
        "x.www.games.test",
        "en.wild.test",
        "wild.test",
        "games.test",
        "open.test",
    ]
    assert _answers(server, names) == {
        **_blocked("example.com", "m.example.com", "www.games.test", "x.www.games.test"),
        # unbound has no "only under it" zone: *.wild.test blocks wild.test too (the list says so).
        **_blocked("en.wild.test", "wild.test"),
        **_open("games.test", "open.test"),
    }


def test_unbound_allow_only_opens_the_allowed_sites_and_the_server_only(feed_text, unbound):
    server = unbound(feed_text("unbound", mode="allow_only", domains=ALLOW_RULES))
    names = [
        "school.test",
        "www.school.test",
        "en.wiki.test",
        "wiki.test",
        "family.example.org",
        "other.test",
        "m.other.test",
        "example.org",
    ]
    assert _answers(server, names) == {
        **_open("school.test", "www.school.test", "en.wiki.test", "wiki.test"),
        **_open("family.example.org"),
        **_blocked("other.test", "m.other.test", "example.org"),
    }


def test_a_hosts_file_blocks_both_address_families_but_not_subdomains(feed_text, dnsmasq):
    text = feed_text("hosts", mode="block", domains=BLOCK_RULES)
    server = dnsmasq(text, as_hosts=True)
    assert _answers(server, ["example.com", "www.example.com", "m.example.com", "open.test"]) == {
        **_blocked("example.com", "www.example.com"),
        # What a hosts file cannot do, and its header says so.
        **_open("m.example.com", "open.test"),
    }
    assert "cannot cover subdomains" in text


def test_a_hosts_file_in_allow_only_mode_blocks_nothing_and_says_so(feed_text, dnsmasq):
    text = feed_text("hosts", mode="allow_only", domains=ALLOW_RULES)
    server = dnsmasq(text, as_hosts=True)
    assert _answers(server, ["other.test"]) == _open("other.test")
    assert "so it blocks nothing here" in text
