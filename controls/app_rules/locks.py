""" "Lock now": a guardian locks all of a teen's devices, or one category, at once, until a time
or until unlocked; unlocking ends it at once. Audited, the other guardians told, the teen told
who locked and until when; the policy changes at once (saving a lock bumps the inputs
generation, and the lock's end is the policy's `next_change_at`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from controls.app_models import AppCategory, Lock, LockScope
from controls.app_rules.describe import lock_text
from controls.app_rules.services import clean_category
from controls.models import NotificationKind
from controls.notifications.services import notify
from controls.rules.services import guardian_check, rules_bump, rules_change_record, rules_locked

MAX_LOCK = timedelta(days=30)


def _snapshot(lock: Lock) -> dict[str, Any]:
    return {
        "scope": lock.scope,
        "category": lock.category,
        "until": lock.until.isoformat() if lock.until else None,
    }


def clean_until(until: Any, *, now: datetime) -> datetime | None:
    if until is None:
        return None
    if not isinstance(until, datetime) or until.tzinfo is None:
        raise ValidationError(
            {"until": "Enter a date and time, or leave empty for until unlocked."}
        )
    if until <= now:
        raise ValidationError({"until": "Choose a time in the future."})
    if until - now > MAX_LOCK:
        raise ValidationError({"until": "At most 30 days ahead; leave empty for until unlocked."})
    return until


def lock_start(
    *, actor, teen, category: Any = "", until: Any = None, now: datetime | None = None
) -> Lock:
    """Lock all devices (`category` empty) or one category from now. A lock of the same scope
    already in force is replaced (its end changes: "until 19:00" instead of "until 18:00")."""
    now = now or timezone.now()
    guardian_check(actor=actor, teen=teen)
    errors: dict[str, Any] = {}
    if category:
        try:
            category = clean_category(category)
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        until = clean_until(until, now=now)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    scope = LockScope.CATEGORY if category else LockScope.ALL
    with transaction.atomic():
        rules = rules_locked(teen)
        previous = Lock.objects.filter(
            teen=teen, scope=scope, category=category or "", ended_at__isnull=True
        ).first()
        before = _snapshot(previous) if previous and previous.active_at(now) else None
        if previous is not None:
            previous.ended_at, previous.ended_by = now, actor
            previous.save(update_fields=["ended_at", "ended_by"])
        lock = Lock.objects.create(
            teen=teen,
            scope=scope,
            category=category or "",
            until=until,
            created_by=actor,
            created_by_name=actor.display_name,
            created_at=now,
        )
        rules_bump(rules, now=now)
        text = lock_text(lock, teen.tz, now=now)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="lock.start",
            headline=f"{actor.display_name} locked {_what(lock)}",
            title=f"{actor.display_name} locked {teen.display_name}'s {_what(lock)}",
            lines=[text],
            before=before,
            after=_snapshot(lock),
            extra={"lock_id": lock.pk},
        )
        notify(
            recipient=teen,
            kind=NotificationKind.RULE_CHANGED,
            title=text,
            body="Always-allowed apps still work. Ask a guardian if you need something.",
            link="/me/",
            teen=teen,
            now=now,
        )
    return lock


def _what(lock: Lock) -> str:
    return "devices" if not lock.category else AppCategory(lock.category).label.lower()


def lock_end(*, actor, teen, lock_id: int, now: datetime | None = None) -> Lock:
    """Unlock at once. Ending a lock that already ended (or ran out) changes nothing."""
    now = now or timezone.now()
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)
        lock = Lock.objects.select_for_update().filter(teen=teen, pk=lock_id).first()
        if lock is None:
            raise Lock.DoesNotExist("No such lock.")
        if lock.ended_at is not None:
            return lock
        was_active = lock.active_at(now)
        lock.ended_at, lock.ended_by = now, actor
        lock.save(update_fields=["ended_at", "ended_by"])
        if not was_active:  # it ran out by itself: nothing the devices enforce changes
            return lock
        rules_bump(rules, now=now)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="lock.end",
            headline=f"{actor.display_name} unlocked {_what(lock)}",
            title=f"{actor.display_name} unlocked {teen.display_name}'s {_what(lock)}",
            lines=[f"{_what(lock).capitalize()} unlocked"],
            before=_snapshot(lock),
            after=None,
            extra={"lock_id": lock.pk},
        )
        notify(
            recipient=teen,
            kind=NotificationKind.RULE_CHANGED,
            title=f"{actor.display_name} unlocked your {_what(lock)}",
            link="/me/",
            teen=teen,
            now=now,
        )
    return lock
