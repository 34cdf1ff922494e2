"""Warnings and "limit reached" notices per app or category rule (issue 13), exactly once per
threshold, as for the daily limit (`controls.enforcement.services`): each notice is guarded by
an `EnforcementMark` of the teen's day, ``rule:<id>:warning:<minutes>:<limit seconds>`` and
``rule:<id>:limit:<limit seconds>`` (keyed by the limit in force, so a changed limit starts a
fresh cycle). A warning the limit has made moot is marked and never sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from accounts.selectors import guardians_for_teen
from controls.enforcement.marks import guardian_link, mark_once, teen_link
from controls.models import NotificationKind
from controls.notifications.services import notify
from controls.policy import EffectivePolicy
from controls.policy_rules import RuleResult, rule_warnings_due
from controls.wording import duration_spoken


def _limited(policy: EffectivePolicy) -> list[RuleResult]:
    return [r for r in policy.app_rules if r.kind == "limit" and r.limit_seconds is not None]


def app_limits_due(*, policy: EffectivePolicy, warning_minutes: Iterable[int], added: int) -> bool:
    """Whether a booking that added `added` counted seconds may have crossed a rule's warning
    or limit (an upper bound: the batch added at most that much to each rule)."""
    if added <= 0:
        return False
    thresholds = {0, *(m * 60 for m in warning_minutes if isinstance(m, int) and m > 0)}
    for result in _limited(policy):
        after = result.limit_seconds - result.used_seconds
        if any(after <= t < after + added for t in thresholds):
            return True
    return False


def _tell(*, teen, result: RuleResult, kind: str, key: str, title: str, body: str, now) -> None:
    notify(
        recipient=teen, kind=kind, title=title, body=body, link=teen_link(), teen=teen,
        dedupe_key=key, now=now,
    )  # fmt: skip
    for guardian in guardians_for_teen(teen=teen):
        notify(
            recipient=guardian,
            kind=kind,
            title=f"{teen.display_name}: {title[0].lower()}{title[1:]}",
            body=body,
            link=guardian_link(teen),
            teen=teen,
            dedupe_key=key,
            now=now,
        )


def app_limits_enforce(
    *, teen, policy: EffectivePolicy, warning_minutes: Iterable[int], now: datetime
) -> list[str]:
    """The notices of each limited rule not yet told (run inside the caller's transaction)."""
    created: list[str] = []
    warning_minutes = tuple(m for m in warning_minutes if isinstance(m, int) and m > 0)
    for result in _limited(policy):
        base = f"rule:{result.rule_id}"
        limit = result.limit_seconds
        due = rule_warnings_due(result, warning_minutes)
        if result.own_seconds_left == 0:
            kind = f"{base}:limit:{limit}"
            if mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                created.append(kind)
                _tell(
                    teen=teen,
                    result=result,
                    kind=NotificationKind.LIMIT_REACHED,
                    key=f"{kind}:{teen.pk}:{policy.local_date}",
                    title=f"Today's time for {result.name} is used up",
                    body=f"The limit for {result.name} is {duration_spoken(limit)} today. "
                    "Other apps follow their own rules and the daily limit.",
                    now=now,
                )
            for minutes in due:  # moot now: marked, never sent
                kind = f"{base}:warning:{minutes}:{limit}"
                if mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                    created.append(kind)
        elif due:
            new = []
            for minutes in sorted(due):
                kind = f"{base}:warning:{minutes}:{limit}"
                if mark_once(teen=teen, local_date=policy.local_date, kind=kind, now=now):
                    created.append(kind)
                    new.append(minutes)
            if min(due) in new:
                left = duration_spoken(result.own_seconds_left or 0)
                _tell(
                    teen=teen,
                    result=result,
                    kind=NotificationKind.WARNING,
                    key=f"{base}:warning:{min(due)}:{limit}:{teen.pk}:{policy.local_date}",
                    title=f"{left} left for {result.name} today",
                    body=f"The limit for {result.name} is {duration_spoken(limit)} today.",
                    now=now,
                )
    return created
