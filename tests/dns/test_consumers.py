"""The AdGuard Home list checked by AdGuard's own parser and rule engine; the Pi-hole list held to
Pi-hole's own parsing rule; and a filter's fetch reproduced with plain `curl -sL`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from controls.feeds import services as feeds

ROOT = Path(__file__).resolve().parents[2]
CHECKER = Path(__file__).with_name("adguard_check.mjs")
NODE = shutil.which("node")
BLOCK_RULES = ["example.com", "www.games.test", "*.wild.test"]
ALLOW_RULES = ["school.test", "*.wiki.test"]

pytestmark = pytest.mark.django_db


# --- AdGuard Home: @adguard/agtree parses every line, @adguard/tsurlfilter matches -------------


def _adguard(text: str, tmp_path: Path, *, blocked, allowed, client=None) -> dict:
    if NODE is None:
        pytest.skip("node is not installed")
    if not (ROOT / "node_modules" / "@adguard" / "tsurlfilter").exists():
        pytest.skip("node_modules missing: run `npm ci` at the project root")
    listing = tmp_path / "adguard.txt"
    listing.write_text(text)
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"blocked": blocked, "allowed": allowed, "client": client}))
    done = subprocess.run(
        [NODE, str(CHECKER), str(listing), str(checks)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["errors"] == [], "\n".join(result["errors"])
    return result["results"]


def test_adguard_engine_blocks_listed_sites_and_their_subdomains(feed_text, tmp_path):
    text = feed_text("adguard", mode="block", domains=BLOCK_RULES)
    blocked = ["example.com", "m.example.com", "www.games.test", "x.www.games.test", "en.wild.test"]
    allowed = ["wild.test", "games.test", "open.test", "notexample.com", "family.example.org"]
    results = _adguard(text, tmp_path, blocked=blocked, allowed=allowed)
    assert results == {
        **dict.fromkeys(blocked, "blocked"),
        **dict.fromkeys(allowed, "allowed"),
    }


def test_adguard_engine_allow_only_blocks_all_but_allowed_sites_and_the_server(feed_text, tmp_path):
    text = feed_text("adguard", mode="allow_only", domains=ALLOW_RULES)
    allowed = ["school.test", "www.school.test", "en.wiki.test", "family.example.org"]
    blocked = ["wiki.test", "other.test", "m.other.test", "example.org"]
    results = _adguard(text, tmp_path, blocked=blocked, allowed=allowed)
    assert results == {
        **dict.fromkeys(blocked, "blocked"),
        **dict.fromkeys(allowed, "allowed"),
    }


def test_adguard_client_rules_apply_to_the_named_devices_only(feed_text, tmp_path, alice, tom):
    feed_text("adguard", mode="block", domains=BLOCK_RULES)
    from django.test import Client

    token = feeds.dns_feed_create(actor=alice, teen=tom).token
    text = (
        Client()
        .get(f"/feeds/{token}/adguard.txt", {"clients": "Tom phone,Tom laptop"})
        .content.decode()
    )
    names = ["example.com", "m.example.com", "open.test"]
    for client, expected in (
        ("Tom phone", ["blocked", "blocked", "allowed"]),
        ("Tom laptop", ["blocked", "blocked", "allowed"]),
        ("Dad desktop", ["allowed", "allowed", "allowed"]),
    ):
        results = _adguard(text, tmp_path, blocked=names, allowed=[], client=client)
        assert [results[name] for name in names] == expected, client


# --- Pi-hole -----------------------------------------------------------------------------------
# Pi-hole's gravity parser (pi-hole/FTL src/tools/gravity-parseList.c, since Pi-hole v5.16 /
# FTL v5.22, pi-hole/pi-hole PR #5179 "Allow limited parsing of ABP style adlists") keeps a
# line only if it is an exact domain, or "||" + domain + "^" with nothing else (no $modifiers,
# no "*" wildcards, no "@@" exceptions in a block list, no /regex/); a domain is made of
# [a-zA-Z0-9._-], labels 1–63 long, no label starting or ending the name with "-". Comment lines
# ("#") are stripped by gravity before parsing.
_PIHOLE_DOMAIN = r"(?=.{1,255}$)(?!.*\.\.)(?!-)[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*(?<!-)"
PIHOLE_LINE = re.compile(rf"^(?:#.*|{_PIHOLE_DOMAIN}|\|\|{_PIHOLE_DOMAIN}\^)$")


def _pihole_rules(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line]
    refused = [line for line in lines if not PIHOLE_LINE.match(line)]
    assert refused == [], f"Pi-hole would ignore: {refused}"
    return [line for line in lines if not line.startswith("#")]


def test_pihole_parser_rule_refuses_what_pihole_ignores():
    for line in ("||*.x.test^", "@@||x.test^", "/.*/", "||x.test^$important", "|*^", "! c"):
        assert not PIHOLE_LINE.match(line), line
    for line in ("||x.test^", "x.test", "# comment", "||xn--bcher-kva.de^"):
        assert PIHOLE_LINE.match(line), line


def test_the_pihole_block_list_holds_only_lines_pihole_reads(feed_text):
    text = feed_text("pihole", mode="block", domains=BLOCK_RULES)
    assert _pihole_rules(text) == ["||example.com^", "||www.games.test^", "||wild.test^"]


def test_the_pihole_allow_only_list_is_empty_and_says_why(feed_text):
    text = feed_text("pihole", mode="allow_only", domains=ALLOW_RULES)
    assert _pihole_rules(text) == []
    assert "Pi-hole cannot do that" in text


# --- A filter's fetch: plain curl, no header ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_curl_with_no_header_gets_the_list_and_a_dead_address_gets_plain_404(
    live_server, alice, tom
):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    from controls.rules import services

    services.browsing_update(actor=alice, teen=tom, changes={"domains": ["example.com"]})
    token = feeds.dns_feed_create(actor=alice, teen=tom).token

    def fetch(path: str) -> tuple[str, str]:
        done = subprocess.run(
            [curl, "-sL", "-w", "\n%{http_code} %{content_type}", live_server.url + path],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        body, _, status = done.stdout.rpartition("\n")
        return body, status

    body, status = fetch(f"/feeds/{token}/adguard.txt")
    assert status == "200 text/plain; charset=utf-8"
    assert "||example.com^" in body.splitlines()
    assert "<html" not in body.lower()

    new = feeds.dns_feed_rotate(actor=alice, teen=tom).token
    body, status = fetch(f"/feeds/{token}/adguard.txt")
    assert status == "404 text/plain; charset=utf-8"
    assert "<" not in body
    assert fetch(f"/feeds/{new}/pihole.txt")[1] == "200 text/plain; charset=utf-8"

    feeds.dns_feed_revoke(actor=alice, teen=tom)
    assert fetch(f"/feeds/{new}/pihole.txt")[1] == "404 text/plain; charset=utf-8"
