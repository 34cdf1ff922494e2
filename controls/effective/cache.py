"""A teen's effective policy, cached for the device API until it changes (issue 8).

The policy is a pure function of the teen's rules, downtime windows, the grants and counted usage
of the teen's day, the time and the teen's time zone (`controls.policy.compute_policy`). It stays
exactly the same until one of those inputs changes, or time reaches its `next_change_at` or the
end of the teen's day. Every device asks for it on every request, so two things are cached:

- the **inputs** that change only when a guardian changes something (rules, windows, the day's
  grants), under the teen's *inputs generation*;
- the **policy** itself with its JSON body, until `next_change_at` (or the end of the day), under
  the inputs generation and the teen's *usage generation*.

A generation is a number in the cache that every change bumps: saving TeenRules (every rule and
window change does, to bump its version), a downtime window or a grant bumps the inputs
generation; booking usage bumps the usage generation. An entry is used only under the
generations it was computed with, so invalidation has no race: a reader that loaded the database
just before a change committed stores its entry under the old generation, which nobody reads
after the bump. Generations are bumped at once and again after commit (a reader between the two
stores under the intermediate generation, which the second bump retires).

A third generation, the teen's *requests generation*, is bumped when one of the teen's time
requests is made or answered: it changes the ETag (and the body's `time_requests_version`), not
the policy's `version`, so a device holding the change channel hears of a guardian's answer, a
denial included, within a second, and reads its requests again.

Cache misses fall back to the database, so a lost or flushed cache costs queries, never
correctness; an unreachable Redis is a miss too (`familypairing.cache.FailSoftRedisCache`: reads
miss, writes and bumps are skipped), so the device API keeps answering through an outage. The
answer is always the one `controls.effective.selectors.effective_policy_for_teen` gives.
"""

from __future__ import annotations

import json
import time as clock
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from controls.app_models import AppRule, FamilyAppLabel, Lock
from controls.days import teen_day
from controls.effective.channel import teen_changed
from controls.effective.inputs import (
    PolicyInputs,
    policy_compute,
    policy_inputs_load,
    used_seconds_on,
)
from controls.models import DayGrant, DowntimeWindow, TeenDay, TeenRules, TimeRequest
from controls.policy import EffectivePolicy

# "v2": entries pickled before the domain packages (issue #12) name classes at their old module
# paths; a new prefix leaves them to expire unread instead of failing to unpickle. "v3": inputs
# and policies pickled before issue 13 lack the per-app fields (`apps`, `app_rules`, `lock`).
KEY_PREFIX = "fp:policy:v3"
# Generations outlive every entry stored under them (entries live at most a day).
GENERATION_SECONDS = 3 * 24 * 3600
INPUTS_SECONDS = 24 * 3600
# The longest a policy entry is kept even when nothing changes by time (a safety net should an
# invalidation ever be missed: the policy is recomputed at least this often).
ENTRY_MAX_SECONDS = 6 * 3600


@dataclass(frozen=True)
class PolicyEntry:
    """A computed policy with what the device API answers: its ETag and JSON body."""

    policy: EffectivePolicy
    generations: tuple[int, int, int]
    time_zone: str
    valid_until: datetime
    etag: str
    body: bytes

    def valid(self, *, generations: tuple[int, int, int], time_zone: str, now: datetime) -> bool:
        return (
            self.generations == generations
            and self.time_zone == time_zone
            and now < self.valid_until
        )


def _key(kind: str, teen_id: int) -> str:
    return f"{KEY_PREFIX}:{kind}:{teen_id}"


def render_json(data) -> bytes:
    """JSON as DRF's JSONRenderer writes it (compact, UTF-8, U+2028/9 escaped)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


# --- Generations ---------------------------------------------------------------------------------


def _new_generation() -> int:
    return clock.time_ns()


def _bump_now(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # missing (never set, expired or flushed): start afresh
        cache.set(key, _new_generation(), GENERATION_SECONDS)


def _bump(kind: str, teen_id: int) -> None:
    key = _key(kind, teen_id)
    _bump_now(key)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _bump_now(key))


def inputs_changed(*, teen_id: int) -> None:
    """Rules, windows or grants of the teen changed: recompute from the database, and tell the
    teen's connected devices (the change channel, after commit)."""
    _bump("inputs-gen", teen_id)
    teen_changed(teen_id=teen_id)


def usage_changed(*, teen_id: int, publish: bool = True) -> None:
    """Usage was booked for the teen: the policy's counters (and maybe its state) moved.
    `publish=False`: the caller knows the policy's version did not change (its counters are
    not part of the ETag), so held device requests need not wake (see `usage_record_batch`)."""
    _bump("usage-gen", teen_id)
    if publish:
        teen_changed(teen_id=teen_id)


def requests_changed(*, teen_id: int) -> None:
    """One of the teen's time requests was made or answered: new ETag, devices told."""
    _bump("requests-gen", teen_id)
    teen_changed(teen_id=teen_id)


def _current(kinds: tuple[str, ...], teen_id: int, found: dict) -> tuple[int, ...]:
    """The current generations of `kinds` from `found` (a get_many result), creating the
    missing ones."""
    keys = [_key(kind, teen_id) for kind in kinds]
    missing = [key for key in keys if found.get(key) is None]
    if missing:
        for key in missing:
            cache.add(key, _new_generation(), GENERATION_SECONDS)
        found = {**found, **cache.get_many(missing)}
    return tuple(found.get(key, 0) for key in keys)


# --- Inputs ------------------------------------------------------------------------------------


def _fresh_inputs(*, teen, inputs, generation: int, now: datetime) -> tuple[PolicyInputs, date]:
    """(`inputs` if cached under `generation` and holding the grants of the teen's current day,
    else loaded from the database and cached; the teen's current day)."""
    if inputs is not None and inputs.generation == generation:
        local_date = teen_day(now=now, tz=teen.tz, day_start=inputs.day_start).local_date
        if local_date in inputs.grants:
            return inputs, local_date
    inputs = policy_inputs_load(teen=teen, now=now, generation=generation)
    cache.set(_key("inputs", teen.pk), inputs, INPUTS_SECONDS)
    (local_date,) = inputs.grants
    return inputs, local_date


def policy_inputs(
    *, teen, now: datetime | None = None, generation: int | None = None
) -> PolicyInputs:
    """The teen's rules, windows and the grants of the teen's current day (cached)."""
    now = now or timezone.now()
    key = _key("inputs", teen.pk)
    if generation is None:
        found = cache.get_many([_key("inputs-gen", teen.pk), key])
        (generation,) = _current(("inputs-gen",), teen.pk, found)
        inputs = found.get(key)
    else:
        inputs = cache.get(key)
    return _fresh_inputs(teen=teen, inputs=inputs, generation=generation, now=now)[0]


# --- Booking usage: the policy after a report ----------------------------------------------------


@dataclass(frozen=True)
class PolicyTemplate:
    """A policy computed for some amount of usage, reused for another amount while the limit
    stays on the same side: then only the usage counters differ (see `policy_with_usage`)."""

    inputs_generation: int
    time_zone: str
    valid_until: datetime
    policy: EffectivePolicy


@dataclass(frozen=True)
class UsageContext:
    inputs: PolicyInputs
    template: PolicyTemplate | None
    local_date: date  # the teen's current day


def usage_context_keys(teen_id: int) -> list[str]:
    return [_key("inputs-gen", teen_id), _key("inputs", teen_id), _key("template", teen_id)]


def usage_context(*, teen, now: datetime, found: dict | None = None) -> UsageContext:
    """What booking a report needs from the cache, in one round trip (or none: `found`, the
    `usage_context_keys` already fetched with the device): the rules (the always-allowed apps,
    the day start) and a template for the answer."""
    keys = usage_context_keys(teen.pk)
    if found is None:
        found = cache.get_many(keys)
    (generation,) = _current(("inputs-gen",), teen.pk, found)
    inputs, local_date = _fresh_inputs(
        teen=teen, inputs=found.get(keys[1]), generation=generation, now=now
    )
    return UsageContext(inputs=inputs, template=found.get(keys[2]), local_date=local_date)


def policy_with_usage(
    policy: EffectivePolicy, *, used_seconds: int, warning_minutes
) -> EffectivePolicy | None:
    """`policy` as `compute_policy` would answer with `used_seconds` instead, at the same
    instant and inputs, when that needs no new computation: the counters change, but whether
    the limit is reached does not (it decides allowed, reason, next change and version). None
    when it does."""
    limit = policy.limit_seconds
    if limit is None:
        return replace(policy, used_seconds=used_seconds)
    if (used_seconds >= limit) != policy.limit_reached:
        return None
    seconds_left = max(0, limit - used_seconds)
    warnings_due = tuple(
        sorted({m for m in warning_minutes if seconds_left <= m * 60}, reverse=True)
    )
    return replace(
        policy, used_seconds=used_seconds, seconds_left=seconds_left, warnings_due=warnings_due
    )


def policy_after_usage(
    *, teen, context: UsageContext, used_seconds: int, now: datetime
) -> EffectivePolicy:
    """The policy once today's counted usage is `used_seconds`: from the template when it still
    holds (saving the computation on most reports), else computed and kept as the template."""
    template = context.template
    if (
        template is not None
        # Per-app and per-category limits move with each app's time: computed every time.
        and not context.inputs.apps.needs_app_usage
        and template.inputs_generation == context.inputs.generation
        and template.time_zone == teen.time_zone
        and now < template.valid_until
    ):
        policy = policy_with_usage(
            template.policy,
            used_seconds=used_seconds,
            warning_minutes=context.inputs.warning_minutes,
        )
        if policy is not None:
            return policy
    policy = policy_compute(teen=teen, inputs=context.inputs, used_seconds=used_seconds, now=now)
    valid_until = _valid_until(policy)
    timeout = min(ENTRY_MAX_SECONDS, (valid_until - now).total_seconds())
    if timeout >= 1:
        cache.set(
            _key("template", teen.pk),
            PolicyTemplate(
                inputs_generation=context.inputs.generation,
                time_zone=teen.time_zone,
                valid_until=valid_until,
                policy=policy,
            ),
            int(timeout),
        )
    return policy


# --- The policy --------------------------------------------------------------------------------


def _valid_until(policy: EffectivePolicy) -> datetime:
    """Until when the policy stays the same by time alone."""
    if policy.next_change_at is None:
        return policy.day_end_utc
    return min(policy.day_end_utc, policy.next_change_at)


def _entry(*, policy: EffectivePolicy, generations, time_zone: str) -> PolicyEntry:
    # The requests generation is a number; its last 32 bits tell one generation from the next.
    requests_version = f"{generations[2] & 0xFFFFFFFF:08x}"
    return PolicyEntry(
        policy=policy,
        generations=generations,
        time_zone=time_zone,
        valid_until=_valid_until(policy),
        etag=f'"{policy.version}-{requests_version}"',
        body=render_json({**policy.to_dict(), "time_requests_version": requests_version}),
    )


def policy_entry_keys(teen_id: int) -> list[str]:
    return [
        _key("inputs-gen", teen_id),
        _key("usage-gen", teen_id),
        _key("requests-gen", teen_id),
        _key("entry", teen_id),
    ]


def policy_entry_for_teen(
    *, teen, now: datetime | None = None, found: dict | None = None
) -> PolicyEntry:
    """The teen's effective policy now, with its ETag and JSON body: from the cache (no query)
    while nothing changed, else computed (one query for the day's usage when the inputs are
    cached) and cached until it can next change. `found`: the `policy_entry_keys` already
    fetched (with the device, in the same round trip)."""
    now = now or timezone.now()
    keys = policy_entry_keys(teen.pk)
    if found is None:
        found = cache.get_many(keys)
    generations = _current(("inputs-gen", "usage-gen", "requests-gen"), teen.pk, found)
    entry = found.get(keys[3])
    if entry is not None and entry.valid(
        generations=generations, time_zone=teen.time_zone, now=now
    ):
        return entry
    inputs = policy_inputs(teen=teen, now=now, generation=generations[0])
    local_date = teen_day(now=now, tz=teen.tz, day_start=inputs.day_start).local_date
    used = used_seconds_on(teen=teen, local_date=local_date)
    policy = policy_compute(teen=teen, inputs=inputs, used_seconds=used, now=now)
    entry = _entry(policy=policy, generations=generations, time_zone=teen.time_zone)
    timeout = min(ENTRY_MAX_SECONDS, (entry.valid_until - now).total_seconds())
    if timeout >= 1:
        cache.set(keys[3], entry, int(timeout))
    return entry


# --- What changes the inputs -------------------------------------------------------------------


@receiver(post_save, sender=TeenRules, dispatch_uid="policy_cache_rules_saved")
@receiver(post_delete, sender=TeenRules, dispatch_uid="policy_cache_rules_deleted")
def _rules_changed(sender, instance, **kwargs) -> None:
    inputs_changed(teen_id=instance.teen_id)


@receiver(post_save, sender=DowntimeWindow, dispatch_uid="policy_cache_window_saved")
@receiver(post_delete, sender=DowntimeWindow, dispatch_uid="policy_cache_window_deleted")
@receiver(post_save, sender=AppRule, dispatch_uid="policy_cache_app_rule_saved")
@receiver(post_delete, sender=AppRule, dispatch_uid="policy_cache_app_rule_deleted")
@receiver(post_save, sender=Lock, dispatch_uid="policy_cache_lock_saved")
@receiver(post_save, sender=FamilyAppLabel, dispatch_uid="policy_cache_label_saved")
@receiver(post_delete, sender=FamilyAppLabel, dispatch_uid="policy_cache_label_deleted")
@receiver(post_save, sender=DayGrant, dispatch_uid="policy_cache_grant_saved")
@receiver(post_delete, sender=DayGrant, dispatch_uid="policy_cache_grant_deleted")
def _window_or_grant_changed(sender, instance, **kwargs) -> None:
    inputs_changed(teen_id=instance.teen_id)


@receiver(post_save, sender=TeenDay, dispatch_uid="policy_cache_day_saved")
@receiver(post_delete, sender=TeenDay, dispatch_uid="policy_cache_day_deleted")
def _day_changed(sender, instance, **kwargs) -> None:
    # Booking usage writes TeenDay in SQL and calls usage_changed itself; this catches the ORM
    # writes elsewhere (admin, data deletion, tests).
    usage_changed(teen_id=instance.teen_id)


@receiver(post_save, sender=TimeRequest, dispatch_uid="policy_cache_time_request_saved")
def _time_request_changed(sender, instance, **kwargs) -> None:
    requests_changed(teen_id=instance.teen_id)
