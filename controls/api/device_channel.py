"""The change channel (issue 14): `GET /api/v1/device/policy?wait=<seconds>` with `If-None-Match`.

A long poll on the policy. With the ETag the device holds, the request is answered

- at once (200, the policy and its new ETag) if the policy differs already;
- else as soon as the teen's policy changes (a guardian's grant, a rule change, a lock, the limit
  reached on another device, an answer to a time request; see `controls.effective.channel`), or
  time changes it by itself (the policy's own `next_change_at`: a downtime starts or ends);
- else when the wait ends: 304, and the device asks again at once.

`wait` is 1–55 seconds (below the 60 s idle timeout of common proxies); anything else is a 400
naming `wait`. Without `wait` the request is the plain policy GET. The answers are exactly the
plain GET's (same ETag, body, headers), so a client treats both alike.

Two servers, one behaviour:

- **ASGI** (uvicorn, `familypairing.asgi`, production): `device_policy_channel` is an async view;
  a held request is a coroutine sleeping on an `AsyncWaiter`, holding no thread and no database
  connection. The token check and the policy read are the plain GET's sync code, run in the
  loop's thread pool for a few milliseconds at the start and at each wake.
- **WSGI** (runserver for `make run`, the live test server): `DevicePolicyView` holds the request
  in its thread on a `ThreadWaiter`, at most `CHANNEL_SYNC_MAX_HELD` at once per process (more
  would starve a pool of sync workers): beyond that a 503 with `Retry-After`.

A device revoked while its request is held gets its 401 within a second: revoking wakes the
teen's held requests, and every wake checks the token again.
"""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Callable
from datetime import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone

from accounts.devices.auth import device_for_request
from accounts.devices.services import device_for_token
from controls.effective.cache import PolicyEntry, policy_entry_for_teen, render_json
from controls.effective.channel import AsyncWaiter, ThreadWaiter, hub

WAIT_MIN, WAIT_MAX = 1, 55
CACHE_CONTROL = "private, no-cache"
# Wake a little after `next_change_at`, so the policy read then has already changed.
TIME_CHANGE_MARGIN = 0.05
# Never sleep less than this between two looks (a policy whose next change is already past).
MIN_PAUSE = 0.05
BUSY_RETRY_AFTER = 10


class WaitInvalid(ValueError):
    """A query the policy GET refuses: `field` is the parameter named in the 400."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def wait_seconds(request: HttpRequest) -> int | None:
    """The `wait` query parameter: None when absent. WaitInvalid unless a whole number of
    seconds from WAIT_MIN to WAIT_MAX, given once; any other parameter is refused too (the
    policy takes no other, and a misspelt `wait` must not silently become a plain GET)."""
    unknown = sorted(name for name in request.GET if name != "wait")
    if unknown:
        raise WaitInvalid(unknown[0], "Unknown parameter: the policy takes only `wait`.")
    values = request.GET.getlist("wait")
    if not values:
        return None
    if len(values) > 1:
        raise WaitInvalid("wait", "Give this parameter once.")
    raw = values[0]
    if not raw.isdigit() or not WAIT_MIN <= int(raw) <= WAIT_MAX:
        raise WaitInvalid("wait", f"Must be a whole number from {WAIT_MIN} to {WAIT_MAX}.")
    return int(raw)


def wait_invalid_response(error: WaitInvalid) -> HttpResponse:
    return HttpResponse(
        render_json(
            {
                "detail": "Send how long to hold the request, in seconds, as `wait`.",
                error.field: [error.message],
            }
        ),
        status=400,
        content_type="application/json",
    )


def busy_response() -> HttpResponse:
    """Too many requests held by this process: ask again later (the policy the device has
    stays in force meanwhile)."""
    return HttpResponse(
        render_json({"detail": "The change channel is busy; ask again after Retry-After."}),
        status=503,
        content_type="application/json",
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
    )


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110) of a quoted `etag` with an If-None-Match header: a list of
    tags, or `*`. An unquoted tag is accepted too: devices are not all careful HTTP clients."""
    if not header:
        return False
    bare = etag.strip('"')
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.removeprefix("W/").strip('"') == bare:
            return True
    return False


def entry_response(request: HttpRequest, entry: PolicyEntry) -> HttpResponse:
    """The policy GET's answer: 304 when the device has this ETag already, else 200."""
    headers = {"ETag": entry.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept"}
    if etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), entry.etag):
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(entry.body, content_type="application/json", headers=headers)


def _sleep_for(*, deadline: float, entry: PolicyEntry, now: datetime) -> float:
    """Seconds to sleep: until the wait ends or the policy changes by time, whichever is first."""
    by_time = (entry.valid_until - now).total_seconds() + TIME_CHANGE_MARGIN
    return max(0.0, min(deadline - clock.monotonic(), by_time))


def _token(request: HttpRequest) -> str:
    return request.META.get("HTTP_AUTHORIZATION", "").split()[-1]


def _teen_still_served(token: str):
    """The device's teen if the token still works and the teen is still supervised, else None
    (the caller then answers through DRF: 401 or 403). A cache read, no query, while nothing
    changed."""
    device = device_for_token(token=token)
    if device is None or not getattr(device, "supervised", False):
        return None
    return device.teen


# --- WSGI: the request held in its thread -------------------------------------------------------

_sync_held = threading.BoundedSemaphore(max(1, getattr(settings, "CHANNEL_SYNC_MAX_HELD", 32)))


def hold_in_thread(request: HttpRequest, *, teen, wait: int) -> HttpResponse | None:
    """The long poll on a WSGI server. None: the device's token stopped working while held
    (the caller answers through DRF)."""
    if not _sync_held.acquire(blocking=False):
        return busy_response()
    deadline = clock.monotonic() + wait
    waiter = ThreadWaiter()
    channel = hub()
    token = _token(request)
    teen_id = teen.pk
    channel.add(teen_id, waiter)  # before reading the policy, so no change can slip between
    try:
        while True:
            entry = policy_entry_for_teen(teen=teen)
            if not etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), entry.etag):
                return entry_response(request, entry)
            if clock.monotonic() >= deadline:
                return entry_response(request, entry)  # 304: the wait ended
            waiter.wait(
                max(MIN_PAUSE, _sleep_for(deadline=deadline, entry=entry, now=timezone.now()))
            )
            teen = _teen_still_served(token)
            if teen is None:
                return None
    finally:
        channel.remove(teen_id, waiter)
        _sync_held.release()


# --- ASGI: the request held by a coroutine ------------------------------------------------------


def channel_view(plain_view: Callable[[HttpRequest], HttpResponse]):
    """The async view of `GET /api/v1/device/policy` for the ASGI server: the long poll when
    `wait` is given; anything else (no `wait`, another method, a bad token) is `plain_view`'s
    answer (the DRF view: errors keep their DRF shape), run in the loop's thread pool."""

    def plain(request: HttpRequest) -> HttpResponse:
        response = plain_view(request)
        if hasattr(response, "render"):
            response.render()
        return response

    def first_look(request: HttpRequest):
        """(response to send now or None, teen, entry, the instant the policy was read)."""
        close_old_connections()  # threads of the pool keep their connections between requests
        device = device_for_request(request)
        if device is None:
            return plain(request), None, None, 0.0
        try:
            wait_seconds(request)
        except WaitInvalid as error:
            return wait_invalid_response(error), None, None, 0.0
        read_at = clock.monotonic()
        entry = policy_entry_for_teen(teen=device.teen)
        if not etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), entry.etag):
            return entry_response(request, entry), None, None, 0.0
        return None, device.teen, entry, read_at

    def look_again(token: str):
        """After a wake: (teen, entry), or (None, None) when the token stopped working."""
        close_old_connections()
        teen = _teen_still_served(token)
        if teen is None:
            return None, None
        return teen, policy_entry_for_teen(teen=teen)

    first_look_async = sync_to_async(first_look, thread_sensitive=False)
    look_again_async = sync_to_async(look_again, thread_sensitive=False)
    plain_async = sync_to_async(plain, thread_sensitive=False)

    async def device_policy_channel(request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or "wait" not in request.GET:
            return await plain_async(request)
        response, teen, entry, read_at = await first_look_async(request)
        if response is not None:
            return response
        channel = hub()
        if channel.held() >= getattr(settings, "CHANNEL_MAX_HELD", 20_000):
            return busy_response()
        deadline = read_at + wait_seconds(request)
        token = _token(request)
        teen_id = teen.pk
        waiter = AsyncWaiter()
        channel.add(teen_id, waiter)
        try:
            # A change published between the first look and `add` would be missed: look again.
            woken = channel.dispatched_since(teen_id, read_at)
            while True:
                if not woken:
                    if clock.monotonic() >= deadline:
                        return entry_response(request, entry)  # 304: the wait ended
                    pause = _sleep_for(deadline=deadline, entry=entry, now=timezone.now())
                    woken = await waiter.wait(max(MIN_PAUSE, pause))
                    if (
                        not woken
                        and clock.monotonic() >= deadline
                        and entry.valid_until > timezone.now()
                    ):
                        # Nothing was published for the teen (a revocation is published too)
                        # and the policy has not changed by time: the entry held is current,
                        # so answer without a second look. Most held requests end this way.
                        return entry_response(request, entry)
                woken = False
                teen, entry = await look_again_async(token)
                if teen is None:
                    return await plain_async(request)  # the 401 (or 403)
                if not etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), entry.etag):
                    return entry_response(request, entry)
        finally:
            channel.remove(teen_id, waiter)

    return device_policy_channel
