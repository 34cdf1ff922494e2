"""Failed-guess limits kept in the database, so every web worker, the pages and the API share them.

Each failure is one atomic SQL upsert into a one-minute bucket of `AttemptCounter`; the limit is
the sum of the buckets of the last `window` minutes (a sliding window with one-minute steps).

An attempt is counted *before* it is checked and refunded when it succeeds. That ordering is what
makes the limit hold under concurrency: two requests racing at 4 failures both add their 1 first,
so at most `limit` guesses are ever answered in a window, never `limit` + the number of workers.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import F, Sum
from django.utils import timezone

from accounts.crypto import keyed_hash
from accounts.models import AttemptCounter

BUCKET = timedelta(minutes=1)


class TooManyAttempts(Exception):
    """Raised when a key has used up its failures; `retry_after` is in whole seconds and `scope`
    names the limit that said no (the first key over its limit, in the order given), so the
    message can fit the case."""

    def __init__(self, retry_after: int, *, scope: str = "") -> None:
        super().__init__("Too many failed attempts.")
        self.retry_after = retry_after
        self.scope = scope


@dataclass(frozen=True)
class AttemptKey:
    scope: str
    key_hash: str
    # This key's own number of failures allowed per window; None: the `limit` of attempt_begin.
    limit: int | None = None


@dataclass(frozen=True)
class Attempt:
    """One counted attempt: refund it with `attempt_refund` when it turns out to be a success."""

    keys: tuple[AttemptKey, ...]
    bucket: datetime


def attempt_key(*, scope: str, value: str, limit: int | None = None) -> AttemptKey:
    # Hashed like every other secret-ish value: the table reveals neither accounts nor addresses.
    return AttemptKey(
        scope=scope, key_hash=keyed_hash(value, purpose=f"attempt:{scope}"), limit=limit
    )


def client_address_key(address: str) -> str:
    """The address a limit applies to. One IPv6 host usually owns a whole /64, so that is the
    unit there; IPv4 addresses count one by one."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address(request) -> str:
    """The client's address as allauth's own rate limits see it (set ALLAUTH_TRUSTED_PROXY_COUNT
    or ALLAUTH_TRUSTED_CLIENT_IP_HEADER behind a proxy, or every client shares one address)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def _bucket_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _increment(key: AttemptKey, bucket: datetime) -> None:
    table = AttemptCounter._meta.db_table
    sql = (
        f"INSERT INTO {table} (scope, key_hash, window_start, count) "  # noqa: S608  # nosec B608 - table name from the model, values bound
        "VALUES (%s, %s, %s, 1) "
        "ON CONFLICT (scope, key_hash, window_start) "
        f"DO UPDATE SET count = {table}.count + 1"
    )
    value = connection.ops.adapt_datetimefield_value(bucket)
    with connection.cursor() as cursor:
        cursor.execute(sql, [key.scope, key.key_hash, value])


def _buckets(key: AttemptKey, *, now: datetime, window: timedelta) -> list[tuple[datetime, int]]:
    return list(
        AttemptCounter.objects.filter(
            scope=key.scope, key_hash=key.key_hash, window_start__gt=now - window, count__gt=0
        )
        .order_by("window_start")
        .values_list("window_start", "count")
    )


def _total(key: AttemptKey, *, now: datetime, window: timedelta) -> int:
    total = AttemptCounter.objects.filter(
        scope=key.scope, key_hash=key.key_hash, window_start__gt=now - window
    ).aggregate(total=Sum("count"))["total"]
    return total or 0


def _seconds_until_free(
    buckets: list[tuple[datetime, int]], limit: int, now: datetime, window: timedelta
) -> int:
    """How long until fewer than `limit` failures remain in the window."""
    total = sum(count for _, count in buckets)
    for start, count in buckets:
        total -= count
        if total < limit:
            return max(1, math.ceil((start + window - now).total_seconds()))
    return 1


def attempt_begin(
    *,
    keys: tuple[AttemptKey, ...],
    limit: int | None = None,
    window: timedelta | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Count one attempt against every key; raise `TooManyAttempts` (counting nothing) when any
    key already has its limit of failures in the window (the key's own `limit`, else `limit`)."""
    limit = limit or settings.PAIRING_MAX_FAILURES
    window = window or timedelta(minutes=settings.PAIRING_FAILURE_WINDOW_MINUTES)
    now = now or timezone.now()
    attempt = Attempt(keys=keys, bucket=_bucket_start(now))
    for key in keys:
        _increment(key, attempt.bucket)
    over = [key for key in keys if _total(key, now=now, window=window) > (key.limit or limit)]
    if over:
        attempt_refund(attempt=attempt)
        waits = [
            _seconds_until_free(
                _buckets(key, now=now, window=window), key.limit or limit, now, window
            )
            for key in over
        ]
        raise TooManyAttempts(retry_after=max(waits), scope=over[0].scope)
    return attempt


def attempt_refund(*, attempt: Attempt) -> None:
    """Take back an attempt that succeeded (or was refused without being tried)."""
    for key in attempt.keys:
        AttemptCounter.objects.filter(
            scope=key.scope, key_hash=key.key_hash, window_start=attempt.bucket, count__gt=0
        ).update(count=F("count") - 1)


def attempt_counters_prune(*, now: datetime | None = None) -> int:
    """Delete buckets older than any window that could still read them."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.PAIRING_FAILURE_WINDOW_MINUTES)
    deleted, _ = AttemptCounter.objects.filter(window_start__lte=now - window - BUCKET).delete()
    return deleted
