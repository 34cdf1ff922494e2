"""The pure policy's inputs refused when impossible, and its JSON form."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import pytest

from controls.days import split_interval_by_day, teen_day
from controls.policy import (
    DowntimeSpec,
    Reason,
    ScreenTimeSpec,
    TodayGrants,
    compute_policy,
    downtime_at,
    next_downtime_start,
)
from tests.controls.policy_support import (
    BERLIN,
    EVERY_DAY,
    FRIDAY_NIGHT,
    LIMITS,
    at,
    policy,
)

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
