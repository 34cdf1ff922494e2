"""Django's Redis cache backend, keeping one Redis client per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` object for every cache
operation; with redis-py 8 that costs about 0.1 ms, more than the round trip to Redis itself,
and the device API does two or three cache reads per request (issue 8, measured with
`make bench`). The client is thread-safe and the pool it wraps is fork-safe, so one per pool is
enough. `incr` is one round trip (a server-side script) instead of Django's EXISTS then INCRBY,
which also makes it atomic; keys are not checked against memcached's limits (Django only warns,
and Redis has none). Everything else is Django's backend, unchanged.
"""

from __future__ import annotations

import logging
import time as clock

import redis.exceptions
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.utils.functional import cached_property

# INCRBY only if the key exists (Django's contract: a missing key is a ValueError).
INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._incr_scripts: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts[id(client)] = client.register_script(INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self) -> ReusingRedisCacheClient:
        return ReusingRedisCacheClient(self._servers, **self._options)

    def validate_key(self, key) -> None:
        """Django checks every key, character by character, against memcached's limits (length,
        control characters) and only warns; Redis has no such limits."""


# --- An unreachable Redis is a cache that forgets (issue 11) -----------------------------------

logger = logging.getLogger(__name__)

# What "Redis is down or not answering" looks like from redis-py; anything else (a bad command,
# an unpicklable value) is a bug and still raises.
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# After a failure, operations skip Redis for this long, so an outage that hangs (timeouts, not
# refusals) costs one timeout per process every few seconds instead of one per cache call.
SKIP_SECONDS = 2.0


class FailSoftRedisCache(RedisCache):
    """The Redis backend, but with the cache unreachable every read is a miss and every write is
    skipped, so what falls back to the database on a miss (the policy, device lookups) keeps
    working, and allauth's rate limits fail open (see README, "When Redis or PostgreSQL is down").

    The state is per process and short-lived: after `SKIP_SECONDS` the next call tries Redis
    again, and the first success logs that the cache is back. Nothing to reset by hand."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._skip_until = 0.0
        self._down_since: float | None = None

    def _fail_soft(self, operation: str, call, fallback):
        now = clock.monotonic()
        if now < self._skip_until:
            return fallback
        try:
            value = call()
        except UNREACHABLE as exc:
            self._skip_until = clock.monotonic() + SKIP_SECONDS
            if self._down_since is None:
                self._down_since = now
                # The class and the operation only: keys hold hashed tokens, and redis-py's
                # messages hold addresses; neither belongs in a log.
                logger.warning(
                    "Cache unreachable (%s on %s): serving from the database until it is back",
                    type(exc).__name__,
                    operation,
                )
            return fallback
        if self._down_since is not None:
            logger.warning(
                "Cache reachable again after %.0f s", clock.monotonic() - self._down_since
            )
            self._down_since = None
        return value

    def get(self, key, default=None, version=None):
        return self._fail_soft(
            "get", lambda: super(FailSoftRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys, version=None):
        return self._fail_soft(
            "get_many", lambda: super(FailSoftRedisCache, self).get_many(keys, version), {}
        )

    def has_key(self, key, version=None):
        return self._fail_soft(
            "has_key", lambda: super(FailSoftRedisCache, self).has_key(key, version), False
        )

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_soft(
            "set", lambda: super(FailSoftRedisCache, self).set(key, value, timeout, version), None
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_soft(
            "set_many",
            lambda: super(FailSoftRedisCache, self).set_many(data, timeout, version),
            list(data),
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # True, as if stored and evicted at once: allauth takes its rate-limit lock with add, and
        # False would make every sign-in wait a second and then be refused (failing closed).
        return self._fail_soft(
            "add", lambda: super(FailSoftRedisCache, self).add(key, value, timeout, version), True
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_soft(
            "touch", lambda: super(FailSoftRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key, version=None):
        return self._fail_soft(
            "delete", lambda: super(FailSoftRedisCache, self).delete(key, version), False
        )

    def delete_many(self, keys, version=None):
        return self._fail_soft(
            "delete_many", lambda: super(FailSoftRedisCache, self).delete_many(keys, version), None
        )

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._fail_soft(
            "incr", lambda: super(FailSoftRedisCache, self).incr(key, delta, version), missing
        )
        if value is missing:
            # Django's answer for a missing key: callers then set afresh, which is skipped too.
            raise ValueError(f"Key '{key}' not found (cache unreachable).")
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)

    def clear(self):
        return self._fail_soft("clear", lambda: super(FailSoftRedisCache, self).clear(), False)
