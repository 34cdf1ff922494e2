"""The one wording of durations and times, and its rounding rule: time left is rounded down, so a
teen is never promised a minute they don't have."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from controls.wording import (
    clock,
    clock_near,
    duration_short,
    duration_spoken,
    minutes_short,
    minutes_spoken,
    time_text,
    used_text,
    whole_minutes,
)

PARIS = ZoneInfo("Europe/Paris")


def test_it_never_promises_a_minute_the_teen_does_not_have():
    left = 4 * 60 + 31
    assert duration_spoken(left) == "4 minutes"
    assert duration_short(left) == "4 min"
    assert whole_minutes(left) == 4


@pytest.mark.parametrize(
    ("seconds", "spoken"),
    [
        (0, "0 minutes"),
        (59, "0 minutes"),
        (60, "1 minute"),
        (119, "1 minute"),
        (3599, "59 minutes"),
        (3600, "1 hour"),
        (7200, "2 hours"),
        (4230, "1 h 10 min"),
    ],
)
def test_it_rounds_time_left_down_in_the_spoken_register(seconds, spoken):
    assert duration_spoken(seconds) == spoken


def test_it_says_less_than_a_minute_rather_than_nothing_left():
    assert duration_short(1) == "less than a minute"
    assert duration_short(0) == "0 min"
    assert duration_short(None) == "no limit"


def test_it_rounds_time_used_to_the_nearest_minute_only_when_asked():
    assert used_text(4 * 60 + 31) == "5 min"
    assert used_text(29) == "0 min"
    assert whole_minutes(4 * 60 + 31, nearest=True) == 5


def test_it_never_reads_negative_seconds_as_time():
    assert duration_spoken(-30) == "0 minutes"
    assert whole_minutes(-30) == 0


@pytest.mark.parametrize(
    ("minutes", "short", "spoken"),
    [
        (40, "40 min", "40 minutes"),
        (60, "1 h", "1 hour"),
        (65, "1 h 05 min", "1 h 5 min"),
        (90, "1 h 30 min", "1 h 30 min"),
        (120, "2 h", "2 hours"),
    ],
)
def test_it_words_minutes_in_both_registers(minutes, short, spoken):
    assert minutes_short(minutes) == short
    assert minutes_spoken(minutes) == spoken


def test_it_words_no_minutes_as_the_caller_says():
    assert minutes_short(None) == "no limit"
    assert minutes_spoken(None) == "the rest of today"


def test_it_reads_clock_times_in_the_given_time_zone():
    moment = datetime(2025, 6, 9, 16, 2, tzinfo=UTC)
    assert clock(moment, PARIS) == "18:02"
    assert clock(None, PARIS) == ""
    assert clock_near(moment, PARIS, today=date(2025, 6, 9)) == "18:02"
    assert clock_near(moment, PARIS, today=date(2025, 6, 8)) == "18:02 tomorrow"
    assert clock_near(moment, PARIS, today=date(2025, 6, 1)) == "Mon 18:02"
    assert time_text(time(21, 0)) == "21:00"
    assert time_text(None) == "off"
