"""The DNS-filter formats: exact text for a known rule set, what each says it cannot do, and who
may read the session exports. (The real servers read these lists in tests/dns.)"""

from __future__ import annotations

import pytest

from controls.models import TeenRules
from controls.rules import services
from controls.rules.dns_formats import (
    adguard_list,
    clean_clients,
    dnsmasq_conf,
    hosts_file,
    pihole_list,
    render,
    unbound_conf,
)

BLOCK = {
    "domain_mode": "block",
    "domains": ["example.com", "www.games.test", "*.xn--bcher-kva.de"],
    "keyword_filters": ["casino"],
}
ALLOW_ONLY = {"domain_mode": "allow_only", "domains": ["school.test", "*.wiki.test"]}
SERVER = "https://family.example.org"


def _rules(text: str, comment: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(comment)]


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SERVER


def test_hosts_file_blocks_each_name_for_ipv4_and_ipv6():
    assert _rules(hosts_file(browsing=BLOCK, version=7), "#") == [
        "0.0.0.0 example.com",
        ":: example.com",
        "0.0.0.0 www.example.com",
        ":: www.example.com",
        "0.0.0.0 www.games.test",
        ":: www.games.test",
        "0.0.0.0 www.xn--bcher-kva.de",
        ":: www.xn--bcher-kva.de",
    ]


def test_hosts_file_says_it_cannot_cover_subdomains_keywords_or_time():
    text = hosts_file(browsing=BLOCK, version=7)
    assert text.startswith("# Title: Family Pairing site rules (hosts file)\n")
    assert "cannot cover subdomains" in text
    assert "keyword filters (1 set), restricted mode, search settings, time limits" in text
    assert "# *.xn--bcher-kva.de: a hosts file cannot match every name under" in text


def test_hosts_file_cannot_allow_only_some_sites_and_says_so():
    text = hosts_file(browsing=ALLOW_ONLY, version=3)
    assert _rules(text, "#") == []
    assert "so it blocks nothing here" in text


def test_dnsmasq_blocks_sites_and_subdomains_for_both_address_families():
    assert _rules(dnsmasq_conf(browsing=BLOCK, version=7), "#") == [
        "address=/example.com/0.0.0.0",
        "address=/example.com/::",
        "address=/www.games.test/0.0.0.0",
        "address=/www.games.test/::",
        "address=/*.xn--bcher-kva.de/0.0.0.0",
        "address=/*.xn--bcher-kva.de/::",
    ]


def test_dnsmasq_allow_only_nulls_everything_but_the_allowed_sites_and_the_server():
    assert _rules(dnsmasq_conf(browsing=ALLOW_ONLY, version=3), "#") == [
        "address=/#/0.0.0.0",
        "address=/#/::",
        "server=/family.example.org/#",
        "server=/school.test/#",
        "server=/*.wiki.test/#",
    ]


def test_unbound_uses_always_null_zones():
    assert _rules(unbound_conf(browsing=BLOCK, version=7), "#") == [
        'local-zone: "example.com." always_null',
        'local-zone: "www.games.test." always_null',
        'local-zone: "xn--bcher-kva.de." always_null',
    ]
    assert "unbound cannot leave xn--bcher-kva.de itself out" in unbound_conf(
        browsing=BLOCK, version=7
    )


def test_unbound_allow_only_opens_the_allowed_zones_and_the_server():
    assert _rules(unbound_conf(browsing=ALLOW_ONLY, version=3), "#") == [
        'local-zone: "." always_null',
        'local-zone: "family.example.org." transparent',
        'local-zone: "school.test." transparent',
        'local-zone: "wiki.test." transparent',
    ]


def test_adguard_list_for_a_block_list():
    assert _rules(adguard_list(browsing=BLOCK, version=7), "!") == [
        "||example.com^",
        "||www.games.test^",
        "||*.xn--bcher-kva.de^",
    ]


def test_adguard_allow_only_blocks_all_but_the_allowed_sites_and_the_server():
    assert _rules(adguard_list(browsing=ALLOW_ONLY, version=3), "!") == [
        "|*^$important",
        "@@||family.example.org^$important",
        "@@||school.test^$important",
        "@@||*.wiki.test^$important",
    ]


def test_adguard_rules_can_be_limited_to_named_clients():
    clients = clean_clients(["Tom phone", " 192.168.1.7 ", "", "Tom phone"])
    assert clients == ["Tom phone", "192.168.1.7"]
    block = adguard_list(browsing=BLOCK, version=7, clients=clients)
    assert "||example.com^$client='Tom phone'|192.168.1.7" in block.splitlines()
    assert "! Applies only to these AdGuard Home clients: Tom phone, 192.168.1.7" in block
    allow = adguard_list(browsing=ALLOW_ONLY, version=7, clients=clients)
    assert "|*^$important,client='Tom phone'|192.168.1.7" in allow.splitlines()


@pytest.mark.parametrize("bad", ["Tom's phone", "a,b", "x$important", "<script>", "x" * 65])
def test_client_names_adguard_cannot_take_are_refused(bad):
    with pytest.raises(ValueError, match=r"is not an AdGuard Home client name"):
        clean_clients([bad])


def test_at_most_twenty_client_names():
    with pytest.raises(ValueError, match=r"at most 20"):
        clean_clients([f"device{n}" for n in range(21)])


def test_pihole_list_has_only_domain_lines_and_no_wildcards():
    text = pihole_list(browsing=BLOCK, version=7)
    assert _rules(text, "#") == ["||example.com^", "||www.games.test^", "||xn--bcher-kva.de^"]
    assert "||*." not in text


def test_pihole_says_it_cannot_allow_only_and_contains_no_rules():
    text = pihole_list(browsing=ALLOW_ONLY, version=3)
    assert _rules(text, "#") == []
    assert "Pi-hole cannot do that" in text
    assert "contains no rules on purpose" in text


def test_allow_only_has_no_server_exception_when_the_site_is_an_ip(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    assert _rules(dnsmasq_conf(browsing=ALLOW_ONLY, version=3), "#")[2:] == [
        "server=/school.test/#",
        "server=/*.wiki.test/#",
    ]


@pytest.mark.parametrize("fmt", ["hosts", "dnsmasq", "unbound", "adguard", "pihole"])
def test_every_format_says_what_it_leaves_out_and_has_a_rule_per_entry(fmt):
    text = render(fmt, browsing=BLOCK, version=7)
    assert "restricted mode, search settings, time limits" in text
    assert "Rules version: 7; the sites listed are blocked." in text
    empty = render(fmt, browsing={"domain_mode": "block", "domains": []}, version=1)
    assert "No sites are blocked." in empty


@pytest.mark.django_db
def test_a_guardian_and_the_teen_read_the_exports_at_stable_urls(alice, alice_client, tom, client):
    services.browsing_update(actor=alice, teen=tom, changes={"domains": ["https://example.com/x"]})
    version = TeenRules.objects.get(teen=tom).version
    response = alice_client.get(f"/teens/{tom.pk}/export/adguard.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert f"! Rules version: {version}; the sites listed are blocked.\n" in text
    assert _rules(text, "!") == ["||example.com^"]
    client.force_login(tom)
    hosts = client.get(f"/teens/{tom.pk}/export/hosts.txt")
    assert hosts.status_code == 200
    assert "0.0.0.0 example.com\n:: example.com\n" in hosts.content.decode()


@pytest.mark.django_db
def test_a_stranger_gets_404_for_the_exports(tom, bob, uma, client):
    for user in (bob, uma):
        client.force_login(user)
        for name in ("hosts.txt", "adguard.txt"):
            assert client.get(f"/teens/{tom.pk}/export/{name}").status_code == 404


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in(tom, client):
    response = client.get(f"/teens/{tom.pk}/export/hosts.txt")
    assert response.status_code == 302
    assert "/accounts/login/" in response.url
