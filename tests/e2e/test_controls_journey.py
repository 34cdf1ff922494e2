"""A guardian changes Wednesday's limit and adds a downtime window on a phone-sized screen; the
teen, in another browser, sees the new rules and the history entry."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_a_guardian_changes_the_rules_and_the_teen_sees_them(
    browser, browser_context_args, live_server, alice, tom, login, shot
):
    guardian = browser.new_context(**browser_context_args).new_page()
    login(guardian, alice)
    guardian.goto(f"{live_server.url}/dashboard/")
    guardian.get_by_role("link", name="Tom", exact=True).first.click()
    guardian.get_by_role("link", name="Screen time", exact=True).first.click()
    guardian.wait_for_url(f"**/teens/{tom.pk}/screen-time/")
    shot(guardian, "guardian-screen-time")

    guardian.get_by_label("Wednesday").fill("90")
    guardian.get_by_role("button", name="Save daily limits").click()
    # said in place, inside the card (htmx), without leaving the page
    expect(
        guardian.locator("#limits-card").get_by_text("Saved. Wednesday limit: 1 h → 1 h 30 min.")
    ).to_be_visible()

    add = guardian.locator("details.add")
    if add.get_attribute("open") is None:
        add.locator("summary").click()
    guardian.locator("#id_new-name").fill("Bedtime")
    new_window = guardian.locator("form", has=guardian.locator("#id_new-name"))
    for day in ("Sat", "Sun"):
        new_window.get_by_label(day).uncheck()
    guardian.locator("#id_new-start").fill("21:00")
    guardian.locator("#id_new-end").fill("07:00")
    guardian.get_by_role("button", name="Add downtime").click()
    guardian.wait_for_load_state()
    assert guardian.get_by_text(
        "Saved. New downtime: “Bedtime” Mon–Fri 21:00–07:00 (ends the next day)."
    ).is_visible()
    shot(guardian, "guardian-saved")

    teen = browser.new_context(**browser_context_args).new_page()
    login(teen, tom)
    teen.wait_for_url("**/me/")
    teen.get_by_role("link", name="My rules").click()
    teen.wait_for_url("**/me/rules/")
    rules = teen.locator("section", has=teen.get_by_role("heading", name="My screen time rules"))
    assert "1 h 30 min" in rules.get_by_role("row", name="Wednesday").inner_text()
    assert rules.get_by_text("“Bedtime” Mon–Fri 21:00–07:00 (ends the next day)").is_visible()
    teen.get_by_role("link", name="History").click()
    teen.wait_for_url("**/me/history/")
    history = teen.locator("section", has=teen.get_by_role("heading", name="History of changes"))
    assert history.get_by_text("Alice changed screen time").is_visible()
    assert history.get_by_text("Wednesday limit: 1 h → 1 h 30 min").is_visible()
    assert history.get_by_text("Alice added downtime “Bedtime”").is_visible()
    shot(teen, "teen-sees-rules")
