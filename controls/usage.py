"""Booking the usage devices report: validation, idempotency, per-day totals, retention.

A device reports events ``{id, started_at, seconds, app}``. The server is the source of truth
for time, so it books only what can be true:

- ``id`` is a client-made UUID: the pair (device, id) is unique, so a retried event is never
  counted twice (``INSERT … ON CONFLICT DO NOTHING RETURNING`` tells which ones are new, with no
  read-then-write race between two retries arriving at once).
- an event must have happened: not in the future, not longer than the time since it started,
  1–3600 seconds, not older than the retention period, and not overlapping another event from
  the same device (one device cannot be used for more seconds than the clock allows).
- an event crossing the teen's day start is split (``controls.policy.split_interval_by_day``)
  so each piece counts against the right day's quota.
- time in always-allowed apps is recorded but not counted.

Totals (``DailyUsage`` per teen, day, app and device; ``TeenDay`` per teen and day, the row the
effective policy reads) are incremented in SQL with ``INSERT … ON CONFLICT DO UPDATE SET
n = n + excluded.n``: never read-modify-write, so concurrent reports lose and double nothing.
A batch is all or nothing: one bad event → 400 with an error per event and nothing booked.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from controls.models import DailyUsage, DayState, TeenDay, UsageEvent
from controls.policy import EffectivePolicy, split_interval_by_day
from controls.policy_cache import (
    policy_after_usage,
    policy_entry_for_teen,
    usage_changed,
    usage_context,
)
from familypairing.enqueue import enqueue_on_commit

MIN_SECONDS = 1
MAX_SECONDS = 3600
MAX_EVENTS_PER_BATCH = 500
APP_MAX_LENGTH = 200
# Device clocks drift: tolerate this much "future" before calling a report impossible.
CLOCK_SKEW = timedelta(seconds=60)
# Devices round their intervals; overlaps up to this are rounding, not double counting.
OVERLAP_TOLERANCE = timedelta(seconds=1)
STORED_OVERLAP_ERROR = (
    "Overlaps an event this device already reported: more seconds than the clock allows."
)
# PostgreSQL prepares a hot statement after this many runs on a connection.
PREPARE_AFTER = 2


class UsageRejected(Exception):
    """The batch cannot be booked. `events` is aligned with the input (an empty dict for a good
    event); `errors` holds errors about the body as a whole."""

    def __init__(
        self,
        detail: str,
        *,
        events: list[dict[str, list[str]]] | None = None,
        errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.events = events
        self.errors = errors or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail, **self.errors}
        if self.events is not None:
            body["events"] = self.events
        return body


@dataclass(frozen=True)
class UsageEventIn:
    event_id: uuid.UUID
    started_at: datetime
    seconds: int
    app: str = ""

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.seconds)


@dataclass
class UsageResult:
    booked: list[uuid.UUID] = field(default_factory=list)
    ignored: list[uuid.UUID] = field(default_factory=list)
    # local date -> (counted seconds added, the day's counted total after this booking, state)
    days: dict[date, tuple[int, int, str]] = field(default_factory=dict)
    policy: EffectivePolicy | None = None
    enforcement_queued: bool = False


# --- Validation (pure) -----------------------------------------------------------------------


def _retention() -> timedelta:
    return timedelta(days=settings.USAGE_RETENTION_DAYS)


def _time_errors(event: UsageEventIn, *, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if event.started_at > now + CLOCK_SKEW:
        errors["started_at"] = ["Is in the future."]
    elif event.started_at < now - _retention() + CLOCK_SKEW:
        # (The skew margin keeps a retry of a purged event from being booked again.)
        errors["started_at"] = [
            f"Is older than the {settings.USAGE_RETENTION_DAYS}-day retention period."
        ]
    elif event.ended_at > now + CLOCK_SKEW:
        errors["seconds"] = ["More seconds than have passed since started_at."]
    return errors


def _parse_one(raw: Any, *, now: datetime) -> tuple[UsageEventIn | None, dict[str, list[str]]]:
    if not isinstance(raw, dict):
        return None, {"non_field_errors": ["Each event must be an object."]}
    errors: dict[str, list[str]] = {}
    event_id = None
    raw_id = raw.get("id")
    if raw_id is None:
        errors["id"] = ["This field is required (a UUID the device makes up)."]
    else:
        try:
            event_id = uuid.UUID(raw_id) if isinstance(raw_id, str) else None
        except ValueError:
            event_id = None
        if event_id is None:
            errors["id"] = ["Must be a UUID."]

    started_at = None
    raw_start = raw.get("started_at")
    if raw_start is None:
        errors["started_at"] = ["This field is required."]
    else:
        try:
            started_at = parse_datetime(raw_start) if isinstance(raw_start, str) else None
        except ValueError:
            started_at = None
        if started_at is None:
            errors["started_at"] = ["Must be an ISO 8601 date and time, e.g. 2026-05-04T18:02:00Z."]
        elif timezone.is_naive(started_at):
            errors["started_at"] = ["Must include a time zone offset, e.g. Z or +02:00."]
            started_at = None

    seconds = raw.get("seconds")
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not MIN_SECONDS <= seconds <= MAX_SECONDS
    ):
        errors["seconds"] = [f"Must be a whole number from {MIN_SECONDS} to {MAX_SECONDS}."]

    app = raw.get("app", "")
    if app is None:
        app = ""
    if not isinstance(app, str):
        errors["app"] = ["Must be a string (the app's identifier)."]
    elif len(app.strip()) > APP_MAX_LENGTH:
        errors["app"] = [f"At most {APP_MAX_LENGTH} characters."]
    elif any(ord(char) < 32 or ord(char) == 127 for char in app):
        errors["app"] = ["Must not contain control characters."]

    if errors:
        return None, errors
    event = UsageEventIn(event_id=event_id, started_at=started_at, seconds=seconds, app=app.strip())
    return event, _time_errors(event, now=now)


def usage_events_parse(payload: Any, *, now: datetime | None = None) -> list[UsageEventIn]:
    """Turn a request body ``{"events": [...]}`` into events, or raise UsageRejected with an
    error per event. Checks everything that needs no database."""
    now = now or timezone.now()
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise UsageRejected(
            "Send a JSON object with a list of events.",
            errors={"events": ['Expected {"events": [{"id", "started_at", "seconds", "app"}]}.']},
        )
    raw_events = payload["events"]
    if len(raw_events) > MAX_EVENTS_PER_BATCH:
        raise UsageRejected(
            "Too many events in one request.",
            errors={"events": [f"At most {MAX_EVENTS_PER_BATCH} events per request."]},
        )
    events: list[UsageEventIn | None] = []
    errors: list[dict[str, list[str]]] = []
    for raw in raw_events:
        event, event_errors = _parse_one(raw, now=now)
        events.append(None if event_errors else event)  # only sound events are compared
        errors.append(event_errors)
    _check_within_batch(events, errors)
    if any(errors):
        raise UsageRejected("Some events are invalid; nothing was booked.", events=errors)
    return [event for event in events if event is not None]


def _check_within_batch(
    events: Sequence[UsageEventIn | None], errors: list[dict[str, list[str]]]
) -> None:
    seen: dict[uuid.UUID, UsageEventIn] = {}
    repeats: set[int] = set()  # a second copy of an event (a retry inside the batch)
    for index, event in enumerate(events):
        if event is None:
            continue
        first = seen.setdefault(event.event_id, event)
        if first is event:
            continue
        repeats.add(index)
        if first != event:
            errors[index].setdefault("id", []).append(
                "Used twice in this batch for different events."
            )
    for index in _overlapping(
        [
            (event.started_at, event.ended_at, index)
            for index, event in enumerate(events)
            if event is not None and index not in repeats
        ]
    ):
        if not errors[index]:
            errors[index]["started_at"] = [
                "Overlaps another event from this device: more seconds than the clock allows."
            ]


def _overlapping(intervals: Iterable[tuple[datetime, datetime, Any]]) -> list[Any]:
    """Labels of intervals that overlap an earlier-starting one by more than the tolerance."""
    found = []
    latest_end: datetime | None = None
    for start, end, label in sorted(intervals, key=lambda item: (item[0], item[1])):
        if latest_end is not None and start < latest_end - OVERLAP_TOLERANCE:
            found.append(label)
        latest_end = end if latest_end is None else max(latest_end, end)
    return found


# --- Booking -----------------------------------------------------------------------------------


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


@functools.lru_cache(maxsize=2)
def _reported_around_sql(postgres: bool) -> str:
    table = _qn(UsageEvent._meta.db_table)
    event_id, started, seconds = (
        _qn(UsageEvent._meta.get_field(name).column)
        for name in ("event_id", "started_at", "seconds")
    )
    # Names from the model, values bound as parameters:
    sql = (
        f"SELECT {event_id}, {started}, {seconds} FROM {table} "  # noqa: S608  # nosec B608
        f"WHERE {_qn('device_id')} = %s AND {started} > %s AND {started} < %s"
    )
    if postgres:
        sql += f" AND {started} + {seconds} * interval '1 second' > %s"
    return sql


def _reported_around(*, device_id: int, first_start: datetime, latest: datetime) -> list[tuple]:
    """(event id, started_at, seconds) of the device's events that may overlap the span
    [first_start, latest]: those starting within the longest event before it and before its
    end. On PostgreSQL the database also drops those that ended before the span began (a device
    reporting every minute has an hour of them in that range). Plain SQL: building this query
    with the ORM cost more than the rest of a report (issue 8)."""
    postgres = connection.vendor == "postgresql"
    sql = _reported_around_sql(postgres)
    field = UsageEvent._meta.get_field("started_at")
    params = [
        device_id,
        field.get_db_prep_value(first_start - timedelta(seconds=MAX_SECONDS), connection),
        field.get_db_prep_value(latest, connection),
    ]
    if postgres:
        params.append(first_start + OVERLAP_TOLERANCE)
    with _prepared_cursor() if postgres else connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not postgres:  # SQLite hands back naive UTC (or text)
        rows = [(row[0], _aware(row[1]), row[2]) for row in rows]
    return rows


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _stored_overlaps(*, device, events: Sequence[UsageEventIn]) -> list[dict[str, list[str]]]:
    """Errors for events that overlap events this device already reported (retries of the same
    event are not overlaps: they are ignored as duplicates)."""
    errors: list[dict[str, list[str]]] = [{} for _ in events]
    if not events:
        return errors
    ids = {event.event_id for event in events}
    first_start = min(event.started_at for event in events)
    latest = max(event.ended_at for event in events)
    stored = [
        (started_at, started_at + timedelta(seconds=seconds), None)
        for event_id, started_at, seconds in _reported_around(
            device_id=device.pk, first_start=first_start, latest=latest
        )
        if _as_uuid(event_id) not in ids
    ]
    if not stored:
        return errors
    # Compare each new event with the stored ones only (new ones were checked among themselves).
    stored.sort()
    for index, event in enumerate(events):
        for start, end, _ in stored:
            if start >= event.ended_at:
                break
            overlap = min(end, event.ended_at) - max(start, event.started_at)
            if overlap > OVERLAP_TOLERANCE:
                errors[index]["started_at"] = [STORED_OVERLAP_ERROR]
                break
    return errors


def _prepared_cursor():
    """PostgreSQL: a cursor whose statements are prepared on the server (planned once per
    connection, not once per report: planning the booking statement cost as much as running it,
    issue 8). Wrapped like any Django cursor, so the statements are logged and counted."""
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns automatic preparing off; only server-binding cursors (these) prepare.
        raw.prepare_threshold = PREPARE_AFTER
    cursor = _server_binding_cursor()(raw)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


@functools.cache
def _server_binding_cursor():
    from django.db.backends.postgresql.base import ServerBindingCursor

    return ServerBindingCursor


def _qn(name: str) -> str:
    return _quote(connection.vendor, name)


@functools.lru_cache(maxsize=512)
def _quote(vendor: str, name: str) -> str:
    return connection.ops.quote_name(name)


def _upsert(
    model,
    *,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    conflict: Sequence[str],
    add: Sequence[str] = (),
    replace: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """``INSERT … ON CONFLICT`` for PostgreSQL and SQLite alike: on a conflict, the `add` columns
    are incremented by the new row's values in SQL and the `replace` columns overwritten; with
    neither, the row is skipped. Returns the `returning` columns of the rows written.

    The statement is built from model metadata and ``%s`` placeholders only: every value is a
    query parameter."""
    fields = [model._meta.get_field(name) for name in names]
    params: list[Any] = []
    for row in rows:
        params += [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
    table = _qn(model._meta.db_table)
    column = {name: _qn(model._meta.get_field(name).column) for name in {*names, *returning}}
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    updates = [f"{column[n]} = {table}.{column[n]} + excluded.{column[n]}" for n in add]
    updates += [f"{column[n]} = excluded.{column[n]}" for n in replace]
    sql = [
        "INSERT INTO",
        table,
        "(" + ", ".join(column[name] for name in names) + ")",
        "VALUES",
        ", ".join([placeholders] * len(rows)),
        "ON CONFLICT (" + ", ".join(_qn(name) for name in conflict) + ")",
        "DO UPDATE SET" if updates else "DO NOTHING",
        ", ".join(updates),
    ]
    if returning:
        sql.append("RETURNING " + ", ".join(column[name] for name in returning))
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        return cursor.fetchall() if returning else []


def _insert_events(*, device, events: Sequence[UsageEventIn], allowed_apps: set[str], now):
    """Insert the events; returns the ids that were new (others were booked before)."""
    rows = [
        (
            device.pk,
            device.teen_id,
            event.event_id,
            event.app,
            event.started_at,
            event.seconds,
            event.app.casefold() not in allowed_apps,
            now,
        )
        # One lock order for every batch, so two batches sharing events cannot deadlock.
        for event in sorted(events, key=lambda e: e.event_id)
    ]
    written = _upsert(
        UsageEvent,
        names=(
            "device",
            "teen",
            "event_id",
            "app",
            "started_at",
            "seconds",
            "counted",
            "received_at",
        ),
        rows=rows,
        conflict=("device_id", "event_id"),
        returning=("event_id",),
    )
    return {uuid.UUID(str(row[0])) for row in written}


def _add_daily_usage(*, device, buckets: dict[tuple[date, str], list]) -> None:
    _upsert(
        DailyUsage,
        names=("teen", "local_date", "app", "device", "seconds", "counted"),
        rows=[
            (device.teen_id, local_date, app, device.pk, seconds, counted)
            for (local_date, app), (seconds, counted) in sorted(buckets.items())
        ],
        conflict=("teen_id", "local_date", "app", "device_id"),
        add=("seconds",),
        replace=("counted",),
    )


def _add_teen_days(*, teen_id: int, days: dict[date, list[int]], now) -> dict[date, tuple]:
    """Add (counted, total) seconds per local date; returns each day's counted total and state
    after this booking, as the database computed them."""
    written = _upsert(
        TeenDay,
        names=("teen", "local_date", "counted_seconds", "total_seconds", "state", "updated_at"),
        rows=[
            (teen_id, local_date, counted, total, DayState.OK, now)
            for local_date, (counted, total) in sorted(days.items())
        ],
        conflict=("teen_id", "local_date"),
        add=("counted_seconds", "total_seconds"),
        replace=("updated_at",),
        returning=("local_date", "counted_seconds", "state"),
    )
    return {
        (row[0] if isinstance(row[0], date) else date.fromisoformat(row[0])): (row[1], row[2])
        for row in written
    }


def _expected_state(*, limit_seconds: int, counted: int, warning_minutes: Iterable[int]) -> str:
    left = limit_seconds - counted
    if left <= 0:
        return DayState.LIMIT_REACHED
    if any(left <= minutes * 60 for minutes in warning_minutes):
        return DayState.WARNED
    return DayState.OK


def enforcement_due(
    *, policy: EffectivePolicy, warning_minutes: Iterable[int], added: int, after: int, state: str
) -> bool:
    """Whether a booking that added `added` counted seconds to today (reaching `after`) crossed a
    warning threshold or the limit, or left the day's state behind what is true now."""
    if policy.limit_seconds is None or added <= 0:
        return False
    warning_minutes = [m for m in warning_minutes if isinstance(m, int) and m > 0]
    limit = policy.limit_seconds
    before_left, after_left = limit - (after - added), limit - after
    thresholds = {0, *(m * 60 for m in warning_minutes)}
    crossed = any(before_left > t >= after_left for t in thresholds)
    expected = _expected_state(limit_seconds=limit, counted=after, warning_minutes=warning_minutes)
    return crossed or expected != state


def _pieces(*, events, teen, inputs) -> list[tuple[uuid.UUID, date, str, int, bool]]:
    """Each event split at the teen's day start: (event id, local date, app, seconds, counted)."""
    pieces = []
    for event in events:
        counted = event.app.casefold() not in inputs.always_allowed_apps
        for local_date, _start, seconds in split_interval_by_day(
            start=event.started_at, seconds=event.seconds, tz=teen.tz, day_start=inputs.day_start
        ):
            pieces.append((event.event_id, local_date, event.app, seconds, counted))
    return pieces


def _sums(pieces) -> tuple[dict[tuple[date, str], list], dict[date, list[int]]]:
    """(seconds and counted per day and app, [counted, total] seconds per day)."""
    buckets: dict[tuple[date, str], list] = {}
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for _event_id, local_date, app, seconds, counted in pieces:
        bucket = buckets.setdefault((local_date, app), [0, counted])
        bucket[0] += seconds
        days[local_date][1] += seconds
        if counted:
            days[local_date][0] += seconds
    return buckets, days


def _book_in_steps(*, device, events, pieces, allowed_apps, now):
    """Insert the events, then add the new ones to the totals, in one transaction (three
    statements). Returns (new event ids, {local date: (counted total, state)})."""
    with transaction.atomic():
        new_ids = _insert_events(device=device, events=events, allowed_apps=allowed_apps, now=now)
        buckets, days = _sums([piece for piece in pieces if piece[0] in new_ids])
        totals: dict[date, tuple] = {}
        if buckets:
            _add_daily_usage(device=device, buckets=buckets)
            totals = _add_teen_days(teen_id=device.teen_id, days=days, now=now)
    return new_ids, totals


@functools.lru_cache(maxsize=256)
def _booking_sql(events: int, pieces: int) -> str:
    """The PostgreSQL booking statement for a batch of `events` events split into `pieces`
    pieces (built once per shape: table and column names from the models, values bound).

    `overlapping` is `_stored_overlaps` in SQL: the batch's events that overlap, by more than
    the tolerance, an event this device already reported (other than a retry of one of them);
    if there is any, nothing is inserted, so nothing is booked and the caller rejects the batch.
    """
    events_table = _qn(UsageEvent._meta.db_table)
    daily_table = _qn(DailyUsage._meta.db_table)
    days_table = _qn(TeenDay._meta.db_table)
    columns = ", ".join(_qn(UsageEvent._meta.get_field(name).column) for name in _EVENT_FIELDS)
    event_id = _qn(UsageEvent._meta.get_field("event_id").column)
    event_row = (
        "(%s::bigint, %s::bigint, %s::uuid, %s::varchar, %s::timestamptz, %s::integer, "
        "%s::boolean, %s::timestamptz)"
    )
    incoming_row = "(%s::integer, %s::timestamptz, %s::timestamptz)"
    piece_row = "(%s::uuid, %s::date, %s::varchar, %s::integer, %s::boolean)"
    max_seconds, tolerance = MAX_SECONDS, OVERLAP_TOLERANCE.total_seconds()
    return f"""
        WITH incoming (idx, started_at, ended_at) AS (
            VALUES {", ".join([incoming_row] * events)}
        ),
        overlapping AS (
            SELECT DISTINCT incoming.idx FROM incoming
            JOIN {events_table} AS stored
              ON stored."device_id" = %s
             AND stored."started_at" > incoming.started_at - interval '{max_seconds} seconds'
             AND stored."started_at" < incoming.ended_at
             AND stored."started_at" + stored."seconds" * interval '1 second'
                 > incoming.started_at + interval '{tolerance} seconds'
            WHERE stored.{event_id} <> ALL (%s::uuid[])
              AND LEAST(stored."started_at" + stored."seconds" * interval '1 second',
                        incoming.ended_at)
                  - GREATEST(stored."started_at", incoming.started_at)
                  > interval '{tolerance} seconds'
        ),
        new_events AS (
            INSERT INTO {events_table} ({columns})
            SELECT * FROM (VALUES {", ".join([event_row] * events)}) AS batch
            WHERE NOT EXISTS (SELECT 1 FROM overlapping)
            ON CONFLICT ("device_id", {event_id}) DO NOTHING
            RETURNING {event_id} AS event_id
        ),
        pieces (event_id, local_date, app, seconds, counted) AS (
            VALUES {", ".join([piece_row] * pieces)}
        ),
        booked AS (
            SELECT pieces.* FROM pieces JOIN new_events USING (event_id)
        ),
        daily AS (
            INSERT INTO {daily_table} ("teen_id", "local_date", "app", "device_id", "seconds",
                                       "counted")
            SELECT %s, local_date, app, %s, SUM(seconds), BOOL_AND(counted) FROM booked
            GROUP BY local_date, app ORDER BY local_date, app
            ON CONFLICT ("teen_id", "local_date", "app", "device_id") DO UPDATE SET
                "seconds" = {daily_table}."seconds" + excluded."seconds",
                "counted" = excluded."counted"
        ),
        days AS (
            INSERT INTO {days_table} ("teen_id", "local_date", "counted_seconds",
                                      "total_seconds", "state", "updated_at")
            SELECT %s, local_date, SUM(CASE WHEN counted THEN seconds ELSE 0 END),
                   SUM(seconds), %s, %s
            FROM booked GROUP BY local_date ORDER BY local_date
            ON CONFLICT ("teen_id", "local_date") DO UPDATE SET
                "counted_seconds" = {days_table}."counted_seconds" + excluded."counted_seconds",
                "total_seconds" = {days_table}."total_seconds" + excluded."total_seconds",
                "updated_at" = excluded."updated_at"
            RETURNING "local_date", "counted_seconds", "state"
        )
        SELECT 'overlap', idx::text, NULL::bigint, NULL::text FROM overlapping
        UNION ALL
        SELECT 'event', event_id::text, NULL::bigint, NULL::text FROM new_events
        UNION ALL
        SELECT 'day', local_date::text, counted_seconds::bigint, state FROM days
    """  # noqa: S608  # nosec B608 - table and column names from the models, values bound


_EVENT_FIELDS = (
    "device",
    "teen",
    "event_id",
    "app",
    "started_at",
    "seconds",
    "counted",
    "received_at",
)


def _book_in_one_statement(*, device, events, all_events, pieces, allowed_apps, now):
    # `events` are the batch's distinct events; `all_events` the batch as sent (errors align).
    """PostgreSQL: the overlap check and the work of `_book_in_steps` in a single statement
    (data-modifying CTEs), which is atomic by itself: one round trip, no BEGIN/COMMIT, one plan
    prepared per connection. Raises UsageRejected, booking nothing, when an event overlaps one
    the device already reported. (psycopg adapts every value as is: UUIDs, aware datetimes.)"""
    params: list[Any] = []
    for index, event in enumerate(events):
        params += (index, event.started_at, event.ended_at)
    params += (device.pk, [event.event_id for event in events])
    for event in sorted(events, key=lambda e: e.event_id):  # one lock order for every batch
        params += (
            device.pk,
            device.teen_id,
            event.event_id,
            event.app,
            event.started_at,
            event.seconds,
            event.app.casefold() not in allowed_apps,
            now,
        )
    for piece in pieces:
        params += piece
    params += (device.teen_id, device.pk, device.teen_id, DayState.OK, now)
    with _prepared_cursor() as cursor:
        cursor.execute(_booking_sql(len(events), len(pieces)), params)
        rows = cursor.fetchall()
    overlapping = {events[int(value)].event_id for kind, value, _, _ in rows if kind == "overlap"}
    if overlapping:
        raise UsageRejected(
            "Some events are invalid; nothing was booked.",
            events=[
                {"started_at": [STORED_OVERLAP_ERROR]} if event.event_id in overlapping else {}
                for event in all_events
            ],
        )
    new_ids = {uuid.UUID(value) for kind, value, _, _ in rows if kind == "event"}
    totals = {
        date.fromisoformat(value): (counted, state)
        for kind, value, counted, state in rows
        if kind == "day"
    }
    return new_ids, totals


def usage_record_batch(
    *,
    device,
    events: Sequence[UsageEventIn],
    now: datetime | None = None,
    cached: dict | None = None,
) -> UsageResult:
    """Book a device's events for its teen (all or nothing), then answer with the effective
    policy; enqueue the enforcement task (after commit) when a threshold was crossed.

    The hot path of the device API (issue 8): the teen's rules come from the policy cache, the
    day's new total from the booking itself, so on PostgreSQL a report costs one query (the
    overlap check and the booking in one statement); on SQLite, the check then a transaction.
    `cached`: the `usage_context_keys` entries, when the device API fetched them already."""
    now = now or timezone.now()
    teen = device.teen
    postgres = connection.vendor == "postgresql"
    errors = [_time_errors(event, now=now) for event in events]
    if not any(errors) and not postgres:  # (on PostgreSQL the booking statement checks)
        errors = _stored_overlaps(device=device, events=events)
    if any(errors):
        raise UsageRejected("Some events are invalid; nothing was booked.", events=errors)

    unique: dict[uuid.UUID, UsageEventIn] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    result = UsageResult()
    context = usage_context(teen=teen, now=now, found=cached)
    inputs = context.inputs
    if unique:
        pieces = _pieces(events=unique.values(), teen=teen, inputs=inputs)
        if postgres:
            new_ids, totals = _book_in_one_statement(
                device=device,
                events=list(unique.values()),
                all_events=events,
                pieces=pieces,
                allowed_apps=inputs.always_allowed_apps,
                now=now,
            )
        else:
            new_ids, totals = _book_in_steps(
                device=device,
                events=list(unique.values()),
                pieces=pieces,
                allowed_apps=inputs.always_allowed_apps,
                now=now,
            )
        if totals:
            usage_changed(teen_id=teen.pk)
            added = _sums([piece for piece in pieces if piece[0] in new_ids])[1]
            result.days = {
                local_date: (added[local_date][0], *totals[local_date]) for local_date in totals
            }
        result.booked = [e for e in unique if e in new_ids]
        result.ignored = [e for e in unique if e not in new_ids]

    today = result.days.get(context.local_date)
    if today is not None:
        policy = policy_after_usage(teen=teen, context=context, used_seconds=today[1], now=now)
    else:
        policy = policy_entry_for_teen(teen=teen, now=now).policy
    result.policy = policy
    if today is not None and enforcement_due(
        policy=policy,
        warning_minutes=inputs.warning_minutes,
        added=today[0],
        after=today[1],
        state=today[2],
    ):
        from controls.tasks import teen_day_enforce

        enqueue_on_commit(teen_day_enforce, teen.pk)
        result.enforcement_queued = True
    return result


def usage_record(
    *,
    device,
    seconds: int,
    event_id: uuid.UUID,
    started_at: datetime | None = None,
    app: str = "",
    now: datetime | None = None,
) -> UsageResult:
    """Book one event (``started_at`` defaults to `seconds` ago)."""
    now = now or timezone.now()
    event = UsageEventIn(
        event_id=event_id,
        started_at=started_at or now - timedelta(seconds=seconds),
        seconds=seconds,
        app=app.strip(),
    )
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise UsageRejected(
            "Some events are invalid; nothing was booked.",
            events=[{"seconds": [f"Must be a whole number from {MIN_SECONDS} to {MAX_SECONDS}."]}],
        )
    return usage_record_batch(device=device, events=[event], now=now)


# --- Retention -------------------------------------------------------------------------------


def usage_purge_old(*, now: datetime | None = None) -> int:
    """Delete usage events received more than USAGE_RETENTION_DAYS ago; daily totals stay.
    Returns how many were deleted. (Reports older than that are refused at booking, so a retry of
    a purged event cannot be counted again.)"""
    cutoff = (now or timezone.now()) - _retention()
    deleted, _ = UsageEvent.objects.filter(received_at__lt=cutoff).delete()
    return deleted
