"""Rules per app and per category, "lock now", and a family's names for apps the catalogue does
not know (issue 13). Imported by `controls.models`, so Django registers them with the app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

RULE_WEEKDAY_FIELDS = (
    "limit_mon",
    "limit_tue",
    "limit_wed",
    "limit_thu",
    "limit_fri",
    "limit_sat",
    "limit_sun",
)


class AppCategory(models.TextChoices):
    """The catalogue's categories (`controls.catalogue.lookup.AppCategory`, described there)."""

    SOCIAL = "social", "Social"
    VIDEO = "video", "Video"
    GAMES = "games", "Games"
    MESSAGING = "messaging", "Messaging and calls"
    MUSIC = "music", "Music and audio"
    EDUCATION = "education", "Education"
    CREATIVITY = "creativity", "Creativity"
    BROWSERS = "browsers", "Browsers and search"
    PRODUCTIVITY = "productivity", "Productivity and tools"
    OTHER = "other", "Other"


class AppRuleKind(models.TextChoices):
    LIMIT = "limit", "Time limit"
    ALWAYS_ALLOWED = "always_allowed", "Always allowed"
    BLOCKED = "blocked", "Blocked"


def _minutes() -> models.PositiveSmallIntegerField:
    # Minutes a day; null means no limit of this rule that day.
    return models.PositiveSmallIntegerField(null=True, blank=True)


class AppRule(models.Model):
    """A rule for one app (`app`: a catalogue key such as ``tiktok``, or a raw identifier the
    catalogue does not know) or for a whole category (`category`), never both. A limit has
    minutes per weekday like the daily limit; time counts against every rule it falls under."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_rules"
    )
    app = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=16, choices=AppCategory.choices, blank=True)
    kind = models.CharField(max_length=16, choices=AppRuleKind.choices)
    limit_mon = _minutes()
    limit_tue = _minutes()
    limit_wed = _minutes()
    limit_thu = _minutes()
    limit_fri = _minutes()
    limit_sat = _minutes()
    limit_sun = _minutes()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category", "app", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(app="") & ~Q(category="")) | (~Q(app="") & Q(category="")),
                name="app_rule_one_target",
            ),
            models.UniqueConstraint(
                fields=["teen", "app"], condition=~Q(app=""), name="app_rule_unique_app"
            ),
            models.UniqueConstraint(
                fields=["teen", "category"],
                condition=~Q(category=""),
                name="app_rule_unique_category",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": 1, f"{name}__lte": 1440}),
                    name=f"app_rule_{name}_range",
                )
                for name in RULE_WEEKDAY_FIELDS
            ],
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.app or self.category} for {self.teen_id}"

    def daily_limits(self) -> tuple[int | None, ...]:
        return tuple(getattr(self, name) for name in RULE_WEEKDAY_FIELDS)


class LockScope(models.TextChoices):
    ALL = "all", "All devices"
    CATEGORY = "category", "One category"


class Lock(models.Model):
    """ "Lock now": all of a teen's devices, or one category, from `created_at` until `until`
    (null: until a guardian unlocks). Unlocking sets `ended_at` at once; rows are kept for the
    audit trail. At most one open lock per teen and scope (and category)."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="locks"
    )
    scope = models.CharField(max_length=16, choices=LockScope.choices, default=LockScope.ALL)
    category = models.CharField(max_length=16, choices=AppCategory.choices, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="all") & Q(category=""))
                | (Q(scope="category") & ~Q(category="")),
                name="lock_category_matches_scope",
            ),
            models.UniqueConstraint(
                fields=["teen", "scope", "category"],
                condition=Q(ended_at__isnull=True),
                name="lock_one_open_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gt=models.F("created_at")),
                name="lock_until_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Lock {self.scope} {self.category} for {self.teen_id}"

    def active_at(self, now) -> bool:
        return self.ended_at is None and (self.until is None or now < self.until)


class FamilyAppLabel(models.Model):
    """A guardian's name and category for an identifier the catalogue does not know (for one
    teen: the teen's guardians share it)."""

    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_labels"
    )
    app = models.CharField(max_length=200)  # the normalised identifier (catalogue.app_key)
    name = models.CharField(max_length=80)
    category = models.CharField(max_length=16, choices=AppCategory.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["teen", "app"], name="family_app_label_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.app})"
