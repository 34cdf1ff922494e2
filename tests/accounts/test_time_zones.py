"""A change of time zone as a zone (`accounts.time_zones.ZoneChange`), with the pure policy: for
any hop, east or west, across DST or a whole date, the rest of the current day is exactly what
it was, the next day starts when the old one would have, and no date is counted twice."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.time_zones import ZoneChange
from controls.policy import ScreenTimeSpec, TodayGrants, compute_policy, teen_day

ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "Pacific/Kiritimati",  # +14
    "Pacific/Pago_Pago",  # -11
    "Etc/GMT+12",  # -12: Kiritimati → here goes back 26 hours
    "Pacific/Tongatapu",
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Los_Angeles",
    "America/St_Johns",  # -3:30 with DST
    "Asia/Kathmandu",  # +5:45
    "Australia/Lord_Howe",  # DST of 30 minutes
    "America/Sao_Paulo",
    "UTC",
]
DAY_STARTS = [time(0), time(4), time(2, 30)]
# Around the DST changes of 2026 (Europe: 29 March and 25 October) and the rest of the year.
MOMENTS = st.one_of(
    st.datetimes(min_value=datetime(2026, 3, 27), max_value=datetime(2026, 3, 31)),
    st.datetimes(min_value=datetime(2026, 10, 23), max_value=datetime(2026, 10, 27)),
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
).map(lambda naive: naive.replace(tzinfo=UTC))


def change(old: str, new: str, now: datetime, day_start: time) -> tuple[ZoneChange, datetime]:
    at = teen_day(now=now, tz=ZoneInfo(old), day_start=day_start).end_utc
    return ZoneChange(ZoneInfo(old), ZoneInfo(new), at), at


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    old=st.sampled_from(ZONES),
    new=st.sampled_from(ZONES),
    now=MOMENTS,
    day_start=st.sampled_from(DAY_STARTS),
    limit=st.integers(min_value=1, max_value=300),
    used=st.integers(min_value=0, max_value=20000),
    later=st.floats(min_value=0, max_value=1),
)
def test_no_hop_gives_back_time_in_the_rest_of_the_day(
    old, new, now, day_start, limit, used, later
):
    tz, at = change(old, new, now, day_start)
    rules = ScreenTimeSpec(daily_limits=(limit,) * 7, day_start=day_start)
    # Any instant from the change until the old day's end.
    moment = now + (at - now) * later
    if moment >= at:
        moment = at - timedelta(microseconds=1)
    kept = compute_policy(
        rules=rules, used_seconds=used, grants=TodayGrants(), now=moment, tz=ZoneInfo(old)
    )
    hopped = compute_policy(rules=rules, used_seconds=used, grants=TodayGrants(), now=moment, tz=tz)
    assert hopped.local_date == kept.local_date
    assert hopped.seconds_left == kept.seconds_left
    assert hopped.allowed == kept.allowed
    assert hopped.day_end_utc == kept.day_end_utc == at  # blocked until the old day's reset


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    old=st.sampled_from(ZONES),
    new=st.sampled_from(ZONES),
    now=MOMENTS,
    day_start=st.sampled_from(DAY_STARTS),
)
def test_days_around_a_hop_tile_time_and_never_repeat_a_date(old, new, now, day_start):
    tz, at = change(old, new, now, day_start)
    current = teen_day(now=now, tz=tz, day_start=day_start)
    following = teen_day(now=at, tz=tz, day_start=day_start)
    assert following.start_utc == at == current.end_utc
    assert following.local_date > current.local_date
    day = following
    for _ in range(3):
        after = teen_day(now=day.end_utc, tz=tz, day_start=day_start)
        assert after.start_utc == day.end_utc
        assert after.local_date > day.local_date
        assert timedelta(0) < day.length <= timedelta(hours=24 + 27)
        day = after


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    old=st.sampled_from(ZONES),
    new=st.sampled_from(ZONES),
    now=MOMENTS,
    offset_minutes=st.integers(min_value=-30 * 60, max_value=30 * 60),
)
def test_every_instant_round_trips_through_the_changing_zone(old, new, now, offset_minutes):
    tz, at = change(old, new, now, time(0))
    instant = at + timedelta(minutes=offset_minutes, seconds=offset_minutes % 7)
    local = instant.astimezone(tz)
    assert local.astimezone(UTC) == instant
    expected = ZoneInfo(old) if instant <= at else ZoneInfo(new)
    assert local.replace(tzinfo=None) == instant.astimezone(expected).replace(tzinfo=None)


def test_it_counts_the_days_of_the_hops_the_issue_names():
    now = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    lengths = {}
    for new in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles"):
        tz, at = change("Europe/London", new, now, time(0))
        lengths[new] = teen_day(now=at, tz=tz).length
        assert at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    # East: the first day in the new zone is short; west: long. Never a second 1 December.
    assert lengths == {
        "Pacific/Kiritimati": timedelta(hours=10),
        "Pacific/Pago_Pago": timedelta(hours=35),
        "America/Los_Angeles": timedelta(hours=32),
    }
