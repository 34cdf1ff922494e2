"""The weekly report e-mail task: thin and idempotent (`weekly_report_send_once` sends each
guardian's week once), queued by the hourly `controls.tasks.weekly_reports_send_due`."""

from __future__ import annotations

from datetime import date

from celery import shared_task

from controls.notifications.emails import EMAIL_RETRY
from controls.reports.services import weekly_report_send_once


# Registered under its name from before the move to this package (queued messages carry it).
@shared_task(name="controls.request_tasks.weekly_report_send", **EMAIL_RETRY)
def weekly_report_send(guardian_id: int, week_start: str) -> bool:
    """Send one guardian's report for the week starting `week_start` (a Monday), once."""
    return weekly_report_send_once(
        guardian_id=guardian_id, week_start=date.fromisoformat(week_start)
    )
