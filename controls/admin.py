"""Support views for operators: rules, requests, usage, notifications and the audit trail.
The audit trail and usage events are read-only: support can look, never rewrite history."""

from __future__ import annotations

from django.contrib import admin

from controls.app_models import AppRule, FamilyAppLabel, Lock
from controls.models import (
    AuditEvent,
    DailyUsage,
    DayGrant,
    DnsFeed,
    DowntimeWindow,
    EnforcementMark,
    Notification,
    NotificationPreference,
    TeenDay,
    TeenRules,
    TimeRequest,
    UsageEvent,
    WeeklyReportLog,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DowntimeWindow)
class DowntimeWindowAdmin(admin.ModelAdmin):
    list_display = ["teen", "name", "weekdays", "start", "end"]
    search_fields = ["teen__email", "name"]
    list_select_related = ["teen"]
    raw_id_fields = ["teen"]


@admin.register(TeenRules)
class TeenRulesAdmin(admin.ModelAdmin):
    list_display = ["teen", "version", "limit_mon", "limit_sat", "restricted_mode", "updated_at"]
    search_fields = ["teen__email", "teen__display_name"]
    list_select_related = ["teen"]
    raw_id_fields = ["teen"]
    readonly_fields = ["version", "created_at", "updated_at"]


@admin.register(TimeRequest)
class TimeRequestAdmin(admin.ModelAdmin):
    list_display = ["teen", "local_date", "minutes", "status", "answered_by", "created_at"]
    list_filter = ["status", "local_date"]
    search_fields = ["teen__email", "teen__display_name", "reason"]
    list_select_related = ["teen", "answered_by"]
    raw_id_fields = ["teen", "device", "answered_by"]
    date_hierarchy = "created_at"


@admin.register(DayGrant)
class DayGrantAdmin(admin.ModelAdmin):
    list_display = ["teen", "local_date", "bonus_minutes", "no_limit", "granted_by", "created_at"]
    list_filter = ["no_limit", "local_date"]
    search_fields = ["teen__email", "teen__display_name"]
    list_select_related = ["teen", "granted_by"]
    raw_id_fields = ["teen", "granted_by", "time_request"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "title", "deliver_at", "read_at", "emailed_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__email", "title"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "teen"]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email"]
    list_filter = ["kind", "email"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "teen", "action", "summary"]
    list_filter = ["action"]
    search_fields = ["summary", "actor_name", "teen__email", "teen__display_name"]
    list_select_related = ["actor", "teen"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "actor", "actor_name", "teen", "action", "summary", "details"]


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "teen", "device", "app", "started_at", "seconds", "counted"]
    list_filter = ["counted"]
    search_fields = ["teen__email", "app"]
    list_select_related = ["teen", "device"]
    show_full_result_count = False


@admin.register(DailyUsage)
class DailyUsageAdmin(ReadOnlyAdmin):
    list_display = ["local_date", "teen", "app", "device", "seconds", "counted"]
    list_filter = ["local_date", "counted"]
    search_fields = ["teen__email", "app"]
    list_select_related = ["teen", "device"]
    show_full_result_count = False


@admin.register(TeenDay)
class TeenDayAdmin(ReadOnlyAdmin):
    list_display = ["local_date", "teen", "counted_seconds", "total_seconds", "state"]
    list_filter = ["state", "local_date"]
    search_fields = ["teen__email"]
    list_select_related = ["teen"]


@admin.register(EnforcementMark)
class EnforcementMarkAdmin(ReadOnlyAdmin):
    list_display = ["local_date", "teen", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["teen__email"]
    list_select_related = ["teen"]


@admin.register(WeeklyReportLog)
class WeeklyReportLogAdmin(ReadOnlyAdmin):
    list_display = ["week_start", "guardian", "sent_at"]
    search_fields = ["guardian__email"]
    list_select_related = ["guardian"]


@admin.register(DnsFeed)
class DnsFeedAdmin(ReadOnlyAdmin):
    # No token, hash or sealed copy here: support never needs a live address. A guardian
    # replaces or turns it off from the teen's Browsing tab.
    list_display = ["teen", "created_by", "created_at", "revoked_at", "last_fetched_at"]
    fields = ["teen", "created_by", "created_at", "revoked_at", "last_fetched_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["teen__email"]
    list_select_related = ["teen", "created_by"]


# Issue 13: read-only, as every change to them must be audited and told (controls.app_rules).
@admin.register(AppRule)
class AppRuleAdmin(ReadOnlyAdmin):
    list_display = ["teen", "app", "category", "kind", "updated_at"]
    list_filter = ["kind", "category"]
    search_fields = ["teen__email", "app"]
    list_select_related = ["teen"]


@admin.register(Lock)
class LockAdmin(ReadOnlyAdmin):
    list_display = [
        "teen",
        "scope",
        "category",
        "until",
        "created_by_name",
        "created_at",
        "ended_at",
    ]
    search_fields = ["teen__email", "created_by_name"]
    list_select_related = ["teen"]


@admin.register(FamilyAppLabel)
class FamilyAppLabelAdmin(ReadOnlyAdmin):
    list_display = ["teen", "app", "name", "category"]
    search_fields = ["teen__email", "app", "name"]
    list_select_related = ["teen"]
