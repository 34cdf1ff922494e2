"""Tests for the pure effective-policy engine (no Django, no database).

Dates used: 2024-06-03 is a Monday. DST changes: Europe/London 2024-03-31 (01:00 GMT ->
02:00 BST) and 2024-10-27 (02:00 BST -> 01:00 GMT); America/New_York 2024-03-10 (02:00 ->
03:00) and 2024-11-03 (02:00 -> 01:00).
"""

from datetime import UTC, date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from controls.days import day_for_local_date, split_interval_by_day, teen_day
from controls.policy import (
    DowntimeSpec,
    Reason,
    TodayGrants,
    downtime_at,
    next_downtime_start,
)
from tests.controls.policy_support import (
    BERLIN,
    EVERY_DAY,
    FRIDAY_NIGHT,
    LIMITS,
    LONDON,
    NEW_YORK,
    at,
    policy,
    utc,
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
