"""Booking usage in SQL: the overlap check against what the device reported before, the events
(idempotent by their client-made ids), the daily totals per app and the teen's day, all or
nothing. On PostgreSQL one statement does it all; elsewhere it takes steps in a transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from controls.models import DailyUsage, DayState, TeenDay, UsageEvent
from controls.usage.events import (
    MAX_SECONDS,
    OVERLAP_TOLERANCE,
    UsageEventIn,
    UsageRejected,
)
from controls.usage.wallclock import booking_pieces, piece_sums  # noqa: F401  (the booking API)
from controls.usage.wallclock import multirange as _multirange

STORED_OVERLAP_ERROR = (
    "Overlaps an event of the same app this device already reported: more seconds than the "
    "clock allows."
)
# PostgreSQL prepares a hot statement after this many runs on a connection.
PREPARE_AFTER = 2

# --- Booking -----------------------------------------------------------------------------------


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


@functools.lru_cache(maxsize=2)
def _reported_around_sql(postgres: bool) -> str:
    table = _qn(UsageEvent._meta.db_table)
    event_id, started, seconds, app, counted = (
        _qn(UsageEvent._meta.get_field(name).column)
        for name in ("event_id", "started_at", "seconds", "app", "counted")
    )
    # Names from the model, values bound as parameters:
    sql = (
        f"SELECT {event_id}, {started}, {seconds}, {app}, {counted} "  # noqa: S608  # nosec B608
        f"FROM {table} "
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
        rows = [(row[0], _aware(row[1]), row[2], row[3], bool(row[4])) for row in rows]
    return rows


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Stored:
    """An event the device reported before: what it covers of the clock."""

    start: datetime
    end: datetime
    app: str
    counted: bool


def stored_overlaps(
    *, device, events: Sequence[UsageEventIn]
) -> tuple[list[dict[str, list[str]]], list[Stored]]:
    """(errors for events that overlap an event of the same app this device already reported,
    the device's stored events around the batch). Retries of the same event are not overlaps:
    they are ignored as duplicates. Events of other apps may overlap (two windows visible at
    once): they count once on the clock (`wall_clock_pieces`)."""
    errors: list[dict[str, list[str]]] = [{} for _ in events]
    if not events:
        return errors, []
    ids = {event.event_id for event in events}
    first_start = min(event.started_at for event in events)
    latest = max(event.ended_at for event in events)
    stored = sorted(
        (
            Stored(started_at, started_at + timedelta(seconds=seconds), app, counted)
            for event_id, started_at, seconds, app, counted in _reported_around(
                device_id=device.pk, first_start=first_start, latest=latest
            )
            if _as_uuid(event_id) not in ids
        ),
        key=lambda item: (item.start, item.end),
    )
    for index, event in enumerate(events):
        for other in stored:
            if other.start >= event.ended_at:
                break
            if other.app.casefold() != event.app.casefold():
                continue
            overlap = min(other.end, event.ended_at) - max(other.start, event.started_at)
            if overlap > OVERLAP_TOLERANCE:
                errors[index]["started_at"] = [STORED_OVERLAP_ERROR]
                break
    return errors, stored


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
    # Only on PostgreSQL: importing that backend at the top would load it in every process,
    # SQLite ones included.
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


def book_in_steps(*, device, events, pieces, allowed_apps, now):
    """Insert the events, then add the new ones to the totals, in one transaction (three
    statements). Returns (new event ids, {local date: (counted total, state)}, {local date:
    counted seconds added})."""
    with transaction.atomic():
        new_ids = _insert_events(device=device, events=events, allowed_apps=allowed_apps, now=now)
        buckets, days = piece_sums([piece for piece in pieces if piece[0] in new_ids])
        totals: dict[date, tuple] = {}
        if buckets:
            _add_daily_usage(device=device, buckets=buckets)
            totals = _add_teen_days(teen_id=device.teen_id, days=days, now=now)
    return new_ids, totals, {local_date: counted for local_date, (counted, _) in days.items()}


@functools.lru_cache(maxsize=256)
def _booking_sql(events: int, pieces: int) -> str:
    """The PostgreSQL booking statement for a batch of `events` events split into `pieces`
    pieces (built once per shape: table and column names from the models, values bound).

    `overlapping` is `stored_overlaps` in SQL: the batch's events that overlap, by more than
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
    incoming_row = "(%s::integer, %s::timestamptz, %s::timestamptz, %s::varchar)"
    piece_row = (
        "(%s::uuid, %s::date, %s::varchar, %s::integer, %s::boolean, %s::tstzmultirange, "
        "%s::tstzmultirange)"
    )
    max_seconds, tolerance = MAX_SECONDS, OVERLAP_TOLERANCE.total_seconds()
    stored_span = f"""
        FROM {events_table} AS stored
        WHERE stored."device_id" = %s
          AND stored."started_at" > %s::timestamptz - interval '{max_seconds} seconds'
          AND stored."started_at" < %s::timestamptz
          AND stored.{event_id} <> ALL (%s::uuid[])"""
    stored_range = (
        'tstzrange(stored."started_at", stored."started_at" + stored."seconds" * '
        "interval '1 second')"
    )
    return f"""
        WITH incoming (idx, started_at, ended_at, app) AS (
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
             AND LOWER(stored."app") = LOWER(incoming.app)
            WHERE stored.{event_id} <> ALL (%s::uuid[])
              AND LEAST(stored."started_at" + stored."seconds" * interval '1 second',
                        incoming.ended_at)
                  - GREATEST(stored."started_at", incoming.started_at)
                  > interval '{tolerance} seconds'
        ),
        covered AS (
            SELECT COALESCE(range_agg({stored_range}), '{{}}'::tstzmultirange) AS all_time,
                   COALESCE(range_agg({stored_range}) FILTER (WHERE stored."counted"),
                            '{{}}'::tstzmultirange) AS counted_time
            {stored_span}
        ),
        new_events AS (
            INSERT INTO {events_table} ({columns})
            SELECT * FROM (VALUES {", ".join([event_row] * events)}) AS batch
            WHERE NOT EXISTS (SELECT 1 FROM overlapping)
            ON CONFLICT ("device_id", {event_id}) DO NOTHING
            RETURNING {event_id} AS event_id
        ),
        pieces (event_id, local_date, app, seconds, counted, left_all, left_counted) AS (
            VALUES {", ".join([piece_row] * pieces)}
        ),
        booked AS (
            SELECT pieces.event_id, pieces.local_date, pieces.app, pieces.seconds,
                   pieces.counted,
                   (SELECT COALESCE(ROUND(SUM(EXTRACT(EPOCH FROM upper(r) - lower(r)))), 0)
                    FROM unnest(pieces.left_all - covered.all_time) AS r)::integer AS wall,
                   (SELECT COALESCE(ROUND(SUM(EXTRACT(EPOCH FROM upper(r) - lower(r)))), 0)
                    FROM unnest(pieces.left_counted - covered.counted_time) AS r)::integer
                   AS wall_counted
            FROM pieces JOIN new_events USING (event_id) CROSS JOIN covered
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
            SELECT %s, local_date, SUM(wall_counted), SUM(wall), %s, %s
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
        UNION ALL
        SELECT 'added', local_date::text, SUM(wall_counted)::bigint, NULL::text FROM booked
        GROUP BY local_date
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


def book_in_one_statement(*, device, events, all_events, pieces, allowed_apps, now):
    # `events` are the batch's distinct events; `all_events` the batch as sent (errors align).
    """PostgreSQL: the overlap check and the work of `book_in_steps` in a single statement
    (data-modifying CTEs), which is atomic by itself: one round trip, no BEGIN/COMMIT, one plan
    prepared per connection. Raises UsageRejected, booking nothing, when an event overlaps one
    the device already reported. (psycopg adapts every value as is: UUIDs, aware datetimes.)"""
    params: list[Any] = []
    for index, event in enumerate(events):
        params += (index, event.started_at, event.ended_at, event.app)
    ids = [event.event_id for event in events]
    params += (device.pk, ids)
    first_start = min(event.started_at for event in events)
    latest = max(event.ended_at for event in events)
    params += (device.pk, first_start, latest, ids)
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
    for event_id, local_date, app, seconds, counted, left_all, left_counted in pieces:
        params += (
            event_id,
            local_date,
            app,
            seconds,
            counted,
            _multirange(left_all),
            _multirange(left_counted),
        )
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
    added = {date.fromisoformat(value): int(n) for kind, value, n, _ in rows if kind == "added"}
    return new_ids, totals, added
