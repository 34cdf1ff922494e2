"""Downtime windows: several per day, crossing midnight, overlaps refused with a message that
names the other window, and the pages that manage them."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from controls.effective.selectors import effective_policy_for_teen
from controls.models import AuditEvent, DowntimeWindow, TeenRules
from controls.policy import Reason
from controls.rules import downtime

WEEKDAYS = [0, 1, 2, 3, 4]
EVERY_DAY = list(range(7))


def _create(actor, teen, name, days, start, end) -> DowntimeWindow:
    return downtime.downtime_window_create(
        actor=actor, teen=teen, name=name, weekdays=days, start=start, end=end
    )


def _overlap_message(actor, teen, name, days, start, end) -> str:
    with pytest.raises(ValidationError) as caught:
        _create(actor, teen, name, days, start, end)
    return caught.value.message_dict[NON_FIELD_ERRORS][0]


@pytest.mark.django_db
def test_a_window_may_cross_midnight_and_is_enforced_in_the_teens_time(alice, tom):
    window = _create(alice, tom, "Bedtime", EVERY_DAY, time(21, 0), time(7, 0))
    assert window.weekday_list() == EVERY_DAY
    # 23:30 London (GMT in January) and 06:59 the next morning are both inside.
    for now in (
        datetime(2026, 1, 14, 23, 30, tzinfo=UTC),
        datetime(2026, 1, 15, 6, 59, tzinfo=UTC),
    ):
        policy = effective_policy_for_teen(teen=tom, now=now)
        assert policy.reason == Reason.DOWNTIME
        assert policy.downtime_name == "Bedtime"
    assert effective_policy_for_teen(teen=tom, now=datetime(2026, 1, 15, 7, 0, tzinfo=UTC)).allowed


@pytest.mark.django_db
def test_creating_a_window_bumps_the_version_and_is_in_the_history(alice, tom):
    version = tom.rules.version
    _create(alice, tom, "Bedtime", WEEKDAYS, time(21, 0), time(7, 0))
    assert TeenRules.objects.get(teen=tom).version == version + 1
    event = AuditEvent.objects.get(teen=tom, action="downtime.create")
    assert event.details["after"] == {
        "name": "Bedtime",
        "weekdays": WEEKDAYS,
        "start": "21:00",
        "end": "07:00",
    }
    assert event.details["lines"] == [
        "New downtime: “Bedtime” Mon–Fri 21:00–07:00 (ends the next day)"
    ]


@pytest.mark.django_db
def test_several_windows_a_day_that_touch_are_fine(alice, tom):
    _create(alice, tom, "School", WEEKDAYS, time(9, 0), time(15, 0))
    _create(alice, tom, "Homework", WEEKDAYS, time(15, 0), time(16, 0))
    _create(alice, tom, "Morning", WEEKDAYS, time(7, 0), time(9, 0))
    assert DowntimeWindow.objects.filter(teen=tom).count() == 3


@pytest.mark.django_db
def test_an_overlap_by_one_minute_is_refused_naming_the_other_window(alice, tom):
    _create(alice, tom, "School", WEEKDAYS, time(9, 0), time(15, 0))
    message = _overlap_message(alice, tom, "Homework", [2], time(14, 59), time(16, 0))
    assert message == (
        "This overlaps “School” Mon–Fri 09:00–15:00 on Wednesday. Change the times or the "
        "days, or edit “School” instead."
    )
    assert DowntimeWindow.objects.filter(teen=tom).count() == 1


@pytest.mark.django_db
def test_the_same_times_on_other_days_do_not_overlap(alice, tom):
    _create(alice, tom, "School", WEEKDAYS, time(9, 0), time(15, 0))
    _create(alice, tom, "Weekend chores", [5, 6], time(9, 0), time(15, 0))


@pytest.mark.django_db
def test_a_window_past_midnight_overlaps_the_next_mornings_window(alice, tom):
    _create(alice, tom, "Bedtime", [0], time(22, 0), time(7, 0))  # Monday night
    message = _overlap_message(alice, tom, "Early", [1], time(6, 0), time(8, 0))
    assert "“Bedtime”" in message
    assert "on Tuesday" in message
    _create(alice, tom, "Breakfast", [1], time(7, 0), time(8, 0))


@pytest.mark.django_db
def test_sunday_night_runs_into_monday_morning(alice, tom):
    _create(alice, tom, "Sunday night", [6], time(23, 0), time(2, 0))
    message = _overlap_message(alice, tom, "Monday", [0], time(1, 0), time(3, 0))
    assert "on Monday" in message


@pytest.mark.django_db
def test_a_window_cannot_be_empty_or_have_no_days_or_no_name(alice, tom):
    with pytest.raises(ValidationError) as caught:
        _create(alice, tom, "  ", [], time(9, 0), time(9, 0))
    assert set(caught.value.message_dict) == {"name", "weekdays", "end"}
    with pytest.raises(ValidationError) as caught:
        _create(alice, tom, "x" * 61, [7], time(9, 0), time(10, 0))
    assert set(caught.value.message_dict) == {"name", "weekdays"}
    _create(alice, tom, "x" * 60, [6], time(9, 0), time(10, 0))


@pytest.mark.django_db
def test_two_windows_cannot_share_a_name(alice, tom):
    _create(alice, tom, "Bedtime", [0], time(21, 0), time(22, 0))
    with pytest.raises(ValidationError) as caught:
        _create(alice, tom, "bedtime", [3], time(21, 0), time(22, 0))
    assert caught.value.message_dict == {"name": ["There is already a window called “bedtime”."]}


@pytest.mark.django_db
def test_at_most_20_windows(alice, tom):
    for day in range(7):
        for hour in range(3):
            if day * 3 + hour < 20:
                _create(alice, tom, f"W{day}{hour}", [day], time(hour, 0), time(hour, 30))
    with pytest.raises(ValidationError):
        _create(alice, tom, "One more", [6], time(12, 0), time(13, 0))


@pytest.mark.django_db
def test_updating_a_window_does_not_clash_with_itself(alice, tom):
    window = _create(alice, tom, "Bedtime", WEEKDAYS, time(21, 0), time(7, 0))
    change = downtime.downtime_window_update(
        actor=alice,
        window=window,
        name="Bedtime",
        weekdays=WEEKDAYS,
        start=time(21, 30),
        end=time(7, 0),
    )
    window.refresh_from_db()
    assert window.start == time(21, 30)
    assert change.lines == [
        "Downtime: “Bedtime” Mon–Fri 21:00–07:00 (ends the next day) → "
        "“Bedtime” Mon–Fri 21:30–07:00 (ends the next day)"
    ]
    assert AuditEvent.objects.get(action="downtime.update").details["before"] == {"start": "21:00"}


@pytest.mark.django_db
def test_deleting_a_window_is_recorded(alice, tom):
    window = _create(alice, tom, "Bedtime", WEEKDAYS, time(21, 0), time(7, 0))
    downtime.downtime_window_delete(actor=alice, window=window)
    assert not DowntimeWindow.objects.exists()
    event = AuditEvent.objects.get(action="downtime.delete")
    assert event.details["before"]["name"] == "Bedtime"


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def _window_form(prefix: str = "new", **values) -> dict:
    data = {"name": "Bedtime", "weekdays": ["0", "1", "2"], "start": "21:00", "end": "07:00"}
    data.update(values)
    return {f"{prefix}-{key}": value for key, value in data.items()}


@pytest.mark.django_db
def test_adding_a_window_from_the_page(alice_client, tom):
    response = alice_client.post(f"/teens/{tom.pk}/downtime/", _window_form(), follow=True)
    page = response.content.decode()
    assert "Saved. New downtime: “Bedtime” Mon–Wed 21:00–07:00 (ends the next day)." in page
    assert DowntimeWindow.objects.get(teen=tom).weekday_list() == [0, 1, 2]


@pytest.mark.django_db
def test_an_overlapping_window_from_the_page_shows_the_message_and_saves_nothing(
    alice, alice_client, tom
):
    _create(alice, tom, "School", WEEKDAYS, time(9, 0), time(15, 0))
    response = alice_client.post(
        f"/teens/{tom.pk}/downtime/", _window_form(name="Lunch", start="12:00", end="13:00")
    )
    assert response.status_code == 400
    assert "This overlaps “School”" in response.content.decode()
    assert DowntimeWindow.objects.filter(teen=tom).count() == 1


@pytest.mark.django_db
def test_a_window_without_days_is_shown_next_to_the_field(alice_client, tom):
    data = _window_form()
    del data["new-weekdays"]
    response = alice_client.post(f"/teens/{tom.pk}/downtime/", data)
    assert response.status_code == 400
    assert response.context["new_window_form"].errors["weekdays"] == ["Choose at least one day."]


@pytest.mark.django_db
def test_editing_and_removing_a_window_from_the_page(alice, alice_client, tom):
    window = _create(alice, tom, "Bedtime", WEEKDAYS, time(21, 0), time(7, 0))
    response = alice_client.post(
        f"/teens/{tom.pk}/downtime/{window.pk}/",
        _window_form(prefix=f"w{window.pk}", end="06:30", weekdays=["0", "1", "2", "3", "4"]),
        follow=True,
    )
    assert "Saved. Downtime: “Bedtime” Mon–Fri 21:00–07:00" in response.content.decode()
    window.refresh_from_db()
    assert window.end == time(6, 30)
    alice_client.post(f"/teens/{tom.pk}/downtime/{window.pk}/delete/")
    assert not DowntimeWindow.objects.exists()


@pytest.mark.django_db
def test_another_teens_window_is_not_found(alice_client, tom, bob, tina):
    window = _create(bob, tina, "Bedtime", WEEKDAYS, time(21, 0), time(7, 0))
    response = alice_client.post(f"/teens/{tom.pk}/downtime/{window.pk}/delete/")
    assert response.status_code == 404
    assert DowntimeWindow.objects.filter(pk=window.pk).exists()
