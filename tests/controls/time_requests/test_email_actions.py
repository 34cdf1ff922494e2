"""Approve / Deny links in a guardian's e-mail: signed, single-use, expiring with the teen's day,
and only for the signed-in guardian they were sent to."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client

from controls.models import DayGrant, TimeRequestStatus
from controls.time_requests.email_links import email_action_token
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


@pytest.fixture
def time_request(tom, dan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return time_request_create(teen=tom, minutes=30, reason="Project")


def _links(message) -> dict[str, str]:
    found = re.findall(r"(Approve|Deny): (http\S+)", message.body)
    return {name.lower(): url.replace("http://127.0.0.1:8000", "") for name, url in found}


def _url(time_request, guardian, action):
    token = email_action_token(time_request=time_request, guardian=guardian, action=action)
    return f"/requests/email/{token}/"


def _open(client, url: str) -> str:
    """Open an e-mailed link as a browser does: the one request with the token in its path
    answers with a redirect to the token-free page, whose address is returned."""
    response = client.get(url)
    assert response.status_code == 302
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert token not in response.url
    assert response.url.startswith("/requests/email/confirm/")
    return response.url


def _answer(client, url: str, data: dict | None = None):
    return client.post(_open(client, url), data or {})


def test_it_e_mails_each_guardian_their_own_links(time_request, alice, dan):
    by_recipient = {m.to[0]: _links(m) for m in mail.outbox}
    assert set(by_recipient) == {"alice@example.com", "dan@example.com"}
    assert (
        by_recipient["alice@example.com"]["approve"] != by_recipient["dan@example.com"]["approve"]
    )
    html = mail.outbox[0].alternatives[0][0]
    assert "Approve 30 minutes" in html and "Deny" in html


def test_it_approves_from_the_e_mail_with_one_confirming_tap(client, time_request, alice):
    url = _links(next(m for m in mail.outbox if m.to == ["alice@example.com"]))["approve"]
    client.force_login(alice)

    confirm = _open(client, url)
    page = client.get(confirm)
    assert page.status_code == 200
    assert "Approve 30 minutes" in page.content.decode()
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.PENDING  # opening the link changes nothing

    response = client.post(confirm, {"answer": "approve"})
    assert response.status_code == 302
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.APPROVED
    assert time_request.answered_by == alice
    assert DayGrant.objects.get().bonus_minutes == 30


def test_it_denies_from_the_e_mail_with_a_note(client, time_request, alice):
    client.force_login(alice)
    _answer(client, _url(time_request, alice, "deny"), {"note": "Homework first"})
    time_request.refresh_from_db()
    assert (time_request.status, time_request.note) == (TimeRequestStatus.DENIED, "Homework first")


def test_it_needs_the_guardian_to_be_signed_in(client, time_request, alice):
    url = _url(time_request, alice, "approve")
    confirm = _open(client, url)
    response = client.get(confirm)
    assert response.status_code == 302
    # The sign-in page's address names the token-free page only.
    assert response.url == f"/accounts/login/?next=/requests/email/confirm/{time_request.pk}/"
    assert client.post(confirm).status_code == 302
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.PENDING

    # Signing in keeps the session, and with it the link's token.
    client.force_login(alice)
    assert client.post(confirm, {"answer": "approve"}).status_code == 302
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.APPROVED


def test_it_refuses_a_link_used_twice(client, time_request, alice):
    url = _url(time_request, alice, "approve")
    client.force_login(alice)
    confirm = _open(client, url)
    client.post(confirm)

    again = client.post(confirm)
    assert again.status_code == 410
    assert "already been used: Already approved by you at 15:00." in again.content.decode()
    # Opening the link again from the e-mail (or a replayed copy in another browser) too.
    assert _answer(client, url).status_code == 410
    other = Client()
    other.force_login(alice)
    assert _answer(other, url).status_code == 410
    assert client.get(_open(client, _url(time_request, alice, "deny"))).status_code == 410
    assert DayGrant.objects.count() == 1


def test_it_tells_the_other_guardian_who_answered_first(client, time_request, alice, dan):
    client.force_login(dan)
    _answer(client, _url(time_request, dan, "deny"))
    client.force_login(alice)
    response = client.get(_open(client, _url(time_request, alice, "approve")))
    assert response.status_code == 410
    assert "Already declined by Dan at 15:00." in response.content.decode()


def test_it_refuses_a_link_after_the_teens_day_ended(client, time_request, alice):
    url = _url(time_request, alice, "approve")
    client.force_login(alice)
    with time_machine.travel(datetime(2025, 6, 11, 23, 0, tzinfo=UTC), tick=False):
        response = _answer(client, url)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.LAPSED
    assert not DayGrant.objects.exists()


def test_it_refuses_a_guardian_of_another_teen(client, time_request, alice, bob, tina):
    url = _url(time_request, alice, "approve")
    client.force_login(bob)
    response = _answer(client, url)
    assert response.status_code == 403
    assert "sent to another guardian" in response.content.decode()
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.PENDING


def test_it_refuses_a_link_forged_for_a_stranger(client, time_request, bob, tina):
    # Even a correctly signed link naming bob is refused: bob is not Tom's guardian.
    client.force_login(bob)
    response = _answer(client, _url(time_request, bob, "approve"))
    assert response.status_code == 403
    assert "not linked to" in response.content.decode()


def test_it_refuses_a_link_whose_guardian_was_unlinked(client, time_request, alice):
    from accounts.models import GuardianLink, LinkStatus

    url = _url(time_request, alice, "approve")
    GuardianLink.objects.filter(parent=alice).update(status=LinkStatus.ENDED, ended_at=NOON)
    client.force_login(alice)
    assert _answer(client, url).status_code == 403


@pytest.mark.parametrize("token", ["nonsense", "a" * 300])
def test_it_refuses_a_tampered_link(client, time_request, alice, token):
    client.force_login(alice)
    response = client.get(f"/requests/email/{token}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert "email_action_tokens" not in client.session


def test_the_token_free_page_needs_the_link_opened_in_this_browser(client, time_request, alice):
    client.force_login(alice)
    response = client.post(f"/requests/email/confirm/{time_request.pk}/", {"answer": "approve"})
    assert response.status_code == 404
    assert "Open the Approve or Deny link from your e-mail again" in response.content.decode()
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.PENDING


def test_it_gives_the_answer_the_page_showed_when_both_links_were_opened(
    client, time_request, alice
):
    client.force_login(alice)
    confirm = _open(client, _url(time_request, alice, "approve"))
    assert "Approve 30 minutes" in client.get(confirm).content.decode()
    assert _open(client, _url(time_request, alice, "deny")) == confirm  # another tab: Deny

    # The first tab's Approve button must not deny.
    response = client.post(confirm, {"answer": "approve"})
    assert response.status_code == 409
    assert "You opened the other link" in response.content.decode()
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.PENDING
    client.post(confirm, {"answer": "deny", "note": "Later"})
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.DENIED


def test_the_token_reaches_the_server_in_one_request_path_only(client, time_request, alice):
    token = email_action_token(time_request=time_request, guardian=alice, action="approve")
    paths = [f"/requests/email/{token}/"]
    response = client.get(paths[0])
    while response.status_code == 302:  # not signed in: on to the sign-in page and back
        paths.append(response.url)
        response = client.get(response.url)
    client.force_login(alice)
    paths.append(paths[1])
    assert client.get(paths[-1]).status_code == 200
    response = client.post(paths[-1], {"answer": "approve"})
    assert response.status_code == 302
    assert [p for p in paths if token in p] == [paths[0]]
    time_request.refresh_from_db()
    assert time_request.status == TimeRequestStatus.APPROVED


def test_it_sends_no_e_mail_once_the_request_was_answered(time_request, alice):
    from controls.models import Notification
    from controls.time_requests.services import time_request_approve
    from controls.time_requests.tasks import time_request_send_email

    time_request_approve(time_request=time_request, guardian=alice)
    mail.outbox.clear()
    notification = Notification.objects.filter(recipient=alice).first()
    assert time_request_send_email(notification.pk, time_request.pk) is False
    assert mail.outbox == []


def test_it_respects_a_guardian_who_turned_request_e_mails_off(
    tom, alice, django_capture_on_commit_callbacks
):
    from controls.models import NotificationKind, NotificationPreference

    NotificationPreference.objects.create(
        user=alice, kind=NotificationKind.TIME_REQUESTED, email=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        time_request_create(teen=tom, minutes=15)
    assert mail.outbox == []
