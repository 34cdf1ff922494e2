"""Privacy settings within hard age bounds: the service, the form and the page (the API is in
test_rules_api.py)."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from controls.models import AuditEvent, TeenRules
from controls.rules import services

UNDER_16_REFUSED = [
    ("direct_messages", "everyone"),
    ("direct_messages", "friends"),
    ("comments", "everyone"),
    ("live_streaming", True),
    ("duet_stitch", True),
    ("downloads", True),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "value"), UNDER_16_REFUSED)
def test_under_16_nothing_can_turn_on_what_the_age_rule_forbids(alice, tom, name, value):
    before = TeenRules.objects.get(teen=tom)
    with pytest.raises(ValidationError) as caught:
        services.privacy_update(
            actor=alice, teen=tom, changes={name: value, "private_account": False}
        )
    assert list(caught.value.message_dict) == [name]
    assert "for teens under 16 (age rule)" in caught.value.message_dict[name][0]
    after = TeenRules.objects.get(teen=tom)
    assert getattr(after, name) == getattr(before, name)
    assert after.private_account is True  # nothing half-saved
    assert after.version == before.version
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_under_16_the_options_within_the_bounds_can_be_set(alice, tom):
    change = services.privacy_update(
        actor=alice,
        teen=tom,
        changes={
            "private_account": False,
            "suggest_account": True,
            "comments": "no_one",
            "liked_videos": "everyone",
            "direct_messages": "no_one",
            "live_streaming": False,
        },
    )
    rules = TeenRules.objects.get(teen=tom)
    assert (rules.private_account, rules.suggest_account) == (False, True)
    assert rules.comments == "no_one"
    assert change.lines == [
        "Private account: on → off",
        "Suggest account to others: off → on",
        "Who can comment: Friends → No one",
        "Who can see liked videos: Only me → Everyone",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "value"), UNDER_16_REFUSED)
def test_16_and_17_may_have_what_under_16_may_not(bob, tina, name, value):
    services.privacy_update(actor=bob, teen=tina, changes={name: value})
    assert getattr(TeenRules.objects.get(teen=tina), name) == value


@pytest.mark.django_db
def test_the_mute_window_needs_both_times_or_none(alice, tom):
    with pytest.raises(ValidationError) as caught:
        services.privacy_update(actor=alice, teen=tom, changes={"mute_start": None})
    assert caught.value.message_dict == {
        "mute_start": ["Set both times, or clear both to turn muting off."]
    }
    with pytest.raises(ValidationError):
        services.privacy_update(actor=alice, teen=tom, changes={"mute_end": time(21, 0)})
    change = services.privacy_update(
        actor=alice, teen=tom, changes={"mute_start": None, "mute_end": None}
    )
    assert change.lines == [
        "Notifications muted from: 21:00 → off",
        "Notifications muted until: 08:00 → off",
    ]
    services.privacy_update(
        actor=alice, teen=tom, changes={"mute_start": time(20, 0), "mute_end": time(7, 0)}
    )
    assert TeenRules.objects.get(teen=tom).mute_start == time(20, 0)


# --------------------------------------------------------------------------------------------
# Form and page
# --------------------------------------------------------------------------------------------


def _form(**values) -> dict:
    data = {
        "private_account": "on",
        "direct_messages": "no_one",
        "comments": "friends",
        "liked_videos": "only_me",
        "mute_start": "21:00",
        "mute_end": "08:00",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
def test_the_page_shows_options_outside_the_age_bounds_disabled_with_the_reason(alice_client, tom):
    page = alice_client.get(f"/teens/{tom.pk}/privacy/").content.decode()
    assert 'name="downloads" id="id_downloads" disabled' in page
    assert 'name="live_streaming" id="id_live_streaming" disabled' in page
    assert 'value="everyone" id="id_direct_messages_0" disabled' in page
    assert 'value="everyone" id="id_comments_0" disabled' in page
    assert 'value="friends" id="id_comments_1" checked>' in page
    assert "Not available for teens under 16." in page
    assert "“Everyone”, “Friends”: not available for teens under 16." in page


@pytest.mark.django_db
def test_for_a_16_year_old_nothing_is_disabled(bob, tina, client):
    client.force_login(bob)
    page = client.get(f"/teens/{tina.pk}/privacy/").content.decode()
    assert " disabled" not in page.split('id="privacy-heading"')[1].split("</form>")[0]


@pytest.mark.django_db
def test_a_forbidden_value_posted_anyway_is_refused_next_to_its_field(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/privacy/",
        _form(private_account=None, direct_messages="everyone", downloads="on"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["direct_messages"] == [
        "Direct messages can only be “No one” for teens under 16 (age rule)."
    ]
    assert errors["downloads"] == ["Downloads must stay off for teens under 16 (age rule)."]
    rules = TeenRules.objects.get(teen=tom)
    assert rules.private_account is True
    assert rules.direct_messages == "no_one"


@pytest.mark.django_db
def test_saving_privacy_from_the_page_says_what_changed(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/privacy/",
        _form(comments="no_one", mute_start="", mute_end=""),
        follow=True,
    )
    page = response.content.decode()
    assert "Saved. Who can comment: Friends → No one" in page
    rules = TeenRules.objects.get(teen=tom)
    assert rules.comments == "no_one"
    assert rules.mute_start is None


@pytest.mark.django_db
def test_the_unlinking_switch_from_the_page(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/unlinking/", {"unlink_needs_approval": "on"}, follow=True
    )
    assert "Unlinking needs a guardian&#x27;s approval: off → on" in response.content.decode()
    assert TeenRules.objects.get(teen=tom).unlink_needs_approval is True
