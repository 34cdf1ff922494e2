"""The guardian's dashboard and per-teen pages, the teen's own page, and who may open them."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from controls.effective.selectors import effective_policy_for_teen, policies_for_teens
from controls.models import AuditEvent, DayGrant, DowntimeWindow, TeenDay, TimeRequest
from controls.rules import downtime, services
from tests.factories import TeenFactory, UserFactory, link

# A Wednesday, 18:00 in London (BST).
NOW = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)
TODAY = NOW.date()


def _busy_teen(parent, index: int):
    """A teen with everything the dashboard reads: a window, usage, a grant, a request."""
    teen = TeenFactory(display_name=f"Teen {index:02d}")
    link(parent, teen)
    DowntimeWindow.objects.create(teen=teen, name="Bedtime", start=time(21), end=time(7))
    TeenDay.objects.create(teen=teen, local_date=TODAY, counted_seconds=20 * 60)
    DayGrant.objects.create(teen=teen, local_date=TODAY, bonus_minutes=10)
    TimeRequest.objects.create(teen=teen, local_date=TODAY, minutes=15)
    return teen


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_dashboard_query_count_is_the_same_for_1_and_10_teens(
    client, django_assert_num_queries
):
    parent = UserFactory(display_name="Pat")
    _busy_teen(parent, 0)
    client.force_login(parent)
    client.get("/dashboard/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one_teen:
        assert client.get("/dashboard/").status_code == 200
    for index in range(1, 10):
        _busy_teen(parent, index)
    with django_assert_num_queries(len(one_teen.captured_queries)):
        response = client.get("/dashboard/")
    assert len(response.context["cards"]) == 10


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_card_shows_use_against_the_limit_allowed_or_why_and_requests(alice, alice_client, tom):
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=45 * 60)
    TimeRequest.objects.create(teen=tom, local_date=TODAY, minutes=30)
    page = alice_client.get("/dashboard/").content.decode()
    assert "Allowed now" in page
    assert "Today: 45 min of 1 h used · <strong>15 min left</strong>" in page
    assert "1 request for more time" in page
    assert f'href="/teens/{tom.pk}/"' in page

    downtime.downtime_window_create(
        actor=alice, teen=tom, name="Dinner", weekdays=[2], start=time(17, 30), end=time(19, 0)
    )
    page = alice_client.get("/dashboard/").content.decode()
    assert "Downtime: “Dinner”" in page
    assert "Until 19:00." in page


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_card_says_when_the_limit_is_reached(alice_client, tom):
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=3600)
    page = alice_client.get("/dashboard/").content.decode()
    assert "Daily limit reached" in page
    assert "New time when the day resets at 00:00 tomorrow." in page


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_a_card_does_not_promise_time_back_when_a_downtime_starts_first(alice_client, alice, tom):
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=3600)
    downtime.downtime_window_create(
        actor=alice,
        teen=tom,
        name="Night",
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        start=time(21),
        end=time(7),
    )
    page = alice_client.get("/dashboard/").content.decode()
    assert "Daily limit reached" in page
    assert "Allowed again at 21:00" not in page
    assert "New time when the day resets at 00:00 tomorrow." in page


@pytest.mark.django_db
def test_batched_policies_equal_the_one_teen_policy(alice, tom):
    others = [_busy_teen(alice, index) for index in range(3)]
    tina = TeenFactory(time_zone="America/New_York")
    link(alice, tina)
    services.screen_time_update(actor=alice, teen=tina, changes={"day_start": time(4)})
    teens = [tom, tina, *others]
    for now in (
        NOW,
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 7, tzinfo=UTC),
    ):
        from accounts.models import User

        loaded = list(User.objects.filter(pk__in=[t.pk for t in teens]).select_related("rules"))
        batched = policies_for_teens(teens=loaded, now=now)
        for teen in teens:
            assert batched[teen.pk] == effective_policy_for_teen(teen=teen, now=now)


# --------------------------------------------------------------------------------------------
# Per-teen pages and the teen's page
# --------------------------------------------------------------------------------------------

GUARDIAN_PAGES = ["", "screen-time/", "browsing/", "privacy/", "history/"]


@pytest.mark.django_db
@pytest.mark.parametrize("section", GUARDIAN_PAGES)
def test_each_section_opens_for_a_guardian_with_the_seams(alice_client, tom, section):
    response = alice_client.get(f"/teens/{tom.pk}/{section}")
    assert response.status_code == 200
    page = response.content.decode()
    for tab in ("Today", "Screen time", "Browsing", "Privacy", "History"):
        assert f">{tab}</a>" in page


@pytest.mark.django_db
@pytest.mark.parametrize("section", GUARDIAN_PAGES)
def test_a_stranger_gets_404_on_every_section(client, bob, tom, section):
    client.force_login(bob)
    assert client.get(f"/teens/{tom.pk}/{section}").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("section", GUARDIAN_PAGES)
def test_another_teen_gets_404_on_every_section(client, uma, tom, section):
    client.force_login(uma)
    assert client.get(f"/teens/{tom.pk}/{section}").status_code == 404


@pytest.mark.django_db
def test_the_history_shows_who_changed_what_from_what_to_what(alice, alice_client, tom):
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 90})
    page = alice_client.get(f"/teens/{tom.pk}/history/").content.decode()
    assert "Alice changed screen time" in page
    assert "Wednesday limit: 1 h → 1 h 30 min" in page


@pytest.mark.django_db
def test_the_guardian_sees_times_in_the_teens_time_zone_when_theirs_differs(bob, tina, client):
    client.force_login(bob)
    page = client.get(f"/teens/{tina.pk}/").content.decode()
    assert "Times are in" not in page  # both in New York
    bob.time_zone = "Europe/Paris"
    bob.save()
    page = client.get(f"/teens/{tina.pk}/").content.decode()
    assert "Times are in Tina's time zone (America/New_York)." in page


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_the_teen_sees_time_left_rules_and_history(alice, tom, tom_client):
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=50 * 60)
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 90})
    downtime.downtime_window_create(
        actor=alice, teen=tom, name="Bedtime", weekdays=[0, 1, 2], start=time(21), end=time(7)
    )
    services.browsing_update(actor=alice, teen=tom, changes={"keyword_filters": ["gore"]})
    page = tom_client.get("/me/").content.decode()
    assert "40 min left" in page
    page = tom_client.get("/me/rules/").content.decode()
    assert "Wednesday (today)" in page
    assert "1 h 30 min" in page
    assert "“Bedtime” Mon–Wed 21:00–07:00 (ends the next day)" in page
    assert "gore" in page
    assert "Direct messages" in page
    page = tom_client.get("/me/history/").content.decode()
    assert "Alice changed screen time" in page
    assert "Wednesday limit: 1 h → 1 h 30 min" in page
    assert "Alice added downtime “Bedtime”" in page


@pytest.mark.django_db
def test_the_teens_full_history_pages(alice, tom, tom_client):
    for minutes in range(30, 90):
        services.screen_time_update(actor=alice, teen=tom, changes={"limit_mon": minutes})
    assert AuditEvent.objects.filter(teen=tom).count() == 60
    first = tom_client.get("/me/history/")
    assert len(first.context["history"]) == 50
    assert len(tom_client.get("/me/history/?page=2").context["history"]) == 10


@pytest.mark.django_db
def test_a_guardian_opening_the_teen_page_goes_to_the_dashboard(alice_client):
    response = alice_client.get("/me/")
    assert response.status_code == 302
    assert response.url == "/dashboard/"


@pytest.mark.django_db
def test_an_unlinked_teen_sees_that_nobody_manages_them(client, uma):
    client.force_login(uma)
    response = client.get("/me/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "You're not linked to a parent or guardian" in page
    assert "My screen time rules" not in page
