"""Age bounds and age defaults for a teen's privacy settings, as data.

Services, forms and the API all read these tables, so "what a 15-year-old may have" is written
down exactly once. Two bands exist: under 16 and 16–17. A teen's band is decided by their age on
their own local date; when a teen turns 16 the bounds widen but no stored setting changes: the
defaults are applied once, when the rules are created, and never re-applied.

A bound is either a choice field whose allowed values are limited (direct messages, comments) or
a switch that must stay off (live streaming, duet/stitch, downloads). Everything else a guardian
may set freely: tightening is always allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from controls.models import Audience, LikedVideosAudience

OLDER_TEEN_AGE = 16


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str  # completes "for teens ...": "under 16", "aged 16–17"
    #: choice fields whose values are limited: field -> the values allowed
    choice_limits: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: switches that must stay off
    locked_off: frozenset[str] = frozenset()
    #: what a new rule set starts with (applied once, at creation)
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def allows(self, name: str, value: Any) -> bool:
        """Whether `name` may hold `value` for a teen in this band."""
        if name in self.locked_off:
            return value is False
        if name in self.choice_limits:
            return value in self.choice_limits[name]
        return True

    def reason(self, name: str) -> str:
        """Why an option is not available, in words a parent and a teen understand."""
        return f"Not available for teens {self.label}."

    def rule_message(self, name: str) -> str:
        """The error for a request that breaks the bound on `name` (names the rule)."""
        label = FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
        if name in self.locked_off:
            return f"{label} must stay off for teens {self.label} (age rule)."
        allowed = " or ".join(
            f"“{CHOICE_LABELS[value]}”" for value in _ordered(self.choice_limits[name])
        )
        return f"{label} can only be {allowed} for teens {self.label} (age rule)."

    def violations(self, values: Mapping[str, Any]) -> dict[str, str]:
        """{field: message} for every value in `values` outside this band."""
        return {
            name: self.rule_message(name)
            for name, value in values.items()
            if not self.allows(name, value)
        }

    def as_dict(self) -> dict[str, Any]:
        """The bounds for the API: which values each bounded field may take."""
        return {
            "band": self.key,
            "label": self.label,
            "choices": {name: _ordered(values) for name, values in self.choice_limits.items()},
            "locked_off": sorted(self.locked_off),
        }


FIELD_LABELS = {
    "direct_messages": "Direct messages",
    "comments": "Who can comment",
    "live_streaming": "Live streaming",
    "duet_stitch": "Duet and Stitch",
    "downloads": "Downloads",
}
CHOICE_LABELS = {**dict(Audience.choices), **dict(LikedVideosAudience.choices)}
_CHOICE_ORDER = [Audience.EVERYONE, Audience.FRIENDS, Audience.NO_ONE]


def _ordered(values: frozenset[str]) -> list[str]:
    return sorted(values, key=lambda v: _CHOICE_ORDER.index(v) if v in _CHOICE_ORDER else 99)


# The safest settings are every teen's starting point; only the mute window differs by band.
_SAFE_DEFAULTS: dict[str, Any] = {
    "private_account": True,
    "suggest_account": False,
    "direct_messages": Audience.NO_ONE,
    "live_streaming": False,
    "comments": Audience.FRIENDS,
    "liked_videos": LikedVideosAudience.ONLY_ME,
    "duet_stitch": False,
    "downloads": False,
    "mute_end": time(8, 0),
}

UNDER_16 = AgeBand(
    key="under_16",
    label="under 16",
    choice_limits={
        "direct_messages": frozenset({Audience.NO_ONE}),
        "comments": frozenset({Audience.FRIENDS, Audience.NO_ONE}),
    },
    locked_off=frozenset({"live_streaming", "duet_stitch", "downloads"}),
    defaults={**_SAFE_DEFAULTS, "mute_start": time(21, 0)},
)

AGED_16_17 = AgeBand(
    key="16_17",
    label="aged 16–17",
    defaults={**_SAFE_DEFAULTS, "mute_start": time(22, 0)},
)

BOUNDED_FIELDS = ("direct_messages", "comments", "live_streaming", "duet_stitch", "downloads")


def band_for_age(age: int | None) -> AgeBand:
    """Unknown ages get the strictest band."""
    if age is None or age < OLDER_TEEN_AGE:
        return UNDER_16
    return AGED_16_17


def band_for_teen(teen) -> AgeBand:
    return band_for_age(teen.age())
