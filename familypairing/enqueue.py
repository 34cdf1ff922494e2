"""Enqueueing a Celery task after commit, without failing the request when the broker is down.

A usage report, a more-time request or a pairing has already been committed when its task is
sent; a broker outage at that moment must not turn the answer into an error (the device would
retry a report that was booked). Every task enqueued this way has a periodic safety net that
finds the work from the database (the minute's enforcement sweep moves teen days along and the
due-notification delivery sends what is still unsent), so the send is logged and skipped.
"""

from __future__ import annotations

import logging

import kombu.exceptions
import redis.exceptions
from django.db import transaction

logger = logging.getLogger(__name__)

# What an unreachable broker raises from `apply_async`: kombu wraps connection errors in its
# OperationalError; redis-py's and the socket's own may come through unwrapped.
BROKER_UNREACHABLE = (
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)


def enqueue(task, *args) -> bool:
    """Send `task(*args)` now; False (logged) when the broker is unreachable."""
    try:
        task.delay(*args)
    except BROKER_UNREACHABLE as exc:
        logger.warning(
            "Broker unreachable (%s): %s not enqueued; the periodic sweep catches up",
            type(exc).__name__,
            task.name,
        )
        return False
    return True


def enqueue_on_commit(task, *args) -> None:
    """Send `task(*args)` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args))
