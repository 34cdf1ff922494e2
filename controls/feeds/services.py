"""Subscription addresses for home DNS filters: a secret in the URL, like a calendar feed.

A filter (AdGuard Home, Pi-hole, OpenWrt's dnsmasq, unbound) fetches a list by URL on its own
schedule and can send neither a cookie nor an `Authorization` header, so the token in the path
is the only credential. Hence:

- the token is 32 random bytes from `secrets`; the database holds its keyed hash (look-ups) and
  a Fernet-sealed copy, so the guardians' card can show the address again (a parent who set up
  Pi-hole last month must be able to copy it into AdGuard Home today). Revoking wipes the copy.
- one live address per teen; rotating revokes it and makes a new one in one transaction, so the
  old address answers 404 from the next request on;
- fetches are rate-limited per token and per client address (`feed_fetch_allowed`), unknown
  tokens counting against the address, so the token space cannot be walked;
- every create, rotate and revoke is an audit event the teen and every guardian see;
- when any guardian's link to the teen ends (unlinked by anyone, or supervision ending at 18),
  the live address is turned off: every guardian could read it on the card, so a former
  guardian must not keep reading the teen's rules. The remaining guardian makes a new one.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.crypto import keyed_hash
from accounts.models import GuardianLink, LinkStatus, User
from controls.audit import audit_record
from controls.models import DnsFeed

TOKEN_BYTES = 32
HASH_PURPOSE = "dns-feed-token"
# Filters fetch a list once an hour at most (AdGuard Home's default is every 24 h, Pi-hole's
# gravity update weekly), so 30 fetches an hour per address of a feed is ample, and 120 an
# hour per client address covers a household with several filters and formats.
FETCHES_PER_TOKEN = 30
FETCHES_PER_CLIENT = 120
RATE_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class FeedSecret:
    feed: DnsFeed
    token: str


def _token_hash(token: str) -> str:
    return keyed_hash(token, purpose=HASH_PURPOSE)


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"familypairing:dns-feed-seal:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _new_feed(*, actor: User, teen: User, now: datetime) -> FeedSecret:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = DnsFeed.objects.create(
        teen=teen,
        token_hash=_token_hash(token),
        sealed=_fernet().encrypt(token.encode()).decode(),
        created_by=actor,
        created_at=now,
    )
    return FeedSecret(feed=feed, token=token)


def _live_feed_locked(teen: User) -> DnsFeed | None:
    return DnsFeed.objects.select_for_update().filter(teen=teen, revoked_at__isnull=True).first()


def _close(feed: DnsFeed, now: datetime) -> None:
    feed.revoked_at = now
    feed.sealed = ""
    feed.save(update_fields=["revoked_at", "sealed"])


def dns_feed_create(*, actor: User, teen: User, now: datetime | None = None) -> FeedSecret:
    """The teen's subscription address, made if there is none. Idempotent: a second call
    (a double click, a retried API call) returns the live address instead of a new one."""
    now = now or timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=teen.pk).first()  # serialise per teen
        live = _live_feed_locked(teen)
        if live is not None:
            token = dns_feed_token(feed=live)
            if token is not None:
                return FeedSecret(feed=live, token=token)
            _close(live, now)  # SECRET_KEY changed: the sealed copy is unreadable
        secret = _new_feed(actor=actor, teen=teen, now=now)
        audit_record(
            actor=actor,
            teen=teen,
            action="dns_feed.create",
            summary=f"{actor.display_name} made a home network filter address",
        )
    return secret


def dns_feed_rotate(*, actor: User, teen: User, now: datetime | None = None) -> FeedSecret:
    """A new address; the old one stops working at once."""
    now = now or timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=teen.pk).first()
        live = _live_feed_locked(teen)
        if live is not None:
            _close(live, now)
        secret = _new_feed(actor=actor, teen=teen, now=now)
        audit_record(
            actor=actor,
            teen=teen,
            action="dns_feed.rotate",
            summary=f"{actor.display_name} replaced the home network filter address "
            "(the old one no longer works)",
        )
    return secret


def dns_feed_revoke(
    *, actor: User | None, teen: User, now: datetime | None = None, why: str = ""
) -> bool:
    """Stop the teen's address. True when one was live; revoking nothing changes nothing.
    `actor` None is the system (a link ended), with `why` saying so in the history."""
    now = now or timezone.now()
    with transaction.atomic():
        live = _live_feed_locked(teen)
        if live is None:
            return False
        _close(live, now)
        who = actor.display_name if actor is not None else "Family Pairing"
        audit_record(
            actor=actor,
            teen=teen,
            action="dns_feed.revoke",
            summary=f"{who} turned off the home network filter address{why}",
        )
    return True


@receiver(post_save, sender=GuardianLink, dispatch_uid="dns_feed_revoke_on_link_end")
def _link_saved(sender, instance: GuardianLink, **kwargs) -> None:
    if instance.status == LinkStatus.ENDED:
        dns_feed_revoke(
            actor=None,
            teen=instance.teen,
            why=f" because {instance.parent.display_name} is no longer a guardian",
        )


# --- Reads ---------------------------------------------------------------------------------


def dns_feed_live_for_teen(*, teen: User) -> DnsFeed | None:
    return DnsFeed.objects.filter(teen=teen, revoked_at__isnull=True).first()


def dns_feed_token(*, feed: DnsFeed) -> str | None:
    """The token of a live feed, for its guardians' card; None when revoked (or unreadable)."""
    if not feed.is_live or not feed.sealed:
        return None
    try:
        return _fernet().decrypt(feed.sealed.encode()).decode()
    except InvalidToken:
        return None


def dns_feed_for_token(*, token: str) -> DnsFeed | None:
    """The live feed this token opens, or None (unknown, rotated or revoked: all the same)."""
    if not token or len(token) > 100:
        return None
    return (
        DnsFeed.objects.select_related("teen")
        .filter(token_hash=_token_hash(token), revoked_at__isnull=True)
        .first()
    )


def dns_feed_mark_fetched(*, feed: DnsFeed, now: datetime | None = None) -> None:
    """Remember the last fetch, so the card can say "last fetched by a filter at …". Written at
    most once a minute: a burst of fetches costs one write."""
    now = now or timezone.now()
    if feed.last_fetched_at is None or (now - feed.last_fetched_at).total_seconds() >= 60:
        DnsFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
        feed.last_fetched_at = now


# --- Rate limit ----------------------------------------------------------------------------


def _count(key: str) -> int:
    # add() sets the window's start; incr() is atomic in Redis and in the local-memory cache.
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        return 1


def feed_fetch_allowed(*, token: str, client: str) -> int | None:
    """Count one fetch; None when allowed, else the seconds to wait (for Retry-After).
    Keys are hashed: neither tokens nor addresses are written to the cache in clear."""
    per_client = _count("fp:feed-client:" + keyed_hash(client, purpose="feed-rate-client"))
    per_token = _count("fp:feed-token:" + keyed_hash(token, purpose="feed-rate-token"))
    if per_client > FETCHES_PER_CLIENT or per_token > FETCHES_PER_TOKEN:
        return RATE_WINDOW_SECONDS
    return None
