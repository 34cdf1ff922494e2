"""The Redis cache backend keeps one client per pool (issue 8) and is otherwise Django's."""

from __future__ import annotations

import os

import pytest

from familypairing.cache import RedisCache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


@pytest.fixture
def redis_cache():
    backend = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-redis-cache"})
    yield backend
    backend.delete_many(["a", "n"])


def test_it_reuses_one_client_per_pool(redis_cache):
    client = redis_cache._cache.get_client("a")

    assert redis_cache._cache.get_client("b") is client
    assert redis_cache._cache.get_client("a", write=True) is client  # one server: one pool


def test_it_behaves_like_djangos_backend(redis_cache):
    redis_cache.set("a", {"x": 1}, 30)
    redis_cache.set("n", 1, 30)

    assert redis_cache.get("a") == {"x": 1}
    assert redis_cache.incr("n") == 2
    assert redis_cache.get_many(["a", "n", "missing"]) == {"a": {"x": 1}, "n": 2}
    redis_cache.delete("a")
    assert redis_cache.get("a") is None
    with pytest.raises(ValueError):
        redis_cache.incr("a")
    assert redis_cache.get("a") is None  # a missing key is not created by incr
    assert redis_cache.incr("n", 10) == 12
