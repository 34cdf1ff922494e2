"""The change channel's fan-out: "teen <id>'s policy changed", from whoever changed it to every
request held open for that teen (issue 14).

A device holds one request open (`GET /api/v1/device/policy?wait=…`, see
`controls.api.device_channel`); it registers a *waiter* for its teen here and sleeps until
`teen_changed` wakes it, the wait ends, or the policy's own `next_change_at` comes (time-driven
changes such as a downtime start need no message: the waiter wakes at that instant by itself).

- **With Redis** (`REDIS_URL` set), `teen_changed` publishes on the channel `fp:teen:<id>`. Each
  process that holds requests keeps ONE subscriber connection (a pattern subscription to
  `fp:teen:*`, on a daemon thread started with the first waiter) and dispatches each message to
  its own waiters of that teen: N held requests cost one Redis connection per process, not N,
  and a change made on any machine reaches every process.
- **Without Redis** (the embedded default: `make run`, tests) the message goes straight to the
  waiters of this process, so runserver alone serves the channel.

A lost message (Redis restarted, the subscriber reconnecting) costs latency, never correctness:
on every (re)subscription every waiter of the process is woken to look again, and a waiter always
re-reads the policy, so a wake that changed nothing just goes back to sleep.

Messages are sent after the transaction that made the change commits (see
`controls.effective.cache`), so a woken device reads the new policy, not the old one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time as clock

import redis
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "fp:teen:"
# The subscriber's reconnect delays (seconds): quick at first, then at most every few seconds.
RECONNECT_FIRST, RECONNECT_MAX = 0.1, 5.0
LAST_DISPATCH_MAX = 100_000


class Waiter:
    """One held request, woken from any thread."""

    def wake(self) -> None:
        raise NotImplementedError


class ThreadWaiter(Waiter):
    """A request held by a thread (a WSGI server: runserver, the live test server)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wake(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True if woken. Clears the wake for the next round."""
        woken = self._event.wait(max(0.0, timeout))
        self._event.clear()
        return woken


class AsyncWaiter(Waiter):
    """A request held by a coroutine (the ASGI server): holds no thread while it sleeps."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def wake(self) -> None:
        # (RuntimeError: the loop closed, the server is shutting down: nobody is waiting.)
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._event.wait(), max(0.0, timeout))
        except TimeoutError:
            return False
        finally:
            self._event.clear()
        return True


class Hub:
    """The waiters of this process, by teen; with Redis, also the one subscriber connection."""

    def __init__(self, redis_url: str | None = None) -> None:
        self.redis_url = redis_url
        self._lock = threading.Lock()
        self._waiters: dict[int, set[Waiter]] = {}
        # teen -> when a message for the teen was last dispatched (time.monotonic()), bounded
        self._last_dispatch: dict[int, float] = {}
        self._subscriber: threading.Thread | None = None
        self._publisher = None
        self.subscribed = threading.Event()

    # --- Waiters ---

    def add(self, teen_id: int, waiter: Waiter) -> None:
        with self._lock:
            self._waiters.setdefault(teen_id, set()).add(waiter)
        if self.redis_url and self._subscriber is None:
            self._start_subscriber()

    def remove(self, teen_id: int, waiter: Waiter) -> None:
        with self._lock:
            waiters = self._waiters.get(teen_id)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[teen_id]

    def held(self) -> int:
        with self._lock:
            return sum(len(waiters) for waiters in self._waiters.values())

    def dispatch(self, teen_id: int) -> int:
        """Wake this process's waiters of `teen_id`; returns how many."""
        with self._lock:
            waiters = list(self._waiters.get(teen_id, ()))
            if len(self._last_dispatch) >= LAST_DISPATCH_MAX:
                self._last_dispatch.clear()
            self._last_dispatch[teen_id] = clock.monotonic()
        for waiter in waiters:
            waiter.wake()
        return len(waiters)

    def dispatched_since(self, teen_id: int, instant: float) -> bool:
        """Whether a message for the teen arrived at or after `instant` (time.monotonic()): a
        request that read the policy at `instant` and registered its waiter only then looks
        again instead of missing it."""
        with self._lock:
            if not self._last_dispatch:
                return False
            last = self._last_dispatch.get(teen_id)
        return last is not None and last >= instant

    def dispatch_all(self) -> None:
        with self._lock:
            self._last_dispatch.clear()
            waiters = [waiter for group in self._waiters.values() for waiter in group]
        for waiter in waiters:
            waiter.wake()

    # --- Publishing ---

    def publish(self, teen_id: int) -> None:
        if not self.redis_url:
            self.dispatch(teen_id)
            return
        try:
            if self._publisher is None:
                self._publisher = redis.Redis.from_url(self.redis_url)
            self._publisher.publish(f"{CHANNEL_PREFIX}{teen_id}", b"1")
        except Exception:
            # The device still learns of the change at its next poll (at most `wait` later);
            # this process's own waiters are told at once.
            logger.warning("change channel: publish for teen %s failed", teen_id, exc_info=True)
            self.dispatch(teen_id)

    # --- The subscriber (Redis only) ---

    def _start_subscriber(self) -> None:
        with self._lock:
            if self._subscriber is not None:
                return
            self._subscriber = threading.Thread(
                target=self._listen, name="fp-change-channel", daemon=True
            )
        self._subscriber.start()

    def _listen(self) -> None:
        delay = RECONNECT_FIRST
        while True:
            try:
                client = redis.Redis.from_url(self.redis_url)
                pubsub = client.pubsub(ignore_subscribe_messages=False)
                pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                for message in pubsub.listen():
                    if message["type"] == "psubscribe":
                        # Subscribed (again): anything published before now may have been
                        # missed, so every waiter looks again.
                        self.subscribed.set()
                        self.dispatch_all()
                        delay = RECONNECT_FIRST
                    elif message["type"] == "pmessage":
                        teen = message["channel"].rsplit(b":", 1)[-1]
                        if teen.isdigit():
                            self.dispatch(int(teen))
            except Exception:
                self.subscribed.clear()
                logger.warning("change channel: subscriber lost Redis; reconnecting", exc_info=True)
                clock.sleep(delay)
                delay = min(RECONNECT_MAX, delay * 2)


_hub: Hub | None = None
_hub_lock = threading.Lock()


def hub() -> Hub:
    """This process's hub (made on first use, from the settings of the time)."""
    global _hub
    if _hub is None:
        with _hub_lock:
            if _hub is None:
                _hub = Hub(redis_url=getattr(settings, "REDIS_URL", None) or None)
    return _hub


def teen_changed(*, teen_id: int) -> None:
    """Tell every request held for the teen that its policy may have changed: after the current
    transaction commits (at once outside one)."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: hub().publish(teen_id))
    else:
        hub().publish(teen_id)
