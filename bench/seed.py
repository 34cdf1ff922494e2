"""A realistic data set for the benchmark, written at COPY speed.

Families of one or two guardians and one to three teens (13-17) in a mix of time zones; every
teen has rules, downtime windows, one or two devices and weeks of history (daily totals per
app and device, the day's running total, the recent per-minute usage events), plus
notifications and audit events. Primary keys are assigned here and whole chunks go to the
database in one statement per table (PostgreSQL `COPY ... FROM STDIN`, SQLite `executemany`),
so 100,000 families seed in minutes, not hours. Seeding can top up an existing data set: ids
and e-mail addresses continue after what is there.

Special members the benchmark drives:
- family 0: one guardian with `DASHBOARD_TEENS` teens (the dashboard path) and a co-guardian
  of the first teen (the teen page path, a teen with two guardians);
- the last `enforcement_teens` families: one teen each, one device, 30 seconds before the
  daily limit, no downtime, so that one usage POST crosses the limit (enforcement figures).

Device tokens are made and hashed by the devices service, so requests authenticate.
"""

from __future__ import annotations

import random
import time as clock
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import Device, GuardianLink, LinkStatus, User
from bench.columns import seed_columns
from bench.tables import Ids, TableWriter, analyze, device_token_maker, next_id, reset_sequences
from controls.app_models import AppRule
from controls.catalogue.lookup import app_key
from controls.days import teen_day
from controls.models import (
    AuditEvent,
    DailyUsage,
    DayState,
    DowntimeWindow,
    Notification,
    NotificationKind,
    TeenDay,
    TeenRules,
    UsageEvent,
)

DASHBOARD_TEENS = 10
SEED_PASSWORD = "bench-only-password-not-for-login"  # noqa: S105  # nosec B105 - sessions are forced
EMAIL_DOMAIN = "bench.familypairing.test"
TIME_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Africa/Lagos",
)
APPS = (
    "com.zhiliaoapp.musically",
    "com.google.android.youtube",
    "com.instagram.android",
    "com.roblox.client",
    "com.spotify.music",
    "com.whatsapp",
    "com.duolingo",
    "org.wikipedia",
)
ALWAYS_ALLOWED = ("com.duolingo", "org.wikipedia")
PLATFORMS = ("ios", "android", "android", "windows", "macos", "chromeos")
CHUNK_FAMILIES = 2000


@dataclass
class SeededDevice:
    device_id: int
    teen_id: int
    token: str


@dataclass
class SeedResult:
    families: int = 0
    guardians: int = 0
    teens: int = 0
    devices: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    dashboard_guardian_id: int | None = None
    teen_page_teen_id: int | None = None
    # Devices whose plaintext token is kept: a sample for the load paths, and the enforcement
    # teens' devices. (Tokens exist only as hashes in the database.)
    load_devices: list[SeededDevice] = field(default_factory=list)
    enforcement_devices: list[SeededDevice] = field(default_factory=list)

    def count(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


# --- The data set -------------------------------------------------------------------------------


def _local_instant(local_date: date, at: wall_time, tz: ZoneInfo) -> datetime:
    return datetime.combine(local_date, at, tzinfo=tz).astimezone(UTC)


def _birth_date(today: date, years: int, rng: random.Random) -> date:
    return today - timedelta(days=365 * years + rng.randrange(30, 330))


class _Chunk:
    """Rows of a few thousand families, written together."""

    def __init__(self) -> None:
        self.tables: dict[type[models.Model], list[tuple]] = {}

    def add(self, model: type[models.Model], row: tuple) -> None:
        self.tables.setdefault(model, []).append(row)


def seed(
    *,
    families: int,
    history_days: int = 28,
    event_days: int = 2,
    enforcement_teens: int = 0,
    light: bool = False,
    keep_tokens: int = 4000,
    now: datetime | None = None,
    random_seed: int = 2026,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Add `families` families (see the module docstring). `light` families have rules, links,
    downtime windows and today's running total but no devices or history: the population of
    the beat-sweep figure, which must scale to 100,000 teens quickly."""
    started = clock.monotonic()
    now = now or timezone.now()
    # Reproducible data, not secrets (device tokens come from the devices service).
    rng = random.Random(random_seed + next_id(User))  # noqa: S311  # nosec B311
    make_token = device_token_maker()
    password = make_password(SEED_PASSWORD)
    writer = TableWriter()
    ids = Ids(
        [
            User,
            EmailAddress,
            GuardianLink,
            Device,
            DowntimeWindow,
            AppRule,
            TeenDay,
            DailyUsage,
            UsageEvent,
            Notification,
            AuditEvent,
        ]
    )
    result = SeedResult(families=families)
    daytime_zones = [
        name for name in TIME_ZONES if 9 <= now.astimezone(ZoneInfo(name)).hour < 20
    ] or ["UTC"]
    today_utc = now.date()
    columns, order = seed_columns()

    def user_row(chunk: _Chunk, name: str, birth: date, tz_name: str, joined: datetime) -> int:
        uid = ids.take(User)
        email = f"u{uid}@{EMAIL_DOMAIN}"
        chunk.add(
            User, (uid, password, None, False, email, name, birth, tz_name, False, True, joined)
        )
        chunk.add(EmailAddress, (ids.take(EmailAddress), uid, email, True, True))
        return uid

    def add_family(chunk: _Chunk, index: int) -> None:
        dashboard = index == 0 and not light
        enforcement = not light and index >= families - enforcement_teens
        # Enforcement teens live where it is daytime now: their 59.5 minutes used today must be
        # possible by the clock, and their notifications are not held for a mute window.
        tz_name = rng.choice(daytime_zones if enforcement else TIME_ZONES)
        tz = ZoneInfo(tz_name)
        joined = now - timedelta(days=history_days + rng.randrange(1, 400))
        guardians = [
            user_row(chunk, f"Guardian {index}", _birth_date(today_utc, 44, rng), tz_name, joined)
        ]
        if dashboard or (not enforcement and rng.random() < 0.3):
            guardians.append(
                user_row(
                    chunk, f"Co-guardian {index}", _birth_date(today_utc, 46, rng), tz_name, joined
                )
            )
        if dashboard:
            n_teens = DASHBOARD_TEENS
        elif enforcement:
            n_teens = 1
        else:
            n_teens = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        result.guardians += len(guardians)
        for t in range(n_teens):
            teen_id = user_row(
                chunk,
                f"Teen {index}.{t}",
                _birth_date(today_utc, rng.randrange(13, 18), rng),
                tz_name,
                joined,
            )
            result.teens += 1
            teen_guardians = guardians if (t == 0 or not dashboard) else guardians[:1]
            if dashboard and t == 0:
                result.dashboard_guardian_id = guardians[0]
                result.teen_page_teen_id = teen_id
            add_teen(chunk, teen_id, teen_guardians, tz, joined, enforcement)

    def add_teen(
        chunk: _Chunk,
        teen_id: int,
        guardians: list[int],
        tz: ZoneInfo,
        joined: datetime,
        enforcement: bool,
    ) -> None:
        for parent_id in guardians:
            chunk.add(
                GuardianLink,
                (ids.take(GuardianLink), parent_id, teen_id, LinkStatus.ACTIVE, joined, joined, ""),
            )
        weekday_limit = 60 if enforcement else rng.choice((40, 60, 60, 90, 120))
        weekend_limit = 60 if enforcement else rng.choice((60, 90, 120, 180, None))
        limits = (weekday_limit,) * 5 + (weekend_limit,) * 2
        rules_version = rng.randrange(1, 12)
        allowed_apps = [] if enforcement else rng.sample(ALWAYS_ALLOWED, rng.randrange(0, 3))
        chunk.add(
            TeenRules,
            (
                teen_id,
                rules_version,
                joined,
                joined,
                *limits,
                [15, 5],
                wall_time(0, 0),
                True,
                rng.random() < 0.8,
                rng.sample(["gambling", "vape", "casino", "dating"], rng.randrange(0, 3)),
                "block",
                rng.sample(["example-casino.com", "bad.example", "ads.example"], 1),
                True,
                False,
                "no_one",
                False,
                "friends",
                "only_me",
                False,
                False,
                wall_time(21, 0),
                wall_time(8, 0),
                False,
            ),
        )
        for app in allowed_apps:
            chunk.add(
                AppRule,
                (ids.take(AppRule), teen_id, app_key(app), "", "always_allowed", joined, joined),
            )
        if not enforcement:
            chunk.add(
                DowntimeWindow,
                (
                    ids.take(DowntimeWindow),
                    teen_id,
                    "School nights",
                    0b0011111,
                    wall_time(21, 30),
                    wall_time(7, 0),
                    joined,
                ),
            )
            if rng.random() < 0.4:
                chunk.add(
                    DowntimeWindow,
                    (
                        ids.take(DowntimeWindow),
                        teen_id,
                        "Homework",
                        0b0011111,
                        wall_time(16, 0),
                        wall_time(17, 0),
                        joined,
                    ),
                )
        day = teen_day(now=now, tz=tz, day_start=wall_time(0, 0))
        today = day.local_date
        # Usage so far today can never exceed the time since the day began.
        elapsed_today = int((now - day.start_utc).total_seconds())
        if light:
            used = rng.randrange(0, min(20 * 60, elapsed_today // 2) + 1)
            chunk.add(TeenDay, (ids.take(TeenDay), teen_id, today, used, used, DayState.OK, now))
            return
        devices = []
        for d in range(1 if enforcement else rng.choice((1, 1, 2))):
            token, prefix, token_hash = make_token()
            device_id = ids.take(Device)
            devices.append(device_id)
            last_seen = now - timedelta(minutes=rng.randrange(1, 600))
            chunk.add(
                Device,
                (
                    device_id,
                    teen_id,
                    ("Phone", "Laptop")[d],
                    rng.choice(PLATFORMS),
                    prefix,
                    token_hash,
                    joined,
                    teen_id,
                    last_seen,
                    "",
                    last_seen,
                    # Applied the rules in force (the sweep's "not applied" finds nothing old).
                    rules_version,
                ),
            )
            result.devices += 1
            kept = SeededDevice(device_id=device_id, teen_id=teen_id, token=token)
            if enforcement:
                result.enforcement_devices.append(kept)
            elif len(result.load_devices) < keep_tokens:
                result.load_devices.append(kept)
        apps = rng.sample([app for app in APPS if app not in ALWAYS_ALLOWED], 3)
        for back in range(history_days, -1, -1):
            local_date = today - timedelta(days=back)
            limit = limits[local_date.weekday()]
            if back == 0:
                # Today: well inside the limit, so the load paths never cross it.
                counted = (
                    (limit * 60 - 30)
                    if enforcement
                    else rng.randrange(0, min(15 * 60, elapsed_today // 3) + 1)
                )
            else:
                counted = rng.randrange(10 * 60, ((limit or 150) + 10) * 60)
            uncounted = (
                0
                if enforcement
                else rng.randrange(
                    0, (min(20 * 60, elapsed_today // 3) if back == 0 else 20 * 60) + 1
                )
            )
            if back == 0:
                state = DayState.WARNED if enforcement else DayState.OK
            elif limit is not None and counted >= limit * 60:
                state = DayState.LIMIT_REACHED
            else:
                state = DayState.OK
            day_end = now if back == 0 else _local_instant(local_date, wall_time(23, 0), tz)
            chunk.add(
                TeenDay,
                (
                    ids.take(TeenDay),
                    teen_id,
                    local_date,
                    counted,
                    counted + uncounted,
                    state,
                    day_end,
                ),
            )
            shares = _split(counted, len(apps), rng)
            buckets = [
                (app, devices[i % len(devices)], seconds, True)
                for i, (app, seconds) in enumerate(zip(apps, shares, strict=True))
                if seconds
            ]
            if uncounted and allowed_apps:
                buckets.append((allowed_apps[0], devices[0], uncounted, False))
            for app, device_id, seconds, counted_flag in buckets:
                chunk.add(
                    DailyUsage,
                    (
                        ids.take(DailyUsage),
                        teen_id,
                        local_date,
                        app,
                        device_id,
                        seconds,
                        counted_flag,
                    ),
                )
            if back < event_days:
                add_events(chunk, teen_id, local_date, tz, buckets)
        for n in range(3):
            created = now - timedelta(days=n * 3 + 1)
            for recipient in (teen_id, *guardians):
                chunk.add(
                    Notification,
                    (
                        ids.take(Notification),
                        recipient,
                        NotificationKind.WARNING,
                        teen_id,
                        "15 minutes of screen time left today",
                        "",
                        "",
                        created,
                        created,
                        created + timedelta(hours=1),
                    ),
                )
        for n in range(4):
            created = joined + timedelta(days=n)
            chunk.add(
                AuditEvent,
                (
                    ids.take(AuditEvent),
                    guardians[0],
                    "",
                    teen_id,
                    "rules.screen_time" if n else "link.created",
                    "Changed the daily limit" if n else "Linked the accounts",
                    {"before": {"limit_mon": 60}, "after": {"limit_mon": weekday_limit}}
                    if n
                    else {},
                    created,
                ),
            )

    def add_events(
        chunk: _Chunk, teen_id: int, local_date: date, tz: ZoneInfo, buckets: list[tuple]
    ) -> None:
        """Per-minute reports as a device sends them: one device's minutes never overlap, and
        they end before now (by 21:00 local time on past days)."""
        day_start = _local_instant(local_date, wall_time(0, 0), tz)
        evening = _local_instant(local_date, wall_time(21, 0), tz)
        per_device: dict[int, list[tuple]] = {}
        for bucket in buckets:
            per_device.setdefault(bucket[1], []).append(bucket)
        for device_id, device_buckets in per_device.items():
            total_minutes = sum(seconds // 60 for _, _, seconds, _ in device_buckets)
            # Today's reports stop two hours ago: the benchmark's devices report the time since.
            end = min(evening, now - timedelta(hours=2))
            cursor = end - timedelta(minutes=total_minutes)
            for app, _, seconds, counted_flag in device_buckets:
                for _ in range(seconds // 60):
                    if cursor >= day_start:
                        chunk.add(
                            UsageEvent,
                            (
                                ids.take(UsageEvent),
                                device_id,
                                teen_id,
                                _uuid(rng),
                                app,
                                cursor,
                                60,
                                counted_flag,
                                cursor + timedelta(seconds=61),
                            ),
                        )
                    cursor += timedelta(minutes=1)

    for chunk_start in range(0, families, CHUNK_FAMILIES):
        chunk = _Chunk()
        for index in range(chunk_start, min(families, chunk_start + CHUNK_FAMILIES)):
            add_family(chunk, index)
        with transaction.atomic():
            for model in order:
                result.count(
                    model._meta.db_table,
                    writer.write(model, columns[model], chunk.tables.get(model, [])),
                )
        if progress is not None:
            done = min(families, chunk_start + CHUNK_FAMILIES)
            progress(f"seeded {done:,}/{families:,} families ({clock.monotonic() - started:.0f} s)")
    reset_sequences(order)
    if connection.vendor == "postgresql":
        analyze()
    result.seconds = clock.monotonic() - started
    return result


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.randrange(0, total + 1) for _ in range(parts - 1))
    bounds = [0, *cuts, total]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
