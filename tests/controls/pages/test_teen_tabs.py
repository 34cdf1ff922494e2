"""The teen's page in tabs (issue 17): Today, My rules, My guardians, History; nothing for
adults on it; one clear state for a teen nobody supervises."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

TABS = ("teen_home", "my_rules", "my_guardians", "my_history")


@pytest.mark.django_db
@pytest.mark.parametrize("name", TABS)
def test_each_tab_is_its_own_page_marked_current_with_an_in_place_swap(tom_client, name):
    response = tom_client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('aria-current="page"') == 2  # the "My page" bar link and this tab
    assert f'href="{reverse(name)}" hx-get="{reverse(name)}"' in page
    assert 'hx-select="#tab-region"' in page and 'id="tab-region"' in page
    tab_link = re.search(rf'<a href="{reverse(name)}" hx-get[^>]*>', page).group(0)
    assert 'aria-current="page"' in tab_link


@pytest.mark.django_db
def test_the_tabs_split_the_page(tom_client, alice):
    today = tom_client.get(reverse("teen_home")).content.decode()
    assert "My time today" in today and "Last 7 days" in today
    assert "My screen time rules" not in today and "History of changes" not in today
    rules = tom_client.get(reverse("my_rules")).content.decode()
    assert "My screen time rules" in rules and "My time today" not in rules
    guardians = tom_client.get(reverse("my_guardians")).content.decode()
    assert "What Alice can see and manage" in guardians and "My time today" not in guardians
    history = tom_client.get(reverse("my_history")).content.decode()
    assert "History of changes" in history


@pytest.mark.django_db
@pytest.mark.parametrize("name", TABS)
def test_nothing_for_adults_on_the_teens_tabs(tom_client, name):
    page = tom_client.get(reverse(name)).content.decode()
    for adult in ("Home network filter", "AdGuard", "Pi-hole", "hosts file", "DNS"):
        assert adult not in page


@pytest.mark.django_db
def test_an_unlinked_teen_sees_one_clear_state_and_no_limits(client, uma):
    client.force_login(uma)
    today = client.get(reverse("teen_home")).content.decode()
    assert today.count("Nobody can see or manage your account") == 1
    assert "You're not linked to a parent or guardian" in today
    assert "Pairing links your account with a parent" in today
    assert reverse("pair_enter_code") in today
    for absent in (" left today", "My time today", "Last 7 days", "daily limit", "Used "):
        assert absent not in today
    rules = client.get(reverse("my_rules")).content.decode()
    assert "No rules" in rules and "My screen time rules" not in rules
    guardians = client.get(reverse("my_guardians")).content.decode()
    assert guardians.count("Nobody can see or manage your account") == 1
    assert "My guardians" in guardians  # the tab's name; no empty list of guardians below it
    assert 'id="guardians-heading"' not in guardians


@pytest.mark.django_db
def test_a_guardian_is_sent_from_the_teens_tabs_to_the_dashboard(alice_client):
    for name in TABS:
        assert alice_client.get(reverse(name)).url == reverse("dashboard")
