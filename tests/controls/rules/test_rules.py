"""The rule set itself: age defaults, the age bounds as data, and what every save does
(version, audit with before → after, the other guardians told)."""

from __future__ import annotations

from datetime import date, time

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from controls.models import AuditEvent, Notification, NotificationKind, TeenRules
from controls.rules import services
from controls.rules.bounds import AGED_16_17, UNDER_16, band_for_age
from tests.factories import TeenFactory, UserFactory, birth_date_for_age, link


@pytest.mark.django_db
def test_it_creates_rules_with_the_under_16_defaults_when_the_first_link_is_made(alice):
    teen = TeenFactory(birth_date=birth_date_for_age(14))
    link(alice, teen)
    rules = TeenRules.objects.get(teen=teen)
    assert rules.private_account is True
    assert rules.suggest_account is False
    assert rules.direct_messages == "no_one"
    assert rules.live_streaming is False
    assert rules.duet_stitch is False
    assert rules.downloads is False
    assert rules.comments == "friends"
    assert (rules.mute_start, rules.mute_end) == (time(21, 0), time(8, 0))
    assert rules.daily_limits() == (60,) * 7
    assert rules.restricted_mode is True
    assert rules.warning_minutes == [15, 5]
    assert rules.day_start == time(0, 0)


@pytest.mark.django_db
def test_a_16_year_old_starts_with_direct_messages_no_one_and_muting_from_22(bob, tina):
    rules = TeenRules.objects.get(teen=tina)
    assert rules.direct_messages == "no_one"
    assert (rules.mute_start, rules.mute_end) == (time(22, 0), time(8, 0))
    assert rules.daily_limits() == (60,) * 7


@pytest.mark.django_db
def test_ensuring_twice_keeps_the_rules_a_guardian_set(alice, tom):
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_mon": 45})
    rules = services.rules_ensure_for_teen(teen=tom)
    assert rules.limit_mon == 45
    assert TeenRules.objects.filter(teen=tom).count() == 1


def test_the_bands_are_data_with_a_boundary_at_16():
    assert band_for_age(13) is UNDER_16
    assert band_for_age(15) is UNDER_16
    assert band_for_age(16) is AGED_16_17
    assert band_for_age(17) is AGED_16_17
    assert band_for_age(None) is UNDER_16  # unknown age: the strictest
    assert UNDER_16.allows("direct_messages", "no_one")
    assert not UNDER_16.allows("direct_messages", "friends")
    assert not UNDER_16.allows("comments", "everyone")
    assert UNDER_16.allows("comments", "no_one")
    assert not UNDER_16.allows("live_streaming", True)
    assert UNDER_16.allows("live_streaming", False)
    assert UNDER_16.allows("private_account", False)  # a default, not a bound
    assert AGED_16_17.allows("direct_messages", "everyone")
    assert AGED_16_17.allows("downloads", True)


def test_a_bound_message_names_the_rule():
    message = UNDER_16.rule_message("direct_messages")
    assert message == "Direct messages can only be “No one” for teens under 16 (age rule)."
    assert UNDER_16.rule_message("downloads") == (
        "Downloads must stay off for teens under 16 (age rule)."
    )


@pytest.mark.django_db
def test_a_save_bumps_the_version_and_records_before_and_after(alice, tom):
    version = tom.rules.version
    change = services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 90})
    tom.rules.refresh_from_db()
    assert tom.rules.version == version + 1
    assert change.lines == ["Wednesday limit: 1 h → 1 h 30 min"]
    event = AuditEvent.objects.get(teen=tom, action="rules.screen_time")
    assert event.actor == alice
    assert event.details["before"] == {"limit_wed": 60}
    assert event.details["after"] == {"limit_wed": 90}
    assert event.summary == "Alice changed screen time: Wednesday limit: 1 h → 1 h 30 min"


@pytest.mark.django_db
def test_saving_the_same_values_changes_nothing_and_records_nothing(alice, tom):
    version = tom.rules.version
    change = services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 60})
    assert not change.changed
    assert change.message() == "Nothing changed."
    tom.rules.refresh_from_db()
    assert tom.rules.version == version
    assert not AuditEvent.objects.filter(teen=tom).exists()


@pytest.mark.django_db
def test_the_other_guardians_are_told_but_not_the_one_who_changed(alice, tom):
    carol = UserFactory(display_name="Carol")
    link(carol, tom)
    services.browsing_update(actor=alice, teen=tom, changes={"search_enabled": False})
    told = Notification.objects.get(kind=NotificationKind.RULE_CHANGED)
    assert told.recipient == carol
    assert told.title == "Alice changed Tom's browsing"
    assert told.body == "Search: on → off"
    assert told.link == f"/teens/{tom.pk}/history/"
    assert not Notification.objects.filter(recipient=alice).exists()


@pytest.mark.django_db
def test_only_a_guardian_can_change_rules(tom, bob, uma, carl):
    for actor in (bob, tom, carl):
        with pytest.raises(PermissionDenied):
            services.screen_time_update(actor=actor, teen=tom, changes={"limit_mon": 30})
    tom.rules.refresh_from_db()
    assert tom.rules.limit_mon == 60


@pytest.mark.django_db
def test_an_unknown_setting_is_refused_by_name(alice, tom):
    with pytest.raises(ValidationError) as caught:
        services.screen_time_update(actor=alice, teen=tom, changes={"limit_moon": 30})
    assert caught.value.message_dict == {"limit_moon": ["Not a screen-time setting."]}


@pytest.mark.django_db
def test_turning_16_widens_the_bounds_but_switches_nothing_on(alice):
    teen = TeenFactory(birth_date=date(2010, 6, 1), time_zone="Europe/London")
    with time_machine.travel("2026-05-31 12:00Z"):  # 15
        link(alice, teen)
        with pytest.raises(ValidationError):
            services.privacy_update(actor=alice, teen=teen, changes={"downloads": True})
    with time_machine.travel("2026-06-01 12:00Z"):  # 16 today
        rules = services.rules_ensure_for_teen(teen=teen)
        assert rules.direct_messages == "no_one"
        assert rules.downloads is False
        assert rules.live_streaming is False
        assert (rules.mute_start, rules.mute_end) == (time(21, 0), time(8, 0))
        services.privacy_update(actor=alice, teen=teen, changes={"downloads": True})
    rules.refresh_from_db()
    assert rules.downloads is True


@pytest.mark.django_db
def test_governance_toggle_is_audited(alice, tom):
    change = services.governance_update(actor=alice, teen=tom, unlink_needs_approval=True)
    assert change.lines == ["Unlinking needs a guardian's approval: off → on"]
    tom.rules.refresh_from_db()
    assert tom.rules.unlink_needs_approval is True
    assert AuditEvent.objects.filter(teen=tom, action="rules.governance").exists()


@pytest.mark.django_db
def test_the_first_link_starts_from_the_defaults_for_the_teens_age_today(alice):
    from accounts.pairing.services import pairing_accept, pairing_invitation_create
    from controls.models import DowntimeWindow

    with time_machine.travel(date(2026, 1, 10)):
        teen = TeenFactory(birth_date=date(2010, 6, 1))  # 15: rules made while unlinked
        services.rules_ensure_for_teen(teen=teen)
        DowntimeWindow.objects.create(teen=teen, name="Old", start=time(20), end=time(21))
    assert teen.rules.mute_start == time(21, 0)

    with time_machine.travel(date(2026, 7, 1)):  # now 16
        invitation, _ = pairing_invitation_create(parent=alice)
        pairing_accept(invitation=invitation, teen=teen)
        rules = TeenRules.objects.get(teen=teen)
        assert rules.mute_start == time(22, 0)
        assert not DowntimeWindow.objects.filter(teen=teen).exists()
        assert AuditEvent.objects.filter(teen=teen, action="rules.defaults_applied").exists()
