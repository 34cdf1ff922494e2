"""Writes to a teen's rules. (The controls issue fills this module out.)"""

from __future__ import annotations

from controls.models import TeenRules


def rules_ensure_for_teen(*, teen) -> TeenRules:
    rules, _ = TeenRules.objects.get_or_create(teen=teen)
    return rules
