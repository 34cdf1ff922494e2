"""Writes of the rules per app and per category, the family's app labels and the downtime
windows' allowed lists (issue 13). Same contract as `controls.rules.services`: guardians only,
every value checked before anything is written (one `ValidationError` naming each bad field),
the teen's rules row locked, `TeenRules.version` bumped (devices and ETags notice), an audit
event with before → after, and the other guardians told."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from controls.app_models import (
    RULE_WEEKDAY_FIELDS,
    AppCategory,
    AppRule,
    AppRuleKind,
    FamilyAppLabel,
)
from controls.app_rules.describe import (
    downtime_allowed_text,
    rule_snapshot,
    rule_text,
    target_name,
)
from controls.app_rules.selectors import labels_of
from controls.catalogue.lookup import app_identify, catalogue
from controls.models import DowntimeWindow
from controls.rules.services import guardian_check, rules_bump, rules_change_record, rules_locked
from controls.rules.values import MAX_APP_LENGTH, clean_daily_limit

MAX_APP_RULES = 200
MAX_LABEL_LENGTH = 80
SCHOOL_DAYS = RULE_WEEKDAY_FIELDS[:5]


def clean_app(value: Any, field: str = "app") -> str:
    """A catalogue key or a device identifier, as the key it is counted under."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({field: "Choose an app from the catalogue or enter its identifier."})
    if len(value.strip()) > MAX_APP_LENGTH:
        raise ValidationError({field: f"At most {MAX_APP_LENGTH} characters."})
    if any(ch.isspace() for ch in value.strip()):
        raise ValidationError({field: "An app identifier has no spaces, such as com.example.app."})
    return app_identify(value).key


def clean_category(value: Any, field: str = "category") -> str:
    if value not in AppCategory.values:
        allowed = ", ".join(AppCategory.values)
        raise ValidationError({field: f"Choose one of {allowed}."})
    return str(value)


def clean_rule_limits(changes: Mapping[str, Any], errors: dict) -> dict[str, int | None]:
    """Minutes per weekday from `limit_mon`..`limit_sun`, `every_day` and `school_days`
    (Monday to Friday); named days win over the groups."""
    limits: dict[str, int | None] = {}
    for group, names in (("every_day", RULE_WEEKDAY_FIELDS), ("school_days", SCHOOL_DAYS)):
        if group in changes:
            try:
                limits.update(dict.fromkeys(names, clean_daily_limit(changes[group])))
            except ValidationError as error:
                errors[group] = error.messages
    for name in RULE_WEEKDAY_FIELDS:
        if name in changes:
            try:
                limits[name] = clean_daily_limit(changes[name])
            except ValidationError as error:
                errors[name] = error.messages
    return limits


RULE_KEYS = {"app", "category", "kind", "every_day", "school_days", *RULE_WEEKDAY_FIELDS}


def _clean_rule(changes: Mapping[str, Any], *, existing: AppRule | None) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    unknown = sorted(set(changes) - RULE_KEYS)
    for name in unknown:
        errors[name] = ["Not an app-rule setting."]
    cleaned: dict[str, Any] = {}
    if existing is None:
        has_app = bool(changes.get("app"))
        has_category = bool(changes.get("category"))
        if has_app == has_category:
            errors["app"] = ["Choose an app or a category (one of them)."]
        for name, check in (("app", clean_app), ("category", clean_category)):
            if changes.get(name):
                try:
                    cleaned[name] = check(changes[name])
                except ValidationError as error:
                    errors.update(error.message_dict)
    elif {"app", "category"} & set(changes):
        errors["app"] = ["A rule's app or category cannot change: remove it and add another."]
    kind = changes.get("kind", existing.kind if existing else None)
    if kind not in AppRuleKind.values:
        errors["kind"] = [f"Choose one of {', '.join(AppRuleKind.values)}."]
    cleaned["kind"] = kind
    limits = clean_rule_limits(changes, errors)
    if kind == AppRuleKind.LIMIT:
        merged = {
            name: limits.get(name, getattr(existing, name) if existing else None)
            for name in RULE_WEEKDAY_FIELDS
        }
        if not errors and all(value is None for value in merged.values()):
            errors["limit_mon"] = ["A time limit needs minutes on at least one day."]
        cleaned.update(merged)
    else:  # blocked and always allowed have no minutes
        cleaned.update(dict.fromkeys(RULE_WEEKDAY_FIELDS))
    if errors:
        raise ValidationError(errors)
    return cleaned


def app_rule_set(*, actor, teen, changes: Mapping[str, Any], rule_id: int | None = None):
    """Create a rule (`app` or `category`, `kind`, minutes) or, with `rule_id`, change one.
    Setting a rule for an app or category that already has one changes that one. Returns the
    rule and whether anything changed."""
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)
        existing = None
        if rule_id is not None:
            existing = AppRule.objects.filter(teen=teen, pk=rule_id).first()
            if existing is None:
                raise AppRule.DoesNotExist("No such app rule.")
        cleaned = _clean_rule(changes, existing=existing)
        if existing is None:
            target = {"app": cleaned.pop("app", ""), "category": cleaned.pop("category", "")}
            existing = AppRule.objects.filter(teen=teen, **target).first()
            if existing is None:
                if AppRule.objects.filter(teen=teen).count() >= MAX_APP_RULES:
                    raise ValidationError({"app": f"At most {MAX_APP_RULES} app rules."})
                existing = AppRule(teen=teen, **target)
        before = rule_snapshot(existing) if existing.pk else None
        for name, value in cleaned.items():
            setattr(existing, name, value)
        after = rule_snapshot(existing)
        if before == after:
            return existing, False
        existing.updated_at = timezone.now()
        existing.save()
        rules_bump(rules)
        labels = labels_of(teen)
        text = rule_text(existing, labels)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="app_rules.set",
            headline=f"{actor.display_name} set an app rule",
            title=f"{actor.display_name} changed {teen.display_name}'s app rules",
            lines=[text],
            before=before,
            after=after,
            extra={"rule_id": existing.pk},
        )
    return existing, True


def app_rule_delete(*, actor, teen, rule_id: int) -> None:
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)
        rule = AppRule.objects.filter(teen=teen, pk=rule_id).first()
        if rule is None:
            raise AppRule.DoesNotExist("No such app rule.")
        before = rule_snapshot(rule)
        name = target_name(app=rule.app, category=rule.category, labels=labels_of(teen))
        rule.delete()
        rules_bump(rules)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="app_rules.delete",
            headline=f"{actor.display_name} removed an app rule",
            title=f"{actor.display_name} changed {teen.display_name}'s app rules",
            lines=[f"{name}: no rule of its own now"],
            before=before,
            after=None,
            extra={"rule_id": rule_id},
        )


# --- The family's names for unknown apps -------------------------------------------------------


def app_label_set(*, actor, teen, app: Any, name: Any, category: Any) -> FamilyAppLabel:
    """Name and categorise an identifier the catalogue does not know (catalogue apps keep
    their catalogue name: refused, naming `app`)."""
    guardian_check(actor=actor, teen=teen)
    errors: dict[str, Any] = {}
    key = ""
    try:
        key = clean_app(app)
        if key in catalogue().by_key:
            errors["app"] = ["This app is in the catalogue already: it keeps the catalogue's name."]
    except ValidationError as error:
        errors.update(error.message_dict)
    clean_name = name.strip() if isinstance(name, str) else ""
    if not clean_name or len(clean_name) > MAX_LABEL_LENGTH:
        errors["name"] = [f"Enter a name of 1 to {MAX_LABEL_LENGTH} characters."]
    try:
        category = clean_category(category)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rules = rules_locked(teen)
        label = FamilyAppLabel.objects.filter(teen=teen, app=key).first()
        before = {"name": label.name, "category": label.category} if label else None
        if label is None:
            label = FamilyAppLabel(teen=teen, app=key)
        label.name, label.category = clean_name, category
        after = {"name": label.name, "category": label.category}
        if before == after:
            return label
        label.save()
        rules_bump(rules)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="app_labels.set",
            headline=f"{actor.display_name} named an app",
            title=f"{actor.display_name} named an app for {teen.display_name}",
            lines=[f"{key} is now shown as “{clean_name}” ({AppCategory(category).label})"],
            before=before,
            after=after,
            extra={"app": key},
        )
    return label


def app_label_delete(*, actor, teen, label_id: int) -> None:
    guardian_check(actor=actor, teen=teen)
    with transaction.atomic():
        rules = rules_locked(teen)
        label = FamilyAppLabel.objects.filter(teen=teen, pk=label_id).first()
        if label is None:
            raise FamilyAppLabel.DoesNotExist("No such label.")
        before = {"app": label.app, "name": label.name, "category": label.category}
        label.delete()
        rules_bump(rules)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="app_labels.delete",
            headline=f"{actor.display_name} removed an app's name",
            title=f"{actor.display_name} changed app names for {teen.display_name}",
            lines=[f"{before['app']} is shown by its identifier again"],
            before=before,
            after=None,
        )


# --- Downtime allowed lists ----------------------------------------------------------------------


def _clean_list(values: Any, check, field: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError({field: "Send a list."})
    cleaned: list[str] = []
    for value in values:
        item = check(value, field)
        if item not in cleaned:
            cleaned.append(item)
    if len(cleaned) > MAX_APP_RULES:
        raise ValidationError({field: f"At most {MAX_APP_RULES}."})
    return sorted(cleaned)


def downtime_allowed_set(
    *, actor, teen, window_id: int, apps: Any = None, categories: Any = None
) -> DowntimeWindow:
    """What stays usable during a downtime window ("School": Khan Academy, Education)."""
    guardian_check(actor=actor, teen=teen)
    errors: dict[str, Any] = {}
    clean_apps: list[str] = []
    clean_categories: list[str] = []
    try:
        clean_apps = _clean_list(apps, clean_app, "allowed_apps")
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        clean_categories = _clean_list(categories, clean_category, "allowed_categories")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rules = rules_locked(teen)
        window = DowntimeWindow.objects.select_for_update().filter(teen=teen, pk=window_id).first()
        if window is None:
            raise DowntimeWindow.DoesNotExist("No such downtime window.")
        before = {"apps": window.allowed_apps, "categories": window.allowed_categories}
        after = {"apps": clean_apps, "categories": clean_categories}
        if before == after:
            return window
        window.allowed_apps, window.allowed_categories = clean_apps, clean_categories
        window.save(update_fields=["allowed_apps", "allowed_categories"])
        rules_bump(rules)
        rules_change_record(
            actor=actor,
            teen=teen,
            action="downtime.allowed",
            headline=f"{actor.display_name} changed what {window.name} allows",
            title=f"{actor.display_name} changed {teen.display_name}'s downtime",
            lines=[f"{window.name}: {downtime_allowed_text(window, labels_of(teen))}"],
            before=before,
            after=after,
            extra={"window_id": window.pk},
        )
    return window
