"""Figures beyond requests per second: the dashboard's queries by number of teens, enforcement
latency with a real Celery worker on Redis, and the per-minute beat sweep over 100,000 teens."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench.runner import BenchError
from bench.seed import SeededDevice

ENFORCEMENT_TIMEOUT_SECONDS = 60
POLL_SECONDS = 0.005
ENFORCEMENT_TARGET_P95 = 1.0
SWEEP_TARGET_SECONDS = 5.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0-100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --- Dashboard: queries must not grow with the number of teens ----------------------------------


def dashboard_queries_independent_of_teens(*, guardian_id: int) -> dict:
    """Queries of the dashboard for the 10-teen guardian and for a guardian of one teen."""
    from django.db.models import Count, Q

    from accounts.models import LinkStatus, User
    from bench.paths import DASHBOARD_URL, BenchPath, count_queries, page_probe_for
    from bench.report import Target

    def queries_for(user) -> int | None:
        probe = page_probe_for(DASHBOARD_URL, user)
        path = BenchPath(
            key="dashboard",
            label="dashboard",
            method="GET",
            url=DASHBOARD_URL,
            script="",
            expected_status=200,
            target=Target(),
            probe=probe,
        )
        return count_queries(path)[0]

    many = User.objects.get(pk=guardian_id)
    one = (
        User.objects.annotate(
            teens=Count("teen_links", filter=Q(teen_links__status=LinkStatus.ACTIVE))
        )
        .filter(teens=1)
        .exclude(pk=guardian_id)
        .order_by("pk")
        .first()
    )
    result = {"teens_10": queries_for(many)}
    if one is not None:
        result["teens_1"] = queries_for(one)
        result["independent"] = result["teens_1"] == result["teens_10"]
    return result


# --- Enforcement latency ----------------------------------------------------------------------


def arm_enforcement_teens(teen_ids: list[int], *, now: datetime) -> None:
    """Put each teen 30 seconds before today's limit, warned but not yet at the limit, so that
    one 60-second report crosses it (also when the data set is reused)."""
    from accounts.models import User
    from controls.days import teen_day
    from controls.effective.cache import usage_changed
    from controls.models import (
        DayState,
        EnforcementMark,
        Notification,
        NotificationKind,
        TeenDay,
        UsageEvent,
    )

    for teen in User.objects.filter(pk__in=teen_ids).select_related("rules"):
        rules = teen.rules
        day = teen_day(now=now, tz=teen.tz, day_start=rules.day_start)
        limit = rules.daily_limits()[day.local_date.weekday()] or 60
        used = limit * 60 - 30
        TeenDay.objects.update_or_create(
            teen=teen,
            local_date=day.local_date,
            defaults={
                "counted_seconds": used,
                "total_seconds": used,
                "state": DayState.WARNED,
                "updated_at": now,
            },
        )
        EnforcementMark.objects.filter(teen=teen, local_date=day.local_date).delete()
        for kind in ("warning:15", "warning:5"):
            EnforcementMark.objects.create(teen=teen, local_date=day.local_date, kind=kind)
        Notification.objects.filter(teen=teen, kind=NotificationKind.LIMIT_REACHED).delete()
    # A crossing report of an earlier run in the last minutes would overlap the new one.
    UsageEvent.objects.filter(
        teen_id__in=teen_ids, started_at__gte=now - timedelta(hours=1)
    ).delete()
    for teen_id in teen_ids:
        usage_changed(teen_id=teen_id)


def _wait_for_worker(timeout: float) -> None:
    from familypairing.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
    raise BenchError(f"the Celery worker did not answer a ping within {timeout:.0f} s")


def _post_usage(base_url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(  # noqa: S310 - loopback URL built by the bench
        base_url + "/api/v1/device/usage",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # nosec B310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def enforcement_latency(
    *, base_url: str, devices: list[SeededDevice], rate: float, say: Callable[[str], None]
) -> dict:
    """From the usage POST that crosses the limit to the limit-reached notifications existing
    (the teen's and every guardian's), per teen; p50 and p95. The bench's Celery worker (the
    one that ran beside the server during the load) does the work. The crossing reports are
    sent at `rate` per second (0: all at once), so the figure is the latency of enforcement,
    not the time to drain a burst."""
    from django.db import close_old_connections
    from django.db.models import Count

    from accounts.models import GuardianLink, LinkStatus
    from bench.paths import usage_body
    from controls.models import Notification, NotificationKind

    now = datetime.now(UTC)
    teen_ids = [device.teen_id for device in devices]
    arm_enforcement_teens(teen_ids, now=now)
    expected = dict.fromkeys(teen_ids, 1)
    for teen_id in GuardianLink.objects.filter(
        teen_id__in=teen_ids, status=LinkStatus.ACTIVE
    ).values_list("teen_id", flat=True):
        expected[teen_id] += 1

    _wait_for_worker(60)
    say(f"  posting the crossing report for {len(devices)} teens")

    # One loop sends the reports on schedule and, in between, looks for the notifications
    # every few milliseconds: a teen is done when the reader sees all of its limit
    # notifications (committed), and its latency runs from just before its POST was sent.
    sent_at: dict[int, datetime] = {}
    statuses: dict[int, int] = {}
    done: dict[int, datetime] = {}
    pending = list(devices)
    started = time.monotonic()
    deadline = None
    while len(done) < len(teen_ids):
        now_mono = time.monotonic()
        while pending and (rate <= 0 or now_mono >= started + len(sent_at) / rate):
            device = pending.pop(0)
            body = usage_body(1, start=datetime.now(UTC) - timedelta(seconds=61), seconds=60)
            sent_at[device.teen_id] = datetime.now(UTC)
            status = _post_usage(base_url, device.token, body)
            statuses[status] = statuses.get(status, 0) + 1
            now_mono = time.monotonic()
        if not pending and deadline is None:
            deadline = now_mono + ENFORCEMENT_TIMEOUT_SECONDS
        waiting = [teen_id for teen_id in sent_at if teen_id not in done]
        if waiting:
            close_old_connections()
            counts = dict(
                Notification.objects.filter(
                    teen_id__in=waiting, kind=NotificationKind.LIMIT_REACHED
                )
                .values("teen_id")
                .annotate(n=Count("id"))
                .values_list("teen_id", "n")
            )
            seen = datetime.now(UTC)
            for teen_id in waiting:
                if counts.get(teen_id, 0) >= expected[teen_id]:
                    done[teen_id] = seen
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    latencies = [(done[t] - sent_at[t]).total_seconds() for t in teen_ids if t in done]
    result = {
        "teens": len(teen_ids),
        "rate_per_second": rate,
        "complete": len(latencies),
        "post_statuses": {str(k): v for k, v in statuses.items()},
        "notifications_expected": sum(expected.values()),
    }
    if latencies:
        result.update(
            p50_s=round(percentile(latencies, 50), 3),
            p95_s=round(percentile(latencies, 95), 3),
            max_s=round(max(latencies), 3),
        )
    return result


def describe_enforcement(result: dict) -> str:
    if "skipped" in result:
        return f"enforcement latency: skipped ({result['skipped']})"
    if "p95_s" not in result:
        return f"enforcement latency: MISSED, no teen got its notifications ({result})"
    verdict = (
        "met"
        if result["p95_s"] <= ENFORCEMENT_TARGET_P95 and result["complete"] == result["teens"]
        else "MISSED"
    )
    pace = f"{result['rate_per_second']:g}/s" if result.get("rate_per_second") else "all at once"
    return (
        f"enforcement latency over {result['teens']} teens, crossing reports sent {pace} "
        f"(crossing POST -> limit notifications of the teen and every guardian): p50 "
        f"{result['p50_s'] * 1000:.0f} ms, p95 "
        f"{result['p95_s'] * 1000:.0f} ms, max {result['max_s'] * 1000:.0f} ms, "
        f"{result['complete']}/{result['teens']} complete, POST statuses "
        f"{result['post_statuses']} (target p95 <= {ENFORCEMENT_TARGET_P95:g} s: {verdict})"
    )


# --- The per-minute beat sweep ---------------------------------------------------------------


def _sweep_service() -> Callable:
    from controls.enforcement import sweep as enforcement

    for name in ("enforcement_sweep", "sweep", "enforcement_minute_sweep"):
        if callable(getattr(enforcement, name, None)):
            return getattr(enforcement, name)
    raise BenchError("controls/enforcement/sweep.py has no sweep service the bench knows")


def _snapshot() -> dict[str, int]:
    """What the sweep may write, counted: a second run must leave every number unchanged."""
    from controls.models import (
        AuditEvent,
        DayGrant,
        EnforcementMark,
        Notification,
        TeenDay,
        TimeRequest,
    )

    return {
        "notifications": Notification.objects.count(),
        "enforcement_marks": EnforcementMark.objects.count(),
        "teen_days": TeenDay.objects.count(),
        "teen_days_limit_reached": TeenDay.objects.filter(state="limit_reached").count(),
        "teen_days_warned": TeenDay.objects.filter(state="warned").count(),
        "time_requests_pending": TimeRequest.objects.filter(status="pending").count(),
        "day_grants": DayGrant.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


PLANTED_DOWNTIME_STARTS = 100
PLANTED_LIMITS_WITHOUT_TASK = 50
PLANTED_WINDOW_NAME = "Bench: starts in 3 minutes"


def plant_sweep_work(*, now: datetime, exclude_teen_ids: set[int]) -> dict[str, int]:
    """Give the first sweep run an average minute's work at 100,000 teens (each teen has a
    downtime start or two a day and now and then a limit reached with no crossing report):
    windows starting in three minutes for 100 teens, 50 days over the limit whose state does
    not say so. The second run must find all of it done."""
    from accounts.models import GuardianLink, LinkStatus, User
    from controls.days import teen_day
    from controls.models import DayState, DowntimeWindow, TeenDay, TeenRules

    DowntimeWindow.objects.filter(name=PLANTED_WINDOW_NAME).delete()  # from an earlier run
    supervised = GuardianLink.objects.filter(status=LinkStatus.ACTIVE).values("teen_id")
    wanted = PLANTED_DOWNTIME_STARTS + PLANTED_LIMITS_WITHOUT_TASK
    teens = list(
        User.objects.filter(
            pk__in=TeenRules.objects.filter(teen_id__in=supervised)
            .exclude(teen_id__in=exclude_teen_ids)
            .order_by("-teen_id")
            .values("teen_id")[:wanted]
        ).select_related("rules")
    )
    windows = []
    for teen in teens[:PLANTED_DOWNTIME_STARTS]:
        start = (now + timedelta(minutes=3)).astimezone(teen.tz)
        end = start + timedelta(hours=1)
        windows.append(
            DowntimeWindow(
                teen=teen,
                name=PLANTED_WINDOW_NAME,
                start=start.time().replace(second=0, microsecond=0),
                end=end.time().replace(second=0, microsecond=0),
            )
        )
    DowntimeWindow.objects.bulk_create(windows)
    over = 0
    for teen in teens[PLANTED_DOWNTIME_STARTS:]:
        rules = teen.rules
        day = teen_day(now=now, tz=teen.tz, day_start=rules.day_start)
        limit = rules.daily_limits()[day.local_date.weekday()]
        if limit is None:
            continue
        TeenDay.objects.update_or_create(
            teen=teen,
            local_date=day.local_date,
            defaults={
                "counted_seconds": limit * 60 + 60,
                "total_seconds": limit * 60 + 60,
                "state": DayState.OK,
                "updated_at": now,
            },
        )
        over += 1
    return {"downtime_starts": len(windows), "limits_without_task": over}


def sweep(*, target_teens: int, state: dict, say: Callable[[str], None]) -> dict:
    from bench.seed import seed
    from controls.models import TeenRules

    teens = TeenRules.objects.count()
    if teens < target_teens:
        missing = target_teens - teens
        say(f"  topping the data set up from {teens:,} to {target_teens:,} teens (light families)")
        started = time.monotonic()
        while missing > 0:
            # Families average 1.65 teens; seed a little less than needed, then the rest.
            added = seed(families=max(2, int(missing / 1.65)), light=True)
            missing -= added.teens
            state["sweep_teens_seeded"] = state.get("sweep_teens_seeded", 0) + added.teens
        say(f"  topped up in {time.monotonic() - started:.0f} s")
        teens = TeenRules.objects.count()
    service = _sweep_service()
    now = datetime.now(UTC)
    # Not the enforcement teens: the enforcement figure has just told them their limit.
    planted = plant_sweep_work(
        now=now, exclude_teen_ids={d["teen_id"] for d in state.get("enforcement_devices", [])}
    )
    before = _snapshot()
    started = time.monotonic()
    first_result = service(now=now)
    first = time.monotonic() - started
    after_first = _snapshot()
    started = time.monotonic()
    second_result = service(now=now)
    second = time.monotonic() - started
    after_second = _snapshot()
    changed_by_first = {
        k: after_first[k] - before[k] for k in before if after_first[k] != before[k]
    }
    changed_by_second = {
        k: after_second[k] - after_first[k] for k in before if after_second[k] != after_first[k]
    }
    return {
        "teens": teens,
        "planted": planted,
        "first_s": round(first, 3),
        "second_s": round(second, 3),
        "first_result": repr(first_result)[:300],
        "second_result": repr(second_result)[:300],
        "changed_by_first": changed_by_first,
        "changed_by_second": changed_by_second,
    }


def describe_sweep(result: dict) -> str:
    if "skipped" in result:
        return f"beat sweep: skipped ({result['skipped']})"
    slowest = max(result["first_s"], result["second_s"])
    verdict = (
        "met" if slowest <= SWEEP_TARGET_SECONDS and not result["changed_by_second"] else "MISSED"
    )
    return (
        f"beat sweep over {result['teens']:,} teens, planted {result['planted']}: first run "
        f"{result['first_s']:.2f} s "
        f"(changed {result['changed_by_first'] or 'nothing'}), second run "
        f"{result['second_s']:.2f} s (changed {result['changed_by_second'] or 'nothing'}) "
        f"(target <= {SWEEP_TARGET_SECONDS:g} s and a second run changes nothing: {verdict})"
    )
