"""Plain-text e-mail parts and subjects read as typed: no HTML entities (issue 11, item 10), while
the HTML part stays escaped. Every kind of mail the product sends, for a family whose names hold
every character HTML escapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from controls.models import NotificationKind
from controls.notifications import delivery

NAME = 'Robin O\'Neil & "Co" <x>'
ESCAPED = "Robin O&#x27;Neil &amp; &quot;Co&quot; &lt;x&gt;"
ENTITIES = ("&#", "&amp;", "&lt;", "&gt;", "&quot;")
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture(autouse=True)
def _every_kind_e_mailed():
    """These tests are about how e-mails are sent, not which kinds are on by default (some are
    in-app only unless chosen: tests/controls/notifications/test_digest.py)."""
    with pytest.MonkeyPatch.context() as patch:  # not the test's own (it calls undo())
        patch.setattr(delivery, "EMAIL_OFF_BY_DEFAULT", frozenset())
        yield


def html_part(message) -> str | None:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return content
    return None


def assert_plain_text(message) -> None:
    for where, text in (("subject", message.subject), ("text part", message.body)):
        found = [entity for entity in ENTITIES if entity in text]
        assert not found, f"“{message.subject}”: {where} shows {found}:\n{text}"
    html = html_part(message)
    if html is not None:
        assert "<x>" not in html, f"“{message.subject}”: the HTML part is not escaped"


@pytest.fixture
def robins(alice, tom):
    alice.display_name = NAME
    alice.save(update_fields=["display_name"])
    tom.display_name = NAME
    tom.save(update_fields=["display_name"])
    return alice, tom


@pytest.mark.django_db
def test_every_notification_kind_mails_the_name_as_typed(
    robins, django_capture_on_commit_callbacks
):
    from controls.notifications.services import notify

    alice, tom = robins
    with django_capture_on_commit_callbacks(execute=True):
        for kind in NotificationKind:
            notify(
                recipient=alice,
                kind=kind,
                title=f"{tom.display_name}'s screen time",
                body=f"{tom.display_name} & you: <b>not bold</b>",
                link=reverse("teen_detail", args=[tom.pk]),
                teen=tom,
            )
    assert len(mail.outbox) == len(NotificationKind)
    for message in mail.outbox:
        assert_plain_text(message)
        assert f"{NAME}'s screen time" in message.subject
        assert f"Hello {NAME}," in message.body
        assert f"{NAME} & you: <b>not bold</b>" in message.body
        assert ESCAPED in html_part(message)


@pytest.mark.django_db
def test_the_mails_of_the_product_s_own_flows_show_no_entities(
    robins, django_capture_on_commit_callbacks
):
    from accounts.profile import user_profile_update
    from controls.reports.services import weekly_report_send_once
    from controls.time_requests.services import time_request_create
    from tests.device_support import event, post_usage, register

    alice, tom = robins
    _device, token = register(tom)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        # A more-time request (the e-mail with Approve / Deny links), the limit reached by a
        # device's report, a change of time zone, the weekly report.
        time_request_create(teen=tom, minutes=15, reason=f"{NAME} asks")
        response = post_usage(Client(), token, [event(NOW - timedelta(hours=1), 3600)])
        assert response.status_code == 200
        user_profile_update(user=tom, display_name=NAME, time_zone="Asia/Tokyo")
        assert weekly_report_send_once(guardian_id=alice.pk, week_start=date(2026, 11, 23))
    subjects = [message.subject for message in mail.outbox]
    assert any("asks for" in s or "more time" in s.lower() for s in subjects), subjects
    assert any("limit" in s for s in subjects), subjects
    assert any("time zone" in s for s in subjects), subjects
    assert any("Weekly report" in s for s in subjects), subjects
    for message in mail.outbox:
        assert_plain_text(message)
    # The name is there, as typed, in the guardian's mails.
    assert all(NAME in m.body for m in mail.outbox if alice.email in m.to)


@pytest.mark.django_db
def test_allauth_s_mails_show_no_entities(client, robins):
    alice, _tom = robins
    response = client.post(
        reverse("account_signup"),
        {
            "display_name": NAME,
            "email": "robin@example.com",
            "birth_date": "1980-01-01",
            "time_zone": "Europe/London",
            "password1": "a very long passphrase 42",
            "password2": "a very long passphrase 42",
        },
    )
    assert response.status_code == 302, response.content
    Client().post(reverse("account_reset_password"), {"email": alice.email})
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert_plain_text(message)
    assert "robin@example.com" in mail.outbox[0].to
    assert alice.email in mail.outbox[1].to


def test_plain_text_rendering_does_not_escape_but_html_does():
    from django.template.loader import render_to_string

    from familypairing.mail import plain_subject, render_plain_text

    context = {
        "user": {"display_name": NAME},
        "notification": {"title": NAME, "body": "", "link": ""},
        "SITE_URL": "http://x",
    }
    assert f"Hello {NAME}," in render_plain_text("emails/notification.txt", context)
    assert ESCAPED in render_to_string("emails/notification.html", context)
    assert plain_subject("a\nb  c") == "a b c"
