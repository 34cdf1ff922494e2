"""The device policy's schema: every field a client enforces, typed and described in words.

Only the schema (and the generated clients) read these serializers: the policy body itself is
`controls.policy.EffectivePolicy.to_dict`, cached as JSON by `controls.effective.cache`. A test
checks the two agree (tests/controls/api/test_device_schema.py).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from controls.api.app_policy_schema import (
    AppRuleStateSerializer,
    CategoryLockStateSerializer,
    DowntimeAllowedStateSerializer,
    LockStateSerializer,
)
from controls.models import Audience, DomainMode, LikedVideosAudience
from controls.policy import Reason

ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The policy version in quotes; send it back in If-None-Match.",
    response=[200, 304],
)
WAIT_QUERY = OpenApiParameter(
    "wait",
    {"type": "integer", "minimum": 1, "maximum": 55},
    OpenApiParameter.QUERY,
    description="The change channel: hold the request open up to this many seconds (1-55) "
    "while the policy equals the ETag in If-None-Match; answered within a second of a change, "
    "with 304 when the wait ends.",
    # Not exploded: a value of the wrong shape still arrives under its name (and is refused).
    style="form",
    explode=False,
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the policy the device has: 304 while it is still current.",
)


class BrowsingRulesSerializer(serializers.Serializer):
    restricted_mode = serializers.BooleanField(
        help_text="Restricted mode: the client turns on SafeSearch on every search engine it "
        "can (Google, Bing, DuckDuckGo, YouTube search) and YouTube's Restricted Mode, and keeps "
        "them on (e.g. by rewriting requests or setting the engines' preference cookies)."
    )
    search_enabled = serializers.BooleanField(
        help_text="False: web search is off; the client blocks the result pages of search "
        "engines (the engines' home pages may stay reachable)."
    )
    keyword_filters = serializers.ListField(
        child=serializers.CharField(),
        help_text="Words and phrases, lower-cased (Unicode case folding) with runs of spaces "
        "made one. A page is blocked when a keyword occurs, case-insensitively, anywhere in "
        "its address (URL) or its title. The teen sees this list.",
    )
    domain_mode = serializers.ChoiceField(
        choices=DomainMode.choices,
        help_text="`block`: the sites in `domains` are blocked, everything else is allowed. "
        "`allow_only`: only the sites in `domains` are allowed (\u201conly allowed sites\u201d), "
        "everything else is blocked.",
    )
    domains = serializers.ListField(
        child=serializers.CharField(),
        help_text="Site rules, lower-case, international names in punycode (`xn--…`), no "
        "scheme, port or path. `example.com` matches that host and every host under it "
        "(`www.example.com`, `a.b.example.com`); `*.example.com` matches every host under it "
        "but not `example.com` itself. No other wildcard exists. A client compares the "
        "host of each address it loads, not the path.",
    )


class PrivacyRulesSerializer(serializers.Serializer):
    """Settings an app applies to the teen's own account (when the app has such a setting)."""

    private_account = serializers.BooleanField(help_text="The teen's account is private.")
    suggest_account = serializers.BooleanField(
        help_text="The app may suggest the teen's account to others."
    )
    direct_messages = serializers.ChoiceField(
        choices=Audience.choices, help_text="Who may send the teen direct messages."
    )
    live_streaming = serializers.BooleanField(help_text="The teen may go live.")
    comments = serializers.ChoiceField(
        choices=Audience.choices, help_text="Who may comment on the teen's posts."
    )
    liked_videos = serializers.ChoiceField(
        choices=LikedVideosAudience.choices, help_text="Who sees the videos the teen liked."
    )
    duet_stitch = serializers.BooleanField(help_text="Others may duet or stitch the teen's videos.")
    downloads = serializers.BooleanField(help_text="Others may download the teen's videos.")
    mute_start = serializers.CharField(
        allow_null=True,
        help_text="`HH:MM` in the teen's time zone: the app holds notifications from then "
        "until `mute_end` (null: never muted).",
    )
    mute_end = serializers.CharField(allow_null=True, help_text="`HH:MM`, see `mute_start`.")
    always_allowed_apps = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every identifier of the teen's always-allowed apps (as the device reports "
        "them in usage `app`; `web:<domain>` for sites), usable in downtime, after the limit "
        "and when locked; their time is recorded but not counted. Compared case-insensitively. "
        "Kept for clients older than `app_rules`, which says the same per rule (issue 13).",
    )


class DowntimeInstantSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="When the window begins (UTC).")
    end = serializers.DateTimeField(help_text="When it ends (UTC); after `start`.")
    name = serializers.CharField(help_text="The window's name, e.g. “Bedtime”.")


class PolicySerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="May the device be used right now?")
    reason = serializers.ChoiceField(
        choices=[reason.value for reason in Reason],
        help_text="Why: `ok` (allowed), `daily_limit` (today's time is used up), `downtime` "
        "(a downtime window is in force; grants never lift it), `locked` (a guardian locked "
        "all devices: see `lock`). Always-allowed apps stay usable in all three.",
    )
    seconds_left = serializers.IntegerField(
        allow_null=True,
        help_text="Of today's quota (also during downtime); null: no limit today.",
    )
    limit_seconds = serializers.IntegerField(
        allow_null=True, help_text="Today's limit with today's grants; null: no limit."
    )
    used_seconds = serializers.IntegerField(help_text="Counted usage of the teen's day so far.")
    limit_reached = serializers.BooleanField()
    local_date = serializers.DateField(help_text="The teen's day, in the teen's time zone.")
    day_start_utc = serializers.DateTimeField(help_text="When the teen's day began (UTC).")
    day_end_utc = serializers.DateTimeField(
        help_text="When it ends and a fresh quota starts (UTC)."
    )
    downtime_name = serializers.CharField(
        allow_null=True, help_text="The window in force, if `reason` is `downtime`."
    )
    next_change_at = serializers.DateTimeField(
        allow_null=True, help_text="When `allowed` or `reason` next change by time alone."
    )
    warnings_due = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The \u201cN minutes left\u201d warnings already due (largest first).",
    )
    version = serializers.CharField(
        help_text="What the device acknowledges; the ETag is this and `time_requests_version`."
    )
    time_requests_version = serializers.CharField(
        help_text="Changes when one of the teen's time requests is made or answered: read them "
        "again."
    )
    browsing = BrowsingRulesSerializer()
    privacy = PrivacyRulesSerializer()
    offline_valid_until = serializers.DateTimeField(
        help_text="Until when (UTC, 24 hours after the policy was computed) a device that "
        "cannot reach the server keeps enforcing this policy on its own: downtime from "
        "`downtime_next_48h`, the quota from `seconds_left` minus its own unreported usage, "
        "afresh at `limit_seconds` once `day_end_utc` passes. After it, the device should be "
        "treated as not allowed (always-allowed apps excepted) until the server is reached."
    )
    downtime_next_48h = DowntimeInstantSerializer(
        many=True,
        help_text="Every downtime window instance in force or starting within 48 hours of "
        "when the policy was computed, sorted by start, in UTC, computed in the teen's time "
        "zone (DST-exact: a night that loses an hour is an hour shorter). Not merged: "
        "touching windows are listed one by one.",
    )
    downtime_allowed = DowntimeAllowedStateSerializer(
        allow_null=True,
        help_text="In downtime: the apps and categories the window in force allows (they "
        "stay usable, within their limits); null outside downtime.",
    )
    app_rules = AppRuleStateSerializer(
        many=True,
        help_text="Every app and category rule with its state now (issue 13). Apps without a "
        "rule of their own follow their category's rule, then the overall policy.",
    )
    lock = LockStateSerializer(
        allow_null=True,
        help_text="The lock of all devices in force (`reason` is then `locked`); null when "
        "none. A lock of one category is in `category_locks` (and shows as `locked` on the "
        "rules it covers).",
    )
    category_locks = CategoryLockStateSerializer(
        many=True, help_text="The locks of one category in force now, each with its sites."
    )
