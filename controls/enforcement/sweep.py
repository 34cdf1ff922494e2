"""The enforcement sweep (every minute, in UTC, set-based): downtime notices, limits and warnings
reached without their notice, devices not applying the rules, silent devices. What each step
selects and why is the docstring of `controls.enforcement.services`."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat, ExtractIsoWeekDay
from django.utils import timezone

from accounts.models import Device, User
from accounts.selectors import guardians_for_teen
from controls.effective.inputs import downtime_specs
from controls.effective.selectors import effective_policy_for_teen
from controls.enforcement.services import (
    DOWNTIME_NOTICE_GRACE,
    DOWNTIME_NOTICE_MINUTES,
    NOT_APPLIED_AFTER,
    SWEEP_BATCH,
    guardian_link,
    mark_once,
    supervised,
    teen_day_enforce,
    teen_link,
)
from controls.models import (
    WEEKDAY_FIELDS,
    DayGrant,
    DayState,
    DowntimeWindow,
    EnforcementMark,
    NotificationKind,
    TeenDay,
)
from controls.notifications.delivery import mute_window_end
from controls.notifications.services import notify
from controls.policy import EffectivePolicy, downtime_at, next_downtime_start
from controls.rules.values import MAX_WARNINGS
from controls.wording import clock

# --- The sweep ---------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _wall_time_condition(*, zones, field: str, start: datetime, end: datetime) -> Q:
    """One condition selecting rows whose local wall time `field` (in the row's teen's zone,
    `teen__time_zone`) lies between the local readings of the UTC instants `start` and `end`.
    Zones reading the same wall times share a clause, so there are about as many clauses as
    UTC offsets in use, however many teens there are."""
    by_range: dict[tuple, list[str]] = defaultdict(list)
    for name in zones:
        tz = _zone(name)
        if tz is None:
            continue
        low, high = start.astimezone(tz), end.astimezone(tz)
        if low.date() == high.date():
            # min/max: across a fall-back fold the later instant can read an earlier time.
            ranges = ((min(low.time(), high.time()), max(low.time(), high.time())),)
        else:  # the span crosses local midnight
            ranges = ((low.time(), time.max), (time.min, high.time()))
        by_range[ranges].append(name)
    condition = Q(pk__in=[])
    for ranges, names in by_range.items():
        in_range = Q(pk__in=[])
        for low_time, high_time in ranges:
            in_range |= Q(**{f"{field}__gte": low_time, f"{field}__lte": high_time})
        condition |= Q(teen__time_zone__in=names) & in_range
    return condition


def downtime_notices_send(*, now: datetime | None = None) -> int:
    """Tell teens that a downtime window starts within the next few minutes; once per window
    and day. Returns the notices sent."""
    now = now or timezone.now()
    since, until = now - DOWNTIME_NOTICE_GRACE, now + timedelta(minutes=DOWNTIME_NOTICE_MINUTES)
    zones = (
        User.objects.filter(downtime_windows__isnull=False)
        .values_list("time_zone", flat=True)
        .distinct()
    )
    candidates = list(
        DowntimeWindow.objects.filter(
            _wall_time_condition(zones=list(zones), field="start", start=since, end=until)
        )
        .filter(supervised())
        .select_related("teen", "teen__rules")
        .order_by("pk")[:SWEEP_BATCH]
    )
    if not candidates:
        return 0
    all_windows: dict[int, list[DowntimeWindow]] = defaultdict(list)
    for window in DowntimeWindow.objects.filter(teen_id__in={w.teen_id for w in candidates}):
        all_windows[window.teen_id].append(window)

    sent = 0
    for window in candidates:
        teen, tz = window.teen, window.teen.tz
        (spec,) = downtime_specs([window])
        starts_at = next_downtime_start(downtimes=[spec], now=since, tz=tz, horizon_days=1)
        if starts_at is None or starts_at > until:
            continue
        # Already in downtime from another window that runs into this one: nothing starts.
        current, _ = downtime_at(
            downtimes=downtime_specs(all_windows[teen.pk]),
            now=starts_at - timedelta(microseconds=1),
            tz=tz,
        )
        if current is not None:
            continue
        local_date = starts_at.astimezone(tz).date()
        with transaction.atomic():
            if not mark_once(
                teen=teen, local_date=local_date, kind=f"downtime:{window.pk}", now=now
            ):
                continue
            if mute_window_end(user=teen, now=now) is not None:
                continue  # the device shows its own countdown; a notice after the fact helps no one
            started = starts_at <= now
            notify(
                recipient=teen,
                kind=NotificationKind.DOWNTIME_STARTING,
                title=(
                    f"Downtime “{window.name}” has started"
                    if started
                    else f"Downtime “{window.name}” starts at {clock(starts_at, tz)}"
                ),
                body=f"Your devices are locked from {window.start:%H:%M} to {window.end:%H:%M}.",
                link=teen_link(),
                teen=teen,
                dedupe_key=f"downtime:{window.pk}:{local_date}",
                now=now,
            )
            sent += 1
    return sent


def _days_under_a_limit(*, now: datetime):
    """Teen days around today (any zone's today lies within a day of UTC's), annotated with
    `limit_seconds`, the limit in force that day (weekday limit plus bonus), for days that have
    one (not lifted), of supervised teens."""
    today_utc = now.date()
    weekday_limit = Case(
        *[
            When(iso_weekday=day + 1, then=F(f"teen__rules__{name}"))
            for day, name in enumerate(WEEKDAY_FIELDS)
        ],
        output_field=IntegerField(),
    )
    grants = DayGrant.objects.filter(teen=OuterRef("teen"), local_date=OuterRef("local_date"))
    bonus = Subquery(
        grants.values("teen").annotate(total=Sum("bonus_minutes")).values("total")[:1],
        output_field=IntegerField(),
    )
    return (
        TeenDay.objects.filter(
            local_date__gte=today_utc - timedelta(days=1),
            local_date__lte=today_utc + timedelta(days=1),
        )
        .annotate(
            iso_weekday=ExtractIsoWeekDay("local_date"),
            limit_minutes=weekday_limit,
            bonus_minutes=Coalesce(bonus, 0),
            lifted=Exists(grants.filter(no_limit=True)),
        )
        .filter(limit_minutes__isnull=False, lifted=False)
        .annotate(limit_seconds=(F("limit_minutes") + F("bonus_minutes")) * 60)
        .filter(supervised())
    )


def limits_reconcile(*, now: datetime | None = None) -> int:
    """Find, in one query, teen days at or over the limit in force whose state does not say so
    (a bonus used up with no crossing report, a limit lowered below what was used, a lost task)
    and enforce them. Returns the days handled."""
    now = now or timezone.now()
    rows = list(
        _days_under_a_limit(now=now)
        .exclude(state=DayState.LIMIT_REACHED)
        .filter(counted_seconds__gte=F("limit_seconds"))
        .values_list("pk", "teen_id", "local_date")[:SWEEP_BATCH]
    )
    handled = 0
    teens = User.objects.in_bulk({teen_id for _, teen_id, _ in rows})
    for pk, teen_id, local_date in rows:
        teen = teens[teen_id]
        if effective_policy_for_teen(teen=teen, now=now).local_date == local_date:
            teen_day_enforce(teen=teen, now=now)
        else:  # a day already over (usage booked late): true, but too late to tell anyone
            TeenDay.objects.filter(pk=pk).update(state=DayState.LIMIT_REACHED, updated_at=now)
        handled += 1
    return handled


def _warning_untold(index: int) -> Q:
    """The day's `index`-th warning (rules.warning_minutes[index]) has been passed and has no
    mark: its notice was never created (the task that should have was lost or is late)."""
    kind = Concat(
        Value("warning:"),
        OuterRef(f"warning_{index}_text"),
        Value(":"),
        OuterRef("limit_text"),
        output_field=CharField(),
    )
    marked = EnforcementMark.objects.filter(
        teen=OuterRef("teen"), local_date=OuterRef("local_date"), kind=kind
    )
    # A missing warning reads as NULL, which passes nothing.
    return Q(**{f"warning_{index}_seconds__gte": F("left_seconds")}) & ~Exists(marked)


def warnings_reconcile(*, now: datetime | None = None) -> int:
    """Find, in one query, teen days that passed a warning threshold (time left at or below it,
    the limit not yet reached) without its mark, i.e. without its notice: the enforcement task
    was lost with a worker (it comes back from the broker only after the visibility timeout) or
    never queued. Enforce them now: the marks keep it exactly once. A day already over is only
    marked (too late to warn). Returns the days handled."""
    now = now or timezone.now()
    annotations = {}
    for index in range(MAX_WARNINGS):
        text = KeyTextTransform(str(index), "teen__rules__warning_minutes")
        annotations[f"warning_{index}_text"] = text
        annotations[f"warning_{index}_seconds"] = Cast(text, IntegerField()) * 60
    untold = Q(pk__in=[])
    for index in range(MAX_WARNINGS):
        untold |= _warning_untold(index)
    rows = list(
        _days_under_a_limit(now=now)
        .filter(counted_seconds__lt=F("limit_seconds"))
        .annotate(
            left_seconds=F("limit_seconds") - F("counted_seconds"),
            limit_text=Cast("limit_seconds", CharField()),
            **annotations,
        )
        .filter(untold)
        .values_list(
            "teen_id", "local_date", "limit_seconds", "left_seconds", "teen__rules__warning_minutes"
        )[:SWEEP_BATCH]
    )
    handled = 0
    teens = User.objects.in_bulk({row[0] for row in rows})
    for teen_id, local_date, limit, left, warning_minutes in rows:
        teen = teens[teen_id]
        if effective_policy_for_teen(teen=teen, now=now).local_date == local_date:
            teen_day_enforce(teen=teen, now=now)
        else:  # a day already over: mark what was passed, tell nobody
            for minutes in warning_minutes or ():
                if isinstance(minutes, int) and left <= minutes * 60:
                    kind = f"warning:{minutes}:{limit}"
                    mark_once(teen=teen, local_date=local_date, kind=kind, now=now)
        handled += 1
    return handled


def devices_not_applied_notify(*, now: datetime | None = None) -> int:
    """Tell guardians about devices that have been in touch since the last rule change but have
    not acknowledged applying it, `NOT_APPLIED_AFTER` after the change. Once per device and
    rules version. Returns the devices reported."""
    now = now or timezone.now()
    settled = now - NOT_APPLIED_AFTER
    rules_version = F("teen__rules__version")
    devices = list(
        Device.objects.filter(
            revoked_at__isnull=True,
            created_at__lte=settled,
            teen__rules__updated_at__lte=settled,
            last_seen_at__gte=F("teen__rules__updated_at"),
        )
        .filter(Q(acked_rules_version__isnull=True) | Q(acked_rules_version__lt=rules_version))
        .filter(
            Q(not_applied_notified_version__isnull=True)
            | Q(not_applied_notified_version__lt=rules_version)
        )
        .filter(supervised())
        .annotate(rules_version=rules_version, rules_changed_at=F("teen__rules__updated_at"))
        .select_related("teen")
        .order_by("pk")[:SWEEP_BATCH]
    )
    told = 0
    for device in devices:
        with transaction.atomic():
            claimed = (
                Device.objects.filter(pk=device.pk)
                .filter(
                    Q(not_applied_notified_version__isnull=True)
                    | Q(not_applied_notified_version__lt=device.rules_version)
                )
                .update(not_applied_notified_version=device.rules_version)
            )
            if not claimed:
                continue
            teen = device.teen
            for guardian in guardians_for_teen(teen=teen):
                notify(
                    recipient=guardian,
                    kind=NotificationKind.DEVICE_NOT_APPLIED,
                    title=f"“{device.name}” has not applied {teen.display_name}'s latest rules",
                    body="The device has been in touch since the rules changed at "
                    f"{clock(device.rules_changed_at, guardian.tz)} but has not confirmed "
                    "applying them. Check that Family Pairing is still running on it.",
                    link=guardian_link(teen),
                    teen=teen,
                    dedupe_key=f"device-not-applied:{device.pk}:{device.rules_version}",
                    now=now,
                )
            told += 1
    return told


def devices_silent_notify(*, now: datetime | None = None) -> int:
    """Tell guardians about devices not heard from for DEVICE_SILENT_HOURS while the teen is
    allowed to use them right now. Once per silence (hearing from the device again re-arms it).
    Returns the devices reported."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.DEVICE_SILENT_HOURS)
    devices = list(
        Device.objects.filter(revoked_at__isnull=True, silent_notified_at__isnull=True)
        .filter(Q(last_seen_at__lte=cutoff) | Q(last_seen_at__isnull=True, created_at__lte=cutoff))
        .filter(supervised())
        .select_related("teen")
        .order_by("pk")[:SWEEP_BATCH]
    )
    policies: dict[int, EffectivePolicy] = {}
    told = 0
    for device in devices:
        teen = device.teen
        if teen.pk not in policies:
            policies[teen.pk] = effective_policy_for_teen(teen=teen, now=now)
        if not policies[teen.pk].allowed:
            continue  # silence in downtime or after the limit is expected; ask again later
        with transaction.atomic():
            claimed = Device.objects.filter(
                pk=device.pk, silent_notified_at__isnull=True, revoked_at__isnull=True
            ).update(silent_notified_at=now)
            if not claimed:
                continue
            since = device.last_seen_at
            for guardian in guardians_for_teen(teen=teen):
                when = (
                    f"since {since.astimezone(guardian.tz):%d %b at %H:%M}"
                    if since
                    else "since it was registered"
                )
                notify(
                    recipient=guardian,
                    kind=NotificationKind.DEVICE_SILENT,
                    title=f"No news from {teen.display_name}'s “{device.name}”",
                    body=f"The device has not been in touch {when}, although "
                    f"{teen.display_name} is allowed to use it now. It may be off, offline, or "
                    "Family Pairing may have been removed from it.",
                    link=guardian_link(teen),
                    teen=teen,
                    dedupe_key=f"device-silent:{device.pk}:{since or 'never'}",
                    now=now,
                )
            told += 1
    return told


def enforcement_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The per-minute beat job: every step is set-based and idempotent (a second run in the
    same minute changes nothing)."""
    now = now or timezone.now()
    return {
        "downtime_notices": downtime_notices_send(now=now),
        "limits": limits_reconcile(now=now),
        "warnings": warnings_reconcile(now=now),
        "devices_not_applied": devices_not_applied_notify(now=now),
        "devices_silent": devices_silent_notify(now=now),
    }
