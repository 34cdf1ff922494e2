"""Celery tasks for pairing: thin, idempotent, each calls one service."""

from __future__ import annotations

from celery import shared_task

from accounts.devices.enrolment import device_enrolments_prune as prune_enrolments
from accounts.pairing.services import pairing_invitations_expire as expire
from accounts.pairing.unlinking import links_end_at_18
from accounts.profile import time_zone_changes_apply_due as apply_due


@shared_task
def pairing_invitations_expire() -> int:
    """Mark invitations past their expiry as expired (their codes stop showing anywhere) and prune
    old failed-attempt counters. Lookups already refuse an expired invitation, so a late run
    changes no outcome; running twice finds nothing the second time."""
    return expire()


@shared_task
def guardian_links_end_at_18() -> int:
    """End supervision for every linked teen who is 18 today in their own time zone, notifying the
    teen and each guardian once. Runs hourly so that each time zone's midnight is caught within
    the hour; ended links are no longer open, so a second run does nothing."""
    return links_end_at_18()


@shared_task
def time_zone_changes_apply_due() -> int:
    """Store the new zone of every user whose pending change of time zone has come (their day is
    already read in it from the change on: this only brings `time_zone` up to date). A second
    run finds nothing."""
    return apply_due()


@shared_task
def device_enrolments_prune() -> int:
    """Wipe the sealed tokens of expired device enrolments and delete those a day past expiry.
    A second run finds nothing."""
    return prune_enrolments()
