"""Your data: export everything we hold about you, and delete your account.

Export: the user's own account, links, devices, notifications, requests and actions; for a
guardian also each linked teen's rules and usage (what they manage), but no other person's
contact details. Deletion ends every link with a notice to the other side, removes the user's
rows and personal data, and keeps the audit trail with the actor shown as "deleted user" and the
user's name and free-text words scrubbed from what remains.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import (
    OPEN_LINK_STATUSES,
    Device,
    EndReason,
    GuardianLink,
    LinkStatus,
    PairingInvitation,
    User,
)
from accounts.pairing.guardians import pending_link_close as pairing_link_refuse_unapprovable
from accounts.selectors import guardians_for_teen, teens_for_guardian
from controls.app_models import RULE_WEEKDAY_FIELDS, AppRule, FamilyAppLabel, Lock
from controls.audit import audit_record
from controls.models import (
    AuditEvent,
    DailyUsage,
    DayGrant,
    DowntimeWindow,
    Notification,
    NotificationKind,
    NotificationPreference,
    TeenDay,
    TeenRules,
    TimeRequest,
)
from controls.notifications.services import notify

EXPORT_FORMAT = "family-pairing-export/1"
DELETED_USER = "deleted user"
# Free text a person typed; scrubbed from audit details kept after their account is deleted.
FREE_TEXT_KEYS = frozenset({"note", "name", "display_name", "email"})
RULE_FIELDS_EXCLUDED = frozenset({"teen"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def _row(obj, fields: list[str]) -> dict[str, Any]:
    return {field: _plain(getattr(obj, field)) for field in fields}


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def _rules_export(teen: User) -> dict[str, Any] | None:
    rules = TeenRules.objects.filter(teen=teen).first()
    if rules is None:
        return None
    fields = [f.name for f in TeenRules._meta.concrete_fields if f.name not in RULE_FIELDS_EXCLUDED]
    data = _row(rules, fields)
    data["downtime_windows"] = [
        {
            **_row(w, ["name", "start", "end", "allowed_apps", "allowed_categories", "created_at"]),
            "weekdays": w.weekday_list(),
        }
        for w in DowntimeWindow.objects.filter(teen=teen)
    ]
    # Issue 13: rules per app and category, locks (who locked shown by name), app names.
    data["app_rules"] = [
        _row(r, ["app", "category", "kind", *RULE_WEEKDAY_FIELDS, "created_at", "updated_at"])
        for r in AppRule.objects.filter(teen=teen)
    ]
    data["locks"] = [
        _row(lock, ["scope", "category", "until", "created_by_name", "created_at", "ended_at"])
        for lock in Lock.objects.filter(teen=teen)
    ]
    data["app_labels"] = [
        _row(label, ["app", "name", "category", "created_at"])
        for label in FamilyAppLabel.objects.filter(teen=teen)
    ]
    return data


def _usage_export(teen: User) -> dict[str, Any]:
    devices = {d.pk: d.name for d in Device.objects.filter(teen=teen)}
    return {
        "days": [
            _row(day, ["local_date", "counted_seconds", "total_seconds", "state"])
            for day in TeenDay.objects.filter(teen=teen).order_by("local_date")
        ],
        "by_app_and_device": [
            {
                **_row(row, ["local_date", "app", "seconds", "counted"]),
                "device": devices.get(row.device_id),
            }
            for row in DailyUsage.objects.filter(teen=teen).order_by("local_date", "app", "id")
        ],
        "grants": [
            {
                **_row(g, ["local_date", "bonus_minutes", "no_limit", "created_at"]),
                "granted_by": g.granted_by.display_name if g.granted_by else None,
            }
            for g in DayGrant.objects.filter(teen=teen).select_related("granted_by")
        ],
        "time_requests": [
            {
                **_row(
                    r,
                    ["local_date", "minutes", "reason", "status", "created_at", "answered_at"],
                ),
                "note": r.note,
                "answered_by": r.answered_by.display_name if r.answered_by else None,
            }
            for r in TimeRequest.objects.filter(teen=teen).select_related("answered_by")
        ],
    }


def _devices_export(teen: User) -> list[dict[str, Any]]:
    # Never the token or its hash: a device token is a secret even in your own export.
    return [
        _row(d, ["name", "platform", "created_at", "revoked_at", "last_seen_at", "acked_at"])
        for d in Device.objects.filter(teen=teen)
    ]


def user_data_export(*, user: User) -> dict[str, Any]:
    """Everything held about `user` as plain JSON-ready data (no secrets, no hashes)."""
    links = GuardianLink.objects.filter(Q(parent=user) | Q(teen=user)).select_related(
        "parent", "teen"
    )
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "account": {
            **_row(user, ["email", "display_name", "birth_date", "time_zone", "date_joined"]),
            "role": user.role,
            "last_login": _plain(user.last_login),
        },
        "email_addresses": [
            _row(a, ["email", "verified", "primary"])
            for a in EmailAddress.objects.filter(user=user)
        ],
        "links": [
            {
                "my_role": "guardian" if link.parent_id == user.pk else "teen",
                # The other side by name only: their contact details are theirs, not yours.
                "other_person": (
                    link.teen if link.parent_id == user.pk else link.parent
                ).display_name,
                **_row(link, ["status", "created_at", "approved_at", "ended_at", "end_reason"]),
            }
            for link in links
        ],
        "pairing_invitations": [
            _row(i, ["created_at", "expires_at", "status", "answered_at"])
            for i in PairingInvitation.objects.filter(parent=user)
        ],
        "notifications": [
            _row(n, ["kind", "title", "body", "link", "created_at", "deliver_at", "read_at"])
            for n in Notification.objects.filter(recipient=user)
        ],
        "notification_email_preferences": {
            p.kind: p.email for p in NotificationPreference.objects.filter(user=user)
        },
        "my_actions": [
            _row(e, ["action", "summary", "created_at"])
            for e in AuditEvent.objects.filter(actor=user)
        ],
    }
    if user.is_teen or TeenRules.objects.filter(teen=user).exists():
        data["my_rules"] = _rules_export(user)
        data["my_usage"] = _usage_export(user)
        data["my_devices"] = _devices_export(user)
    data["teens"] = [
        {
            "display_name": teen.display_name,
            "time_zone": teen.time_zone,
            "rules": _rules_export(teen),
            "usage": _usage_export(teen),
            "devices": _devices_export(teen),
        }
        for teen in teens_for_guardian(guardian=user)
    ]
    return data


# --------------------------------------------------------------------------------------------
# Deletion
# --------------------------------------------------------------------------------------------


def _scrub(value: Any, words: list[str]) -> Any:
    """A copy of `value` with the given words replaced and free-text fields emptied."""
    if isinstance(value, dict):
        scrubbed = {
            key: ("" if key in FREE_TEXT_KEYS and isinstance(item, str) else _scrub(item, words))
            for key, item in value.items()
        }
        request = scrubbed.get("time_request")
        if isinstance(request, dict) and isinstance(request.get("reason"), str):
            request["reason"] = ""  # the teen's own words
        return scrubbed
    if isinstance(value, list):
        return [_scrub(item, words) for item in value]
    if isinstance(value, str):
        for word in words:
            value = value.replace(word, DELETED_USER)
        return value
    return value


def _end_links(*, user: User, now: datetime) -> None:
    """End every open link of the user with a notice to the people on the other side. A new
    guardian waiting for approval that nobody is left to give is turned down, as when the
    last guardian unlinks (the pairing feature's rule, reused)."""
    supervised = set(
        GuardianLink.objects.filter(parent=user, status=LinkStatus.ACTIVE).values_list(
            "teen_id", flat=True
        )
    )
    links = GuardianLink.objects.select_for_update().filter(
        Q(parent=user) | Q(teen=user), status__in=OPEN_LINK_STATUSES
    )
    for link in links.select_related("parent", "teen"):
        was_active = link.status == LinkStatus.ACTIVE
        link.status = LinkStatus.ENDED
        link.ended_at = now
        link.ended_by = user
        link.end_reason = EndReason.ACCOUNT_DELETED
        link.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
        teen, parent = link.teen, link.parent
        who = "A guardian" if link.parent_id == user.pk else "The teen"
        other = teen if link.parent_id == user.pk else parent
        audit_record(
            actor=user,
            teen=teen,
            action="link.ended",
            summary=f"{who} deleted their account, so the link with {other.display_name} ended.",
            before={"status": LinkStatus.ACTIVE if was_active else LinkStatus.PENDING_APPROVAL},
            after={"status": LinkStatus.ENDED, "reason": EndReason.ACCOUNT_DELETED},
            extra={"link_id": link.pk},
        )
        if not was_active:
            continue
        # The notice names nobody: after deletion no record may keep the person's name.
        if link.parent_id == user.pk:
            notify(
                recipient=teen,
                kind=NotificationKind.LINK_ENDED,
                title="A guardian deleted their account",
                body="Your link with them has ended: they can no longer see or manage your "
                "account. The history of your rules stays on your page.",
                link="/me/",
                now=now,
            )
            for other in guardians_for_teen(teen=teen).exclude(pk=user.pk):
                notify(
                    recipient=other,
                    kind=NotificationKind.LINK_ENDED,
                    title=f"Another guardian of {teen.display_name} deleted their account",
                    body=f"You are still {teen.display_name}'s guardian.",
                    link=f"/teens/{teen.pk}/",
                    teen=teen,
                    now=now,
                )
        else:
            notify(
                recipient=parent,
                kind=NotificationKind.LINK_ENDED,
                title="A teen you supervised deleted their account",
                body="Your link with them has ended, and their rules, usage and devices are "
                "deleted.",
                link="/dashboard/",
                now=now,
            )
    orphaned = GuardianLink.objects.select_for_update().filter(
        teen_id__in=supervised, status=LinkStatus.PENDING_APPROVAL
    )
    for waiting in orphaned.exclude(teen__guardian_links__status=LinkStatus.ACTIVE).select_related(
        "parent", "teen"
    ):
        pairing_link_refuse_unapprovable(waiting, by=None, now=now)


@transaction.atomic
def account_delete(*, user: User, now: datetime | None = None) -> None:
    """Delete `user`: links end with notices, their rows go, and the audit trail keeps only
    what it must, with the actor shown as "deleted user"."""
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=user.pk).first()
    # Everyone who may hold a record naming the user: their teens, their guardians, and the
    # co-guardians of their teens (links of any status).
    teen_ids = set(GuardianLink.objects.filter(parent=user).values_list("teen_id", flat=True))
    related_ids = (
        teen_ids
        | set(GuardianLink.objects.filter(teen=user).values_list("parent_id", flat=True))
        | set(GuardianLink.objects.filter(teen_id__in=teen_ids).values_list("parent_id", flat=True))
    ) - {user.pk}
    _end_links(user=user, now=now)

    words = sorted(
        {w for w in (user.display_name, user.email) if w and len(w) >= 2}, key=len, reverse=True
    )
    named_summary, named_text = Q(pk__in=[]), Q(pk__in=[])
    for word in words:
        named_summary |= Q(summary__contains=word)
        named_text |= Q(title__contains=word) | Q(body__contains=word)
    # The audit trail stays, without the person: events they did, that were about them, or
    # that name them in their teens' history.
    events = AuditEvent.objects.filter(
        Q(actor=user) | Q(teen=user) | (Q(teen_id__in=teen_ids) & named_summary)
    )
    for event in events:
        event.summary = _scrub(event.summary, words)[:300]
        event.details = _scrub(event.details, words)
        if event.actor_id == user.pk:
            event.actor = None
            event.actor_name = ""
        event.save(update_fields=["summary", "details", "actor", "actor_name"])
    # Other people's notifications that name them (e.g. "Alice approved Tom's request").
    for notification in Notification.objects.filter(named_text, recipient_id__in=related_ids):
        notification.title = _scrub(notification.title, words)[:200]
        notification.body = _scrub(notification.body, words)
        notification.save(update_fields=["title", "body"])
    # Free text the person typed that stays in others' records (a guardian's note).
    TimeRequest.objects.filter(answered_by=user).update(note="")

    # Everything else that is theirs goes with the row (rules, usage, devices, requests,
    # notifications, preferences, e-mail addresses, MFA, sessions, links).
    user.delete()
