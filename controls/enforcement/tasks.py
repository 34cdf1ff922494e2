"""The enforcement task a usage report queues: thin and idempotent (see
`controls.enforcement.services`)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from accounts.models import User
from controls.enforcement.services import teen_day_enforce as enforce

# A database hiccup is worth retrying; the work is idempotent.
DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "max_retries": 5,
}


# Registered under its name from before the move to this package (queued messages carry it).
@shared_task(name="controls.tasks.teen_day_enforce", **DB_RETRY)
def teen_day_enforce(teen_id: int) -> list[str]:
    """Move the teen's day along ok → warned → limit reached and tell everyone once. Enqueued on
    commit by a usage report that crossed a threshold."""
    teen = User.objects.filter(pk=teen_id, is_active=True).first()
    if teen is None:
        return []
    return enforce(teen=teen)
