"""The README's screenshots, made from a realistic family (two guardians, eleven days of use,
limits that changed, extra time after the limit): `README_SHOTS=1 pytest
tests/e2e/test_readme_screenshots.py` writes docs/screenshots/. Without README_SHOTS it still
runs the same pages and checks what the pictures are meant to show, writing nothing."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from tests.e2e.test_pages import _sign_in
from tests.factories import UserFactory, link

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WRITE = os.environ.get("README_SHOTS") == "1"


def _family(alice, tom):
    from accounts.models import GuardianLink, User
    from controls.effective.selectors import teen_today
    from controls.models import DailyUsage, DayLimit, TeenDay
    from controls.rules import services
    from controls.time_requests.grants import day_grant_create
    from controls.time_requests.services import time_request_create

    pat = UserFactory(email="pat@example.com", display_name="Pat")
    link(pat, tom)
    days_ago = 11
    since = tom.date_joined - timedelta(days=days_ago)
    User.objects.filter(pk=tom.pk).update(date_joined=since)
    GuardianLink.objects.filter(teen=tom).update(created_at=since)
    tom.refresh_from_db()
    services.screen_time_update(
        actor=alice, teen=tom, changes={"every_day": 60, "limit_sat": 120, "limit_sun": 120}
    )
    today = teen_today(teen=tom).local_date
    used = [45, 70, 12, 58, 130, 95, 40, 61, 2, 55, 33]  # minutes, oldest first
    for n, minutes in zip(range(days_ago, 0, -1), used, strict=True):
        day = today - timedelta(days=n)
        limit = 120 if day.weekday() >= 5 else (90 if n > 6 else 60)  # 1 h 30 before a cut
        DayLimit.objects.create(teen=tom, local_date=day, limit_minutes=limit)
        TeenDay.objects.create(teen=tom, local_date=day, counted_seconds=minutes * 60)
    for app, minutes in (("YouTube", 31), ("Minecraft", 19), ("WhatsApp", 12), ("Duolingo", 6)):
        DailyUsage.objects.create(teen=tom, local_date=today, app=app, seconds=minutes * 60)
    TeenDay.objects.create(teen=tom, local_date=today, counted_seconds=62 * 60)  # 2 min over
    day_grant_create(guardian=pat, teen=tom, bonus_minutes=30, no_limit=False)
    time_request_create(teen=tom, minutes=15, reason="Finishing the maths homework")
    return pat


def _save(page, name: str, height: int) -> None:
    full = DOCS.parents[1] / "test-results" / "screenshots" / f"readme-{name}"
    full.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(full), full_page=True)  # the whole page, to look at
    if WRITE:
        DOCS.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(
            path=str(DOCS / name),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
        )


@pytest.mark.django_db(transaction=True)
def test_readme_screenshots(browser, live_server, settings, alice, tom):
    from accounts.pairing.services import pairing_invitation_create

    settings.SITE_URL = live_server.url
    _family(alice, tom)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_server.url, alice)
    page.goto(live_server.url + reverse("teen_detail", args=[tom.pk]))
    assert "Tom was 2 min over the limit before the extra time, so 28 min left." in page.content()
    _save(page, "guardian-teen-page.png", 1800)
    context.close()

    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_server.url, tom)
    page.goto(live_server.url + reverse("teen_home"))
    assert "You were 2 min over the limit before the extra time, so 28 min left." in page.content()
    _save(page, "teen-page-phone.png", 1500)
    page.get_by_role("link", name="My rules").click()
    page.wait_for_url("**/me/rules/")
    assert page.locator('nav.tabs a[aria-current="page"]').inner_text() == "My rules"
    context.close()

    _, secrets = pairing_invitation_create(parent=alice)
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server.url}/pair/{secrets.token}")
    page.wait_for_load_state()
    assert "Alice wants to link with your account" in page.content()
    _save(page, "qr-link-signed-out-phone.png", 1100)
    context.close()
