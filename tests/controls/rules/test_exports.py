"""The DNS-filter exports: exact text for a known rule set, and who may read them."""

from __future__ import annotations

import pytest

from controls.models import TeenRules
from controls.rules import services
from controls.rules.exports import adguard_list, hosts_file

BLOCK = {
    "domain_mode": "block",
    "domains": ["example.com", "www.games.test", "*.xn--bcher-kva.de"],
}
ALLOW_ONLY = {"domain_mode": "allow_only", "domains": ["school.test", "*.wiki.test"]}


def test_hosts_file_for_a_block_list():
    assert hosts_file(browsing=BLOCK, version=7) == (
        "# Family Pairing: sites blocked by a teen's rules (hosts file)\n"
        "# Rules version 7\n"
        "0.0.0.0 example.com\n"
        "0.0.0.0 www.example.com\n"
        "0.0.0.0 www.games.test\n"
        "# *.xn--bcher-kva.de: a hosts file cannot match every name under xn--bcher-kva.de\n"
        "0.0.0.0 www.xn--bcher-kva.de\n"
    )


def test_hosts_file_cannot_allow_only_some_sites_and_says_so():
    assert hosts_file(browsing=ALLOW_ONLY, version=3) == (
        "# Family Pairing: sites blocked by a teen's rules (hosts file)\n"
        "# Rules version 3\n"
        "# These rules allow only some sites. A hosts file can only block names,\n"
        "# so it blocks nothing here: use the AdGuard/Pi-hole list instead.\n"
    )


def test_hosts_file_with_nothing_blocked():
    assert hosts_file(browsing={"domain_mode": "block", "domains": []}, version=1) == (
        "# Family Pairing: sites blocked by a teen's rules (hosts file)\n"
        "# Rules version 1\n"
        "# No sites are blocked.\n"
    )


def test_adguard_list_for_a_block_list():
    assert adguard_list(browsing=BLOCK, version=7) == (
        "! Title: Family Pairing rules for a teen\n"
        "! Version: 7\n"
        "! The sites below are blocked.\n"
        "||example.com^\n"
        "||www.games.test^\n"
        "||*.xn--bcher-kva.de^\n"
    )


def test_adguard_list_for_allow_only():
    assert adguard_list(browsing=ALLOW_ONLY, version=3) == (
        "! Title: Family Pairing rules for a teen\n"
        "! Version: 3\n"
        "! Only the sites below are allowed; everything else is blocked.\n"
        "/.*/\n"
        "@@||school.test^\n"
        "@@||*.wiki.test^\n"
    )


@pytest.mark.django_db
def test_a_guardian_and_the_teen_read_the_exports_at_stable_urls(alice, alice_client, tom, client):
    services.browsing_update(actor=alice, teen=tom, changes={"domains": ["https://example.com/x"]})
    version = TeenRules.objects.get(teen=tom).version
    response = alice_client.get(f"/teens/{tom.pk}/export/adguard.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "! Title: Family Pairing rules for a teen\n"
        f"! Version: {version}\n"
        "! The sites below are blocked.\n"
        "||example.com^\n"
    )
    client.force_login(tom)
    hosts = client.get(f"/teens/{tom.pk}/export/hosts.txt")
    assert hosts.status_code == 200
    assert "0.0.0.0 example.com\n" in hosts.content.decode()


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
