"""Tests for the pure effective-policy engine (no Django, no database).

Dates used: 2024-06-03 is a Monday. DST changes: Europe/London 2024-03-31 (01:00 GMT ->
02:00 BST) and 2024-10-27 (02:00 BST -> 01:00 GMT); America/New_York 2024-03-10 (02:00 ->
03:00) and 2024-11-03 (02:00 -> 01:00).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from controls.days import LocalDay, day_for_local_date, split_interval_by_day, teen_day
from controls.policy import (
    WEEKDAYS,
    DowntimeSpec,
    EffectivePolicy,
    Reason,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
    downtime_at,
    next_downtime_start,
)

LIMITS = (60, 90, 120, 30, 45, 180, 240)  # Mon..Sun, minutes
BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = frozenset(WEEKDAYS)


def at(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    """An aware local datetime."""
    return datetime(*args, tzinfo=tz, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def policy(
    now: datetime,
    *,
    tz: ZoneInfo = BERLIN,
    limits: tuple[int | None, ...] = LIMITS,
    downtimes: tuple[DowntimeSpec, ...] = (),
    used: int = 0,
    grants: TodayGrants | None = None,
    day_start: time = time(0),
    warnings: tuple[int, ...] = (15, 5),
    rules_version: str = "r1",
) -> EffectivePolicy:
    rules = ScreenTimeSpec(
        daily_limits=limits, downtimes=downtimes, warning_minutes=warnings, day_start=day_start
    )
    return compute_policy(
        rules=rules,
        used_seconds=used,
        grants=grants or TodayGrants(),
        now=now,
        tz=tz,
        rules_version=rules_version,
    )


# --------------------------------------------------------------------------------------------
# Limits and grants
# --------------------------------------------------------------------------------------------


def test_it_uses_the_limit_of_the_local_weekday():
    for offset, minutes in enumerate(LIMITS):
        day = date(2024, 6, 3) + timedelta(days=offset)
        result = policy(at(BERLIN, day.year, day.month, day.day, 12), used=600)
        assert result.local_date == day
        assert result.limit_seconds == minutes * 60
        assert result.seconds_left == minutes * 60 - 600
        assert result.used_seconds == 600
        assert result.allowed and result.reason is Reason.OK
        assert not result.limit_reached
        assert result.day_start_utc == at(BERLIN, day.year, day.month, day.day)
        assert result.day_end_utc - result.day_start_utc == timedelta(hours=24)


def test_it_treats_a_none_limit_as_unlimited():
    limits = (None,) * 7
    result = policy(at(BERLIN, 2024, 6, 3, 23, 59), limits=limits, used=20 * 3600)
    assert result.allowed and result.reason is Reason.OK
    assert result.limit_seconds is None and result.seconds_left is None
    assert result.warnings_due == ()
    assert not result.limit_reached
    assert result.next_change_at is None  # nothing changes by time alone


def test_it_reports_the_daily_limit_when_quota_is_used_up():
    now = at(BERLIN, 2024, 6, 3, 20)
    result = policy(now, used=3600)
    assert not result.allowed
    assert result.reason is Reason.DAILY_LIMIT
    assert result.seconds_left == 0 and result.limit_reached
    assert result.warnings_due == (15, 5)
    assert result.next_change_at == at(BERLIN, 2024, 6, 4)  # the new day brings new quota
    over = policy(now, used=5 * 3600)
    assert over.seconds_left == 0 and over.reason is Reason.DAILY_LIMIT


def test_it_adds_bonus_minutes_to_todays_limit():
    now = at(BERLIN, 2024, 6, 3, 20)
    result = policy(now, used=3600, grants=TodayGrants(bonus_minutes=30))
    assert result.allowed
    assert result.limit_seconds == 90 * 60
    assert result.seconds_left == 30 * 60


def test_it_lifts_the_limit_with_no_limit_today_but_not_downtime():
    bedtime = DowntimeSpec("Bedtime", EVERY_DAY, time(21), time(7))
    grants = TodayGrants(bonus_minutes=10, no_limit=True)
    free = policy(at(BERLIN, 2024, 6, 3, 20), used=10 * 3600, grants=grants, downtimes=(bedtime,))
    assert free.allowed and free.reason is Reason.OK
    assert free.limit_seconds is None and free.seconds_left is None and free.warnings_due == ()
    assert free.next_change_at == at(BERLIN, 2024, 6, 3, 21)
    blocked = policy(
        at(BERLIN, 2024, 6, 3, 22), used=10 * 3600, grants=grants, downtimes=(bedtime,)
    )
    assert not blocked.allowed and blocked.reason is Reason.DOWNTIME
    assert blocked.downtime_name == "Bedtime"
    bonus_only = policy(
        at(BERLIN, 2024, 6, 3, 22), grants=TodayGrants(bonus_minutes=120), downtimes=(bedtime,)
    )
    assert bonus_only.reason is Reason.DOWNTIME


# --------------------------------------------------------------------------------------------
# Day start and DST
# --------------------------------------------------------------------------------------------


def test_it_counts_two_am_tuesday_as_mondays_day_with_day_start_four():
    night = policy(at(BERLIN, 2024, 6, 4, 2), day_start=time(4))
    assert night.local_date == date(2024, 6, 3)  # Monday
    assert night.limit_seconds == LIMITS[0] * 60
    assert night.day_start_utc == at(BERLIN, 2024, 6, 3, 4)
    assert night.day_end_utc == at(BERLIN, 2024, 6, 4, 4)
    morning = policy(at(BERLIN, 2024, 6, 4, 4), day_start=time(4))
    assert morning.local_date == date(2024, 6, 4)  # Tuesday
    assert morning.limit_seconds == LIMITS[1] * 60
    just_before = teen_day(now=at(BERLIN, 2024, 6, 4, 3, 59, 59), tz=BERLIN, day_start=time(4))
    assert just_before.local_date == date(2024, 6, 3)


def test_it_uses_reached_limit_until_the_configured_day_start():
    result = policy(at(BERLIN, 2024, 6, 4, 1), used=3600, day_start=time(4))
    assert result.reason is Reason.DAILY_LIMIT
    assert result.next_change_at == at(BERLIN, 2024, 6, 4, 4)


@pytest.mark.parametrize(
    ("tz", "spring", "autumn"),
    [
        (LONDON, date(2024, 3, 31), date(2024, 10, 27)),
        (NEW_YORK, date(2024, 3, 10), date(2024, 11, 3)),
    ],
)
def test_it_makes_dst_days_23_and_25_hours_long(tz, spring, autumn):
    short = day_for_local_date(local_date=spring, tz=tz, day_start=time(0))
    long = day_for_local_date(local_date=autumn, tz=tz, day_start=time(0))
    assert short.length == timedelta(hours=23)
    assert long.length == timedelta(hours=25)
    assert short.start_utc.tzinfo is UTC and short.end_utc.tzinfo is UTC
    # The last second of the long day still belongs to it.
    last = long.end_utc - timedelta(seconds=1)
    assert teen_day(now=last, tz=tz).local_date == autumn
    assert teen_day(now=long.end_utc, tz=tz).local_date == autumn + timedelta(days=1)
    # And the policy's day bounds follow.
    result = policy(short.start_utc + timedelta(hours=22), tz=tz)
    assert result.local_date == spring
    assert result.day_end_utc - result.day_start_utc == timedelta(hours=23)


def test_it_starts_the_day_at_the_transition_when_day_start_is_in_the_gap():
    # London 2024-03-31: 01:30 local does not exist; first valid instant is 02:00 BST.
    gap_day = day_for_local_date(local_date=date(2024, 3, 31), tz=LONDON, day_start=time(1, 30))
    assert gap_day.start_utc == utc(2024, 3, 31, 1, 0)
    assert gap_day.end_utc == utc(2024, 4, 1, 0, 30)  # 01:30 BST
    assert gap_day.length == timedelta(hours=23, minutes=30)
    before = teen_day(now=utc(2024, 3, 31, 0, 59, 59), tz=LONDON, day_start=time(1, 30))
    assert before.local_date == date(2024, 3, 30)
    assert before.end_utc == gap_day.start_utc
    assert teen_day(now=utc(2024, 3, 31, 1), tz=LONDON, day_start=time(1, 30)) == gap_day
    # New York 2024-03-10: 02:30 does not exist; the day starts at 03:00 EDT = 07:00 UTC.
    ny = day_for_local_date(local_date=date(2024, 3, 10), tz=NEW_YORK, day_start=time(2, 30))
    assert ny.start_utc == utc(2024, 3, 10, 7, 0)


def test_it_uses_the_first_occurrence_when_day_start_is_ambiguous():
    # London 2024-10-27: 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
    day = day_for_local_date(local_date=date(2024, 10, 27), tz=LONDON, day_start=time(1, 30))
    assert day.start_utc == utc(2024, 10, 27, 0, 30)
    second_0115 = at(LONDON, 2024, 10, 27, 1, 15, fold=1)
    assert teen_day(now=second_0115, tz=LONDON, day_start=time(1, 30)).local_date == date(
        2024, 10, 27
    )
    assert teen_day(now=utc(2024, 10, 27, 0, 29), tz=LONDON, day_start=time(1, 30)).local_date == (
        date(2024, 10, 26)
    )


# --------------------------------------------------------------------------------------------
# Downtime windows
# --------------------------------------------------------------------------------------------

FRIDAY_NIGHT = DowntimeSpec("Friday night", frozenset({4}), time(21), time(7))


def test_it_blocks_a_window_that_crosses_midnight_until_its_end():
    downtimes = (FRIDAY_NIGHT,)
    saturday_0659 = policy(at(BERLIN, 2024, 6, 8, 6, 59), downtimes=downtimes)
    assert not saturday_0659.allowed
    assert saturday_0659.reason is Reason.DOWNTIME
    assert saturday_0659.downtime_name == "Friday night"
    assert saturday_0659.next_change_at == at(BERLIN, 2024, 6, 8, 7)
    assert saturday_0659.local_date == date(2024, 6, 8)
    assert saturday_0659.seconds_left == LIMITS[5] * 60  # quota kept for later
    saturday_0700 = policy(at(BERLIN, 2024, 6, 8, 7), downtimes=downtimes)
    assert saturday_0700.allowed and saturday_0700.downtime_name is None
    friday_2059 = policy(at(BERLIN, 2024, 6, 7, 20, 59), downtimes=downtimes)
    assert friday_2059.allowed
    assert friday_2059.next_change_at == at(BERLIN, 2024, 6, 7, 21)
    assert not policy(at(BERLIN, 2024, 6, 7, 21), downtimes=downtimes).allowed


def test_it_applies_a_friday_window_on_friday_only():
    downtimes = (FRIDAY_NIGHT,)
    thursday_night = policy(at(BERLIN, 2024, 6, 6, 23), downtimes=downtimes)
    assert thursday_night.allowed
    assert thursday_night.next_change_at == at(BERLIN, 2024, 6, 7, 21)
    friday_early = policy(at(BERLIN, 2024, 6, 7, 3), downtimes=downtimes)
    assert friday_early.allowed  # Thursday's night is not covered
    saturday_night = policy(at(BERLIN, 2024, 6, 8, 23), downtimes=downtimes)
    assert saturday_night.allowed
    assert saturday_night.next_change_at == at(BERLIN, 2024, 6, 14, 21)


def test_it_uses_window_weekdays_independent_of_day_start():
    # Day start 04:00: Saturday 02:00 is in Friday's day, but the window is keyed on calendar
    # start, so a Saturday-only window starting at 01:00 applies.
    early = DowntimeSpec("Early", frozenset({5}), time(1), time(3))
    result = policy(at(BERLIN, 2024, 6, 8, 2), downtimes=(early,), day_start=time(4))
    assert result.local_date == date(2024, 6, 7)
    assert result.reason is Reason.DOWNTIME


def test_it_handles_several_windows_a_day():
    school = DowntimeSpec("School", frozenset(range(5)), time(8), time(15))
    dinner = DowntimeSpec("Dinner", EVERY_DAY, time(18), time(19))
    bedtime = DowntimeSpec("Bedtime", frozenset({6, 0, 1, 2, 3}), time(21, 30), time(6, 30))
    downtimes = (school, dinner, bedtime)
    expectations = [
        # (local time on Monday 2024-06-03, downtime name or None, next change local)
        ((7, 0), None, (2024, 6, 3, 8, 0)),
        ((10, 0), "School", (2024, 6, 3, 15, 0)),
        ((16, 0), None, (2024, 6, 3, 18, 0)),
        ((18, 30), "Dinner", (2024, 6, 3, 19, 0)),
        ((20, 0), None, (2024, 6, 3, 21, 30)),
        ((23, 0), "Bedtime", (2024, 6, 4, 6, 30)),
    ]
    for (hour, minute), name, change in expectations:
        result = policy(at(BERLIN, 2024, 6, 3, hour, minute), downtimes=downtimes)
        assert result.downtime_name == name, (hour, minute)
        assert result.allowed is (name is None)
        assert result.next_change_at == at(BERLIN, *change), (hour, minute)
    # Monday 05:00 is still Sunday night's bedtime.
    early = policy(at(BERLIN, 2024, 6, 3, 5), downtimes=downtimes)
    assert early.downtime_name == "Bedtime"


def test_it_merges_touching_and_overlapping_windows():
    homework = DowntimeSpec("Homework", EVERY_DAY, time(19), time(22))
    bedtime = DowntimeSpec("Bedtime", EVERY_DAY, time(21), time(23))
    night = DowntimeSpec("Night", EVERY_DAY, time(23), time(6))
    downtimes = (homework, bedtime, night)
    result = policy(at(BERLIN, 2024, 6, 3, 19, 30), downtimes=downtimes)
    assert result.downtime_name == "Homework"
    assert result.next_change_at == at(BERLIN, 2024, 6, 4, 6)
    overlap = policy(at(BERLIN, 2024, 6, 3, 21, 30), downtimes=downtimes)
    assert overlap.downtime_name == "Bedtime"  # both apply; Bedtime ends last
    spec, end = downtime_at(downtimes=downtimes, now=at(BERLIN, 2024, 6, 3, 21, 30), tz=BERLIN)
    assert spec is not None and end == at(BERLIN, 2024, 6, 4, 6)


def test_it_reports_the_window_ending_last_when_several_apply():
    short = DowntimeSpec("Short", EVERY_DAY, time(20), time(21))
    long = DowntimeSpec("Long", EVERY_DAY, time(20, 30), time(23))
    result = policy(at(BERLIN, 2024, 6, 3, 20, 45), downtimes=(short, long))
    assert result.downtime_name == "Long"
    assert result.next_change_at == at(BERLIN, 2024, 6, 3, 23)


def test_it_reports_no_change_when_downtime_never_ends_within_the_horizon():
    am = DowntimeSpec("AM", EVERY_DAY, time(0), time(12))
    pm = DowntimeSpec("PM", EVERY_DAY, time(12), time(0))
    result = policy(at(BERLIN, 2024, 6, 3, 9), downtimes=(am, pm))
    assert result.reason is Reason.DOWNTIME and result.downtime_name == "AM"
    assert result.next_change_at is None


def test_it_covers_the_repeated_hour_with_a_window_ending_in_it():
    # Saturday 2024-10-26 22:00 -> 01:30, London; 01:30 happens twice on Sunday morning.
    late = DowntimeSpec("Late", frozenset({5}), time(22), time(1, 30))
    second_0115 = at(LONDON, 2024, 10, 27, 1, 15, fold=1)
    assert policy(second_0115, tz=LONDON, downtimes=(late,)).reason is Reason.DOWNTIME
    spec, end = downtime_at(downtimes=(late,), now=second_0115, tz=LONDON)
    assert spec == late and end == utc(2024, 10, 27, 1, 30)
    assert policy(utc(2024, 10, 27, 1, 30), tz=LONDON, downtimes=(late,)).allowed
    # And the window lasted 4.5 hours of real time that night.
    start = next_downtime_start(downtimes=(late,), now=utc(2024, 10, 26, 12), tz=LONDON)
    assert start == utc(2024, 10, 26, 21) and end - start == timedelta(hours=4, minutes=30)


def test_it_starts_a_window_at_the_transition_when_its_start_is_in_the_gap():
    gap = DowntimeSpec("Gap", frozenset({6}), time(1, 30), time(3))
    assert policy(utc(2024, 3, 31, 0, 59), tz=LONDON, downtimes=(gap,)).allowed
    blocked = policy(utc(2024, 3, 31, 1, 0), tz=LONDON, downtimes=(gap,))
    assert blocked.reason is Reason.DOWNTIME
    assert blocked.next_change_at == utc(2024, 3, 31, 2, 0)  # 03:00 BST
    # A window lying wholly in the gap does not exist that night.
    inside = DowntimeSpec("Inside", frozenset({6}), time(1, 10), time(1, 50))
    assert downtime_at(downtimes=(inside,), now=utc(2024, 3, 31, 1), tz=LONDON) == (None, None)


def test_it_shortens_an_overnight_window_on_the_spring_forward_night():
    night = DowntimeSpec("Night", frozenset({5}), time(22), time(7))  # Sat -> Sun
    start = next_downtime_start(downtimes=(night,), now=utc(2024, 3, 30, 12), tz=LONDON)
    spec, end = downtime_at(downtimes=(night,), now=utc(2024, 3, 30, 23), tz=LONDON)
    assert start == utc(2024, 3, 30, 22)
    assert spec == night and end == utc(2024, 3, 31, 6)
    assert end - start == timedelta(hours=8)


# --------------------------------------------------------------------------------------------
# Travelling, warnings, next change
# --------------------------------------------------------------------------------------------


def test_it_gives_a_travelling_teen_the_day_of_their_current_zone():
    instant = utc(2024, 6, 3, 3, 0)  # Monday 03:00 UTC
    la = policy(instant, tz=ZoneInfo("America/Los_Angeles"))
    tokyo = policy(instant, tz=ZoneInfo("Asia/Tokyo"))
    london = policy(instant, tz=LONDON)
    assert la.local_date == date(2024, 6, 2) and la.limit_seconds == LIMITS[6] * 60
    assert tokyo.local_date == date(2024, 6, 3) and tokyo.limit_seconds == LIMITS[0] * 60
    assert london.local_date == date(2024, 6, 3)
    assert tokyo.day_start_utc == utc(2024, 6, 2, 15) and london.day_start_utc == utc(
        2024, 6, 2, 23
    )
    assert len({la.version, tokyo.version, london.version}) == 3


@pytest.mark.parametrize(
    ("used_minutes", "expected"),
    [
        (0, ()),
        (44, ()),
        (45, (15,)),
        (50, (15,)),
        (54, (15,)),
        (55, (15, 5)),
        (59, (15, 5)),
        (60, (15, 5)),
        (90, (15, 5)),
    ],
)
def test_it_reports_warnings_whose_threshold_was_crossed(used_minutes, expected):
    result = policy(at(BERLIN, 2024, 6, 3, 12), used=used_minutes * 60)  # limit 60
    assert result.warnings_due == expected


def test_it_reports_warnings_in_descending_order_whatever_the_configuration():
    result = policy(at(BERLIN, 2024, 6, 3, 12), used=3590, warnings=(1, 10, 5, 10))
    assert result.warnings_due == (10, 5, 1)


def test_it_computes_next_change_at_for_each_case():
    evening = DowntimeSpec("Evening", EVERY_DAY, time(22), time(6))
    noon = at(BERLIN, 2024, 6, 3, 12)
    # ok, no downtime: nothing changes by time alone.
    assert policy(noon).next_change_at is None
    # ok, downtime later: its start.
    assert policy(noon, downtimes=(evening,)).next_change_at == at(BERLIN, 2024, 6, 3, 22)
    # in downtime: its end, whether or not the limit is reached.
    late = at(BERLIN, 2024, 6, 3, 23)
    assert policy(late, downtimes=(evening,)).next_change_at == at(BERLIN, 2024, 6, 4, 6)
    assert policy(late, downtimes=(evening,), used=9999).next_change_at == at(BERLIN, 2024, 6, 4, 6)
    # limit reached, no downtime: end of the teen's day.
    assert policy(noon, used=3600).next_change_at == at(BERLIN, 2024, 6, 4)
    # limit reached, downtime before the day ends: the downtime start.
    assert policy(noon, used=3600, downtimes=(evening,)).next_change_at == at(
        BERLIN, 2024, 6, 3, 22
    )
    # limit reached, downtime starting after the day end: the day end. With day_start 20:00,
    # Monday noon is in Sunday's day (limit 240 minutes), which ends Monday 20:00.
    sunday = policy(noon, used=240 * 60, downtimes=(evening,), day_start=time(20))
    assert sunday.local_date == date(2024, 6, 2) and sunday.reason is Reason.DAILY_LIMIT
    assert sunday.next_change_at == at(BERLIN, 2024, 6, 3, 20)
    # Results are aware UTC datetimes.
    assert policy(noon, used=3600).next_change_at.tzinfo is UTC


# --------------------------------------------------------------------------------------------
# Version (ETag)
# --------------------------------------------------------------------------------------------


def test_it_keeps_the_version_while_only_usage_changes():
    now = at(BERLIN, 2024, 6, 3, 12)
    versions = {policy(now + timedelta(minutes=m), used=m * 30).version for m in range(0, 100, 7)}
    assert len(versions) == 1
    version = versions.pop()
    assert len(version) == 16 and int(version, 16) >= 0
    # Also stable inside the limit-reached state and inside downtime.
    assert policy(now, used=3600).version == policy(now, used=7200).version
    evening = DowntimeSpec("Evening", EVERY_DAY, time(11), time(13))
    assert (
        policy(now, used=10, downtimes=(evening,)).version
        == policy(now, used=20, downtimes=(evening,)).version
    )


def test_it_changes_the_version_when_what_devices_enforce_changes():
    now = at(BERLIN, 2024, 6, 3, 12)
    base = policy(now, used=600).version
    assert policy(now, used=600, grants=TodayGrants(bonus_minutes=15)).version != base
    assert policy(now, used=600, grants=TodayGrants(no_limit=True)).version != base
    assert policy(now + timedelta(days=7), used=600).version != base  # another date
    assert policy(now, used=3600).version != base  # allowed -> daily_limit
    assert policy(now, used=600, rules_version="r2").version != base
    window = DowntimeSpec("Lunch", EVERY_DAY, time(11), time(13))
    other = DowntimeSpec("Break", EVERY_DAY, time(11), time(13))
    in_lunch = policy(now, used=600, downtimes=(window,)).version
    assert in_lunch != base
    assert policy(now, used=600, downtimes=(other,)).version != in_lunch
    limits = (61, *LIMITS[1:])
    assert policy(now, used=600, limits=limits).version != base  # limit_seconds


# --------------------------------------------------------------------------------------------
# Splitting usage
# --------------------------------------------------------------------------------------------


def test_it_splits_an_interval_across_the_day_start():
    start = at(BERLIN, 2024, 6, 4, 3, 30)  # Tuesday 03:30, still Monday's day
    pieces = split_interval_by_day(start=start, seconds=3600, tz=BERLIN, day_start=time(4))
    assert pieces == [
        (date(2024, 6, 3), start, 1800),
        (date(2024, 6, 4), at(BERLIN, 2024, 6, 4, 4), 1800),
    ]
    assert all(piece_start.tzinfo is UTC for _, piece_start, _ in pieces)
    inside = split_interval_by_day(start=start, seconds=600, tz=BERLIN, day_start=time(4))
    assert inside == [(date(2024, 6, 3), start, 600)]
    assert split_interval_by_day(start=start, seconds=0, tz=BERLIN, day_start=time(4)) == []


def test_it_splits_an_interval_across_a_dst_day():
    start = utc(2024, 3, 30, 23)  # 23:00 GMT on Saturday
    pieces = split_interval_by_day(start=start, seconds=26 * 3600, tz=LONDON, day_start=time(0))
    assert pieces == [
        (date(2024, 3, 30), start, 3600),
        (date(2024, 3, 31), utc(2024, 3, 31, 0), 23 * 3600),  # 23-hour day
        (date(2024, 4, 1), utc(2024, 3, 31, 23), 2 * 3600),
    ]
    autumn = split_interval_by_day(
        start=utc(2024, 10, 26, 23), seconds=27 * 3600, tz=LONDON, day_start=time(0)
    )
    assert [(d, s) for d, _, s in autumn] == [
        (date(2024, 10, 27), 25 * 3600),
        (date(2024, 10, 28), 2 * 3600),
    ]


def test_it_keeps_whole_seconds_when_splitting_a_fractional_start():
    start = at(BERLIN, 2024, 6, 3, 23, 59, 59) + timedelta(microseconds=500_000)
    pieces = split_interval_by_day(start=start, seconds=10, tz=BERLIN, day_start=time(0))
    assert sum(s for _, _, s in pieces) == 10
    assert pieces[-1][0] == date(2024, 6, 4)


# --------------------------------------------------------------------------------------------
# Validation and serialisation
# --------------------------------------------------------------------------------------------


def test_it_rejects_naive_datetimes():
    naive = datetime(2024, 6, 3, 12)
    with pytest.raises(ValueError, match="aware"):
        policy(naive)
    with pytest.raises(ValueError):
        teen_day(now=naive, tz=BERLIN)
    with pytest.raises(ValueError):
        downtime_at(downtimes=(FRIDAY_NIGHT,), now=naive, tz=BERLIN)
    with pytest.raises(ValueError):
        next_downtime_start(downtimes=(FRIDAY_NIGHT,), now=naive, tz=BERLIN)
    with pytest.raises(ValueError):
        split_interval_by_day(start=naive, seconds=10, tz=BERLIN, day_start=time(0))


@pytest.mark.parametrize(
    "build",
    [
        lambda: DowntimeSpec("Same", EVERY_DAY, time(7), time(7)),
        lambda: DowntimeSpec("", EVERY_DAY, time(7), time(8)),
        lambda: DowntimeSpec("Bad day", frozenset({7}), time(7), time(8)),
        lambda: ScreenTimeSpec(daily_limits=(60,) * 6),
        lambda: ScreenTimeSpec(daily_limits=(60,) * 8),
        lambda: ScreenTimeSpec(daily_limits=(0, *(60,) * 6)),
        lambda: ScreenTimeSpec(daily_limits=(1441, *(60,) * 6)),
        lambda: ScreenTimeSpec(daily_limits=(60,) * 7, warning_minutes=(0,)),
        lambda: ScreenTimeSpec(daily_limits=(60,) * 7, warning_minutes=(-5,)),
        lambda: TodayGrants(bonus_minutes=-1),
        lambda: policy(at(BERLIN, 2024, 6, 3, 12), used=-1),
    ],
)
def test_it_rejects_invalid_specs(build):
    with pytest.raises(ValueError):
        build()


def test_it_accepts_boundary_specs_and_normalises_collections():
    spec = ScreenTimeSpec(daily_limits=[1, 1440, None, 5, 6, 7, 8])
    assert spec.daily_limits == (1, 1440, None, 5, 6, 7, 8)
    window = DowntimeSpec("List days", [0, 1], time(7), time(8))
    assert window.weekdays == frozenset({0, 1})
    assert hash(window) == hash(DowntimeSpec("List days", frozenset({1, 0}), time(7), time(8)))


def test_it_serialises_to_a_json_ready_dict():
    evening = DowntimeSpec("Evening", EVERY_DAY, time(22), time(6))
    result = compute_policy(
        rules=ScreenTimeSpec(daily_limits=LIMITS, downtimes=(evening,)),
        used_seconds=3000,
        grants=TodayGrants(),
        now=at(BERLIN, 2024, 6, 3, 12),
        tz=BERLIN,
        rules_version="abc",
        browsing={"safe_search": True, "blocked": ["example.com"]},
        privacy={"location": "off"},
    )
    data = result.to_dict()
    json.dumps(data)  # must not raise
    assert data["reason"] == "ok"
    assert data["local_date"] == "2024-06-03"
    assert data["day_start_utc"] == "2024-06-02T22:00:00Z"
    assert data["day_end_utc"] == "2024-06-03T22:00:00Z"
    assert data["next_change_at"] == "2024-06-03T20:00:00Z"
    assert data["warnings_due"] == [15]
    assert data["browsing"] == {"safe_search": True, "blocked": ["example.com"]}
    assert data["privacy"] == {"location": "off"}
    assert data["version"] == result.version
    assert str(Reason.DAILY_LIMIT) == "daily_limit"
    assert isinstance(result.day_start_utc, datetime) and isinstance(result.local_date, date)


def test_it_passes_browsing_and_privacy_through_and_versions_them():
    now = at(BERLIN, 2024, 6, 3, 12)
    rules = ScreenTimeSpec(daily_limits=LIMITS)

    def run(browsing):
        return compute_policy(
            rules=rules,
            used_seconds=0,
            grants=TodayGrants(),
            now=now,
            tz=BERLIN,
            browsing=browsing,
        )

    plain = run(None)
    assert plain.browsing == {} and plain.privacy == {}
    given_mapping = {"filter": "strict"}
    result = run(given_mapping)
    assert result.browsing == given_mapping
    assert result.version != plain.version
    assert run({"tags": {"b", "a"}}).version == run({"tags": {"a", "b"}}).version


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/St_Johns",  # half-hour offset
    "America/Sao_Paulo",  # historic DST changes at midnight
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kolkata",
    "Pacific/Apia",  # skipped 2011-12-30 entirely
    "Pacific/Chatham",
]
# Days with interesting transitions in some of the zones above, mixed with arbitrary days.
SPECIAL_DATES = [
    date(2024, 3, 31),
    date(2024, 10, 27),
    date(2024, 3, 10),
    date(2024, 11, 3),
    date(2018, 11, 4),
    date(2019, 2, 16),
    date(2019, 2, 17),
    date(2011, 12, 29),
    date(2011, 12, 30),
    date(2011, 12, 31),
    date(2024, 4, 7),
    date(2024, 10, 6),
]

zones = st.sampled_from(ZONES).map(ZoneInfo)
wall_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 29, 30, 45, 59]))
instants = st.one_of(
    st.integers(int(utc(2010, 1, 1).timestamp()), int(utc(2035, 1, 1).timestamp())).map(
        lambda ts: datetime.fromtimestamp(ts, UTC)
    ),
    st.builds(
        lambda d, seconds: datetime.combine(d, time(0), tzinfo=UTC) + timedelta(seconds=seconds),
        st.sampled_from(SPECIAL_DATES),
        st.integers(-36 * 3600, 36 * 3600),
    ),
)


@st.composite
def downtime_specs(draw: st.DrawFn) -> tuple[DowntimeSpec, ...]:
    count = draw(st.integers(0, 3))
    specs = []
    for index in range(count):
        start = draw(wall_times)
        end = draw(wall_times.filter(lambda t, start=start: t != start))
        days = draw(st.frozensets(st.sampled_from(list(WEEKDAYS)), min_size=1))
        specs.append(DowntimeSpec(f"w{index}", days, start, end))
    return tuple(specs)


rule_specs = st.builds(
    ScreenTimeSpec,
    daily_limits=st.tuples(
        *[st.one_of(st.none(), st.sampled_from([1, 5, 30, 60, 120]), st.integers(1, 1440))] * 7
    ),
    downtimes=downtime_specs(),
    warning_minutes=st.lists(st.integers(1, 120), max_size=3).map(tuple),
    day_start=wall_times,
)
grant_specs = st.builds(
    TodayGrants,
    bonus_minutes=st.one_of(st.just(0), st.integers(0, 600)),
    no_limit=st.sampled_from([False, False, False, True]),
)
usage = st.one_of(
    st.integers(0, 30 * 3600), st.integers(0, 24 * 60).map(lambda minutes: minutes * 60)
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def wall_clock_in_window(spec: DowntimeSpec, moment: datetime, tz: ZoneInfo) -> bool:
    """Independent oracle: does the teen's wall clock show a time inside the window?"""
    local = moment.astimezone(tz)
    clock, weekday = local.time().replace(tzinfo=None, fold=0), local.weekday()
    if not spec.crosses_midnight:
        return weekday in spec.weekdays and spec.start <= clock < spec.end
    yesterday = (weekday - 1) % 7
    return (weekday in spec.weekdays and clock >= spec.start) or (
        yesterday in spec.weekdays and clock < spec.end
    )


@PROPERTY
@given(rules=rule_specs, used=usage, grants=grant_specs, now=instants, tz=zones)
def test_it_never_reports_negative_seconds_left(rules, used, grants, now, tz):
    result = compute_policy(rules=rules, used_seconds=used, grants=grants, now=now, tz=tz)
    assert result.seconds_left is None or result.seconds_left >= 0
    assert (result.seconds_left is None) == (result.limit_seconds is None)
    assert result.day_start_utc <= now < result.day_end_utc
    assert result.next_change_at is None or result.next_change_at > now
    assert result.allowed == (result.reason is Reason.OK)
    assert (result.downtime_name is not None) == (result.reason is Reason.DOWNTIME)


@PROPERTY
@given(rules=rule_specs, used=usage, grants=grant_specs, now=instants, tz=zones)
def test_it_is_never_allowed_inside_a_downtime_window(rules, used, grants, now, tz):
    result = compute_policy(rules=rules, used_seconds=used, grants=grants, now=now, tz=tz)
    inside = any(wall_clock_in_window(spec, now, tz) for spec in rules.downtimes)
    event("inside a window" if inside else "outside every window")
    if inside:
        assert not result.allowed
        assert result.reason is Reason.DOWNTIME


@PROPERTY
@given(
    rules=rule_specs,
    grants=grant_specs,
    tz=zones,
    day=st.sampled_from(SPECIAL_DATES) | st.dates(date(2015, 1, 1), date(2030, 12, 31)),
    window_index=st.integers(0, 2),
    fraction=st.floats(0, 1, exclude_max=True),
)
def test_it_is_never_allowed_at_a_wall_time_chosen_inside_a_window(
    rules, grants, tz, day, window_index, fraction
):
    if not rules.downtimes:
        return
    index = window_index % len(rules.downtimes)
    chosen = rules.downtimes[index]
    # Make the chosen window apply on the drawn day (often a DST day).
    spec = replace(chosen, weekdays=chosen.weekdays | {day.weekday()})
    rules = replace(
        rules, downtimes=(*rules.downtimes[:index], spec, *rules.downtimes[index + 1 :])
    )
    start = datetime.combine(day, spec.start)
    end = datetime.combine(day + timedelta(days=1) if spec.crosses_midnight else day, spec.end)
    wall = start + (end - start) * fraction
    now = wall.replace(tzinfo=tz).astimezone(UTC)
    result = compute_policy(rules=rules, used_seconds=0, grants=grants, now=now, tz=tz)
    inside = wall_clock_in_window(spec, now, tz)
    event("inside the window" if inside else "wall time skipped by DST")
    if inside:
        assert result.reason is Reason.DOWNTIME


@PROPERTY
@given(
    rules=rule_specs,
    used=usage,
    extra=st.integers(0, 10 * 3600),
    grants=grant_specs,
    now=instants,
    tz=zones,
)
def test_it_never_gives_more_seconds_left_for_more_usage(rules, used, extra, grants, now, tz):
    less = compute_policy(rules=rules, used_seconds=used, grants=grants, now=now, tz=tz)
    more = compute_policy(rules=rules, used_seconds=used + extra, grants=grants, now=now, tz=tz)
    if less.seconds_left is None:
        assert more.seconds_left is None
    else:
        assert more.seconds_left <= less.seconds_left
    assert not (more.allowed and not less.allowed)
    assert set(less.warnings_due) <= set(more.warnings_due)
    if (less.allowed, less.reason, less.limit_reached) == (
        more.allowed,
        more.reason,
        more.limit_reached,
    ):
        assert less.version == more.version


def state_at(rules, used, grants, now, tz, moment):
    """(allowed, reason) at ``moment`` assuming no further usage; a new day resets usage."""
    today = teen_day(now=now, tz=tz, day_start=rules.day_start)
    if today.contains(moment):
        result = compute_policy(rules=rules, used_seconds=used, grants=grants, now=moment, tz=tz)
    else:
        result = compute_policy(
            rules=rules, used_seconds=0, grants=TodayGrants(), now=moment, tz=tz
        )
    return result.allowed, result.reason


@PROPERTY
@given(
    rules=rule_specs,
    used=usage,
    grants=grant_specs,
    now=instants,
    tz=zones,
    fraction=st.floats(0, 1, exclude_max=True),
)
def test_it_predicts_the_next_change_exactly(rules, used, grants, now, tz, fraction):
    result = compute_policy(rules=rules, used_seconds=used, grants=grants, now=now, tz=tz)
    current = (result.allowed, result.reason)
    event(
        f"{result.reason.value}, next change {'none' if result.next_change_at is None else 'set'}"
    )
    if result.next_change_at is None:
        later = now + timedelta(days=8) * fraction
        assert state_at(rules, used, grants, now, tz, later) == current
        return
    span_us = (result.next_change_at - now) // timedelta(microseconds=1)
    before = now + timedelta(microseconds=min(span_us - 1, int(span_us * fraction)))
    assert state_at(rules, used, grants, now, tz, before) == current
    assert state_at(rules, used, grants, now, tz, result.next_change_at) != current


@PROPERTY
@given(
    start=instants,
    seconds=st.integers(0, 4 * 86400),
    tz=zones,
    day_start=wall_times,
    micros=st.integers(0, 999_999),
)
def test_it_splits_intervals_into_pieces_that_sum_to_the_input(
    start, seconds, tz, day_start, micros
):
    start = start + timedelta(microseconds=micros)
    pieces = split_interval_by_day(start=start, seconds=seconds, tz=tz, day_start=day_start)
    assert sum(piece for _, _, piece in pieces) == seconds
    assert all(piece > 0 for _, _, piece in pieces)
    dates = [d for d, _, _ in pieces]
    assert dates == sorted(set(dates))
    if pieces:
        assert pieces[0][1] == start
    for local_date, piece_start, _ in pieces:
        day = teen_day(now=piece_start, tz=tz, day_start=day_start)
        assert day.local_date == local_date
    for _, next_start, _ in pieces[1:]:  # later pieces start exactly at a day start
        assert teen_day(now=next_start, tz=tz, day_start=day_start).start_utc == next_start


@PROPERTY
@given(now=instants, tz=zones, day_start=wall_times)
def test_it_tiles_time_with_teen_days(now, tz, day_start):
    day = teen_day(now=now, tz=tz, day_start=day_start)
    assert isinstance(day, LocalDay)
    assert day.start_utc <= now < day.end_utc
    following = teen_day(now=day.end_utc, tz=tz, day_start=day_start)
    assert following.start_utc == day.end_utc
    assert following.local_date > day.local_date
    assert day == day_for_local_date(local_date=day.local_date, tz=tz, day_start=day_start)
    if tz.key == "Pacific/Apia":  # skipped 2011-12-30: days around it are odd but non-empty
        assert timedelta(0) < day.length <= timedelta(hours=48)
    else:
        assert timedelta(hours=22) <= day.length <= timedelta(hours=26)
