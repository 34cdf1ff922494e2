"""Rule-change e-mails as one digest: a guardian whose co-guardian saves five rules in a minute
gets one e-mail listing the five, not five e-mails. In-app notices stay one per change.

The first unsent rule-change notice opens a window of `DIGEST_WINDOW`; when it has passed, the
per-minute `rule_change_digests_send` claims every unsent notice of that person (the same claim
columns and rule as single e-mails: claim, send, then mark sent; a failed send gives the claims
back), sends one e-mail and marks them all sent. Notices inside a teen's mute window wait for it
as usual (`deliver_at`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from smtplib import SMTPException

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from accounts.models import User
from controls.models import Notification, NotificationKind
from controls.notifications.delivery import DIGEST_KINDS, email_claim_stale_after, email_wanted
from controls.notifications.emails import send_templated_email

DIGEST_WINDOW = timedelta(minutes=15)


def _unsent(now: datetime):
    return Notification.objects.filter(
        kind__in=DIGEST_KINDS, emailed_at__isnull=True, deliver_at__lte=now
    ).filter(
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lte=now - email_claim_stale_after())
    )


def digest_recipients_due(*, now: datetime | None = None) -> list[int]:
    """People whose oldest unsent rule-change notice is at least `DIGEST_WINDOW` old."""
    now = now or timezone.now()
    return list(
        _unsent(now)
        .values("recipient_id")
        .annotate(first=Min("deliver_at"))
        .filter(first__lte=now - DIGEST_WINDOW)
        .values_list("recipient_id", flat=True)
    )


def rule_change_digest_send(*, recipient_id: int, now: datetime | None = None) -> int:
    """Claim, e-mail (if wanted) and mark sent every unsent rule-change notice of one person;
    returns how many notices the e-mail carried (0 if none, or the e-mail is not wanted)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            _unsent(now)
            .filter(recipient_id=recipient_id)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        claimed = Notification.objects.filter(pk__in=ids).update(email_claimed_at=now)
    if not claimed:
        return 0
    notices = list(Notification.objects.filter(pk__in=ids).select_related("teen").order_by("pk"))
    recipient = User.objects.get(pk=recipient_id)
    sent = 0
    if recipient.is_active and email_wanted(user=recipient, kind=NotificationKind.RULE_CHANGED):
        count = len(notices)
        teens = sorted({n.teen.display_name for n in notices if n.teen})
        subject = (
            notices[0].title
            if count == 1
            else f"{count} rule changes for {', '.join(teens) or 'your family'}"
        )
        try:
            send_templated_email(
                to=recipient.email,
                subject=subject,
                template="rule_digest",
                context={"user": recipient, "notices": notices, "count": count},
            )
        except (SMTPException, ConnectionError, TimeoutError):
            Notification.objects.filter(pk__in=ids, email_claimed_at=now).update(
                email_claimed_at=None
            )
            raise
        sent = count
    Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    return sent


def rule_change_digests_send(*, now: datetime | None = None) -> int:
    """Every minute: send each due digest; returns how many e-mails went out."""
    now = now or timezone.now()
    return sum(
        1
        for recipient_id in digest_recipients_due(now=now)
        if rule_change_digest_send(recipient_id=recipient_id, now=now)
    )
