"""Rules per app and per category, and "lock now", as `controls.policy.compute_policy` applies
them (issue 13). Pure, like the policy: no Django, no clock, no database.

Inputs
------
* `AppRuleSpec`: a rule for one app (``app``: its key, a catalogue slug or a normalised raw
  identifier) or one category (``category``), of a `RuleKind`; a limit has minutes per weekday
  (Monday..Sunday, ``None`` = no limit of this rule that day).
* `LockSpec`: all devices (``category`` empty) or one category, until an instant (``None``:
  until a guardian unlocks). Only locks in force are passed; one that ended is left out.
* ``app_seconds``: today's counted seconds per app key, and ``app_categories``: each app key's
  category. Time counts once against *each* rule it falls under: a TikTok minute counts for the
  TikTok rule, the Social rule and the overall daily limit.

Precedence for one rule (first match wins)
------------------------------------------
1. ``blocked``: never usable (``reason = blocked``).
2. ``always_allowed``: usable in downtime, after the daily limit and when locked, and its time
   is not counted (``reason = always_allowed``). Phone calls and maps stay reachable.
3. a lock covering it (all devices, or the rule's category, or the app's category) →
   ``locked``.
4. downtime, unless the current window's allowed list names the app or its category →
   ``downtime``; a rule the window allows says ``downtime_allowed`` when usable.
5. the overall daily limit reached → ``daily_limit``.
6. this rule's own limit for today used up → ``app_limit`` / ``category_limit``; for an app,
   also a category limit of its category used up → ``category_limit``.
7. otherwise usable: ``ok`` (or ``downtime_allowed``).

``seconds_left`` is what is really left for the rule today: the smallest of its own limit, its
category's limit (for an app) and the overall limit, minus what counts against each (``None``
when none applies); ``own_seconds_left`` only its own limit (the warnings' measure).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from controls.days import is_int, require_aware

MAX_RULE_MINUTES = 24 * 60


class RuleKind(StrEnum):
    LIMIT = "limit"
    ALWAYS_ALLOWED = "always_allowed"
    BLOCKED = "blocked"


class RuleReason(StrEnum):
    OK = "ok"
    ALWAYS_ALLOWED = "always_allowed"
    DOWNTIME_ALLOWED = "downtime_allowed"
    BLOCKED = "blocked"
    LOCKED = "locked"
    DOWNTIME = "downtime"
    DAILY_LIMIT = "daily_limit"
    APP_LIMIT = "app_limit"
    CATEGORY_LIMIT = "category_limit"


@dataclass(frozen=True)
class AppRuleSpec:
    rule_id: int
    kind: RuleKind
    app: str = ""
    category: str = ""
    name: str = ""
    daily_limits: tuple[int | None, ...] = (None,) * 7
    identifiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RuleKind(self.kind))
        if bool(self.app) == bool(self.category):
            raise ValueError("an app rule names an app or a category, not both or neither")
        limits = tuple(self.daily_limits)
        if len(limits) != 7:
            raise ValueError("daily_limits needs 7 entries (Mon..Sun)")
        for minutes in limits:
            if minutes is not None and (
                not is_int(minutes) or not 1 <= minutes <= MAX_RULE_MINUTES
            ):
                raise ValueError(
                    f"rule limit must be None or 1..{MAX_RULE_MINUTES}, got {minutes!r}"
                )
        object.__setattr__(self, "daily_limits", limits)
        object.__setattr__(self, "identifiers", tuple(self.identifiers))

    @property
    def target(self) -> str:
        return "app" if self.app else "category"


@dataclass(frozen=True)
class LockSpec:
    lock_id: int
    category: str = ""  # empty: all devices
    until: datetime | None = None
    by: str = ""
    # A category lock's sites (`web:<domain>`), so that a browser can close them.
    sites: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.until is not None:
            require_aware(self.until)


@dataclass(frozen=True)
class RuleResult:
    rule_id: int
    target: str
    app: str
    category: str
    name: str
    kind: str
    allowed: bool
    reason: RuleReason
    seconds_left: int | None
    own_seconds_left: int | None
    limit_seconds: int | None
    used_seconds: int
    identifiers: tuple[str, ...] = ()

    def state(self) -> tuple:
        """What the policy's version covers (not the moving counters)."""
        return (self.rule_id, self.kind, self.allowed, self.reason.value, self.limit_seconds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.rule_id,
            "target": self.target,
            "app": self.app or None,
            "category": self.category or None,
            "name": self.name,
            "kind": self.kind,
            "allowed": self.allowed,
            "reason": self.reason.value,
            "seconds_left": self.seconds_left,
            "own_seconds_left": self.own_seconds_left,
            "limit_seconds": self.limit_seconds,
            "used_seconds": self.used_seconds,
            "identifiers": list(self.identifiers),
        }


def rule_used_seconds(
    rule: AppRuleSpec, app_seconds: Mapping[str, int], app_categories: Mapping[str, str]
) -> int:
    """The counted seconds falling under `rule` (each app's time once)."""
    if rule.app:
        return int(app_seconds.get(rule.app, 0))
    return sum(
        int(seconds)
        for key, seconds in app_seconds.items()
        if app_categories.get(key, "other") == rule.category
    )


def _min_left(*values: int | None) -> int | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def rule_results(
    *,
    rules: Iterable[AppRuleSpec],
    locks: Iterable[LockSpec],
    weekday: int,
    app_seconds: Mapping[str, int],
    app_categories: Mapping[str, str],
    in_downtime: bool,
    downtime_apps: frozenset[str] = frozenset(),
    downtime_categories: frozenset[str] = frozenset(),
    daily_seconds_left: int | None,
    daily_limit_reached: bool,
) -> tuple[RuleResult, ...]:
    """Each rule's state right now (see the module's precedence), in the rules' order."""
    rules = tuple(rules)
    locks = tuple(locks)
    lock_all = any(not lock.category for lock in locks)
    locked_categories = {lock.category for lock in locks if lock.category}
    used = {rule.rule_id: rule_used_seconds(rule, app_seconds, app_categories) for rule in rules}

    def own_left(rule: AppRuleSpec) -> tuple[int | None, int | None]:
        minutes = rule.daily_limits[weekday] if rule.kind == RuleKind.LIMIT else None
        if minutes is None:
            return None, None
        return minutes * 60, max(0, minutes * 60 - used[rule.rule_id])

    category_left = {
        rule.category: own_left(rule)[1]
        for rule in rules
        if rule.category and rule.kind == RuleKind.LIMIT
    }
    results = []
    for rule in rules:
        category = rule.category or app_categories.get(rule.app, "other")
        limit_seconds, mine = own_left(rule)
        parent = category_left.get(category) if rule.app else None
        left = _min_left(mine, parent, daily_seconds_left)
        downtime_ok = (rule.app and rule.app in downtime_apps) or category in downtime_categories
        if rule.kind == RuleKind.BLOCKED:
            allowed, reason, left = False, RuleReason.BLOCKED, 0
        elif rule.kind == RuleKind.ALWAYS_ALLOWED:
            allowed, reason, left = True, RuleReason.ALWAYS_ALLOWED, None
        elif lock_all or category in locked_categories:
            allowed, reason = False, RuleReason.LOCKED
        elif in_downtime and not downtime_ok:
            allowed, reason = False, RuleReason.DOWNTIME
        elif daily_limit_reached:
            allowed, reason = False, RuleReason.DAILY_LIMIT
        elif mine is not None and mine <= 0:
            allowed = False
            reason = RuleReason.APP_LIMIT if rule.app else RuleReason.CATEGORY_LIMIT
        elif parent is not None and parent <= 0:
            allowed, reason = False, RuleReason.CATEGORY_LIMIT
        else:
            allowed = True
            reason = RuleReason.DOWNTIME_ALLOWED if in_downtime else RuleReason.OK
        results.append(
            RuleResult(
                rule_id=rule.rule_id,
                target=rule.target,
                app=rule.app,
                category=category if rule.category else (app_categories.get(rule.app) or ""),
                name=rule.name or rule.app or rule.category,
                kind=rule.kind.value,
                allowed=allowed,
                reason=reason,
                seconds_left=left,
                own_seconds_left=mine,
                limit_seconds=limit_seconds,
                used_seconds=used[rule.rule_id],
                identifiers=rule.identifiers,
            )
        )
    return tuple(results)


def rule_warnings_due(result: RuleResult, warning_minutes: Iterable[int]) -> tuple[int, ...]:
    """The warning thresholds passed by a limit rule's own time left (largest first)."""
    if result.limit_seconds is None or result.own_seconds_left is None:
        return ()
    left = result.own_seconds_left
    return tuple(sorted({m for m in warning_minutes if left <= m * 60}, reverse=True))
