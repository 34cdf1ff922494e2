"""More time: a teen's requests, a guardian's answer, and grants given unasked.

Rules kept here (not in forms or views), so the pages, the API, the e-mail links and the device
endpoint all behave alike:

- a teen asks for 15, 30 or 60 minutes or "the rest of today", with an optional reason;
- one open request at a time; after a denial the teen waits
  (``TIME_REQUEST_WAIT_AFTER_DENIAL_MINUTES``) before asking again;
- the first guardian to answer wins, even when two answer in the same instant (a conditional
  UPDATE decides); the others are told who answered;
- an approval is a ``DayGrant`` for the teen's day, which the effective policy counts at once;
- an unanswered request lapses when the teen's day ends (``time_requests_lapse_due``);
- every step is audited and notified.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.selectors import guardians_for_teen, is_guardian_of
from controls.audit import audit_record
from controls.days import LocalDay
from controls.effective.cache import requests_changed
from controls.effective.selectors import teen_day_of, teen_today
from controls.models import (
    DayGrant,
    Notification,
    NotificationKind,
    TimeRequest,
    TimeRequestStatus,
)
from controls.notifications.services import notify
from controls.time_requests.tasks import time_request_send_email
from controls.wording import clock, minutes_spoken
from familypairing.enqueue import enqueue_on_commit

REQUEST_MINUTES = (15, 30, 60)
REASON_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 500
GRANT_MAX_MINUTES = 1440


def time_request_day(*, time_request: TimeRequest) -> LocalDay:
    """The teen day a request was made for; the request lapses when it ends."""
    return teen_day_of(teen=time_request.teen, local_date=time_request.local_date)


def _request_link(time_request: TimeRequest) -> str:
    return f"/requests/{time_request.pk}/"


def asked_dedupe_key(time_request_id: int) -> str:
    """The dedupe key of a guardian's "more time requested" notification; the notification
    centre reads the request id back from it to offer Approve / Deny in place."""
    return f"time_request:{time_request_id}"


def _request_summary(time_request: TimeRequest) -> dict:
    return {
        "id": time_request.pk,
        "minutes": time_request.minutes,
        "reason": time_request.reason,
        "status": time_request.status,
        "local_date": time_request.local_date.isoformat(),
    }


# --------------------------------------------------------------------------------------------
# Asking
# --------------------------------------------------------------------------------------------


def time_request_wait_until(*, teen, now: datetime | None = None) -> datetime | None:
    """When the teen may ask again after a denial (None: no wait now)."""
    wait = timedelta(minutes=settings.TIME_REQUEST_WAIT_AFTER_DENIAL_MINUTES)
    if not wait:
        return None
    now = now or timezone.now()
    last_denial = (
        TimeRequest.objects.filter(
            teen=teen, status=TimeRequestStatus.DENIED, answered_at__gt=now - wait
        )
        .order_by("-answered_at")
        .values_list("answered_at", flat=True)
        .first()
    )
    return last_denial + wait if last_denial else None


def time_request_create(
    *,
    teen,
    minutes: int | None,
    reason: str = "",
    device=None,
    now: datetime | None = None,
) -> TimeRequest:
    """A teen asks for more time today. Raises ValidationError (field-named) for bad input, an
    open request, or while the teen must wait after a denial. Every guardian is notified in the
    app and by e-mail with one-tap Approve / Deny links."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if minutes is not None and minutes not in REQUEST_MINUTES:
        errors["minutes"] = "Choose 15, 30 or 60 minutes, or the rest of today."
    if len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = f"Keep the reason to {REASON_MAX_LENGTH} characters or fewer."
    if errors:
        raise ValidationError(errors)
    if not teen.is_teen:
        raise ValidationError({"teen": "Only a teen can ask for more time."})
    guardians = list(guardians_for_teen(teen=teen))
    if not guardians:
        raise ValidationError(
            {"request": "You have no linked parent or guardian to ask, so there is no limit."}
        )
    if device is not None and device.teen_id != teen.pk:
        raise ValidationError({"device": "This device belongs to someone else."})

    day = teen_today(teen=teen, now=now)
    # A request left open from an earlier day lapses now rather than blocking this one.
    stale = TimeRequest.objects.filter(
        teen=teen, status=TimeRequestStatus.PENDING, local_date__lt=day.local_date
    ).values_list("pk", flat=True)
    for stale_id in list(stale):
        time_request_lapse(time_request_id=stale_id, now=now)

    with transaction.atomic():
        if TimeRequest.objects.filter(teen=teen, status=TimeRequestStatus.PENDING).exists():
            raise ValidationError(
                {"request": "You already asked; wait for an answer before asking again."},
                code="already_pending",
            )
        wait_until = time_request_wait_until(teen=teen, now=now)
        if wait_until is not None:
            raise ValidationError(
                {
                    "request": ValidationError(
                        "Your last request was declined. You can ask again at %(at)s.",
                        code="wait_after_denial",
                        params={"at": clock(wait_until, teen.tz)},
                    )
                }
            )
        try:
            with transaction.atomic():
                time_request = TimeRequest.objects.create(
                    teen=teen,
                    device=device,
                    local_date=day.local_date,
                    minutes=minutes,
                    reason=reason,
                    created_at=now,
                )
        except IntegrityError:  # another request won a race for the one pending slot
            raise ValidationError(
                {"request": "You already asked; wait for an answer before asking again."},
                code="already_pending",
            ) from None

        label = minutes_spoken(minutes)
        audit_record(
            actor=teen,
            teen=teen,
            action="time_request.created",
            summary=f"{teen.display_name} asked for {label}"
            + (f" on {device.name}" if device is not None else "")
            + (f": “{reason}”" if reason else ""),
            extra={"time_request": _request_summary(time_request)},
        )
        for guardian in guardians:
            notification = notify(
                recipient=guardian,
                kind=NotificationKind.TIME_REQUESTED,
                title=f"{teen.display_name} asks for {label} more today",
                body=f"Reason: {reason}" if reason else "No reason given.",
                link=_request_link(time_request),
                teen=teen,
                dedupe_key=asked_dedupe_key(time_request.pk),
                now=now,
                # Its e-mail carries signed Approve / Deny buttons, so it has its own task.
                queue_email=False,
            )
            if notification is not None and notification.deliver_at <= now:
                enqueue_on_commit(time_request_send_email, notification.pk, time_request.pk)
    return time_request


# --------------------------------------------------------------------------------------------
# Answering
# --------------------------------------------------------------------------------------------


def time_request_closed_message(time_request: TimeRequest, *, viewer) -> str:
    if time_request.status == TimeRequestStatus.LAPSED:
        return "This request lapsed at the end of the teen's day; nobody can answer it now."
    who = time_request.answered_by
    name = (
        "you"
        if who is not None and who.pk == viewer.pk
        else (who.display_name if who is not None else "another guardian")
    )
    verb = "approved" if time_request.status == TimeRequestStatus.APPROVED else "declined"
    when = clock(time_request.answered_at, viewer.tz) if time_request.answered_at else ""
    return f"Already {verb} by {name}" + (f" at {when}" if when else "") + "."


def _check_answerable(*, time_request: TimeRequest, guardian, now: datetime) -> None:
    """Only the teen's guardians answer, and only while the request's day lasts: a request
    from a day that has ended lapses instead (committed before the refusal is raised)."""
    if not is_guardian_of(guardian=guardian, teen=time_request.teen):
        raise ValidationError({"request": "Only the teen's guardians can answer this request."})
    if (
        time_request.status == TimeRequestStatus.PENDING
        and time_request_day(time_request=time_request).end_utc <= now
    ):
        time_request_lapse(time_request_id=time_request.pk, now=now)
        time_request.refresh_from_db()
        raise ValidationError(
            {"request": time_request_closed_message(time_request, viewer=guardian)}
        )


def time_request_approve(
    *,
    time_request: TimeRequest,
    guardian,
    minutes: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> DayGrant:
    """Approve (first answer wins) and grant the time for the teen's day. `minutes` lets the
    guardian give less or more than asked (15/30/60); by default what the teen asked for."""
    now = now or timezone.now()
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX_LENGTH} characters or fewer."})
    if minutes is not None and not 1 <= minutes <= GRANT_MAX_MINUTES:
        raise ValidationError({"minutes": "Give between 1 minute and a whole day."})
    teen = time_request.teen
    _check_answerable(time_request=time_request, guardian=guardian, now=now)
    granted = time_request.minutes if minutes is None else minutes
    with transaction.atomic():
        _claim_answer(
            time_request=time_request,
            guardian=guardian,
            status=TimeRequestStatus.APPROVED,
            note=note,
            now=now,
        )
        grant = DayGrant.objects.create(
            teen=teen,
            local_date=time_request.local_date,
            bonus_minutes=granted or 0,
            no_limit=granted is None,
            granted_by=guardian,
            time_request=time_request,
            created_at=now,
        )
        label = minutes_spoken(granted)
        audit_record(
            actor=guardian,
            teen=teen,
            action="time_request.approved",
            summary=f"{guardian.display_name} approved {teen.display_name}'s request: "
            f"{label} more"
            + (" today" if granted is not None else "")
            + (f" (asked for {minutes_spoken(time_request.minutes)})" if minutes else ""),
            before={"status": TimeRequestStatus.PENDING},
            after={"status": TimeRequestStatus.APPROVED, "granted_minutes": granted},
            extra={"time_request": _request_summary(time_request), "note": note},
        )
        _tell_about_answer(time_request=time_request, guardian=guardian, granted=granted, now=now)
    return grant


def time_request_deny(
    *, time_request: TimeRequest, guardian, note: str = "", now: datetime | None = None
) -> TimeRequest:
    """Decline (first answer wins) with an optional note the teen sees."""
    now = now or timezone.now()
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX_LENGTH} characters or fewer."})
    teen = time_request.teen
    _check_answerable(time_request=time_request, guardian=guardian, now=now)
    with transaction.atomic():
        _claim_answer(
            time_request=time_request,
            guardian=guardian,
            status=TimeRequestStatus.DENIED,
            note=note,
            now=now,
        )
        audit_record(
            actor=guardian,
            teen=teen,
            action="time_request.denied",
            summary=f"{guardian.display_name} declined {teen.display_name}'s request for "
            f"{minutes_spoken(time_request.minutes)}" + (f": “{note}”" if note else ""),
            before={"status": TimeRequestStatus.PENDING},
            after={"status": TimeRequestStatus.DENIED},
            extra={"time_request": _request_summary(time_request), "note": note},
        )
        _tell_about_answer(time_request=time_request, guardian=guardian, granted=None, now=now)
    return time_request


def _claim_answer(
    *, time_request: TimeRequest, guardian, status: str, note: str, now: datetime
) -> None:
    """The first answer wins: one conditional UPDATE, so of two guardians answering at once
    exactly one changes the row; the other is told who answered."""
    claimed = TimeRequest.objects.filter(
        pk=time_request.pk, status=TimeRequestStatus.PENDING
    ).update(status=status, answered_by=guardian, answered_at=now, note=note)
    time_request.refresh_from_db()
    if claimed:  # the teen's devices hear the answer through the change channel
        requests_changed(teen_id=time_request.teen_id)
    if not claimed:
        raise ValidationError(
            {
                "request": ValidationError(
                    time_request_closed_message(time_request, viewer=guardian),
                    code="already_answered",
                )
            }
        )


def _tell_about_answer(
    *, time_request: TimeRequest, guardian, granted: int | None, now: datetime
) -> None:
    teen = time_request.teen
    approved = time_request.status == TimeRequestStatus.APPROVED
    if approved:
        what = (
            "no limit for the rest of today"
            if granted is None
            else f"{minutes_spoken(granted)} more today"
        )
        teen_title = f"{guardian.display_name} said yes: {what}"
    else:
        teen_title = (
            f"{guardian.display_name} said no to {minutes_spoken(time_request.minutes)} more"
        )
    teen_body = (
        f"Note from {guardian.display_name}: {time_request.note}" if time_request.note else ""
    )
    if not approved:
        wait = settings.TIME_REQUEST_WAIT_AFTER_DENIAL_MINUTES
        if wait:
            ask_again = clock(now + timedelta(minutes=wait), teen.tz)
            teen_body = (
                teen_body + "\n" if teen_body else ""
            ) + f"You can ask again at {ask_again}."
    notify(
        recipient=teen,
        kind=NotificationKind.TIME_REQUEST_ANSWERED,
        title=teen_title,
        body=teen_body,
        link="/me/",
        teen=teen,
        dedupe_key=f"time_request:{time_request.pk}:answer",
        now=now,
    )
    verb = "approved" if approved else "declined"
    for other in guardians_for_teen(teen=teen).exclude(pk=guardian.pk):
        notify(
            recipient=other,
            kind=NotificationKind.TIME_REQUEST_ANSWERED,
            title=f"{guardian.display_name} {verb} {teen.display_name}'s request for "
            f"{minutes_spoken(time_request.minutes)}",
            body=time_request.note and f"Note: {time_request.note}",
            link=_request_link(time_request),
            teen=teen,
            dedupe_key=f"time_request:{time_request.pk}:answer",
            now=now,
        )
    # The "asks for more time" notifications are settled for every guardian.
    Notification.objects.filter(
        dedupe_key=asked_dedupe_key(time_request.pk), read_at__isnull=True
    ).update(read_at=now)


# --------------------------------------------------------------------------------------------
# Lapsing
# --------------------------------------------------------------------------------------------


def time_request_lapse(*, time_request_id: int, now: datetime | None = None) -> bool:
    """Close an unanswered request whose day has ended. Safe to run twice (False the second
    time); the teen is told, and the guardians' pending notifications are settled."""
    now = now or timezone.now()
    with transaction.atomic():
        lapsed = TimeRequest.objects.filter(
            pk=time_request_id, status=TimeRequestStatus.PENDING
        ).update(status=TimeRequestStatus.LAPSED, answered_at=now)
        if not lapsed:
            return False
        time_request = TimeRequest.objects.select_related("teen").get(pk=time_request_id)
        requests_changed(teen_id=time_request.teen_id)
        teen = time_request.teen
        audit_record(
            actor=None,
            teen=teen,
            action="time_request.lapsed",
            summary=f"{teen.display_name}'s request for {minutes_spoken(time_request.minutes)} "
            "lapsed: nobody answered before the day ended",
            before={"status": TimeRequestStatus.PENDING},
            after={"status": TimeRequestStatus.LAPSED},
            extra={"time_request": _request_summary(time_request)},
        )
        notify(
            recipient=teen,
            kind=NotificationKind.TIME_REQUEST_ANSWERED,
            title=f"Your request for {minutes_spoken(time_request.minutes)} lapsed",
            body="Nobody answered before your day ended. You can ask again today.",
            link="/me/",
            teen=teen,
            dedupe_key=f"time_request:{time_request.pk}:answer",
            now=now,
        )
        Notification.objects.filter(
            dedupe_key=asked_dedupe_key(time_request.pk), read_at__isnull=True
        ).update(read_at=now)
    return True


def time_requests_lapse_due(*, now: datetime | None = None) -> int:
    """Lapse every open request whose teen day has ended; returns how many lapsed."""
    now = now or timezone.now()
    # A day labelled D ends no earlier than D+1 00:00 at UTC+14, i.e. D 10:00 UTC; anything
    # labelled after today's UTC date cannot have ended yet.
    candidates = TimeRequest.objects.filter(
        status=TimeRequestStatus.PENDING, local_date__lte=now.date()
    ).select_related("teen", "teen__rules")
    count = 0
    for time_request in candidates:
        if time_request_day(time_request=time_request).end_utc <= now:
            count += time_request_lapse(time_request_id=time_request.pk, now=now)
    return count
