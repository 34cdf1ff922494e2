"""The teen asks for more time, a guardian approves from the notification centre, and the
teen's page shows the new time left."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from controls.effective.selectors import teen_today
from controls.models import TeenDay


@pytest.mark.django_db(transaction=True)
def test_it_asks_approves_from_the_notification_centre_and_shows_the_new_time(
    browser, live_server, alice, tom, login, shot
):
    TeenDay.objects.create(
        teen=tom, local_date=teen_today(teen=tom).local_date, counted_seconds=50 * 60
    )
    phone = {"viewport": {"width": 412, "height": 915}, "locale": "en-GB"}
    teen = browser.new_context(**phone).new_page()
    guardian = browser.new_context(**phone).new_page()

    login(teen, tom)
    teen.goto(f"{live_server.url}/me/")
    expect(teen.locator("#time-left")).to_have_text("10 min left today")
    # With under 15 minutes left the "Ask for more time" form is already open.
    teen.get_by_label("30 minutes").check()
    teen.get_by_label("Why? (optional)").fill("Finishing my history video")
    shot(teen, "teen-asks")
    teen.get_by_role("button", name="Ask", exact=True).click()
    expect(teen.get_by_text("You asked for 30 minutes")).to_be_visible()
    shot(teen, "teen-waits")

    login(guardian, alice)
    guardian.goto(f"{live_server.url}/notifications/")
    expect(guardian.locator("#notification-badge .badge")).to_have_text("1")
    card = guardian.locator("li.notification", has_text="Tom asks for 30 minutes more today")
    expect(card).to_contain_text("Finishing my history video")
    shot(guardian, "guardian-notification-centre")
    card.get_by_role("button", name="Approve 30 min").click()
    expect(guardian.get_by_text("Approved: Tom has 30 minutes more today.")).to_be_visible()
    expect(guardian.locator("#notification-badge .badge")).to_have_count(0)
    shot(guardian, "guardian-approved")

    # The teen's panel refreshes itself while a request is open; a reload shows the same.
    expect(teen.locator("#time-left")).to_have_text("40 min left today", timeout=20_000)
    teen.reload()
    expect(teen.locator("#time-left")).to_have_text("40 min left today")
    expect(teen.get_by_text(re.compile("Alice said yes"))).to_be_visible()
    shot(teen, "teen-new-time")
