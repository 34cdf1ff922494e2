"""Time a guardian gives unasked: extra minutes today, or no limit today. The teen and the
other guardians are told; the policy cache sees the grant at once."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.selectors import guardians_for_teen, is_guardian_of
from controls.audit import audit_record
from controls.effective.selectors import teen_today
from controls.models import (
    DayGrant,
    NotificationKind,
)
from controls.notifications.services import notify
from controls.time_requests.services import GRANT_MAX_MINUTES
from controls.wording import minutes_spoken

# --------------------------------------------------------------------------------------------
# Grants given unasked
# --------------------------------------------------------------------------------------------


def day_grant_create(
    *,
    guardian,
    teen,
    bonus_minutes: int | None = None,
    no_limit: bool = False,
    now: datetime | None = None,
) -> DayGrant:
    """A guardian gives bonus minutes, or lifts the limit, for the teen's current day."""
    now = now or timezone.now()
    if not no_limit and (bonus_minutes is None or not 1 <= bonus_minutes <= GRANT_MAX_MINUTES):
        raise ValidationError({"bonus_minutes": "Give between 1 minute and a whole day (1440)."})
    if not is_guardian_of(guardian=guardian, teen=teen):
        raise ValidationError({"teen": "Only the teen's guardians can give extra time."})
    day = teen_today(teen=teen, now=now)
    with transaction.atomic():
        grant = DayGrant.objects.create(
            teen=teen,
            local_date=day.local_date,
            bonus_minutes=0 if no_limit else bonus_minutes,
            no_limit=no_limit,
            granted_by=guardian,
            created_at=now,
        )
        what = (
            "no limit for the rest of today"
            if no_limit
            else f"{minutes_spoken(bonus_minutes)} more today"
        )
        audit_record(
            actor=guardian,
            teen=teen,
            action="day_grant.created",
            summary=f"{guardian.display_name} gave {teen.display_name} {what}",
            after={"bonus_minutes": grant.bonus_minutes, "no_limit": no_limit},
            extra={"local_date": day.local_date.isoformat()},
        )
        notify(
            recipient=teen,
            kind=NotificationKind.TIME_GRANTED,
            title=f"{guardian.display_name} gave you {what}",
            link="/me/",
            teen=teen,
            dedupe_key=f"day_grant:{grant.pk}",
            now=now,
        )
        for other in guardians_for_teen(teen=teen).exclude(pk=guardian.pk):
            notify(
                recipient=other,
                kind=NotificationKind.TIME_GRANTED,
                title=f"{guardian.display_name} gave {teen.display_name} {what}",
                link=f"/teens/{teen.pk}/",
                teen=teen,
                dedupe_key=f"day_grant:{grant.pk}",
                now=now,
            )
    return grant
