"""What a policy carries for a device that goes offline: until when it may enforce it alone, and
every downtime instance of the next 48 hours as exact UTC instants (DST included)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from controls.policy import (
    DowntimeSpec,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
    downtime_instances,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = frozenset(range(7))
BEDTIME = DowntimeSpec(name="Bedtime", weekdays=EVERY_DAY, start=time(22), end=time(7))
NIGHT = DowntimeSpec(name="Night", weekdays=EVERY_DAY, start=time(1), end=time(4))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def instants(windows, now, tz):
    return [(o.name, o.start, o.end) for o in downtime_instances(downtimes=windows, now=now, tz=tz)]


def test_a_window_crossing_midnight_is_listed_with_its_start_and_end_in_utc():
    # Wednesday 15 July 2026, 12:00 in Berlin (UTC+2).
    got = instants([BEDTIME], utc(2026, 7, 15, 10, 0), BERLIN)
    assert got == [
        ("Bedtime", utc(2026, 7, 15, 20, 0), utc(2026, 7, 16, 5, 0)),
        ("Bedtime", utc(2026, 7, 16, 20, 0), utc(2026, 7, 17, 5, 0)),
    ]


def test_a_window_in_force_keeps_its_real_start_and_ones_past_48_hours_are_left_out():
    now = utc(2026, 7, 15, 23, 0)  # 01:00 in Berlin, inside Bedtime
    got = instants([BEDTIME], now, BERLIN)
    assert got[0] == ("Bedtime", utc(2026, 7, 15, 20, 0), utc(2026, 7, 16, 5, 0))
    assert all(start < now + timedelta(hours=48) for _, start, _ in got)
    assert got[-1][1] == utc(2026, 7, 17, 20, 0)  # 22:00 on Friday: within 48 h
    assert len(got) == 3


def test_berlin_spring_forward_night_is_an_hour_shorter():
    # 29 March 2026: 02:00 CET becomes 03:00 CEST.
    got = instants([BEDTIME], utc(2026, 3, 28, 12, 0), BERLIN)
    first, second = got[0], got[1]
    assert first == ("Bedtime", utc(2026, 3, 28, 21, 0), utc(2026, 3, 29, 5, 0))  # 22 CET → 7 CEST
    assert first[2] - first[1] == timedelta(hours=8)
    assert second[1] == utc(2026, 3, 29, 20, 0)  # 22:00 CEST


def test_a_window_starting_in_the_spring_gap_starts_at_the_transition():
    gap = DowntimeSpec(name="Gap", weekdays=EVERY_DAY, start=time(2, 30), end=time(4))
    got = instants([gap], utc(2026, 3, 28, 12, 0), BERLIN)
    assert got[0] == ("Gap", utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))  # 03:00-04:00 CEST


def test_berlin_fall_back_night_is_an_hour_longer_and_an_end_in_the_fold_is_the_later_one():
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    got = instants([BEDTIME], utc(2026, 10, 24, 12, 0), BERLIN)
    assert got[0] == ("Bedtime", utc(2026, 10, 24, 20, 0), utc(2026, 10, 25, 6, 0))
    assert got[0][2] - got[0][1] == timedelta(hours=10)
    fold = DowntimeSpec(name="Fold", weekdays=EVERY_DAY, start=time(1), end=time(2, 30))
    (first, *_) = instants([fold], utc(2026, 10, 24, 12, 0), BERLIN)
    assert first == ("Fold", utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 1, 30))  # 2:30 CET


def test_new_york_dst_nights():
    # 8 March 2026 (spring forward at 02:00 EST) and 1 November 2026 (fall back at 02:00 EDT).
    spring = instants([NIGHT], utc(2026, 3, 7, 17, 0), NEW_YORK)
    assert spring[0] == ("Night", utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 8, 0))  # 1 EST → 4 EDT
    autumn = instants([NIGHT], utc(2026, 10, 31, 16, 0), NEW_YORK)
    assert autumn[0] == ("Night", utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 9, 0))  # 1 EDT → 4 EST


def test_windows_on_some_weekdays_only_and_several_names_are_sorted_by_start():
    school = DowntimeSpec(name="School", weekdays=frozenset({4}), start=time(8), end=time(12))
    got = instants([BEDTIME, school], utc(2026, 7, 16, 10, 0), BERLIN)  # Thursday noon
    assert [name for name, _, _ in got] == ["Bedtime", "School", "Bedtime"]
    assert got[1][1:] == (utc(2026, 7, 17, 6, 0), utc(2026, 7, 17, 10, 0))


def test_the_policy_carries_both_and_neither_changes_its_version():
    rules = ScreenTimeSpec(daily_limits=(60,) * 7, downtimes=(BEDTIME,))
    now = utc(2026, 7, 15, 10, 0)
    policy = compute_policy(rules=rules, used_seconds=0, grants=TodayGrants(), now=now, tz=BERLIN)
    later = compute_policy(
        rules=rules, used_seconds=0, grants=TodayGrants(), now=now + timedelta(hours=1), tz=BERLIN
    )
    body = policy.to_dict()
    assert body["offline_valid_until"] == "2026-07-16T10:00:00Z"
    assert body["downtime_next_48h"][0] == {
        "start": "2026-07-15T20:00:00Z",
        "end": "2026-07-16T05:00:00Z",
        "name": "Bedtime",
    }
    assert later.to_dict()["offline_valid_until"] == "2026-07-16T11:00:00Z"
    assert later.version == policy.version


def test_no_windows_means_an_empty_list():
    rules = ScreenTimeSpec(daily_limits=(None,) * 7)
    policy = compute_policy(
        rules=rules, used_seconds=0, grants=TodayGrants(), now=utc(2026, 7, 15), tz=BERLIN
    )
    assert policy.to_dict()["downtime_next_48h"] == []
