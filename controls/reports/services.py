"""The weekly report: every Sunday from 18:00 in each guardian's own time zone, one e-mail per
guardian with, per teen, the week's daily totals against the limits, the top apps, the requests
asked and answered, and the rule changes.

Who is due: the beat task runs hourly (UTC). A guardian is due when it is Sunday, 18:00 or
later, in their time zone and their report for that week has not been sent, so an hour missed
while the worker was down is caught up on the next run, and time zones with half-hour offsets
work too. Sent once: a `WeeklyReportLog` row (unique per guardian and week) is written in the
same transaction as the send, so a second run, or two workers at once, send nothing twice.

The week is Monday to Sunday by the guardian's calendar; each teen's days are the teen's own
local days with those dates.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import LinkStatus, User
from accounts.selectors import teens_for_guardian
from controls.app_rules.describe import app_display_name
from controls.app_rules.selectors import labels_of
from controls.days import day_for_local_date, teen_day
from controls.effective.selectors import day_limits_as_recorded
from controls.models import (
    AuditEvent,
    DailyUsage,
    NotificationKind,
    TeenDay,
    TimeRequest,
    TimeRequestStatus,
    WeeklyReportLog,
)
from controls.notifications.delivery import email_wanted
from controls.notifications.emails import send_templated_email
from controls.rules.selectors import rules_ensure_for_teen
from controls.wording import used_text

REPORT_WEEKDAY = 6  # Sunday
REPORT_TIME = time(18, 0)
TOP_APPS = 5
MAX_CHANGES = 20


def report_week_start(*, local_now: datetime) -> date:
    """The Monday of the week that ends on the Sunday `local_now` falls in."""
    return local_now.date() - timedelta(days=local_now.weekday())


def _is_due_now(*, tz: ZoneInfo, now: datetime) -> bool:
    local = now.astimezone(tz)
    return local.weekday() == REPORT_WEEKDAY and local.time() >= REPORT_TIME


def weekly_report_guardians_due(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """(guardian id, week start) for every guardian of an active teen whose local Sunday 18:00
    has come and whose report for that week is not yet sent."""
    now = now or timezone.now()
    guardians = (
        User.objects.filter(teen_links__status=LinkStatus.ACTIVE, is_active=True)
        .distinct()
        .values_list("pk", "time_zone")
    )
    candidates: list[tuple[int, date]] = []
    zones: dict[str, ZoneInfo] = {}
    for guardian_id, zone_name in guardians:
        if zone_name not in zones:
            zones[zone_name] = User(time_zone=zone_name).tz  # the model's safe fallback
        tz = zones[zone_name]
        if _is_due_now(tz=tz, now=now):
            candidates.append((guardian_id, report_week_start(local_now=now.astimezone(tz))))
    if not candidates:
        return []
    sent = set(
        WeeklyReportLog.objects.filter(
            guardian_id__in=[g for g, _ in candidates],
            week_start__in={w for _, w in candidates},
        ).values_list("guardian_id", "week_start")
    )
    return [(g, w) for g, w in candidates if (g, w) not in sent]


# --------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------


@dataclass
class ReportDay:
    day: date
    seconds: int
    limit_seconds: int | None
    recorded: bool = True  # False: no limit was recorded for that day

    @property
    def over(self) -> bool:
        return self.limit_seconds is not None and self.seconds > self.limit_seconds

    @property
    def used(self) -> str:
        return used_text(self.seconds)

    @property
    def limit(self) -> str:
        if not self.recorded:
            return "not recorded"
        return "no limit" if self.limit_seconds is None else used_text(self.limit_seconds)


@dataclass
class TeenWeek:
    teen: User
    days: list[ReportDay]
    top_apps: list[tuple[str, str]]
    requests_asked: int
    requests_approved: int
    requests_denied: int
    requests_lapsed: int
    requests: list[TimeRequest]
    changes: list[AuditEvent]
    more_changes: int = 0
    bar_widths: list[int] = field(default_factory=list)

    @property
    def total(self) -> str:
        return used_text(sum(d.seconds for d in self.days))

    @property
    def average(self) -> str:
        return used_text(sum(d.seconds for d in self.days) // len(self.days))

    @property
    def days_over(self) -> int:
        return sum(1 for d in self.days if d.over)

    @property
    def rows(self) -> list[tuple[ReportDay, int]]:
        return list(zip(self.days, self.bar_widths, strict=True))


def teen_week(*, teen: User, week_start: date) -> TeenWeek:
    days = [week_start + timedelta(days=n) for n in range(7)]
    week_end = days[-1]
    rules = rules_ensure_for_teen(teen=teen)
    totals = dict(
        TeenDay.objects.filter(teen=teen, local_date__range=(week_start, week_end)).values_list(
            "local_date", "counted_seconds"
        )
    )
    # Each day against the limit that applied on it (recorded), not against today's rules.
    today = teen_day(now=timezone.now(), tz=teen.tz, day_start=rules.day_start).local_date
    limits = day_limits_as_recorded(teen=teen, rules=rules, days=days, today=today)
    report_days = [ReportDay(d, totals.get(d, 0), *limits[d]) for d in days]
    longest = max([d.seconds for d in report_days] + [d.limit_seconds or 0 for d in report_days])
    widths = [round(100 * d.seconds / longest) if longest else 0 for d in report_days]

    rows = (
        DailyUsage.objects.filter(teen=teen, local_date__range=(week_start, week_end))
        .values("app")
        .annotate(total=Sum("seconds"))
    )
    # By catalogue (or family) name, an app's identifiers together (issue 13).
    labels = labels_of(teen)
    by_name: Counter[str] = Counter()
    for row in rows:
        by_name[app_display_name(row["app"], labels) if row["app"] else "Other apps"] += row[
            "total"
        ]
    ranked = sorted(by_name.items(), key=lambda item: (-item[1], item[0]))[:TOP_APPS]
    top_apps = [(name, used_text(total)) for name, total in ranked]

    requests = list(
        TimeRequest.objects.filter(teen=teen, local_date__range=(week_start, week_end))
        .select_related("answered_by")
        .order_by("created_at")
    )
    statuses = Counter(r.status for r in requests)

    start_utc = day_for_local_date(local_date=week_start, tz=teen.tz, day_start=rules.day_start)
    end_utc = day_for_local_date(local_date=week_end, tz=teen.tz, day_start=rules.day_start)
    changes_qs = (
        AuditEvent.objects.filter(
            teen=teen, created_at__gte=start_utc.start_utc, created_at__lt=end_utc.end_utc
        )
        .exclude(action__startswith="time_request.")
        .select_related("actor")
        .order_by("created_at", "id")
    )
    changes = list(changes_qs[: MAX_CHANGES + 1])
    more = 0
    if len(changes) > MAX_CHANGES:
        more = changes_qs.count() - MAX_CHANGES
        changes = changes[:MAX_CHANGES]
    return TeenWeek(
        teen=teen,
        days=report_days,
        top_apps=top_apps,
        requests_asked=len(requests),
        requests_approved=statuses[TimeRequestStatus.APPROVED],
        requests_denied=statuses[TimeRequestStatus.DENIED],
        requests_lapsed=statuses[TimeRequestStatus.LAPSED],
        requests=requests,
        changes=changes,
        more_changes=more,
        bar_widths=widths,
    )


def weekly_report_build(*, guardian: User, week_start: date) -> dict:
    """The e-mail's context: the week and one `TeenWeek` per active teen."""
    week_end = week_start + timedelta(days=6)
    teens = list(teens_for_guardian(guardian=guardian))
    return {
        "user": guardian,
        "week_start": week_start,
        "week_end": week_end,
        "week_label": _week_label(week_start, week_end),
        "teens": [teen_week(teen=teen, week_start=week_start) for teen in teens],
    }


def _week_label(start: date, end: date) -> str:
    if start.month == end.month:
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"


# --------------------------------------------------------------------------------------------
# Sending, once
# --------------------------------------------------------------------------------------------


def weekly_report_send_once(*, guardian_id: int, week_start: date) -> bool:
    """Send one guardian's report for one week unless it was sent already. The log row and the
    send share one transaction: if sending fails, the row is rolled back and a retry sends;
    if it succeeds, any later run finds the row and sends nothing."""
    guardian = User.objects.filter(pk=guardian_id, is_active=True).first()
    if guardian is None:
        return False
    try:
        with transaction.atomic():
            WeeklyReportLog.objects.create(guardian=guardian, week_start=week_start)
            if not email_wanted(user=guardian, kind=NotificationKind.WEEKLY_REPORT):
                return False
            context = weekly_report_build(guardian=guardian, week_start=week_start)
            if not context["teens"]:
                return False
            send_templated_email(
                to=guardian.email,
                subject=f"Weekly report: {context['week_label']}",
                template="weekly_report",
                context=context,
            )
    except IntegrityError:
        return False
    return True
