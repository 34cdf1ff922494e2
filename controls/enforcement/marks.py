"""The marks that make each enforcement notice exactly once (see `controls.enforcement.services`),
and the links notices carry."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse

from controls.models import EnforcementMark

# --- Wording ---------------------------------------------------------------------------------


def teen_link() -> str:
    return reverse("teen_home")


def guardian_link(teen) -> str:
    return reverse("teen_detail", args=[teen.pk])


# --- Marks -------------------------------------------------------------------------------------


def mark_once(*, teen, local_date, kind: str, now: datetime) -> bool:
    """Insert the mark; False if it already exists (someone acted on this threshold)."""
    try:
        with transaction.atomic():
            EnforcementMark.objects.create(
                teen=teen, local_date=local_date, kind=kind, created_at=now
            )
    except IntegrityError:
        return False
    return True
