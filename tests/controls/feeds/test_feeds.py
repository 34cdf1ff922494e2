"""Subscription addresses for home DNS filters: made, shown, replaced and turned off by a
guardian (pages and API alike), fetched with no session, in plain text, with conditional
answers, a rate limit, and no secret in the database or the logs."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from controls.feeds import services as feeds
from controls.models import AuditEvent, DnsFeed
from controls.rules import services
from familypairing.logredact import redact


def _path(token: str, fmt: str = "adguard") -> str:
    return f"/feeds/{token}/{fmt}.txt"


@pytest.fixture
def secret(alice, tom) -> feeds.FeedSecret:
    services.browsing_update(
        actor=alice, teen=tom, changes={"domains": ["https://www.video.example/watch?v=1"]}
    )
    return feeds.dns_feed_create(actor=alice, teen=tom)


@pytest.mark.django_db
def test_it_stores_only_a_hash_and_a_sealed_copy_of_the_token(secret):
    row = DnsFeed.objects.get(pk=secret.feed.pk)
    assert secret.token not in row.token_hash
    assert secret.token not in row.sealed
    assert len(secret.token) >= 40
    assert feeds.dns_feed_token(feed=row) == secret.token


@pytest.mark.django_db
def test_a_filter_fetches_the_list_without_a_session(secret, settings):
    settings.SITE_URL = "https://family.example.org"
    response = Client().get(_path(secret.token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "||video.example^" in text.splitlines()
    assert response["ETag"]
    assert response["Last-Modified"]
    secret.feed.refresh_from_db()
    assert secret.feed.last_fetched_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["hosts", "dnsmasq", "unbound", "adguard", "pihole"])
def test_every_format_has_its_own_address(secret, fmt):
    response = Client().get(_path(secret.token, fmt))
    assert response.status_code == 200
    assert "video.example" in response.content.decode()


@pytest.mark.django_db
def test_it_answers_304_while_nothing_changed_and_200_after_a_change(secret, alice, tom):
    first = Client().get(_path(secret.token))
    etag, modified = first["ETag"], first["Last-Modified"]
    assert Client().get(_path(secret.token), HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert Client().get(_path(secret.token), HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    services.browsing_update(actor=alice, teen=tom, changes={"domains": ["other.example"]})
    again = Client().get(_path(secret.token), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert "||other.example^" in again.content.decode()
    assert again["ETag"] != etag


@pytest.mark.django_db
def test_a_rotated_address_is_404_at_once_and_the_new_one_works(secret, alice, tom):
    new = feeds.dns_feed_rotate(actor=alice, teen=tom)
    old = Client().get(_path(secret.token))
    assert old.status_code == 404
    assert old["Content-Type"] == "text/plain; charset=utf-8"
    assert b"<" not in old.content
    assert Client().get(_path(new.token)).status_code == 200
    assert DnsFeed.objects.filter(teen=tom, revoked_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_a_revoked_address_is_404_and_its_sealed_copy_is_gone(secret, alice, tom):
    assert feeds.dns_feed_revoke(actor=alice, teen=tom) is True
    assert Client().get(_path(secret.token)).status_code == 404
    secret.feed.refresh_from_db()
    assert secret.feed.sealed == ""
    assert secret.feed.revoked_at is not None
    assert feeds.dns_feed_revoke(actor=alice, teen=tom) is False


@pytest.mark.django_db
def test_unknown_tokens_and_formats_are_plain_404s(secret):
    for path in (_path("not-a-token"), _path(secret.token, "bind"), "/feeds/x/adguard.txt"):
        response = Client().get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.django_db
def test_making_an_address_twice_returns_the_same_one(secret, alice, tom):
    assert feeds.dns_feed_create(actor=alice, teen=tom).token == secret.token
    assert DnsFeed.objects.filter(teen=tom).count() == 1


@pytest.mark.django_db
def test_every_change_is_in_the_history(secret, alice, tom):
    feeds.dns_feed_rotate(actor=alice, teen=tom)
    feeds.dns_feed_revoke(actor=alice, teen=tom)
    actions = list(
        AuditEvent.objects.filter(teen=tom, action__startswith="dns_feed.")
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["dns_feed.create", "dns_feed.rotate", "dns_feed.revoke"]
    assert not any(
        secret.token in str(event.details) + event.summary for event in AuditEvent.objects.all()
    )


@pytest.mark.django_db
def test_too_many_fetches_get_429_with_retry_after(secret, monkeypatch):
    monkeypatch.setattr(feeds, "FETCHES_PER_TOKEN", 3)
    client = Client()
    assert [client.get(_path(secret.token)).status_code for _ in range(3)] == [200] * 3
    limited = client.get(_path(secret.token))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert limited["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.django_db
def test_guessing_tokens_is_limited_per_address(secret, monkeypatch):
    monkeypatch.setattr(feeds, "FETCHES_PER_CLIENT", 5)
    client = Client()
    statuses = [client.get(_path(f"guess{n}")).status_code for n in range(6)]
    assert statuses == [404] * 5 + [429]
    # Even the right token is refused from that address until the window passes.
    assert client.get(_path(secret.token)).status_code == 429


@pytest.mark.django_db
def test_adguard_clients_parameter_limits_the_rules(secret):
    response = Client().get(_path(secret.token), {"clients": "Tom phone,192.168.1.7"})
    assert "||video.example^$client='Tom phone'|192.168.1.7" in response.content.decode()
    bad = Client().get(_path(secret.token), {"clients": "Tom's phone"})
    assert bad.status_code == 400
    assert bad.content.decode().startswith("clients: ")


@pytest.mark.django_db
def test_the_token_never_reaches_the_logs(secret, alice, tom, caplog):
    feeds.dns_feed_rotate(actor=alice, teen=tom)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert Client().get(_path(secret.token)).status_code == 404
    # Django logs every 404's path; the filter on that logger blanks the token first.
    assert "Not Found: /feeds/[redacted]/adguard.txt" in caplog.text
    assert secret.token not in caplog.text
    assert redact(f'"GET {_path(secret.token)} HTTP/1.1" 200') == (
        '"GET /feeds/[redacted]/adguard.txt HTTP/1.1" 200'
    )


# --- The card and the API -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_guardian_makes_copies_replaces_and_turns_off_the_address_on_the_card(alice_client, tom):
    page = alice_client.get(f"/teens/{tom.pk}/browsing/")
    assert "Make a filter address" in page.content.decode()
    assert "What a home filter can and can't do" in page.content.decode()
    url = f"/teens/{tom.pk}/browsing/filter-address/"
    response = alice_client.post(url, {"action": "create"})
    assert response.status_code == 302
    feed = DnsFeed.objects.get(teen=tom, revoked_at__isnull=True)
    token = feeds.dns_feed_token(feed=feed)
    page = alice_client.get(f"/teens/{tom.pk}/browsing/").content.decode()
    assert f"/feeds/{token}/adguard.txt" in page
    assert f"/feeds/{token}/pihole.txt" in page
    assert 'data-copy="feed-adguard"' in page
    for summary in ("Set up AdGuard Home", "Set up Pi-hole", "OpenWrt or dnsmasq", "unbound"):
        assert summary in page
    alice_client.post(url, {"action": "rotate"})
    assert Client().get(_path(token)).status_code == 404
    alice_client.post(url, {"action": "revoke"})
    assert not DnsFeed.objects.filter(teen=tom, revoked_at__isnull=True).exists()
    assert alice_client.post(url, {"action": "explode"}).status_code == 400


@pytest.mark.django_db
def test_the_card_says_pihole_cannot_allow_only(alice, alice_client, tom):
    services.browsing_update(
        actor=alice, teen=tom, changes={"domain_mode": "allow_only", "domains": ["school.test"]}
    )
    feeds.dns_feed_create(actor=alice, teen=tom)
    page = alice_client.get(f"/teens/{tom.pk}/browsing/").content.decode()
    assert "empty: Pi-hole can't do “only allowed sites”" in page


@pytest.mark.django_db
def test_the_teen_and_strangers_cannot_touch_the_address(tom, bob, client):
    url = f"/teens/{tom.pk}/browsing/filter-address/"
    client.force_login(tom)
    assert client.post(url, {"action": "create"}).status_code == 403
    assert client.get(f"/api/v1/teens/{tom.pk}/dns-feed").status_code == 403
    client.force_login(bob)
    assert client.post(url, {"action": "create"}).status_code == 404
    assert client.post(f"/api/v1/teens/{tom.pk}/dns-feed").status_code == 404
    assert not DnsFeed.objects.exists()


@pytest.mark.django_db
def test_the_api_makes_rotates_and_revokes(alice_client, tom, settings):
    settings.SITE_URL = "https://family.example.org"
    base = f"/api/v1/teens/{tom.pk}/dns-feed"
    assert alice_client.get(base).json() == {"live": False}
    made = alice_client.post(base)
    assert made.status_code == 201
    addresses = made.json()["addresses"]
    assert set(addresses) == {"hosts", "dnsmasq", "unbound", "adguard", "pihole"}
    assert addresses["adguard"].startswith("https://family.example.org/feeds/")
    assert alice_client.post(base).json()["addresses"] == addresses  # idempotent: 200
    assert alice_client.get(base).json()["addresses"] == addresses
    rotated = alice_client.post(base + "/rotate").json()["addresses"]
    assert rotated["adguard"] != addresses["adguard"]
    old_path = addresses["adguard"].removeprefix("https://family.example.org")
    assert Client().get(old_path).status_code == 404
    assert alice_client.delete(base).status_code == 204
    assert alice_client.get(base).json() == {"live": False}


@pytest.mark.django_db
def test_last_fetch_is_written_at_most_once_a_minute(secret):
    feed = secret.feed
    now = timezone.now()
    feeds.dns_feed_mark_fetched(feed=feed, now=now)
    feeds.dns_feed_mark_fetched(feed=feed, now=now + timedelta(seconds=30))
    feed.refresh_from_db()
    assert feed.last_fetched_at == now
    feeds.dns_feed_mark_fetched(feed=feed, now=now + timedelta(seconds=61))
    feed.refresh_from_db()
    assert feed.last_fetched_at == now + timedelta(seconds=61)


@pytest.mark.django_db
def test_the_address_stops_when_a_guardian_is_unlinked(secret, alice, tom):
    from accounts.pairing.unlinking import guardian_unlink

    guardian_unlink(link=tom.guardian_links.get(parent=alice), guardian=alice)
    assert Client().get(_path(secret.token)).status_code == 404
    event = AuditEvent.objects.filter(teen=tom, action="dns_feed.revoke").get()
    assert "because Alice is no longer a guardian" in event.summary
