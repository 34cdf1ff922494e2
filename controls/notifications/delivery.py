"""When and whether a notification is e-mailed: a teen's mute window, each person's e-mail
preferences, and the claim that makes sending safe to run twice (and a crashed worker's e-mail
sent after all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from controls.models import Notification, NotificationKind, NotificationPreference
from controls.notifications.emails import send_templated_email

K = NotificationKind
# E-mailed as one digest (controls.notifications.digest), never one by one.
DIGEST_KINDS = (K.RULE_CHANGED,)
# Fewer e-mails by default: what only matters in the moment stays in the app unless the person
# turns its e-mail on (each kind is a switch on the notifications page).
EMAIL_OFF_BY_DEFAULT = frozenset(
    {
        K.WARNING,
        K.LIMIT_REACHED,
        K.DOWNTIME_STARTING,
        K.TIME_GRANTED,
        K.DEVICE_LINKED,
        K.TODAY_CHANGED,
    }
)


def email_default(kind: str) -> bool:
    """Whether a kind is e-mailed when the person never chose."""
    return kind not in EMAIL_OFF_BY_DEFAULT


def mute_window_end(*, user, now: datetime) -> datetime | None:
    """If `user` is a teen inside their notification mute window, when it ends (UTC)."""
    if not user.is_teen:
        return None
    rules = getattr(user, "rules", None)
    try:
        start, end = rules.mute_start, rules.mute_end
    except AttributeError:
        return None
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(user.tz)
    today = local.date()
    for day in (today - timedelta(days=1), today):
        window_start = datetime.combine(day, start, tzinfo=user.tz)
        end_day = day if end > start else day + timedelta(days=1)
        window_end = datetime.combine(end_day, end, tzinfo=user.tz)
        if window_start <= local < window_end:
            return window_end.astimezone(UTC)
    return None


def email_wanted(*, user, kind: str) -> bool:
    pref = NotificationPreference.objects.filter(user=user, kind=kind).values_list(
        "email", flat=True
    )
    return next(iter(pref), email_default(kind))


def email_claim_stale_after() -> timedelta:
    """How old a claim must be before another worker may take it over. The hard time limit kills
    any send long before this, so a claim this old belongs to a worker that died."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + timedelta(minutes=1)


# A notification's own send task is queued at commit; the sweep steps in only after this.
EMAIL_SWEEP_AFTER = timedelta(minutes=1)


def notification_email_claim(
    *, notification_id: int, now: datetime | None = None
) -> Notification | None:
    """Claim a due notification's e-mail for this worker; None if it was sent already, is not
    due yet, or another worker holds a fresh claim.

    The e-mail's rule: claim, send, and only then mark sent (`notification_email_sent`); a
    failed send gives the claim back (`notification_email_release`) for the sweep to retry.
    The claim is one conditional UPDATE, so two workers never both send. A worker that dies
    between the send and the mark leaves a claim that no one may take over until it is
    `email_claim_stale_after()` old; then the e-mail is sent again. So a crash costs at worst
    one duplicate e-mail, never a lost one."""
    now = now or timezone.now()
    stale = now - email_claim_stale_after()
    claimed = (
        Notification.objects.filter(
            pk=notification_id, emailed_at__isnull=True, deliver_at__lte=now
        )
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lte=stale))
        .update(email_claimed_at=now)
    )
    if not claimed:
        return None
    return Notification.objects.select_related("recipient").get(pk=notification_id)


def notification_email_sent(*, notification: Notification, now: datetime | None = None) -> None:
    """The claimed e-mail went out (or there was none to send): never again."""
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=now or timezone.now()
    )


def notification_email_release(*, notification: Notification) -> None:
    """The send failed: give the claim back (only our own) so the next sweep retries at once."""
    Notification.objects.filter(
        pk=notification.pk, emailed_at__isnull=True, email_claimed_at=notification.email_claimed_at
    ).update(email_claimed_at=None)


def notifications_email_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of notifications whose e-mail is due and not sent, for the per-minute sweep: those
    whose mute window just ended (nothing was queued for them), and those whose own task should
    have sent them over `EMAIL_SWEEP_AFTER` ago (lost with a worker, or a send that failed);
    not those another worker holds a fresh claim on."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(emailed_at__isnull=True, deliver_at__lte=now)
        .exclude(kind__in=DIGEST_KINDS)
        .filter(Q(deliver_at__gt=F("created_at")) | Q(created_at__lte=now - EMAIL_SWEEP_AFTER))
        .filter(
            Q(email_claimed_at__isnull=True)
            | Q(email_claimed_at__lte=now - email_claim_stale_after())
        )
        .order_by("deliver_at")
        .values_list("pk", flat=True)[:limit]
    )


def notification_email_send(*, notification_id: int) -> bool:
    """E-mail one notification: claim, send, then mark sent (the rule and its one-duplicate
    worst case: `notification_email_claim`). A failed send gives the claim back and fails
    loudly; the per-minute `notifications_deliver_due` is the retry, for as long as the mail
    server is down, so no e-mail is dropped after a few retries and no countdown outlives the
    broker's visibility timeout."""
    notification = notification_email_claim(notification_id=notification_id)
    if notification is None:
        return False
    recipient = notification.recipient
    if not recipient.is_active or not email_wanted(user=recipient, kind=notification.kind):
        notification_email_sent(notification=notification)  # nothing to send, ever
        return False
    try:
        send_templated_email(
            to=recipient.email,
            subject=notification.title,
            template="notification",
            context={"notification": notification, "user": recipient},
        )
    except (SMTPException, ConnectionError, TimeoutError):
        notification_email_release(notification=notification)
        raise
    notification_email_sent(notification=notification)
    return True
