"""The limit that applied on each of a teen's days, kept so past days are drawn against the
limit of their own day, not today's rules (issue 17). Imported by `controls.models` (which is at
its length limit), so the model is registered with the app as usual.

Written by `controls.rules.day_limits`: when a change to the rules touches today's limit (the
row is overwritten, so a day keeps the limit in force at its end) and by a periodic job near the
start of each supervised teen's day. Not at booking: a usage report is one SQL statement on the
device's hot path, and a day without any use must still have its limit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DayLimit(models.Model):
    teen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="day_limits"
    )
    local_date = models.DateField()
    # The rules' limit for that day in minutes, before grants (DayGrant keeps those); None: none.
    limit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "controls"
        constraints = [
            models.UniqueConstraint(fields=["teen", "local_date"], name="day_limit_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.teen_id} {self.local_date}: {self.limit_minutes}"
