"""What guardians set for a teen and what is enforced: rules, grants, requests, usage,
notifications and the audit trail."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from controls import app_models  # noqa: F401  (registers the per-app rules' models)

WEEKDAY_FIELDS = (
    "limit_mon",
    "limit_tue",
    "limit_wed",
    "limit_thu",
    "limit_fri",
    "limit_sat",
    "limit_sun",
)
ALL_WEEKDAYS_MASK = 0b1111111


def default_warning_minutes() -> list[int]:
    return [15, 5]


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    FRIENDS = "friends", "Friends"
    NO_ONE = "no_one", "No one"


class LikedVideosAudience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    ONLY_ME = "only_me", "Only me"


class DomainMode(models.TextChoices):
    BLOCK = "block", "Block these sites"
    ALLOW_ONLY = "allow_only", "Allow only these sites"


def _limit_field() -> models.PositiveSmallIntegerField:
    # Minutes; null means no limit that day.
    return models.PositiveSmallIntegerField(null=True, blank=True, default=60)


class TeenRules(models.Model):
    """One rule set per teen, shared by all of the teen's guardians.

    `version` is bumped by every change, so devices and caches can tell at a glance whether
    anything they enforce has changed.
    """

    teen = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="rules"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    # Screen time
    limit_mon = _limit_field()
    limit_tue = _limit_field()
    limit_wed = _limit_field()
    limit_thu = _limit_field()
    limit_fri = _limit_field()
    limit_sat = _limit_field()
    limit_sun = _limit_field()
    warning_minutes = models.JSONField(default=default_warning_minutes)
    day_start = models.TimeField(default=time(0, 0))

    # Browsing
    restricted_mode = models.BooleanField(default=True)
    search_enabled = models.BooleanField(default=True)
    keyword_filters = models.JSONField(default=list, blank=True)
    domain_mode = models.CharField(
        max_length=16, choices=DomainMode.choices, default=DomainMode.BLOCK
    )
    domains = models.JSONField(default=list, blank=True)

    # Privacy
    private_account = models.BooleanField(default=True)
    suggest_account = models.BooleanField(default=False)
    direct_messages = models.CharField(
        max_length=16, choices=Audience.choices, default=Audience.NO_ONE
    )
    live_streaming = models.BooleanField(default=False)
    comments = models.CharField(max_length=16, choices=Audience.choices, default=Audience.FRIENDS)
    liked_videos = models.CharField(
        max_length=16, choices=LikedVideosAudience.choices, default=LikedVideosAudience.ONLY_ME
    )
    duet_stitch = models.BooleanField(default=False)
    downloads = models.BooleanField(default=False)
    mute_start = models.TimeField(null=True, blank=True, default=time(21, 0))
    mute_end = models.TimeField(null=True, blank=True, default=time(8, 0))

    # Governance
    unlink_needs_approval = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "teen rules"
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": 1, f"{name}__lte": 1440}),
                    name=f"teen_rules_{name}_range",
                )
                for name in WEEKDAY_FIELDS
            ],
            models.CheckConstraint(condition=Q(version__gte=1), name="teen_rules_version_positive"),
        ]

    def __str__(self) -> str:
        return f"Rules for {self.teen_id} (v{self.version})"

    def daily_limits(self) -> tuple[int | None, ...]:
        return tuple(getattr(self, name) for name in WEEKDAY_FIELDS)


class DowntimeWindow(models.Model):
    """A time when the teen's devices are locked. end <= start means it crosses midnight;
    `weekdays` is a bit mask (bit 0 = Monday) of the days on which the window starts."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="downtime_windows"
    )
    name = models.CharField(max_length=60)
    weekdays = models.PositiveSmallIntegerField(default=ALL_WEEKDAYS_MASK)
    start = models.TimeField()
    end = models.TimeField()
    # What stays usable during it (issue 13): catalogue keys, and AppCategory values.
    allowed_apps = models.JSONField(default=list, blank=True)
    allowed_categories = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(start=F("end")), name="downtime_window_not_empty"),
            models.CheckConstraint(
                condition=Q(weekdays__gte=1, weekdays__lte=ALL_WEEKDAYS_MASK),
                name="downtime_window_weekdays_mask",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}–{self.end:%H:%M}"

    def weekday_list(self) -> list[int]:
        return [day for day in range(7) if self.weekdays & (1 << day)]


class DayGrant(models.Model):
    """Extra time for one of the teen's local days: bonus minutes or no limit at all."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_grants"
    )
    local_date = models.DateField()
    bonus_minutes = models.PositiveSmallIntegerField(default=0)
    no_limit = models.BooleanField(default=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    time_request = models.OneToOneField(
        "TimeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="grant"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["teen", "local_date"], name="day_grant_teen_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(bonus_minutes__lte=1440), name="day_grant_bonus_at_most_a_day"
            ),
            models.CheckConstraint(
                condition=Q(bonus_minutes__gt=0) | Q(no_limit=True),
                name="day_grant_gives_something",
            ),
        ]


class TimeRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    LAPSED = "lapsed", "Lapsed at the end of the day"


class TimeRequest(models.Model):
    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_requests"
    )
    device = models.ForeignKey(
        "accounts.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    local_date = models.DateField()
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)  # null: the rest of today
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=TimeRequestStatus.choices, default=TimeRequestStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["teen"],
                condition=Q(status="pending"),
                name="time_request_one_pending_per_teen",
            ),
            models.CheckConstraint(
                condition=Q(minutes__isnull=True) | Q(minutes__gte=1, minutes__lte=1440),
                name="time_request_minutes_range",
            ),
        ]


class UsageEvent(models.Model):
    """One usage report from a device, kept for idempotency and detail (bounded retention)."""

    device = models.ForeignKey(
        "accounts.Device", on_delete=models.CASCADE, related_name="usage_events"
    )
    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage_events"
    )
    event_id = models.UUIDField()
    app = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField()
    seconds = models.PositiveIntegerField()
    counted = models.BooleanField(default=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "event_id"], name="usage_event_unique_per_device"
            ),
            models.CheckConstraint(
                condition=Q(seconds__gte=1, seconds__lte=3600), name="usage_event_seconds_range"
            ),
        ]
        indexes = [
            models.Index(fields=["received_at"], name="usage_event_received"),
            models.Index(fields=["device", "started_at"], name="usage_event_device_start"),
        ]


class DailyUsage(models.Model):
    """Seconds per teen, local day, app and device; updated with atomic SQL only."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_usage"
    )
    local_date = models.DateField()
    app = models.CharField(max_length=200, blank=True)
    device = models.ForeignKey(
        "accounts.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    seconds = models.PositiveIntegerField(default=0)
    counted = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["teen", "local_date", "app", "device"], name="daily_usage_unique_bucket"
            )
        ]
        indexes = [models.Index(fields=["teen", "local_date"], name="daily_usage_teen_date")]


class DayState(models.TextChoices):
    OK = "ok", "Within the limit"
    WARNED = "warned", "Warned"
    LIMIT_REACHED = "limit_reached", "Limit reached"


class TeenDay(models.Model):
    """The running total and enforcement state of one teen's local day (one row to read on the
    hot path)."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="days"
    )
    local_date = models.DateField()
    counted_seconds = models.PositiveIntegerField(default=0)
    total_seconds = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, choices=DayState.choices, default=DayState.OK)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["teen", "local_date"], name="teen_day_unique")
        ]


class EnforcementMark(models.Model):
    """Proof that a threshold of a teen's day has been acted on: one row per teen, day and kind,
    so a task that runs twice, or two workers at once, notify once."""

    teen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField()
    kind = models.CharField(max_length=32)  # "warning:15", "warning:5", "limit", "downtime:<id>"
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["teen", "local_date", "kind"], name="enforcement_mark_unique"
            )
        ]


class NotificationKind(models.TextChoices):
    LINK_ACCEPTED = "link_accepted", "Pairing accepted"
    LINK_DECLINED = "link_declined", "Pairing declined"
    GUARDIAN_APPROVAL_NEEDED = "guardian_approval_needed", "A new guardian needs your approval"
    LINK_APPROVED = "link_approved", "New guardian approved"
    LINK_REFUSED = "link_refused", "New guardian refused"
    LINK_ENDED = "link_ended", "Link ended"
    UNLINK_REQUESTED = "unlink_requested", "Unlink requested"
    UNLINK_DECLINED = "unlink_declined", "Unlink declined"
    SUPERVISION_ENDED = "supervision_ended", "Supervision ended at 18"
    TIME_REQUESTED = "time_requested", "More time requested"
    TIME_REQUEST_ANSWERED = "time_request_answered", "More-time request answered"
    TIME_GRANTED = "time_granted", "Extra time granted"
    WARNING = "warning", "Time almost up"
    LIMIT_REACHED = "limit_reached", "Daily limit reached"
    DOWNTIME_STARTING = "downtime_starting", "Downtime starting"
    DEVICE_NOT_APPLIED = "device_not_applied", "Device not applying the rules"
    DEVICE_SILENT = "device_silent", "Device silent"
    DEVICE_LINKED = "device_linked", "Device linked"
    DEVICE_TAMPER = "device_tamper", "Device protection weakened or removed"
    RULE_CHANGED = "rule_changed", "Rule changed by another guardian"
    ACCOUNT = "account", "Account"
    WEEKLY_REPORT = "weekly_report", "Weekly report"
    TIME_ZONE_CHANGED = "time_zone_changed", "Time zone changed"
    TODAY_CHANGED = "today_changed", "Today's rules changed"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # A teen's notifications inside their mute window wait until it ends.
    deliver_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The e-mail's life (controls.notifications.notification_email_claim): claimed by a worker
    # (email_claimed_at), then sent or found not wanted (emailed_at, set only after the send).
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Set when an event must notify at most once (e.g. "warning:15:<teen>:<date>").
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        ordering = ["-deliver_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "deliver_at"], name="notification_inbox"),
            # The per-minute e-mail sweep reads only the few notifications not yet e-mailed.
            models.Index(
                fields=["deliver_at"],
                condition=Q(emailed_at__isnull=True),
                name="notification_email_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_unique_dedupe_key"
            )
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")
        ]


class AuditEvent(models.Model):
    """Who changed what, from what to what, and when. Kept when accounts are deleted: the actor
    then shows as "deleted user"."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=120, blank=True)
    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    action = models.CharField(max_length=64)
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["teen", "-created_at"], name="audit_event_teen_time")]

    def __str__(self) -> str:
        return self.summary

    @property
    def actor_label(self) -> str:
        if self.actor_id is None:
            return self.actor_name or "deleted user"
        return self.actor.display_name if self.actor else self.actor_name


class WeeklyReportLog(models.Model):
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    week_start = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["guardian", "week_start"], name="weekly_report_once")
        ]


class DnsFeed(models.Model):
    """A subscription address for a home DNS filter (AdGuard Home, Pi-hole, dnsmasq, unbound):
    `/feeds/<token>/<format>.txt` serves a teen's site rules with no sign-in, like a calendar
    feed. The token is the only credential, so only its keyed hash is kept for look-ups, plus a
    Fernet-sealed copy so the guardians' card can show the address again (wiped on revoke).
    Rotating revokes the row and makes a new one: the old address stops at once."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dns_feeds"
    )
    token_hash = models.CharField(max_length=64, editable=False)
    sealed = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token_hash"], name="dns_feed_token_hash_unique"),
            models.UniqueConstraint(
                fields=["teen"],
                condition=Q(revoked_at__isnull=True),
                name="dns_feed_one_live_per_teen",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(sealed=""),
                name="dns_feed_revoked_has_no_sealed_token",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"DNS feed {self.pk} for {self.teen_id} ({state})"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


from controls.models_days import DayLimit  # noqa: E402, F401  (this module is at its length limit)
