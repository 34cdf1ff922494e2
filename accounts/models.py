from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from functools import cached_property
from zoneinfo import available_timezones

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.time_zones import ZoneChange, zone_or_utc

TEEN_MIN_AGE = 13
ADULT_AGE = 18
# How long a past change of time zone is still taken into account when reading instants: the
# day around a change can last up to 49 hours (a hop of 25 hours westward), and a late usage
# report from then must still be booked on the day it happened.
TIME_ZONE_HISTORY = timedelta(days=3)


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError("%(value)s is not a known time zone.", params={"value": value})


def age_on(birth_date: date, day: date) -> int:
    """Whole years on `day`. A 29 February birthday counts from 1 March in common years."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Role(models.TextChoices):
    TEEN = "teen", "Teen"
    ADULT = "adult", "Adult"
    UNKNOWN = "unknown", "No birth date"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        # `createsuperuser` asks for an e-mail only (REQUIRED_FIELDS is empty, so `--noinput`
        # needs no `--display_name`); the operator is named after its local part until renamed.
        if not extra.get("display_name") and email:
            extra["display_name"] = self.normalize_email(email).split("@")[0]
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(max_length=80)
    # Null only for operators created with createsuperuser; sign-up always asks for it.
    birth_date = models.DateField(null=True, blank=True)
    # The zone the user's day is counted in now. A teen's own change waits (see
    # accounts/profile.py): `pending_time_zone` from `time_zone_changes_at` (the start of their
    # next day in the current zone); the last change stays known for a while as
    # `previous_time_zone` until `time_zone_changed_at`, so the day around it is read the same
    # way before and after the change is applied.
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    pending_time_zone = models.CharField(max_length=64, blank=True, default="")
    time_zone_changes_at = models.DateTimeField(null=True, blank=True, db_index=True)
    previous_time_zone = models.CharField(max_length=64, blank=True, default="")
    time_zone_changed_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    # Empty so that `createsuperuser --noinput` runs with --email alone (see create_superuser).
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>" if self.display_name else self.email

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email

    @property
    def tz(self) -> tzinfo:
        """The user's time zone as it reads every instant: with a pending change, the current
        zone until the change and the new one after; shortly after a change, the same history
        (so a day, or a late usage report, from around the change is read as it was)."""
        zone: tzinfo = zone_or_utc(self.time_zone)
        changed_at = self.time_zone_changed_at
        if (
            self.previous_time_zone
            and changed_at is not None
            and changed_at > timezone.now() - TIME_ZONE_HISTORY
        ):
            zone = ZoneChange(zone_or_utc(self.previous_time_zone), zone, changed_at)
        if self.pending_time_zone and self.time_zone_changes_at is not None:
            zone = ZoneChange(zone, zone_or_utc(self.pending_time_zone), self.time_zone_changes_at)
        return zone

    @property
    def time_zone_change_pending(self) -> bool:
        return bool(self.pending_time_zone) and self.time_zone_changes_at is not None

    def time_zone_change_due(self, now: datetime | None = None) -> bool:
        return self.time_zone_change_pending and self.time_zone_changes_at <= (
            now or timezone.now()
        )

    def local_today(self) -> date:
        return timezone.now().astimezone(self.tz).date()

    def age(self, on: date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, on or self.local_today())

    @property
    def role(self) -> str:
        age = self.age()
        if age is None:
            return Role.UNKNOWN
        return Role.TEEN if age < ADULT_AGE else Role.ADULT

    @property
    def is_teen(self) -> bool:
        return self.role == Role.TEEN

    @property
    def is_adult(self) -> bool:
        return self.role == Role.ADULT


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the teen"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class PairingInvitation(models.Model):
    """A parent's offer to link: a QR token and a short code, both stored only as keyed hashes."""

    parent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="pairing_invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    # The token and code encrypted with a key derived from SECRET_KEY, so the parent can see the
    # QR code again after a reload; emptied as soon as the invitation is answered or closed.
    sealed = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"], name="pairing_inv_status_expiry")]
        constraints = [
            models.UniqueConstraint(
                fields=["code_hash"],
                condition=Q(status="pending"),
                name="pairing_invitation_unique_pending_code",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="pairing_invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} by {self.parent_id} ({self.status})"

    def is_usable(self, now=None) -> bool:
        return self.status == InvitationStatus.PENDING and (now or timezone.now()) < self.expires_at


class LinkStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Waiting for the other guardian"
    ACTIVE = "active", "Active"
    REFUSED = "refused", "Refused by a guardian"
    ENDED = "ended", "Ended"


OPEN_LINK_STATUSES = (LinkStatus.PENDING_APPROVAL, LinkStatus.ACTIVE)


class EndReason(models.TextChoices):
    GUARDIAN_UNLINKED = "guardian_unlinked", "Unlinked by a guardian"
    TEEN_UNLINKED = "teen_unlinked", "Unlinked by the teen"
    TURNED_18 = "turned_18", "The teen turned 18"
    ACCOUNT_DELETED = "account_deleted", "An account was deleted"


class GuardianLink(models.Model):
    parent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="teen_links")
    teen = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guardian_links")
    invitation = models.ForeignKey(
        PairingInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    status = models.CharField(max_length=20, choices=LinkStatus.choices, default=LinkStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(max_length=32, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "teen"],
                condition=Q(status__in=["pending_approval", "active"]),
                name="guardian_link_one_open_per_pair",
            ),
            models.CheckConstraint(condition=~Q(parent=F("teen")), name="guardian_link_not_self"),
            models.CheckConstraint(
                condition=Q(status="ended", ended_at__isnull=False) | ~Q(status="ended"),
                name="guardian_link_ended_has_time",
            ),
        ]
        indexes = [models.Index(fields=["teen", "status"], name="guardian_link_teen_status")]

    def __str__(self) -> str:
        return f"{self.parent_id} → {self.teen_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == LinkStatus.ACTIVE


class UnlinkRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a guardian"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class UnlinkRequest(models.Model):
    """A teen's unlink that a guardian must approve (when a guardian asked for that)."""

    link = models.ForeignKey(GuardianLink, on_delete=models.CASCADE, related_name="unlink_requests")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=16, choices=UnlinkRequestStatus.choices, default=UnlinkRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["link"], condition=Q(status="pending"), name="unlink_request_one_pending"
            )
        ]


class AttemptCounter(models.Model):
    """Failed guesses per scope and key in a fixed window, incremented atomically in SQL so the
    limit holds across processes (web workers, API and pages alike)."""

    scope = models.CharField(max_length=32)
    key_hash = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key_hash", "window_start"], name="attempt_counter_unique_window"
            )
        ]


class Platform(models.TextChoices):
    IOS = "ios", "iPhone / iPad"
    ANDROID = "android", "Android"
    WINDOWS = "windows", "Windows"
    MACOS = "macos", "Mac"
    CHROMEOS = "chromeos", "Chromebook"
    LINUX = "linux", "Linux"
    # A browser extension (the reference client): it reports sites as `web:<domain>`.
    BROWSER = "browser", "Web browser"
    OTHER = "other", "Other"


class InstallType(models.TextChoices):
    """How a browser extension was installed, as `chrome.management.ExtensionInfo.installType`
    reports it."""

    ADMIN = "admin", "Installed by an administrator's policy"
    DEVELOPMENT = "development", "Loaded unpacked (developer mode)"
    NORMAL = "normal", "Installed from the store"
    SIDELOAD = "sideload", "Installed by another program"
    OTHER = "other", "Installed some other way"


class Device(models.Model):
    """A teen's phone, computer or app. Its bearer token is shown once and stored hashed."""

    teen = models.ForeignKey(User, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=80)
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.OTHER)
    token_prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    acked_version = models.CharField(max_length=64, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)
    # The TeenRules.version in force when the device acknowledged the then-current policy: lets
    # the per-minute sweep find devices that have not applied a rule change, in one query.
    acked_rules_version = models.PositiveIntegerField(null=True, blank=True)
    # Guardians were told this device did not apply this rules version (told once per version).
    not_applied_notified_version = models.PositiveIntegerField(null=True, blank=True)
    # Guardians were told the device went silent; cleared when it is heard from again.
    silent_notified_at = models.DateTimeField(null=True, blank=True)
    # Heartbeat (issue 14): what the client last said about itself. Null/blank until then.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    client_version = models.CharField(max_length=40, blank=True)
    install_type = models.CharField(max_length=16, choices=InstallType.choices, blank=True)
    may_disable = models.BooleanField(null=True, blank=True)
    incognito_allowed = models.BooleanField(null=True, blank=True)
    # The device's clock minus the server's when the heartbeat arrived (positive: ahead).
    clock_skew_seconds = models.IntegerField(null=True, blank=True)
    # The tamper signals guardians were last told about (comma-separated, sorted), so each
    # new signal is told once and a signal that went away and came back is told again.
    tamper_notified = models.CharField(max_length=100, blank=True)
    # The uninstall address's secret (`/devices/removed/<secret>`), as a keyed hash; the
    # client opens that address when it is removed from the device.
    removed_secret_hash = models.CharField(max_length=64, blank=True, db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["teen", "revoked_at"], name="device_teen_revoked"),
            models.Index(fields=["last_seen_at"], name="device_last_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @cached_property
    def is_active(self) -> bool:
        return self.revoked_at is None


class EnrolmentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the code to be entered"
    APPROVED = "approved", "Approved: the device may collect its token"
    DENIED = "denied", "Denied"
    COLLECTED = "collected", "The device collected its token"


class DeviceEnrolment(models.Model):
    """A device asking to be linked with a code (OAuth 2.0 Device Authorization Grant, RFC 8628
    semantics). The device code (the device's secret) and the user code (typed on the site)
    are stored only as keyed hashes. Once approved, the new device's token is kept sealed here
    until the device collects it, then wiped."""

    device_code_hash = models.CharField(max_length=64, unique=True)
    user_code_hash = models.CharField(max_length=64)
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.OTHER)
    suggested_name = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    interval = models.PositiveSmallIntegerField(default=5)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=EnrolmentStatus.choices, default=EnrolmentStatus.PENDING
    )
    teen = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    device = models.OneToOneField(
        Device, null=True, blank=True, on_delete=models.CASCADE, related_name="enrolment"
    )
    sealed = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user_code_hash"],
                condition=Q(status="pending"),
                name="device_enrolment_unique_pending_code",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="device_enrolment_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(device__isnull=False),
                name="device_enrolment_approved_has_device",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="device_enrol_status_exp")]

    def __str__(self) -> str:
        return f"Enrolment #{self.pk} ({self.status})"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at
