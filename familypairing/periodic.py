"""Periodic tasks, declared in code and installed into django-celery-beat's tables (visible and
pausable in the admin) after every migrate and by `manage.py install_periodic_tasks`.

Each entry: name -> (task path, crontab fields in UTC). Add a line here to schedule a task.
"""

from __future__ import annotations

from django_celery_beat.models import CrontabSchedule, PeriodicTask

PERIODIC_TASKS: dict[str, tuple[str, dict[str, str]]] = {
    "Deliver notifications whose mute window ended": (
        "controls.tasks.notifications_deliver_due",
        {"minute": "*"},
    ),
    # One e-mail per guardian for the rule changes of 15 minutes (issue 17).
    "Send rule-change digests": ("controls.tasks.rule_change_digests_send", {"minute": "*"}),
    # Each teen's day limit, shortly after their day starts in any time zone (charts).
    "Record the limit of each teen's day": (
        "controls.tasks.day_limits_record",
        {"minute": "*/15"},
    ),
    # Downtime notices, limits reached without a report, devices not applying or silent.
    "Enforce screen time (every minute, UTC)": (
        "controls.tasks.enforcement_sweep",
        {"minute": "*"},
    ),
    "Delete usage detail past the retention period": (
        "controls.tasks.usage_purge_old",
        {"minute": "17", "hour": "3"},
    ),
    "Lapse unanswered more-time requests at the end of the teen's day": (
        "controls.request_tasks.time_requests_lapse",
        {"minute": "*/5"},
    ),
    # Hourly: each guardian's report goes out at 18:00 on Sunday in their own time zone.
    "Send weekly reports (Sunday 18:00 local)": (
        "controls.request_tasks.weekly_reports_send_due",
        {"minute": "0"},
    ),
    "Apply time zone changes that have come": (
        "accounts.tasks.time_zone_changes_apply_due",
        {"minute": "*"},
    ),
    "Expire pairing invitations": ("accounts.tasks.pairing_invitations_expire", {"minute": "*"}),
    "Prune expired device enrolment codes": (
        "accounts.tasks.device_enrolments_prune",
        {"minute": "23"},
    ),
    # Hourly, not once a day: a teen turns 18 at their own local midnight, in any time zone.
    "End supervision when a teen turns 18": (
        "accounts.tasks.guardian_links_end_at_18",
        {"minute": "5"},
    ),
}


def install_periodic_tasks() -> list[str]:
    """Create or update every declared task; returns the names written. Safe to run twice."""
    written = []
    for name, (task, cron) in PERIODIC_TASKS.items():
        fields = {
            "minute": "0",
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        }
        fields.update(cron)
        schedule, _ = CrontabSchedule.objects.get_or_create(timezone="UTC", **fields)
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "interval": None}
        )
        written.append(name)
    return written
