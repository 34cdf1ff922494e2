"""Properties of the pure effective-policy engine (hypothesis): whatever the rules, usage, grants,
instant and time zone, DST days and skipped days included."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from controls.days import LocalDay, day_for_local_date, split_interval_by_day, teen_day
from controls.policy import (
    WEEKDAYS,
    DowntimeSpec,
    Reason,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
)
from tests.controls.policy_support import utc

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
        # The first piece starts at `start`; but a start less than a second before a day
        # boundary books its fractional second on the later day (whole seconds, as
        # documented), so the first piece then starts at that boundary.
        first_day = teen_day(now=start, tz=tz, day_start=day_start)
        fraction_only = first_day.end_utc - start < timedelta(seconds=1)
        assert pieces[0][1] == (first_day.end_utc if fraction_only else start)
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
