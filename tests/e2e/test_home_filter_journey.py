"""A guardian makes a home network filter address on the Browsing tab, copies it with the copy
button, and a filter (plain HTTP, no session) fetches the list from it; on a phone and a
desktop screen."""

from __future__ import annotations

import urllib.request

import pytest


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_a_guardian_sets_up_a_home_filter(
    browser, browser_context_args, live_server, alice, tom, login, shot, settings, width
):
    from controls.rules import services

    settings.SITE_URL = live_server.url
    services.browsing_update(actor=alice, teen=tom, changes={"domains": ["example.com"]})
    context = browser.new_context(
        **{**browser_context_args, "viewport": {"width": width, "height": 900}}
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    login(page, alice)
    page.goto(f"{live_server.url}/teens/{tom.pk}/browsing/")
    page.get_by_role("button", name="Make a filter address").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your home network filter address is ready.").is_visible()

    field = page.locator("#feed-adguard")
    address = field.input_value()
    assert address.startswith(f"{live_server.url}/feeds/") and address.endswith("/adguard.txt")
    copy = page.locator('button[data-copy="feed-adguard"]')
    assert copy.is_visible()  # shown only once the script runs
    copy.click()
    page.get_by_text("Copied").first.wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == address

    page.get_by_text("Set up AdGuard Home").click()
    assert page.get_by_text("Filters → DNS blocklists").is_visible()
    page.locator("summary", has_text="What a home filter can and can't do").click()
    shot(page, f"home-filter-{width}")

    with urllib.request.urlopen(address, timeout=10) as response:  # noqa: S310 - live_server
        text = response.read().decode()
    assert "||example.com^" in text.splitlines()
    context.close()
