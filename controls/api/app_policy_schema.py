"""The device policy's per-app part (issue 13), typed and described field by field: each rule's
state now, the lock in force and what the current downtime window allows. The body is
`controls.policy_rules.RuleResult.to_dict` and `controls.policy.EffectivePolicy.to_dict`."""

from __future__ import annotations

from rest_framework import serializers

from controls.app_models import AppCategory, AppRuleKind
from controls.policy_rules import RuleReason


class AppRuleStateSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The rule's id (as in the app-rules API).")
    target = serializers.ChoiceField(
        choices=["app", "category"], help_text="Whether the rule is for one app or a category."
    )
    app = serializers.CharField(
        allow_null=True,
        help_text="The app's key (a catalogue key, or the identifier for an app the catalogue "
        "does not know); null for a category rule.",
    )
    category = serializers.ChoiceField(
        choices=AppCategory.choices,
        allow_null=True,
        allow_blank=True,
        help_text="A category rule's category; for an app rule, the app's category.",
    )
    name = serializers.CharField(help_text="The app's or category's name, for the teen's screen.")
    kind = serializers.ChoiceField(choices=AppRuleKind.choices, help_text="The rule's kind.")
    allowed = serializers.BooleanField(help_text="May the app (or category) be used right now?")
    reason = serializers.ChoiceField(
        choices=[reason.value for reason in RuleReason],
        help_text="Why, first match wins: `blocked`; `always_allowed` (usable in downtime, "
        "after limits and when locked; its time is not counted); `locked` (lock now, of all "
        "devices or this category); `downtime` (a window not allowing it is in force); "
        "`daily_limit` (the overall limit is used up); `app_limit` / `category_limit` (this "
        "rule's limit, or for an app its category's, is used up today); `downtime_allowed` "
        "(usable: the window in force allows it); `ok`.",
    )
    seconds_left = serializers.IntegerField(
        allow_null=True,
        help_text="What is really left today: the smallest of this rule's limit, its "
        "category's (for an app) and the overall limit, less what counts against each; 0 when "
        "blocked; null when no limit applies.",
    )
    own_seconds_left = serializers.IntegerField(
        allow_null=True, help_text="Left of this rule's own limit today; null: none today."
    )
    limit_seconds = serializers.IntegerField(
        allow_null=True, help_text="This rule's limit today; null: no limit of its own today."
    )
    used_seconds = serializers.IntegerField(
        help_text="Today's counted time under this rule (each app's time counts once for each "
        "rule it falls under: its app rule, its category rule and the overall limit)."
    )
    identifiers = serializers.ListField(
        child=serializers.CharField(),
        help_text="For an app rule, every identifier the app has (Android packages, iOS bundle "
        "ids, `web:<domain>`; subdomains match). For a category rule, the `web:<domain>` of every "
        "site in it (the catalogue's and the family's own), so that a browser can enforce it; "
        "its apps on other platforms are listed by `GET /api/v1/catalogue?category=`. An app's "
        "own rule wins over its category's.",
    )


class LockStateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=AppCategory.choices, allow_null=True, help_text="Always null here (all devices)."
    )
    until = serializers.DateTimeField(
        allow_null=True, help_text="When it ends by itself (UTC); null: until unlocked."
    )
    by = serializers.CharField(help_text="The guardian who locked, for the teen's screen.")


class CategoryLockStateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=AppCategory.choices, help_text="The category locked now."
    )
    until = serializers.DateTimeField(
        allow_null=True, help_text="When it ends by itself (UTC); null: until unlocked."
    )
    by = serializers.CharField(help_text="The guardian who locked, for the teen's screen.")
    sites = serializers.ListField(
        child=serializers.CharField(),
        help_text="The category's sites (`web:<domain>`; subdomains match), for a browser to "
        "close; its apps on other platforms are listed by `GET /api/v1/catalogue?category=`. "
        "An always-allowed app stays usable.",
    )


class DowntimeAllowedStateSerializer(serializers.Serializer):
    apps = serializers.ListField(
        child=serializers.CharField(), help_text="App keys the window in force allows."
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=AppCategory.choices),
        help_text="Categories the window in force allows.",
    )
