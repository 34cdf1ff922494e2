"""Text that people and devices choose (names, app ids, reasons, notes, window names, keywords)
is shown escaped on every page and in every e-mail, however hostile it is.

A teen's device reports its own app ids and a teen names their devices: a stored script there
would run in the guardian's browser (the CSP would block inline scripts too; this is the first
line of defence, not the only one).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(2)>',
    "</title><script>alert(3)</script>",
)
RAW = ("<img src=x onerror", "<svg onload", "<script>alert")


def hostile(label: str, index: int = 0) -> str:
    return f"{label}{PAYLOADS[index % len(PAYLOADS)]}"


def assert_escaped(text: str, where: str) -> None:
    found = [raw for raw in RAW if raw in text]
    assert not found, f"{where}: unescaped {found}"


@pytest.fixture
def hostile_family(alice, tom, django_capture_on_commit_callbacks):
    """tom's family, with hostile text in every field someone other than the viewer controls."""
    from accounts.devices.services import device_register
    from controls.rules.downtime import downtime_window_create
    from controls.rules.services import browsing_update
    from controls.time_requests.services import time_request_create, time_request_deny

    alice.display_name = hostile("Alice", 0)
    alice.save(update_fields=["display_name"])
    tom.display_name = hostile("Tom", 1)
    tom.save(update_fields=["display_name"])
    device, token = device_register(
        teen=tom, actor=tom, name=hostile("Phone", 2)[:80], platform="android"
    )
    started = datetime.now(tz=UTC) - timedelta(minutes=30)
    events = [
        {"id": str(uuid.uuid4()), "started_at": (started + timedelta(minutes=i)).isoformat(),
         "seconds": 60, "app": hostile("com.app", i)}
        for i in range(3)
    ]  # fmt: skip
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        "/api/v1/device/usage", json.dumps({"events": events}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    downtime_window_create(
        actor=alice, teen=tom, name=hostile("Bed", 2)[:60], weekdays=[5, 6],
        start=time(22), end=time(6),
    )  # fmt: skip
    browsing_update(actor=alice, teen=tom, changes={"keyword_filters": [hostile("kw", 1)]})
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after commit
        denied = time_request_create(teen=tom, minutes=15, reason=hostile("why", 0))
    time_request_deny(time_request=denied, guardian=alice, note=hostile("no", 1))
    return device


def _pages(tom, time_request_id: int) -> dict[str, list[str]]:
    teen = tom.pk
    return {
        "guardian": [
            reverse("dashboard"),
            reverse("teen_detail", args=[teen]),
            reverse("teen_screen_time", args=[teen]),
            reverse("teen_browsing", args=[teen]),
            reverse("teen_privacy", args=[teen]),
            reverse("teen_history", args=[teen]),
            reverse("teen_devices", args=[teen]),
            reverse("guardian_unlink", args=[teen]),
            reverse("notification_centre"),
            reverse("time_request_detail", args=[time_request_id]),
            reverse("export_hosts", args=[teen]),
            reverse("export_adguard", args=[teen]),
        ],
        "teen": [
            reverse("teen_home"),
            reverse("my_history"),
            reverse("my_devices"),
            reverse("notification_centre"),
            reverse("teen_time_request"),
            reverse("time_request_detail", args=[time_request_id]),
        ],
    }


@pytest.mark.django_db
def test_hostile_text_is_escaped_on_every_page_and_e_mail(alice, tom, hostile_family):
    from controls.models import TimeRequest

    time_request = TimeRequest.objects.get(teen=tom)
    shown = []
    for role, user in (("guardian", alice), ("teen", tom)):
        client = Client()
        client.force_login(user)
        for path in _pages(tom, time_request.pk)[role]:
            response = client.get(path, follow=True)
            assert response.status_code == 200, f"{path} as {role}: {response.status_code}"
            assert_escaped(response.content.decode(), f"{path} as {role}")
            shown.append(response.content.decode())
    # The hostile text was on the pages (escaped), so the checks above had something to check.
    for escaped in ("&lt;img src=x onerror", "&lt;svg onload", "&lt;script&gt;alert"):
        assert any(escaped in page for page in shown), escaped
    html_parts = [
        (message.subject, content)
        for message in mail.outbox
        for content, mimetype in getattr(message, "alternatives", [])
        if mimetype == "text/html"
    ]
    assert html_parts, "the request sends the guardian an HTML e-mail"
    for subject, content in html_parts:  # plain-text parts cannot run markup
        assert_escaped(content, f"the e-mail “{subject}”")


@pytest.mark.django_db
def test_a_hostile_parent_name_is_escaped_where_the_teen_confirms(alice, uma):
    from accounts.pairing.services import pairing_invitation_create

    alice.display_name = hostile("Alice", 2)
    alice.save(update_fields=["display_name"])
    _, secrets = pairing_invitation_create(parent=alice)
    client = Client()
    client.force_login(uma)
    response = client.post(reverse("pair_enter_code"), {"code": secrets.code}, follow=True)
    assert response.status_code == 200
    assert "/pair/confirm/" in response.redirect_chain[-1][0]
    assert_escaped(response.content.decode(), "the pairing confirmation page")
