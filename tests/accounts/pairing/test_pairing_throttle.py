"""Wrong codes are limited per account and per address, counted in the database so that every
process (each web worker, the pages and the API) shares the same count."""

from __future__ import annotations

import html
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import AttemptCounter, GuardianLink
from accounts.pairing.services import pairing_invitation_create
from accounts.pairing.throttle import (
    TooManyAttempts,
    attempt_begin,
    attempt_key,
    attempt_refund,
    client_address_key,
)
from tests.factories import TeenFactory

pytestmark = pytest.mark.django_db

WRONG = "ABCDEFGH"
NOW = datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _wrong(client, *, address: str = "203.0.113.7"):
    return client.post(reverse("pair_enter_code"), {"code": WRONG}, REMOTE_ADDR=address)


def _wrong_api(client, *, address: str = "203.0.113.7"):
    return client.post(
        "/api/v1/pairing/lookup",
        {"code": WRONG},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


@time_machine.travel(NOW, tick=False)
def test_it_answers_429_with_retry_after_after_five_wrong_codes(client, uma):
    client.force_login(uma)
    for _ in range(5):
        assert _wrong(client).status_code == 400
    response = _wrong(client)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60 - 30  # the first failure leaves at 12:15:00
    html = response.content.decode()
    assert "Too many tries" in html and "15 minutes" in html


@time_machine.travel(NOW, tick=False)
def test_even_the_right_code_is_refused_while_blocked(client, alice, uma):
    """The typing teen stays blocked for codes: the limit is checked before the code."""
    _, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    for _ in range(5):
        _wrong(client)
    response = client.post(reverse("pair_enter_code"), {"code": secrets.code})
    assert response.status_code == 429
    assert not GuardianLink.objects.filter(teen=uma).exists()


@time_machine.travel(NOW, tick=False)
def test_the_blocked_teen_can_still_scan_the_qr_code(client, alice, uma):
    """A 256-bit token is not a guess: the QR link works, and is what the page suggests."""
    _, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    for _ in range(5):
        _wrong(client)
    page = _text(_wrong(client))
    assert "You've tried too many codes" in page and "scan the QR code" in page
    assert "fresh code" in page and "this network" not in page
    response = client.get(f"/pair/{secrets.token}", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302 and response["Location"].startswith("/pair/confirm/")


def test_it_lets_the_teen_try_again_after_the_window(client, alice, uma):
    client.force_login(uma)
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            _wrong(client)
        assert _wrong(client).status_code == 429
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        _, secrets = pairing_invitation_create(parent=alice)
        response = client.post(reverse("pair_enter_code"), {"code": secrets.code})
        assert response.status_code == 302


@time_machine.travel(NOW, tick=False)
def test_blocked_tries_do_not_extend_the_block(client, uma):
    client.force_login(uma)
    for _ in range(5):
        _wrong(client)
    for _ in range(10):
        assert _wrong(client).status_code == 429
    assert sum(AttemptCounter.objects.values_list("count", flat=True)) == 10  # account + address


@time_machine.travel(NOW, tick=False)
def test_the_page_and_the_api_share_one_count(client, uma):
    client.force_login(uma)
    for _ in range(3):
        assert _wrong(client).status_code == 400
    for _ in range(2):
        assert _wrong_api(client).status_code == 400
    response = _wrong_api(client)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert _wrong(client).status_code == 429


@time_machine.travel(NOW, tick=False)
def test_a_fresh_process_with_the_same_account_is_still_blocked(uma):
    """A new client and a different address: only the per-account count is shared, and that is
    read from the database, not from any process's memory."""
    first = Client()
    first.force_login(uma)
    for _ in range(5):
        _wrong(first, address="198.51.100.1")
    from django.core.cache import cache

    cache.clear()  # nothing kept in a cache either
    second = Client()
    second.force_login(uma)
    assert _wrong(second, address="198.51.100.2").status_code == 429


@time_machine.travel(NOW, tick=False)
def test_one_address_is_limited_across_accounts(client):
    """Ten accounts' worth of typos (50 by default) trip the address, for every account there."""
    for _ in range(10):
        client.force_login(TeenFactory())
        for _ in range(5):
            assert _wrong(client, address="192.0.2.55").status_code == 400
    client.force_login(TeenFactory())
    response = _wrong(client, address="192.0.2.55")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60 - 30
    assert _wrong(client, address="192.0.2.56").status_code == 400


@time_machine.travel(NOW, tick=False)
def test_the_address_limit_comes_from_settings(settings, client):
    settings.PAIRING_MAX_FAILURES_PER_ADDRESS = 7
    for _ in range(7):
        client.force_login(TeenFactory())
        assert _wrong(client, address="192.0.2.60").status_code == 400
    client.force_login(TeenFactory())
    assert _wrong(client, address="192.0.2.60").status_code == 429


# --- A household behind one address ----------------------------------------------------------

HOME = "198.51.100.20"


@pytest.fixture
def typos_at_home(client):
    """A teen at home typed five wrong codes: their own account is blocked."""
    typist = TeenFactory(email="typist@example.com")
    client.force_login(typist)
    for _ in range(5):
        assert _wrong(client, address=HOME).status_code == 400
    assert _wrong(client, address=HOME).status_code == 429
    return typist


@time_machine.travel(NOW, tick=False)
def test_a_sibling_with_a_valid_qr_link_reaches_the_confirmation_page(typos_at_home, alice):
    _, secrets = pairing_invitation_create(parent=alice)
    sibling = Client(REMOTE_ADDR=HOME)
    sibling.force_login(TeenFactory(email="sibling@example.com"))
    response = sibling.get(f"/pair/{secrets.token}", follow=True)
    assert response.status_code == 200
    page = _text(response)
    assert "Accept" in page and "Alice" in page
    assert "Too many" not in page


@time_machine.travel(NOW, tick=False)
def test_a_sibling_typing_the_right_code_links(typos_at_home, alice):
    _, secrets = pairing_invitation_create(parent=alice)
    sibling_user = TeenFactory(email="sibling@example.com")
    sibling = Client(REMOTE_ADDR=HOME)
    sibling.force_login(sibling_user)
    response = sibling.post(reverse("pair_enter_code"), {"code": secrets.code})
    assert response.status_code == 302
    sibling.post(response["Location"], {"answer": "accept"})
    assert GuardianLink.objects.filter(teen=sibling_user, parent=alice).exists()
    assert not GuardianLink.objects.filter(teen=typos_at_home).exists()


@time_machine.travel(NOW, tick=False)
def test_the_typing_teen_stays_blocked_while_the_sibling_pairs(client, typos_at_home, alice):
    _, secrets = pairing_invitation_create(parent=alice)
    client.force_login(typos_at_home)
    response = client.post(reverse("pair_enter_code"), {"code": secrets.code}, REMOTE_ADDR=HOME)
    assert response.status_code == 429
    assert _wrong(client, address="192.0.2.99").status_code == 429  # from anywhere


@time_machine.travel(NOW, tick=False)
def test_a_throttled_network_gets_a_message_about_the_network(settings, client, alice):
    settings.PAIRING_MAX_FAILURES_PER_ADDRESS = 6
    for _ in range(3):
        client.force_login(TeenFactory())
        _wrong(client, address=HOME)
        _wrong(client, address=HOME)
    _, secrets = pairing_invitation_create(parent=alice)
    newcomer = TeenFactory()
    client.force_login(newcomer)
    response = _wrong(client, address=HOME)
    assert response.status_code == 429
    page = _text(response)
    assert "Too many wrong codes on this network" in page
    assert "You've tried too many codes" not in page
    # The right code typed here waits too (or the limit would slow no guesser), and the page
    # points at what always works: the QR code, which does.
    refused = client.post(reverse("pair_enter_code"), {"code": secrets.code}, REMOTE_ADDR=HOME)
    assert refused.status_code == 429 and "QR code" in _text(refused)
    scanned = client.get(f"/pair/{secrets.token}", REMOTE_ADDR=HOME, follow=True)
    assert scanned.status_code == 200 and "Accept" in _text(scanned)


@time_machine.travel(NOW, tick=False)
def test_qr_links_never_count_or_trip_a_limit(client, alice, uma):
    client.force_login(uma)
    for _ in range(20):  # old links, opened again and again
        assert client.get("/pair/" + "x" * 43, REMOTE_ADDR=HOME).status_code == 400
    assert not AttemptCounter.objects.filter(count__gt=0).exists()
    assert _wrong(client, address=HOME).status_code == 400


@time_machine.travel(NOW, tick=False)
def test_the_api_gives_each_case_its_message_with_retry_after(settings, client, alice, uma):
    _, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    for _ in range(5):
        _wrong_api(client, address=HOME)
    blocked = _wrong_api(client, address=HOME)
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) == 15 * 60 - 30
    assert "You've tried too many codes" in blocked.json()["detail"]
    settings.PAIRING_MAX_FAILURES_PER_ADDRESS = 5
    sibling = TeenFactory()
    client.force_login(sibling)
    network = client.post(
        "/api/v1/pairing/lookup",
        {"code": secrets.code},
        content_type="application/json",
        REMOTE_ADDR=HOME,
    )
    assert network.status_code == 429 and int(network["Retry-After"]) > 0
    assert "this network" in network.json()["detail"]
    accepted = client.post(
        "/api/v1/pairing/accept",
        {"token": secrets.token},
        content_type="application/json",
        REMOTE_ADDR=HOME,
    )
    assert accepted.status_code == 201
    assert GuardianLink.objects.filter(teen=sibling, parent=alice).exists()


@time_machine.travel(NOW, tick=False)
def test_a_success_does_not_count(client, uma):
    from accounts.pairing.services import pairing_invitation_create
    from tests.factories import UserFactory

    client.force_login(uma)
    for _ in range(4):
        _wrong(client)
    for _ in range(3):  # three teens' successes on one address (a school network) cost nothing
        _, secrets = pairing_invitation_create(parent=UserFactory())
        assert client.post(reverse("pair_enter_code"), {"code": secrets.code}).status_code == 302
    assert _wrong(client).status_code == 400
    assert _wrong(client).status_code == 429


@time_machine.travel(NOW, tick=False)
def test_the_limit_comes_from_settings(settings, client, uma):
    settings.PAIRING_MAX_FAILURES = 2
    client.force_login(uma)
    _wrong(client)
    _wrong(client)
    assert _wrong(client).status_code == 429


def test_the_sliding_window_frees_the_oldest_failure_first():
    key = attempt_key(scope="test", value="k")
    for minute in range(5):
        attempt_begin(keys=(key,), now=NOW + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts) as blocked:
        attempt_begin(keys=(key,), now=NOW + timedelta(minutes=6))
    # the 12:00 failure leaves the window at 12:15:00, 8m30s after 12:06:30
    assert blocked.value.retry_after == 8 * 60 + 30
    attempt_begin(keys=(key,), now=NOW + timedelta(minutes=15))


def test_a_refund_takes_back_one_attempt():
    key = attempt_key(scope="test", value="k")
    attempt = attempt_begin(keys=(key,), now=NOW)
    attempt_refund(attempt=attempt)
    assert AttemptCounter.objects.get().count == 0


def test_the_counters_keep_no_plain_keys(uma):
    attempt_begin(keys=(attempt_key(scope="pairing:account", value=str(uma.pk)),), now=NOW)
    counter = AttemptCounter.objects.get()
    assert str(uma.pk) != counter.key_hash and len(counter.key_hash) == 64


def test_old_counters_are_pruned_by_the_expiry_sweep():
    from accounts.pairing.services import pairing_invitations_expire

    attempt_begin(keys=(attempt_key(scope="test", value="k"),), now=NOW)
    pairing_invitations_expire(now=NOW + timedelta(minutes=10))
    assert AttemptCounter.objects.count() == 1
    pairing_invitations_expire(now=NOW + timedelta(minutes=17))
    assert AttemptCounter.objects.count() == 0


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("not an address", "not an address"),
    ],
)
def test_an_ipv6_host_is_limited_by_its_64(address, key):
    assert client_address_key(address) == key


@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_never_get_past_the_limit(alice):
    """Eight threads (each with its own database connection, as separate workers would have)
    guess at once; the count is atomic, so at most five guesses are ever answered."""
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("needs a database shared between connections (PostgreSQL)")
    teen = TeenFactory()
    results: list[int] = []
    barrier = threading.Barrier(8)

    def guess() -> None:
        from django.db import connections

        client = Client()
        client.force_login(teen)
        barrier.wait()
        results.append(_wrong(client).status_code)
        connections.close_all()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(400) <= 5
    assert results.count(429) >= 3
    assert not GuardianLink.objects.filter(teen=teen).exists()
