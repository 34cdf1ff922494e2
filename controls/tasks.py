"""The periodic jobs of controls (scheduled in `familypairing/periodic.py`): thin and idempotent,
each calls one service. The tasks that domain services queue live with their domain
(`controls/*/tasks.py`); importing them here is what registers them with the worker, which
autodiscovers each app's `tasks` module only.

Every task keeps the name it had before the domain packages (issue #12): queued messages and
django-celery-beat rows carry it.
"""

from __future__ import annotations

from celery import shared_task

from controls.enforcement.sweep import enforcement_sweep as sweep
from controls.enforcement.tasks import DB_RETRY, teen_day_enforce
from controls.notifications.delivery import notifications_email_due
from controls.notifications.digest import rule_change_digests_send
from controls.notifications.tasks import notification_send_email
from controls.reports.services import weekly_report_guardians_due
from controls.reports.tasks import weekly_report_send
from controls.rules.day_limits import day_limits_record_current
from controls.time_requests.services import time_requests_lapse_due
from controls.time_requests.tasks import time_request_send_email
from controls.usage.services import usage_purge_old as purge

# Queued by domain services, registered by this import (see above).
__all__ = [
    "notification_send_email",
    "teen_day_enforce",
    "time_request_send_email",
    "weekly_report_send",
]


@shared_task(name="controls.tasks.notifications_deliver_due")
def notifications_deliver_due() -> int:
    """Every minute: queue the e-mails that are due and unsent: those that waited for a teen's
    mute window to end, and those whose task was lost with a worker or whose send failed."""
    ids = notifications_email_due()
    for notification_id in ids:
        notification_send_email.delay(notification_id)
    return len(ids)


@shared_task(name="controls.tasks.enforcement_sweep", **DB_RETRY)
def enforcement_sweep() -> dict[str, int]:
    """Every minute (UTC): downtime starting, limits reached without a report, devices not
    applying the rules, silent devices. Set-based; a second run changes nothing."""
    return sweep()


@shared_task(name="controls.tasks.usage_purge_old", **DB_RETRY)
def usage_purge_old() -> int:
    """Daily: delete usage events older than USAGE_RETENTION_DAYS (daily totals stay)."""
    return purge()


@shared_task(name="controls.request_tasks.time_requests_lapse")
def time_requests_lapse() -> int:
    """Lapse open requests whose teen day has ended (every few minutes)."""
    return time_requests_lapse_due()


@shared_task(name="controls.request_tasks.weekly_reports_send_due")
def weekly_reports_send_due() -> int:
    """Hourly: queue the weekly report of every guardian whose local time is Sunday 18:xx."""
    due = weekly_report_guardians_due()
    for guardian_id, week_start in due:
        weekly_report_send.delay(guardian_id, week_start.isoformat())
    return len(due)


@shared_task(name="controls.tasks.rule_change_digests_send")
def rule_change_digests_send_due() -> int:
    """Every minute: one e-mail per guardian for the rule changes of the last window."""
    return rule_change_digests_send()


@shared_task(name="controls.tasks.day_limits_record", **DB_RETRY)
def day_limits_record() -> int:
    """Every 15 minutes: the limit of the day each supervised teen is in, if not yet recorded."""
    return day_limits_record_current()
