"""Enforcement: a teen's day moves ``ok → warned → limit reached`` and everyone concerned is told
exactly once; a per-minute sweep catches what time alone changes.

Exactly once
------------
Every notice is guarded by an `EnforcementMark` row, unique per (teen, local date, kind), inserted
in the same transaction as the notifications it guards. A task run twice, or two workers at once,
race for that row: the loser gets an IntegrityError and sends nothing. Kinds:

- ``warning:<minutes>:<limit seconds>`` and ``limit:<limit seconds>``: keyed by the limit in force,
  so bonus time granted after the limit starts a fresh cycle (its warnings, then "limit reached"
  once the bonus runs out) without ever repeating a notice for the same limit.
- ``downtime:<window id>``: the "downtime starting" notice for that window on that day.

Thresholds passed while no worker ran (a task lost or late): the task, or the sweep, tells the
truth at the moment it runs, once. A warning still true then is told with the time left then
("4 minutes left"); a warning the limit has made moot is marked and never sent (no "5 minutes
left" next to, or after, "limit reached"): the limit notice is the one message. So a teen whose
task was delayed past the limit gets the limit notice, and never a stale warning later.

The sweep (every minute, in UTC, set-based)
-------------------------------------------
Nothing is scheduled at anyone's local midnight: each step selects, in one query, only the rows
whose moment has come, by comparing stored wall times with "now" in each time zone present (zones
sharing an offset share one condition), then acts on those few rows:

1. **Downtime starting**: windows starting within the next `DOWNTIME_NOTICE_MINUTES` → a notice to
   the teen (not sent inside their notification mute hours: it would arrive after the fact).
2. **Limit reached without a crossing report**: today's totals at or over the limit in force (the
   weekday's limit plus today's bonus, unless lifted) whose state says otherwise, i.e. a grant
   that ran out, a limit lowered below what was used, or a lost task. The end of the teen's day
   needs no job: state and marks are keyed by the teen's local date, so a new day starts at ``ok``
   with a fresh quota the moment the teen's clock passes their day start.
3. **Warnings passed without their notice**: days whose time left is at or below one of the
   teen's warning thresholds, without its mark (the task was lost with a worker: Redis hands it
   back only after its visibility timeout). Together with step 2, a crashed worker's notices
   are redone within a minute; the marks keep each one exactly once.
4. **Devices not applying the rules**: active devices heard from since the last rule change, whose
   acknowledged rules version is older, `NOT_APPLIED_AFTER` after the change → guardians, once
   per device and rules version.
5. **Silent devices**: nothing heard for `DEVICE_SILENT_HOURS` while the teen is allowed to use
   the device now (not in downtime, not at the limit) → guardians, once per silence.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
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
from django.urls import reverse
from django.utils import timezone

from accounts.models import Device, GuardianLink, LinkStatus, User
from accounts.selectors import guardians_for_teen
from controls.models import (
    WEEKDAY_FIELDS,
    DayGrant,
    DayState,
    DowntimeWindow,
    EnforcementMark,
    NotificationKind,
    TeenDay,
)
from controls.notifications import mute_window_end, notify
from controls.policy import EffectivePolicy, downtime_at, next_downtime_start
from controls.selectors import downtime_specs, effective_policy_for_teen

DOWNTIME_NOTICE_MINUTES = 5
# A notice for a start the sweep missed (beat paused, worker restarting) is still worth sending
# this long after the start; later than that the device has long locked anyway.
DOWNTIME_NOTICE_GRACE = timedelta(minutes=2)
NOT_APPLIED_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


# --- Wording ---------------------------------------------------------------------------------


def _duration(seconds: int) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} hour" + ("s" if hours > 1 else "")
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def _clock(moment: datetime | None, tz) -> str:
    return moment.astimezone(tz).strftime("%H:%M") if moment else ""


def _teen_link() -> str:
    return reverse("teen_home")


def _guardian_link(teen) -> str:
    return reverse("teen_detail", args=[teen.pk])


# --- Marks -------------------------------------------------------------------------------------


def _mark_once(*, teen, local_date, kind: str, now: datetime) -> bool:
    """Insert the mark; False if it already exists (someone acted on this threshold)."""
    try:
        with transaction.atomic():
            EnforcementMark.objects.create(
                teen=teen, local_date=local_date, kind=kind, created_at=now
            )
    except IntegrityError:
        return False
    return True


def _supervised(teen_ref: str = "teen"):
    return Exists(GuardianLink.objects.filter(teen=OuterRef(teen_ref), status=LinkStatus.ACTIVE))


# --- The state machine -----------------------------------------------------------------------


def _target_state(policy: EffectivePolicy) -> str:
    if policy.limit_seconds is None:
        return DayState.OK
    if policy.limit_reached:
        return DayState.LIMIT_REACHED
    return DayState.WARNED if policy.warnings_due else DayState.OK


def _notify_warning(*, teen, policy: EffectivePolicy, minutes: int, now: datetime) -> None:
    key = f"warning:{minutes}:{policy.limit_seconds}:{teen.pk}:{policy.local_date}"
    left = _duration(policy.seconds_left or 0)
    notify(
        recipient=teen,
        kind=NotificationKind.WARNING,
        title=f"{left} of screen time left today",
        body=f"Today's limit is {_duration(policy.limit_seconds)}. "
        "If you need more, you can ask a guardian from your page.",
        link=_teen_link(),
        teen=teen,
        dedupe_key=key,
        now=now,
    )
    for guardian in guardians_for_teen(teen=teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.WARNING,
            title=f"{teen.display_name} has {left} of screen time left today",
            body=f"Today's limit is {_duration(policy.limit_seconds)}.",
            link=_guardian_link(teen),
            teen=teen,
            dedupe_key=key,
            now=now,
        )


def _notify_limit(*, teen, policy: EffectivePolicy, now: datetime) -> None:
    key = f"limit:{policy.limit_seconds}:{teen.pk}:{policy.local_date}"
    limit = _duration(policy.limit_seconds)
    reset = _clock(policy.day_end_utc, teen.tz)
    notify(
        recipient=teen,
        kind=NotificationKind.LIMIT_REACHED,
        title="You've reached today's screen-time limit",
        body=f"You've used your {limit} for today. New time comes when your day resets at "
        f"{reset} (downtime still applies); you can ask a guardian for more time from your page.",
        link=_teen_link(),
        teen=teen,
        dedupe_key=key,
        now=now,
    )
    for guardian in guardians_for_teen(teen=teen):
        notify(
            recipient=guardian,
            kind=NotificationKind.LIMIT_REACHED,
            title=f"{teen.display_name} reached today's screen-time limit ({limit})",
            body=f"Their time for today is used up until their day resets at {reset} their time, "
            "unless you give more time.",
            link=_guardian_link(teen),
            teen=teen,
            dedupe_key=key,
            now=now,
        )


def teen_day_enforce(*, teen, now: datetime | None = None) -> list[str]:
    """Bring the teen's current day up to date with the effective policy: the state, and a
    notice to the teen and every guardian for each threshold reached and not yet told. Safe to
    run any number of times, concurrently too. Returns the marks this call created."""
    now = now or timezone.now()
    policy = effective_policy_for_teen(teen=teen, now=now)
    limit = policy.limit_seconds
    created: list[str] = []
    day = TeenDay.objects.filter(teen=teen, local_date=policy.local_date)
    with transaction.atomic():
        if limit is not None and policy.limit_reached:
            kind = f"limit:{limit}"
            if _mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                created.append(kind)
                _notify_limit(teen=teen, policy=policy, now=now)
            # Warnings not told by now are moot ("5 minutes left" when none are): marked, never
            # sent, so neither a late task nor the sweep sends one after the limit notice.
            for minutes in sorted(policy.warnings_due):
                kind = f"warning:{minutes}:{limit}"
                if _mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                    created.append(kind)
        elif limit is not None and policy.warnings_due:
            # Mark every threshold passed; tell only the most urgent one (a big report that
            # jumps from 20 to 4 minutes left says "4 minutes left", not two messages).
            for minutes in sorted(policy.warnings_due):
                kind = f"warning:{minutes}:{limit}"
                if _mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                    created.append(kind)
            urgent = min(policy.warnings_due)
            # Bonus time given at the limit lands inside a warning: the grant itself told the
            # teen how much time they have, so only thresholds crossed from now on are told.
            after_grant = day.filter(state=DayState.LIMIT_REACHED).exists()
            if f"warning:{urgent}:{limit}" in created and not after_grant:
                _notify_warning(teen=teen, policy=policy, minutes=urgent, now=now)
        target = _target_state(policy)
        day.exclude(state=target).update(state=target, updated_at=now)
    return created


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
        .filter(_supervised())
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
            if not _mark_once(
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
                    else f"Downtime “{window.name}” starts at {_clock(starts_at, tz)}"
                ),
                body=f"Your devices are locked from {window.start:%H:%M} to {window.end:%H:%M}.",
                link=_teen_link(),
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
        .filter(_supervised())
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
    from controls.services import MAX_WARNINGS

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
                    _mark_once(teen=teen, local_date=local_date, kind=kind, now=now)
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
        .filter(_supervised())
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
                    f"{_clock(device.rules_changed_at, guardian.tz)} but has not confirmed "
                    "applying them. Check that Family Pairing is still running on it.",
                    link=_guardian_link(teen),
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
        .filter(_supervised())
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
                    link=_guardian_link(teen),
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
