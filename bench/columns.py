"""The columns the benchmark's seed writes, table by table, in the order the tables are filled
(a model's own columns added later get their defaults from `TableWriter`)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import models

from accounts.models import Device, GuardianLink, User
from controls.app_models import AppRule
from controls.models import (
    AuditEvent,
    DailyUsage,
    DowntimeWindow,
    Notification,
    TeenDay,
    TeenRules,
    UsageEvent,
)


def seed_columns() -> tuple[dict[type[models.Model], list[str]], list[type[models.Model]]]:
    """The columns of each table and the order the tables are written in (foreign keys first)."""
    rules_fields = [
        "teen_id",
        "version",
        "created_at",
        "updated_at",
        "limit_mon",
        "limit_tue",
        "limit_wed",
        "limit_thu",
        "limit_fri",
        "limit_sat",
        "limit_sun",
        "warning_minutes",
        "day_start",
        "restricted_mode",
        "search_enabled",
        "keyword_filters",
        "domain_mode",
        "domains",
        "private_account",
        "suggest_account",
        "direct_messages",
        "live_streaming",
        "comments",
        "liked_videos",
        "duet_stitch",
        "downloads",
        "mute_start",
        "mute_end",
        "unlink_needs_approval",
    ]
    columns = {
        User: [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "email",
            "display_name",
            "birth_date",
            "time_zone",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        EmailAddress: ["id", "user_id", "email", "verified", "primary"],
        GuardianLink: [
            "id",
            "parent_id",
            "teen_id",
            "status",
            "created_at",
            "approved_at",
            "end_reason",
        ],
        TeenRules: rules_fields,
        DowntimeWindow: ["id", "teen_id", "name", "weekdays", "start", "end", "created_at"],
        # Always-allowed apps (issue 13: app rules, no longer a list on TeenRules).
        AppRule: ["id", "teen_id", "app", "category", "kind", "created_at", "updated_at"],
        Device: [
            "id",
            "teen_id",
            "name",
            "platform",
            "token_prefix",
            "token_hash",
            "created_at",
            "created_by_id",
            "last_seen_at",
            "acked_version",
            "acked_at",
            "acked_rules_version",
        ],
        TeenDay: [
            "id",
            "teen_id",
            "local_date",
            "counted_seconds",
            "total_seconds",
            "state",
            "updated_at",
        ],
        DailyUsage: ["id", "teen_id", "local_date", "app", "device_id", "seconds", "counted"],
        UsageEvent: [
            "id",
            "device_id",
            "teen_id",
            "event_id",
            "app",
            "started_at",
            "seconds",
            "counted",
            "received_at",
        ],
        Notification: [
            "id",
            "recipient_id",
            "kind",
            "teen_id",
            "title",
            "body",
            "link",
            "created_at",
            "deliver_at",
            "read_at",
        ],
        AuditEvent: [
            "id",
            "actor_id",
            "actor_name",
            "teen_id",
            "action",
            "summary",
            "details",
            "created_at",
        ],
    }
    order = [
        User,
        EmailAddress,
        GuardianLink,
        TeenRules,
        DowntimeWindow,
        AppRule,
        Device,
        TeenDay,
        DailyUsage,
        UsageEvent,
        Notification,
        AuditEvent,
    ]
    return columns, order
