"""The audit trail: every change to a link, a control or a request is recorded here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from controls.models import AuditEvent

SYSTEM_ACTOR_NAME = "Family Pairing"


def audit_record(
    *,
    actor,
    teen,
    action: str,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. `actor` None means the system (a periodic task)."""
    details: dict[str, Any] = dict(extra or {})
    if before is not None or after is not None:
        details["before"] = before or {}
        details["after"] = after or {}
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.display_name if actor is not None else SYSTEM_ACTOR_NAME,
        teen=teen,
        action=action,
        summary=summary[:300],
        details=details,
    )


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Keep only the keys whose value changed, for a readable before → after."""
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


def audit_events_for_teen(*, teen) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(teen=teen).select_related("actor")
