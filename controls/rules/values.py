"""The checks of each rule's value, for pages and the API alike: each returns the clean value
or raises ValidationError with a message that names what is wrong. The bounds are here too."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError

from controls.days import is_int
from controls.rules.domains import normalise_domains

MAX_DAILY_LIMIT_MINUTES = 1440
MAX_WARNINGS = 3
MAX_WARNING_MINUTES = 120
MAX_APPS = 100
MAX_APP_LENGTH = 200
MAX_KEYWORDS = 500
MAX_KEYWORD_LENGTH = 100
MAX_DOMAINS = 500
MAX_DOWNTIME_WINDOWS = 20
MAX_WINDOW_NAME_LENGTH = 60
# --------------------------------------------------------------------------------------------
# Field checks (each returns the clean value or raises ValidationError with a message)
# --------------------------------------------------------------------------------------------


def clean_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("Must be on or off (true or false).")
    return value


def clean_choice(value: Any, choices) -> str:
    if value not in choices.values:
        allowed = ", ".join(f"“{v}”" for v in choices.values)
        raise ValidationError(f"Choose one of {allowed}.")
    return str(value)


def clean_wall_time(value: Any, *, allow_none: bool = False) -> time | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValidationError("Enter a time such as 21:30.")
    return value.replace(second=0, microsecond=0)


def clean_daily_limit(value: Any) -> int | None:
    if value is None:
        return None
    if not is_int(value) or not 1 <= value <= MAX_DAILY_LIMIT_MINUTES:
        raise ValidationError(
            f"Enter 1 to {MAX_DAILY_LIMIT_MINUTES} minutes, or choose no limit.",
            code="limit_range",
        )
    return value


def clean_warnings(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError("Enter the warnings as a list of minutes, such as 15, 5.")
    found: set[int] = set()
    for minutes in value:
        if not is_int(minutes) or not 1 <= minutes <= MAX_WARNING_MINUTES:
            raise ValidationError(
                f"Each warning is 1 to {MAX_WARNING_MINUTES} minutes before the limit."
            )
        found.add(minutes)
    if len(found) > MAX_WARNINGS:
        raise ValidationError(f"At most {MAX_WARNINGS} warnings.")
    return sorted(found, reverse=True)


def clean_text_items(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValidationError(f"Enter the {what} as a list.")
    if not all(isinstance(item, str) for item in value):
        raise ValidationError(f"Each of the {what} must be text.")
    return list(value)


def normalise_apps(value: Any) -> list[str]:
    """App identifiers: trimmed, blanks dropped, duplicates (ignoring case) dropped."""
    found: list[str] = []
    seen: set[str] = set()
    for raw in clean_text_items(value, "apps"):
        app = raw.strip()
        if not app:
            continue
        if len(app) > MAX_APP_LENGTH or not app.isprintable():
            raise ValidationError(
                f"“{app[:40]}” is not an app identifier (printable text, at most "
                f"{MAX_APP_LENGTH} characters)."
            )
        if app.casefold() not in seen:
            seen.add(app.casefold())
            found.append(app)
    if len(found) > MAX_APPS:
        raise ValidationError(f"At most {MAX_APPS} always-allowed apps; there are {len(found)}.")
    return found


def normalise_keywords(value: Any) -> list[str]:
    """Keyword filters: trimmed, inner spaces collapsed, case-folded, de-duplicated (first kept),
    at most 500 of at most 100 characters each."""
    found: list[str] = []
    seen: set[str] = set()
    too_long: list[str] = []
    for raw in clean_text_items(value, "keywords"):
        keyword = " ".join(raw.split()).casefold()
        if not keyword:
            continue
        if len(keyword) > MAX_KEYWORD_LENGTH:
            too_long.append(keyword)
            continue
        if keyword not in seen:
            seen.add(keyword)
            found.append(keyword)
    if too_long:
        raise ValidationError(
            [
                f"“{keyword[:40]}…” is longer than {MAX_KEYWORD_LENGTH} characters."
                for keyword in too_long
            ]
        )
    if len(found) > MAX_KEYWORDS:
        raise ValidationError(f"At most {MAX_KEYWORDS} keywords; there are {len(found)}.")
    return found


def clean_domains(value: Any) -> list[str]:
    found = normalise_domains(clean_text_items(value, "sites"))
    if len(found) > MAX_DOMAINS:
        raise ValidationError(f"At most {MAX_DOMAINS} sites; there are {len(found)}.")
    return found


def clean_fields(changes: Mapping[str, Any], checks: Mapping[str, Any]) -> dict[str, Any]:
    """Run each field's check, collecting every error before raising."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for name, value in changes.items():
        try:
            cleaned[name] = checks[name](value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned
