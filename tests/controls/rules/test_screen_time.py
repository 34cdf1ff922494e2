"""Daily limits, "same every day", warnings, the day start and always-allowed apps: in the
service at their bounds, and through the guardian's pages."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from controls.models import AuditEvent, TeenRules
from controls.rules import services


def _limits(teen) -> tuple:
    return TeenRules.objects.get(teen=teen).daily_limits()


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [1, 40, 60, 90, 120, 1440, None])
def test_a_daily_limit_can_be_1_to_1440_minutes_or_none(alice, tom, minutes):
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": minutes})
    assert _limits(tom)[2] == minutes


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [0, 1441, -5, "60", 60.0, True])
def test_a_daily_limit_just_past_its_bounds_is_refused(alice, tom, minutes):
    with pytest.raises(ValidationError) as caught:
        services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": minutes})
    assert caught.value.message_dict == {
        "limit_wed": ["Enter 1 to 1440 minutes, or choose no limit."]
    }
    assert _limits(tom)[2] == 60


@pytest.mark.django_db
def test_same_every_day_sets_all_seven_in_one_step(alice, tom):
    change = services.screen_time_update(actor=alice, teen=tom, changes={"every_day": 90})
    assert _limits(tom) == (90,) * 7
    assert change.lines == ["Every day's limit: 1 h → 1 h 30 min"]
    assert AuditEvent.objects.filter(teen=tom).count() == 1


@pytest.mark.django_db
def test_a_named_day_sent_with_every_day_wins(alice, tom):
    services.screen_time_update(actor=alice, teen=tom, changes={"every_day": 90, "limit_sat": None})
    assert _limits(tom) == (90, 90, 90, 90, 90, None, 90)


@pytest.mark.django_db
def test_one_bad_value_saves_nothing_of_the_request(alice, tom):
    with pytest.raises(ValidationError) as caught:
        services.screen_time_update(
            actor=alice, teen=tom, changes={"limit_mon": 30, "limit_tue": 0}
        )
    assert set(caught.value.message_dict) == {"limit_tue"}
    assert _limits(tom) == (60,) * 7
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_warnings_are_sorted_deduplicated_and_bounded(alice, tom):
    services.screen_time_update(actor=alice, teen=tom, changes={"warning_minutes": [5, 120, 5]})
    assert TeenRules.objects.get(teen=tom).warning_minutes == [120, 5]
    services.screen_time_update(actor=alice, teen=tom, changes={"warning_minutes": []})
    assert TeenRules.objects.get(teen=tom).warning_minutes == []
    for bad in ([121], [0], [1, 2, 3, 4]):
        with pytest.raises(ValidationError):
            services.screen_time_update(actor=alice, teen=tom, changes={"warning_minutes": bad})


@pytest.mark.django_db
def test_the_day_start_is_a_local_wall_time(alice, tom):
    change = services.screen_time_update(
        actor=alice, teen=tom, changes={"day_start": time(4, 0, 30)}
    )
    assert TeenRules.objects.get(teen=tom).day_start == time(4, 0)
    assert change.lines == ["Day starts at: 00:00 → 04:00"]
    with pytest.raises(ValidationError):
        services.screen_time_update(actor=alice, teen=tom, changes={"day_start": "04:00"})


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def _day_form(**overrides) -> dict:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data = {f"limit_{day}": "60" for day in days}
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_the_screen_time_page_shows_each_days_limit(alice_client, tom):
    response = alice_client.get(f"/teens/{tom.pk}/screen-time/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="limit_wed"' in page
    assert 'value="60"' in page
    assert "Same limit every day" in page


@pytest.mark.django_db
def test_changing_wednesday_says_what_changed(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/screen-time/limits/", _day_form(limit_wed="90"), follow=True
    )
    assert response.status_code == 200
    assert "Saved. Wednesday limit: 1 h → 1 h 30 min." in response.content.decode()
    assert _limits(tom)[2] == 90


@pytest.mark.django_db
def test_an_empty_day_means_no_limit(alice_client, tom):
    alice_client.post(f"/teens/{tom.pk}/screen-time/limits/", _day_form(limit_sun=""))
    assert _limits(tom)[6] is None


@pytest.mark.django_db
def test_a_day_missing_from_the_request_is_refused_not_made_unlimited(alice_client, tom):
    response = alice_client.post(f"/teens/{tom.pk}/screen-time/limits/", {})
    assert response.status_code == 400
    assert "missing from the form" in response.content.decode()
    assert _limits(tom) == (60,) * 7


@pytest.mark.django_db
def test_an_invalid_day_is_shown_next_to_its_field_and_nothing_is_saved(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/screen-time/limits/", _day_form(limit_mon="30", limit_wed="1441")
    )
    assert response.status_code == 400
    form = response.context["limits_form"]
    assert list(form.errors) == ["limit_wed"]
    assert 'id="id_limit_wed_error"' in response.content.decode()
    assert _limits(tom) == (60,) * 7


@pytest.mark.django_db
def test_every_day_presets_and_other(alice_client, tom):
    alice_client.post(f"/teens/{tom.pk}/screen-time/every-day/", {"choice": "120"})
    assert _limits(tom) == (120,) * 7
    alice_client.post(
        f"/teens/{tom.pk}/screen-time/every-day/", {"choice": "other", "other_minutes": "75"}
    )
    assert _limits(tom) == (75,) * 7
    response = alice_client.post(
        f"/teens/{tom.pk}/screen-time/every-day/", {"choice": "none"}, follow=True
    )
    assert _limits(tom) == (None,) * 7
    assert "Every day&#x27;s limit: 1 h 15 min → no limit" in response.content.decode()


@pytest.mark.django_db
def test_every_day_other_needs_minutes(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/screen-time/every-day/", {"choice": "other", "other_minutes": ""}
    )
    assert response.status_code == 400
    assert "other_minutes" in response.context["every_day_form"].errors


@pytest.mark.django_db
def test_options_form_saves_warnings_day_start_and_apps(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/screen-time/options/",
        {
            "warning_minutes": "10, 2",
            "day_start": "04:00",
        },
        follow=True,
    )
    rules = TeenRules.objects.get(teen=tom)
    assert rules.warning_minutes == [10, 2]
    assert rules.day_start == time(4, 0)
    assert "Warnings: 15 and 5 min before the limit → 10 and 2 min" in response.content.decode()


@pytest.mark.django_db
def test_options_form_puts_a_service_error_next_to_its_field(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/screen-time/options/",
        {"warning_minutes": "200", "day_start": "00:00"},
    )
    assert response.status_code == 400
    assert response.context["options_form"].errors["warning_minutes"] == [
        "Each warning is 1 to 120 minutes before the limit."
    ]
    assert TeenRules.objects.get(teen=tom).warning_minutes == [15, 5]


@pytest.mark.django_db
def test_the_teen_opening_a_guardian_page_goes_to_their_own(tom_client, tom):
    response = tom_client.get(f"/teens/{tom.pk}/screen-time/")
    assert response.status_code == 302
    assert response.url == "/me/"
