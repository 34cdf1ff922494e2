"""The pure policy's rules per app and per category, and locks (issue 13): properties over
random rules, usage, locks and instants (DST days included), and a few worked examples."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controls.policy import (
    AppRuleSpec,
    DowntimeSpec,
    LockSpec,
    Reason,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
)
from controls.policy_rules import RuleKind, RuleReason

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
APPS = {
    "tiktok": "social",
    "instagram": "social",
    "roblox": "games",
    "minecraft": "games",
    "khan-academy": "education",
    "com.example.x": "other",
}
CATEGORIES = sorted(set(APPS.values()))
MONDAY_NOON = datetime(2024, 6, 3, 11, 0, tzinfo=UTC)  # 12:00 in London


def compute(
    now=MONDAY_NOON,
    *,
    tz=LONDON,
    limits=(None,) * 7,
    rules=(),
    locks=(),
    seconds=None,
    downtimes=(),
    used=None,
    grants=None,
):
    seconds = seconds or {}
    return compute_policy(
        rules=ScreenTimeSpec(daily_limits=limits, downtimes=downtimes),
        used_seconds=sum(seconds.values()) if used is None else used,
        grants=grants or TodayGrants(),
        now=now,
        tz=tz,
        app_rules=rules,
        locks=locks,
        app_seconds=seconds,
        app_categories=APPS,
    )


def games_school_days(rule_id=1) -> AppRuleSpec:
    return AppRuleSpec(
        rule_id=rule_id, kind=RuleKind.LIMIT, category="games", daily_limits=(60,) * 5 + (None,) * 2
    )


def test_a_minute_counts_once_for_its_app_its_category_and_the_day():
    rules = (
        AppRuleSpec(rule_id=1, kind="limit", app="tiktok", daily_limits=(30,) * 7),
        AppRuleSpec(rule_id=2, kind="limit", category="social", daily_limits=(45,) * 7),
    )
    policy = compute(limits=(120,) * 7, rules=rules, seconds={"tiktok": 600, "instagram": 900})
    tiktok, social = policy.app_rules
    assert tiktok.used_seconds == 600 and social.used_seconds == 1500
    assert policy.used_seconds == 1500
    # TikTok: its own 20 min left, but Social has only 20 min and the day 95 min.
    assert tiktok.own_seconds_left == 1200 and social.own_seconds_left == 1200
    assert tiktok.seconds_left == 1200 and policy.seconds_left == 120 * 60 - 1500


def test_a_category_used_up_stops_its_apps_but_not_others():
    rules = (
        games_school_days(),
        AppRuleSpec(rule_id=2, kind="limit", app="minecraft", daily_limits=(120,) * 7),
    )
    policy = compute(rules=rules, seconds={"roblox": 3600})
    games, minecraft = policy.app_rules
    assert (games.allowed, games.reason) == (False, RuleReason.CATEGORY_LIMIT)
    assert (minecraft.allowed, minecraft.reason) == (False, RuleReason.CATEGORY_LIMIT)
    assert policy.allowed and policy.reason == Reason.OK


def test_games_have_no_limit_on_saturday():
    saturday = datetime(2024, 6, 8, 11, 0, tzinfo=UTC)
    (games,) = compute(saturday, rules=(games_school_days(),), seconds={"roblox": 7200}).app_rules
    assert games.allowed and games.limit_seconds is None and games.seconds_left is None


def test_lock_now_locks_everything_but_always_allowed_apps_until_its_end():
    until = MONDAY_NOON + timedelta(hours=2)
    rules = (
        AppRuleSpec(rule_id=1, kind="always_allowed", app="khan-academy"),
        games_school_days(2),
    )
    policy = compute(rules=rules, locks=(LockSpec(lock_id=7, until=until, by="Alice"),))
    assert (policy.allowed, policy.reason, policy.next_change_at) == (False, Reason.LOCKED, until)
    assert policy.to_dict()["lock"] == {
        "category": None,
        "until": "2024-06-03T13:00:00Z",
        "by": "Alice",
    }
    khan, games = policy.app_rules
    assert khan.allowed and khan.reason == RuleReason.ALWAYS_ALLOWED
    assert not games.allowed and games.reason == RuleReason.LOCKED
    after = compute(until, rules=rules, locks=(LockSpec(lock_id=7, until=until, by="Alice"),))
    assert after.allowed and after.lock is None
    assert after.version != policy.version


def test_a_category_lock_locks_that_category_only():
    rules = (
        games_school_days(),
        AppRuleSpec(rule_id=2, kind="limit", app="tiktok", daily_limits=(60,) * 7),
    )
    policy = compute(rules=rules, locks=(LockSpec(lock_id=1, category="games"),))
    games, tiktok = policy.app_rules
    assert games.reason == RuleReason.LOCKED and tiktok.reason == RuleReason.OK
    assert policy.allowed


def test_school_time_allows_its_chosen_apps_only():
    school = DowntimeSpec(
        name="School",
        weekdays=frozenset(range(5)),
        start=time(8, 30),
        end=time(15, 0),
        allowed_apps=frozenset({"khan-academy"}),
    )
    rules = (
        AppRuleSpec(rule_id=1, kind="limit", app="khan-academy", daily_limits=(90,) * 7),
        AppRuleSpec(rule_id=2, kind="limit", app="tiktok", daily_limits=(90,) * 7),
    )
    policy = compute(rules=rules, downtimes=(school,))
    assert policy.reason == Reason.DOWNTIME
    assert policy.to_dict()["downtime_allowed"] == {"apps": ["khan-academy"], "categories": []}
    khan, tiktok = policy.app_rules
    assert (khan.allowed, khan.reason) == (True, RuleReason.DOWNTIME_ALLOWED)
    assert (tiktok.allowed, tiktok.reason) == (False, RuleReason.DOWNTIME)


def test_the_version_stays_while_only_counters_move_and_changes_at_a_rule_limit():
    rules = (games_school_days(),)
    a = compute(rules=rules, seconds={"roblox": 60})
    b = compute(rules=rules, seconds={"roblox": 120})
    c = compute(rules=rules, seconds={"roblox": 3600})
    assert a.version == b.version != c.version


def test_without_rules_or_locks_the_version_is_as_before_issue_13():
    plain = compute_policy(
        rules=ScreenTimeSpec(daily_limits=(60,) * 7),
        used_seconds=0,
        grants=TodayGrants(),
        now=MONDAY_NOON,
        tz=LONDON,
    )
    assert compute(limits=(60,) * 7, used=0).version == plain.version
    assert plain.app_rules == () and plain.to_dict()["app_rules"] == []


# --- Properties -------------------------------------------------------------------------------

minutes = st.one_of(st.none(), st.integers(1, 1440))
week = st.tuples(*[minutes] * 7)


@st.composite
def rule_sets(draw):
    targets = draw(
        st.lists(
            st.sampled_from([*("app:" + a for a in APPS), *("cat:" + c for c in CATEGORIES)]),
            unique=True,
            max_size=8,
        )
    )
    rules = []
    for index, target in enumerate(targets, start=1):
        kind = draw(st.sampled_from(list(RuleKind)))
        where, name = target.split(":", 1)
        rules.append(
            AppRuleSpec(
                rule_id=index,
                kind=kind,
                app=name if where == "app" else "",
                category=name if where == "cat" else "",
                daily_limits=draw(week) if kind == RuleKind.LIMIT else (None,) * 7,
            )
        )
    return tuple(rules)


usage = st.dictionaries(st.sampled_from(list(APPS)), st.integers(0, 6 * 3600), max_size=6)
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
)
# Days around the DST changes, where a teen's day is 23 or 25 hours long.
dst_instants = st.sampled_from(
    [
        datetime(2024, 3, 31, tzinfo=UTC),
        datetime(2024, 10, 27, tzinfo=UTC),
        datetime(2024, 3, 10, 5, tzinfo=UTC),
        datetime(2024, 11, 3, 5, tzinfo=UTC),
    ]
).flatmap(lambda start: st.integers(0, 26 * 3600).map(lambda s: start + timedelta(seconds=s)))
locks = st.lists(
    st.builds(
        LockSpec,
        lock_id=st.integers(1, 9),
        category=st.sampled_from(["", *CATEGORIES]),
        until=st.none(),
    ),
    max_size=2,
    unique_by=lambda lock: lock.category,
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    rules=rule_sets(),
    seconds=usage,
    now=st.one_of(instants, dst_instants),
    tz=st.sampled_from([LONDON, NEW_YORK]),
    limits=week,
    held=locks,
)
def test_each_rule_books_each_apps_time_once_and_keeps_its_budget(
    rules, seconds, now, tz, limits, held
):
    policy = compute(now, tz=tz, limits=limits, rules=rules, seconds=seconds, locks=held)
    weekday = policy.local_date.weekday()
    by_category = {}
    for app, value in seconds.items():
        by_category[APPS[app]] = by_category.get(APPS[app], 0) + value
    assert [r.rule_id for r in policy.app_rules] == [r.rule_id for r in rules]
    for rule, result in zip(rules, policy.app_rules, strict=True):
        expected = seconds.get(rule.app, 0) if rule.app else by_category.get(rule.category, 0)
        assert result.used_seconds == expected  # once per rule, whatever else it falls under
        if rule.kind == RuleKind.BLOCKED:
            assert not result.allowed and result.seconds_left == 0
            continue
        if rule.kind == RuleKind.ALWAYS_ALLOWED:
            assert result.allowed and result.seconds_left is None
            continue
        budget = rule.daily_limits[weekday]  # the teen's local weekday, DST days included
        assert result.limit_seconds == (None if budget is None else budget * 60)
        if budget is not None:
            assert result.own_seconds_left == max(0, budget * 60 - expected)
            assert (
                result.seconds_left is not None and result.seconds_left <= result.own_seconds_left
            )
            if expected >= budget * 60:
                assert not result.allowed
        if policy.seconds_left is not None and result.seconds_left is not None:
            assert result.seconds_left <= policy.seconds_left
        if result.allowed:
            assert result.seconds_left is None or result.seconds_left > 0
            assert not any(not lock.category for lock in held)
        if any(not lock.category for lock in held):
            assert not result.allowed and result.reason == RuleReason.LOCKED
    assert policy.allowed == (policy.reason == Reason.OK)
    if any(not lock.category for lock in held):
        assert policy.reason == Reason.LOCKED


@PROPERTY
@given(rules=rule_sets(), seconds=usage, now=st.one_of(instants, dst_instants), limits=week)
def test_more_time_in_one_app_never_makes_a_rule_more_allowed(rules, seconds, now, limits):
    policy = compute(now, limits=limits, rules=rules, seconds=seconds)
    more = dict(seconds)
    more["roblox"] = more.get("roblox", 0) + 600
    later = compute(now, limits=limits, rules=rules, seconds=more)
    for before, after in zip(policy.app_rules, later.app_rules, strict=True):
        assert not (after.allowed and not before.allowed)
        if before.own_seconds_left is not None:
            assert after.own_seconds_left <= before.own_seconds_left


@pytest.mark.parametrize("tz", [LONDON, NEW_YORK])
def test_a_rule_limit_resets_at_the_start_of_a_dst_day(tz):
    spring = {LONDON: datetime(2024, 3, 31), NEW_YORK: datetime(2024, 3, 10)}[tz]
    start = spring.replace(tzinfo=tz).astimezone(UTC)
    rules = (AppRuleSpec(rule_id=1, kind="limit", app="tiktok", daily_limits=(10,) * 7),)
    before = compute(start - timedelta(seconds=1), tz=tz, rules=rules, seconds={"tiktok": 600})
    assert not before.app_rules[0].allowed
    assert (before.day_end_utc - before.day_start_utc) == timedelta(hours=24)
    fresh = compute(start, tz=tz, rules=rules, seconds={})
    assert fresh.app_rules[0].allowed and fresh.app_rules[0].own_seconds_left == 600
    assert fresh.day_end_utc - fresh.day_start_utc == timedelta(hours=23)
