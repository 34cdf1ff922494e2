"""Every form shows what is in force (issue 17): with "1 h every day" set, that option is
selected; weekday limits, options, downtime, browsing, privacy, unlinking and e-mail choices
are filled in from the stored values."""

from __future__ import annotations

import re
from datetime import time

import pytest
from django.urls import reverse

from controls.models import NotificationKind
from controls.notifications.services import email_preferences_set
from controls.rules import downtime, services


def _input(page: str, name: str, value: str | None = None) -> str:
    """The one <input> tag with this name (and value, for radios and checkboxes)."""
    pattern = rf'<input(?=[^>]*\bname="{re.escape(name)}")'
    if value is not None:
        pattern += rf'(?=[^>]*\bvalue="{re.escape(value)}")'
    tags = re.findall(pattern + r"[^>]*>", page)
    assert len(tags) == 1, (name, value, tags)
    return tags[0]


def _checked(page: str, name: str, value: str | None = None) -> bool:
    return re.search(r"\bchecked\b", _input(page, name, value)) is not None


def _screen_time(client, teen) -> str:
    return client.get(reverse("teen_screen_time", args=[teen.pk])).content.decode()


@pytest.mark.django_db
def test_the_same_limit_every_day_is_selected(alice, tom, alice_client):
    services.screen_time_update(actor=alice, teen=tom, changes={"every_day": 60})
    page = _screen_time(alice_client, tom)
    assert _checked(page, "choice", "60")
    assert [v for v in ("40", "90", "120", "none", "other") if _checked(page, "choice", v)] == []
    assert 'value="60"' in _input(page, "limit_mon") and 'value="60"' in _input(page, "limit_sun")


@pytest.mark.django_db
def test_an_other_every_day_limit_selects_other_with_its_minutes(alice, tom, alice_client):
    services.screen_time_update(actor=alice, teen=tom, changes={"every_day": 75})
    page = _screen_time(alice_client, tom)
    assert _checked(page, "choice", "other")
    assert 'value="75"' in _input(page, "other_minutes")


@pytest.mark.django_db
def test_no_limit_every_day_is_selected(alice, tom, alice_client):
    services.screen_time_update(actor=alice, teen=tom, changes={"every_day": None})
    page = _screen_time(alice_client, tom)
    assert _checked(page, "choice", "none")
    assert "value=" not in _input(page, "limit_wed")


@pytest.mark.django_db
def test_different_weekday_limits_select_no_every_day_option_and_fill_each_day(
    alice, tom, alice_client
):
    services.screen_time_update(
        actor=alice, teen=tom, changes={"every_day": 60, "limit_sat": 120, "limit_sun": None}
    )
    page = _screen_time(alice_client, tom)
    assert not any(_checked(page, "choice", v) for v in ("40", "60", "90", "120", "none", "other"))
    assert 'value="60"' in _input(page, "limit_fri")
    assert 'value="120"' in _input(page, "limit_sat")
    assert "value=" not in _input(page, "limit_sun")


@pytest.mark.django_db
def test_options_and_downtime_show_their_values(alice, tom, alice_client):
    services.screen_time_update(
        actor=alice,
        teen=tom,
        changes={"warning_minutes": [20, 5], "day_start": time(4, 30)},
    )
    window = downtime.downtime_window_create(
        actor=alice, teen=tom, name="School", weekdays=[0, 2], start=time(8), end=time(15)
    )
    page = _screen_time(alice_client, tom)
    assert 'value="20, 5"' in _input(page, "warning_minutes")
    assert 'value="04:30"' in _input(page, "day_start")
    prefix = f"w{window.pk}"
    assert 'value="School"' in _input(page, f"{prefix}-name")
    assert 'value="08:00"' in _input(page, f"{prefix}-start")
    assert 'value="15:00"' in _input(page, f"{prefix}-end")
    checked_days = [d for d in range(7) if _checked(page, f"{prefix}-weekdays", str(d))]
    assert checked_days == [0, 2]


@pytest.mark.django_db
def test_browsing_shows_its_values(alice, tom, alice_client):
    services.browsing_update(
        actor=alice,
        teen=tom,
        changes={"restricted_mode": False, "search_enabled": True, "domain_mode": "allow_only"},
    )
    page = alice_client.get(reverse("teen_browsing", args=[tom.pk])).content.decode()
    assert not _checked(page, "restricted_mode")
    assert _checked(page, "search_enabled")
    assert _checked(page, "domain_mode", "allow_only")
    assert not _checked(page, "domain_mode", "block")


@pytest.mark.django_db
def test_privacy_and_unlinking_show_their_values(alice, tom, alice_client):
    services.privacy_update(
        actor=alice,
        teen=tom,
        changes={"comments": "no_one", "mute_start": time(22), "mute_end": time(7, 15)},
    )
    services.governance_update(actor=alice, teen=tom, unlink_needs_approval=True)
    page = alice_client.get(reverse("teen_privacy", args=[tom.pk])).content.decode()
    assert _checked(page, "comments", "no_one")
    assert not _checked(page, "comments", "friends")
    assert _checked(page, "private_account")
    assert 'value="22:00"' in _input(page, "mute_start")
    assert 'value="07:15"' in _input(page, "mute_end")
    assert _checked(page, "unlink_needs_approval")


@pytest.mark.django_db
def test_e_mail_choices_show_what_is_saved(alice, alice_client):
    email_preferences_set(user=alice, wanted={NotificationKind.TIME_REQUESTED.value})
    page = alice_client.get(reverse("notification_centre")).content.decode()
    assert _checked(page, "email", NotificationKind.TIME_REQUESTED.value)
    assert not _checked(page, "email", NotificationKind.RULE_CHANGED.value)
