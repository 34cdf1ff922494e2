"""Reads of a teen's rules."""

from __future__ import annotations

from controls.models import TeenRules
from controls.rules.bounds import band_for_teen


def rules_ensure_for_teen(*, teen) -> TeenRules:
    """The teen's rules, created with the defaults for the teen's age if missing. Defaults are
    applied only here, once: a birthday never switches anything on. (A get-or-create that
    every read needs, so it lives with the reads, below the writes.)"""
    rules, _ = TeenRules.objects.get_or_create(
        teen=teen, defaults=dict(band_for_teen(teen).defaults)
    )
    return rules


def rules_of(teen) -> TeenRules:
    """The teen's rules as loaded with the teen (`select_related("rules")`), created if
    missing."""
    try:
        return teen.rules
    except TeenRules.DoesNotExist:
        return rules_ensure_for_teen(teen=teen)
