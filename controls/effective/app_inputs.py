"""The per-app rules' part of the policy's inputs (issue 13): app and category rules, locks and
the family's labels as the pure policy takes them, the always-allowed test the usage booking
uses, and today's counted time per app (read only for a teen with app or category limits, so
the device paths of every other teen keep their query counts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Sum

from controls.app_models import AppRule, AppRuleKind, FamilyAppLabel, Lock
from controls.catalogue.lookup import WEB_PREFIX, app_identify, catalogue
from controls.models import DailyUsage, DowntimeWindow
from controls.policy_rules import AppRuleSpec, LockSpec, RuleKind

Labels = Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class AllowedApps:
    """What `x in allowed` means for the usage booking: the identifier is an always-allowed app
    (any of its identifiers), or belongs to an always-allowed category. Picklable (it is cached
    with the inputs)."""

    keys: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict, hash=False)

    def __contains__(self, identifier: object) -> bool:
        if not self.keys and not self.categories:
            return False
        info = app_identify(str(identifier), self.labels)
        return info.key in self.keys or info.category in self.categories

    def __bool__(self) -> bool:
        return bool(self.keys or self.categories)

    def identifiers(self) -> list[str]:
        """Every identifier of the always-allowed apps (for clients older than `app_rules`)."""
        known = catalogue().by_key
        found: list[str] = []
        for key in sorted(self.keys):
            entry = known.get(key)
            found += list(entry.identifiers) if entry else [key]
        return found


def labels_map(labels: Iterable[FamilyAppLabel]) -> dict[str, tuple[str, str]]:
    return {label.app: (label.name, label.category) for label in labels}


def category_sites(category: str, labels: Labels) -> tuple[str, ...]:
    """A category's sites (`web:<domain>`): the catalogue's apps in it and the family's own apps
    named into it. A browser enforces a category rule or lock by them."""
    catalogued = {
        identifier
        for app in catalogue().apps
        if app.category == category
        for identifier in app.identifiers
        if identifier.startswith(WEB_PREFIX)
    }
    named = {
        key
        for key, (_, label_category) in labels.items()
        if label_category == category and key.startswith(WEB_PREFIX)
    }
    return tuple(sorted(catalogued | named))


def rule_spec(rule: AppRule, labels: Labels) -> AppRuleSpec:
    if rule.app:
        info = app_identify(rule.app, labels)
        entry = catalogue().by_key.get(rule.app)
        name, identifiers = info.name, (entry.identifiers if entry else (rule.app,))
    else:
        name, identifiers = rule.get_category_display(), category_sites(rule.category, labels)
    return AppRuleSpec(
        rule_id=rule.pk,
        kind=RuleKind(rule.kind),
        app=rule.app,
        category=rule.category,
        name=name,
        daily_limits=rule.daily_limits() if rule.kind == AppRuleKind.LIMIT else (None,) * 7,
        identifiers=identifiers,
    )


def lock_spec(lock: Lock, labels: Labels) -> LockSpec:
    return LockSpec(
        lock_id=lock.pk,
        category=lock.category,
        until=lock.until,
        by=lock.created_by_name,
        sites=category_sites(lock.category, labels) if lock.category else (),
    )


@dataclass(frozen=True)
class AppInputs:
    rules: tuple[AppRuleSpec, ...] = ()
    locks: tuple[LockSpec, ...] = ()
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict, hash=False)
    allowed: AllowedApps = field(default_factory=AllowedApps)

    @property
    def needs_app_usage(self) -> bool:
        """Whether a rule's state depends on time per app (a limit of an app or category)."""
        return any(rule.kind == RuleKind.LIMIT for rule in self.rules)


def app_inputs_assemble(
    *, rules: Iterable[AppRule], locks: Iterable[Lock], labels: Iterable[FamilyAppLabel]
) -> AppInputs:
    label_map = labels_map(labels)
    rules = list(rules)
    allowed = AllowedApps(
        keys=frozenset(r.app for r in rules if r.kind == AppRuleKind.ALWAYS_ALLOWED and r.app),
        categories=frozenset(
            r.category for r in rules if r.kind == AppRuleKind.ALWAYS_ALLOWED and r.category
        ),
        labels=label_map,
    )
    return AppInputs(
        rules=tuple(rule_spec(rule, label_map) for rule in rules),
        locks=tuple(lock_spec(lock, label_map) for lock in locks if lock.ended_at is None),
        labels=label_map,
        allowed=allowed,
    )


def app_inputs_load(*, teen) -> AppInputs:
    """Two queries (rules, open locks), three when the teen has rules or a category lock: the
    family's labels matter to the policy only through those (names and categories of unknown
    apps, a locked category's sites)."""
    rules = list(AppRule.objects.filter(teen=teen))
    locks = list(Lock.objects.filter(teen=teen, ended_at__isnull=True))
    wants_labels = rules or any(lock.category for lock in locks)
    return app_inputs_assemble(
        rules=rules,
        locks=locks,
        labels=FamilyAppLabel.objects.filter(teen=teen) if wants_labels else (),
    )


def downtime_allowed(window: DowntimeWindow) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(window.allowed_apps or ()), frozenset(window.allowed_categories or ())


def app_seconds_on(
    *, teen, local_date: date, labels: Labels
) -> tuple[dict[str, int], dict[str, str]]:
    """(today's counted seconds per app key, each key's category), in one query."""
    seconds: dict[str, int] = {}
    categories: dict[str, str] = {}
    rows = (
        DailyUsage.objects.filter(teen=teen, local_date=local_date, counted=True)
        .values("app")
        .annotate(total=Sum("seconds"))
        .values_list("app", "total")
    )
    for app, total in rows:
        info = app_identify(app, labels)
        seconds[info.key] = seconds.get(info.key, 0) + int(total or 0)
        categories[info.key] = str(info.category)
    return seconds, categories


def rule_categories(inputs: AppInputs) -> dict[str, str]:
    """The category of each app a rule names (for a rule whose app has no time today)."""
    return {
        rule.app: str(app_identify(rule.app, inputs.labels).category)
        for rule in inputs.rules
        if rule.app
    }
