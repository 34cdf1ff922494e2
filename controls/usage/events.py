"""Usage events as a device reports them: parsed and checked before anything is booked (pure,
but for the retention setting). Impossible input is refused with the field that is wrong: a start
in the future, more seconds than have elapsed, events of one batch that overlap."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from controls.usage.sites import is_site, site_app_normalise

MIN_SECONDS = 1
MAX_SECONDS = 3600
MAX_EVENTS_PER_BATCH = 500
APP_MAX_LENGTH = 200
# Device clocks drift: tolerate this much "future" before calling a report impossible.
CLOCK_SKEW = timedelta(seconds=60)
# Devices round their intervals; overlaps up to this are rounding, not double counting.
OVERLAP_TOLERANCE = timedelta(seconds=1)


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


# --- Validation (pure) -----------------------------------------------------------------------


def usage_retention() -> timedelta:
    return timedelta(days=settings.USAGE_RETENTION_DAYS)


def event_time_errors(event: UsageEventIn, *, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if event.started_at > now + CLOCK_SKEW:
        errors["started_at"] = ["Is in the future."]
    elif event.started_at < now - usage_retention() + CLOCK_SKEW:
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
    elif is_site(app.strip()):
        try:
            app = site_app_normalise(app.strip())
        except ValueError as error:
            errors["app"] = [str(error)]

    if errors:
        return None, errors
    event = UsageEventIn(event_id=event_id, started_at=started_at, seconds=seconds, app=app.strip())
    return event, event_time_errors(event, now=now)


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
    # Events of different apps may overlap (two windows visible at once: the quota counts the
    # clock once, see controls.usage.booking.booking_pieces); two of the same app may not.
    by_app: dict[str, list] = {}
    for index, event in enumerate(events):
        if event is not None and index not in repeats:
            by_app.setdefault(event.app.casefold(), []).append(
                (event.started_at, event.ended_at, index)
            )
    for intervals in by_app.values():
        for index in _overlapping(intervals):
            if not errors[index]:
                errors[index]["started_at"] = [
                    "Overlaps another event of the same app from this device: more seconds "
                    "than the clock allows."
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
