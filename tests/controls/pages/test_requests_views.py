"""More-time pages: the teen asks, a guardian answers or gives time, strangers get 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.template import Context, Template

from controls.models import DayGrant, TeenDay, TimeRequest, TimeRequestStatus
from controls.time_requests.services import time_request_create
from tests.factories import UserFactory, link

NOON = datetime(2025, 6, 11, 14, 0, tzinfo=UTC)  # Wednesday 15:00 in London


@pytest.fixture(autouse=True)
def _noon():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def dan(db, tom):
    guardian = UserFactory(email="dan@example.com", display_name="Dan")
    link(guardian, tom)
    return guardian


def test_it_lets_a_teen_ask_from_their_page(tom_client, tom):
    response = tom_client.post(
        "/me/more-time/", {"minutes": "30", "reason": "Project", "next": "/me/"}
    )
    assert response.status_code == 302 and response.url == "/me/"
    time_request = TimeRequest.objects.get(teen=tom)
    assert (time_request.minutes, time_request.reason) == (30, "Project")


def test_it_lets_a_teen_ask_for_the_rest_of_today(tom_client, tom):
    tom_client.post("/me/more-time/", {"minutes": "rest"})
    assert TimeRequest.objects.get(teen=tom).minutes is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"minutes": "45"}, "Choose 15, 30 or 60 minutes"),
        ({"minutes": ""}, "Choose how much more time you need"),
        ({"minutes": "abc"}, "Enter a whole number"),
        ({"minutes": "15", "reason": "x" * 201}, "200 characters or fewer"),
    ],
)
def test_it_shows_bad_input_next_to_the_field(tom_client, data, message):
    response = tom_client.post("/me/more-time/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TimeRequest.objects.exists()


def test_it_refuses_the_ask_page_to_a_guardian(alice_client):
    assert alice_client.get("/me/more-time/").status_code == 403


def test_it_shows_the_teen_that_a_request_is_waiting(tom_client, tom):
    time_request_create(teen=tom, minutes=15)
    response = tom_client.get("/me/more-time/panel/")
    content = response.content.decode()
    assert "You asked for 15 minutes at 15:00. Waiting for an answer" in content
    assert 'hx-trigger="every 15s"' in content  # refreshes in place until answered


def test_it_lets_a_guardian_approve_from_the_request_page(alice_client, tom):
    time_request = time_request_create(teen=tom, minutes=30)
    page = alice_client.get(f"/requests/{time_request.pk}/")
    assert "Tom asks for 30 minutes" in page.content.decode()

    response = alice_client.post(
        f"/requests/{time_request.pk}/answer/", {"answer": "approve", "next": "/notifications/"}
    )
    assert response.status_code == 302 and response.url == "/notifications/"
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.APPROVED


def test_it_says_who_answered_first(alice_client, tom, dan):
    from controls.time_requests.services import time_request_approve

    time_request = time_request_create(teen=tom, minutes=30)
    time_request_approve(time_request=time_request, guardian=dan)
    response = alice_client.post(
        f"/requests/{time_request.pk}/answer/", {"answer": "deny"}, follow=True
    )
    assert "Already approved by Dan at 15:00." in response.content.decode()


def test_it_ignores_an_offsite_next(alice_client, tom):
    time_request = time_request_create(teen=tom, minutes=30)
    response = alice_client.post(
        f"/requests/{time_request.pk}/answer/",
        {"answer": "deny", "next": "https://evil.example/"},
    )
    assert response.url == f"/requests/{time_request.pk}/"


def test_it_hides_a_request_from_a_stranger(client, bob, tom):
    time_request = time_request_create(teen=tom, minutes=30)
    client.force_login(bob)
    assert client.get(f"/requests/{time_request.pk}/").status_code == 404
    response = client.post(f"/requests/{time_request.pk}/answer/", {"answer": "approve"})
    assert response.status_code == 404
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.PENDING


def test_it_forbids_a_teen_answering_their_own_request(tom_client, tom):
    time_request = time_request_create(teen=tom, minutes=30)
    response = tom_client.post(f"/requests/{time_request.pk}/answer/", {"answer": "approve"})
    assert response.status_code == 403
    assert not DayGrant.objects.exists()


def test_it_lets_a_guardian_give_bonus_time_unasked(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/grant-time/", {"minutes": "30", "next": f"/teens/{tom.pk}/"}
    )
    assert response.url == f"/teens/{tom.pk}/"
    assert DayGrant.objects.get(teen=tom).bonus_minutes == 30


def test_it_lets_a_guardian_lift_the_limit_for_today(alice_client, tom):
    alice_client.post(f"/teens/{tom.pk}/grant-time/", {"no_limit": "1"})
    assert DayGrant.objects.get(teen=tom).no_limit is True


def test_it_refuses_grant_time_to_strangers_and_teens(client, bob, tom, tom_client):
    assert tom_client.post(f"/teens/{tom.pk}/grant-time/", {"minutes": "30"}).status_code == 403
    client.force_login(bob)
    assert client.post(f"/teens/{tom.pk}/grant-time/", {"minutes": "30"}).status_code == 404
    assert not DayGrant.objects.exists()


def test_it_shows_a_bad_custom_amount_as_a_message(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/grant-time/", {"custom_minutes": "2000"}, follow=True
    )
    assert "Give between 1 minute and a whole day" in response.content.decode()
    assert not DayGrant.objects.exists()


def test_the_teen_panel_shows_time_left_and_the_ask_form(tom, rf):
    TeenDay.objects.create(teen=tom, local_date=NOON.date(), counted_seconds=48 * 60)
    html = Template("{% load request_tags %}{% time_requests_panel teen %}").render(
        Context({"user": tom, "teen": tom, "request": rf.get("/me/")})
    )
    assert "12 min left today" in html
    assert "Used 48 min of 1 h" in html
    assert 'name="minutes" value="rest"' in html
    assert '<details class="ask" open>' in html  # less than 15 minutes left: open


def test_the_guardian_panel_offers_answers_and_grants(alice, tom, rf):
    time_request_create(teen=tom, minutes=60, reason="Movie night")
    request = rf.get(f"/teens/{tom.pk}/")
    html = Template("{% load request_tags %}{% time_requests_panel teen %}").render(
        Context({"user": alice, "teen": tom, "request": request})
    )
    assert "Tom asks for 1 hour" in html
    assert "Movie night" in html
    assert f'action="/requests/{TimeRequest.objects.get().pk}/answer/"' in html
    assert f'action="/teens/{tom.pk}/grant-time/"' in html
    assert "No limit today" in html


def test_the_guardian_panel_runs_a_fixed_number_of_queries(
    alice, tom, rf, django_assert_max_num_queries
):
    time_request_create(teen=tom, minutes=60)
    request = rf.get(f"/teens/{tom.pk}/")
    template = Template("{% load request_tags %}{% time_requests_panel teen %}")
    # (+2 since issue 13: the teen's app rules and locks are policy inputs)
    with django_assert_max_num_queries(10):
        template.render(Context({"user": alice, "teen": tom, "request": request}))
