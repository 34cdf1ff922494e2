"""The outcome of an action shown where it happened (issue 17): with htmx the card that was
used updates in place and says what happened; without JavaScript the redirect and the message
still work."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from controls.models import TeenDay

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 4)
HX = {"HTTP_HX_REQUEST": "true"}


def _card(page: str, card_id: str) -> str:
    match = re.search(rf'<section class="card" id="{card_id}".*?</section>', page, re.S)
    assert match, card_id
    return match.group(0)


@pytest.fixture
def over_by_two(tom):
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=62 * 60)  # limit 1 h
    return tom


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_extra_time_after_the_limit_says_how_much_is_really_left(over_by_two, alice_client):
    url = reverse("teen_grant_time", args=[over_by_two.pk])
    response = alice_client.post(url, {"minutes": "30", "next": "/teens/1/"}, **HX)
    assert response.status_code == 200
    panel = response.content.decode()
    assert panel.lstrip().startswith('<section class="card time-panel" id="time-requests-')
    assert "Tom: 28 min left today" in re.sub(r"<[^>]+>", "", panel)
    assert "Tom was 2 min over the limit before the extra time, so 28 min left." in panel
    assert '<p class="form-outcome" role="status">Tom has 30 minutes more today.' in panel
    # the page's status line follows, out of band
    oob = panel[panel.index('<div id="teen-status" hx-swap-oob="true">') :]
    assert "1 h 02 min of 1 h 30 min used" in oob and "28 min left" in oob


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_teen_reads_the_same_honest_sum(over_by_two, alice, alice_client, client):
    alice_client.post(reverse("teen_grant_time", args=[over_by_two.pk]), {"minutes": "30"})
    client.force_login(over_by_two)
    page = client.get(reverse("teen_home")).content.decode()
    assert "+ 30 minutes from Alice" in page
    assert "You were 2 min over the limit before the extra time, so 28 min left." in page


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_extra_time_without_javascript_redirects_with_the_message(over_by_two, alice_client):
    response = alice_client.post(
        reverse("teen_grant_time", args=[over_by_two.pk]),
        {"minutes": "30", "next": reverse("teen_detail", args=[over_by_two.pk])},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("teen_detail", args=[over_by_two.pk])
    assert "Tom has 30 minutes more today. They have been told." in page


@pytest.mark.django_db
def test_a_refused_grant_says_why_in_the_panel(tom, alice_client):
    response = alice_client.post(
        reverse("teen_grant_time", args=[tom.pk]), {"custom_minutes": "0"}, **HX
    )
    assert response.status_code == 200
    assert re.search(
        r'class="form-outcome status-bad" role="status">[^<]+', response.content.decode()
    )


@pytest.mark.django_db
def test_saving_a_rule_with_htmx_says_saved_in_its_card(tom, alice_client):
    url = reverse("screen_time_every_day", args=[tom.pk])
    response = alice_client.post(url, {"choice": "90"}, follow=True, **HX)
    assert response.redirect_chain == [(f"/teens/{tom.pk}/screen-time/?saved=every-day", 302)]
    card = _card(response.content.decode(), "limits-card")
    assert 'hx-select="#limits-card"' in card
    assert (
        '<p class="form-outcome" role="status">Saved. Every day&#x27;s limit: 1 h → 1 h 30 min.</p>'
        in card
    )
    # the day-by-day form in the same card shows the new values too
    assert re.search(r'<input[^>]*name="limit_sun"[^>]*value="90"', card)
    # only this form says it
    assert _card(response.content.decode(), "options-card").count("Saved.") == 0


@pytest.mark.django_db
def test_a_rule_refused_with_htmx_shows_the_error_in_its_card(tom, alice_client):
    url = reverse("screen_time_every_day", args=[tom.pk])
    response = alice_client.post(url, {"choice": "other"}, **HX)
    assert response.status_code == 400  # swapped: base.html's htmx-config swaps 400s
    card = _card(response.content.decode(), "limits-card")
    assert "Enter the minutes, or pick one of the choices." in card


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "card", "key"),
    [
        (
            "teen_browsing",
            {"restricted_mode": "on", "domain_mode": "block"},
            "browsing-card",
            "browsing",
        ),
        ("teen_governance", {"unlink_needs_approval": "on"}, "unlinking", "governance"),
    ],
)
def test_other_rule_forms_say_saved_in_their_card(tom, alice_client, name, data, card, key):
    response = alice_client.post(reverse(name, args=[tom.pk]), data, follow=True, **HX)
    assert response.redirect_chain[-1][0].endswith(f"?saved={key}")
    assert '<p class="form-outcome" role="status">Saved.' in _card(
        response.content.decode(), card
    ) or '<p class="form-outcome" role="status">Nothing changed.' in _card(
        response.content.decode(), card
    )


@pytest.mark.django_db
def test_unlinking_a_teen_says_so_on_the_dashboard_where_the_card_was(tom, alice_client):
    response = alice_client.post(reverse("guardian_unlink", args=[tom.pk]), follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert page.count("You unlinked from Tom") == 1
    assert 'id="unlinked-outcome"' in page and "Tom was told." in page
    assert page.index('id="unlinked-outcome"') < page.index("No teen linked yet")
    again = alice_client.get(reverse("dashboard")).content.decode()
    assert "You unlinked from Tom" not in again  # said once
