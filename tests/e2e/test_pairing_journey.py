"""A parent and a teen link in two browsers; the parent's page notices without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import GuardianLink, LinkStatus, PairingInvitation


@pytest.mark.django_db(transaction=True)
def test_it_links_a_parent_and_a_teen_by_code(browser, live_server, alice, uma, login, shot):
    parent_context = browser.new_context(viewport={"width": 412, "height": 915})
    teen_context = browser.new_context(viewport={"width": 412, "height": 915})
    parent = parent_context.new_page()
    teen = teen_context.new_page()

    login(parent, alice)
    parent.get_by_role("button", name="Link a teen").click()
    expect(parent.get_by_role("heading", name="Show this to your teen")).to_be_visible()
    expect(parent.locator(".qr svg")).to_be_visible()
    code = parent.locator("#pairing-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    shot(parent, "parent-code")
    # Marks this page load: if the page reloaded, the mark would be gone.
    parent.evaluate("window.__sameLoad = true")

    login(teen, uma)
    teen.goto(f"{live_server.url}/pair/")
    teen.get_by_label("Pairing code").fill(code.lower().replace("-", " "))
    teen.get_by_role("button", name="Continue").click()
    expect(teen.get_by_role("heading", name="Link with Alice?")).to_be_visible()
    expect(teen.get_by_text("alice@example.com")).to_be_visible()
    expect(teen.get_by_text("Set daily screen-time limits")).to_be_visible()
    shot(teen, "teen-confirm")
    teen.get_by_role("button", name="Accept").click()
    expect(teen.get_by_text("You are now linked with Alice.")).to_be_visible()
    teen.get_by_role("link", name="My guardians").click()
    expect(teen.get_by_role("heading", name="Alice")).to_be_visible()
    shot(teen, "teen-linked")

    expect(parent.get_by_role("heading", name="Linked with Uma")).to_be_visible(timeout=10_000)
    assert parent.evaluate("window.__sameLoad === true")
    shot(parent, "parent-linked")
    assert GuardianLink.objects.get(parent=alice, teen=uma).status == LinkStatus.ACTIVE

    parent.get_by_role("link", name="Go to your family").click()
    expect(parent.get_by_role("heading", name="Linked teens")).to_be_visible()
    parent_context.close()
    teen_context.close()


@pytest.mark.django_db(transaction=True)
def test_a_signed_out_teen_scans_the_qr_signs_in_and_declines(
    browser, live_server, settings, alice, uma, shot
):
    from accounts.pairing.services import pairing_invitation_secrets
    from tests.factories import PASSWORD

    settings.SITE_URL = live_server.url
    parent_context = browser.new_context(viewport={"width": 412, "height": 915})
    teen_context = browser.new_context(viewport={"width": 412, "height": 915})
    parent = parent_context.new_page()
    teen = teen_context.new_page()

    parent.goto(f"{live_server.url}/accounts/login/")
    parent.get_by_label("Email").fill(alice.email)
    parent.get_by_label("Password").fill(PASSWORD)
    parent.get_by_role("button", name="Sign In").click()
    parent.get_by_role("button", name="Link a teen").click()
    expect(parent.get_by_role("heading", name="Show this to your teen")).to_be_visible()
    invitation = PairingInvitation.objects.get(parent=alice)
    qr_url = pairing_invitation_secrets(invitation=invitation).url  # what the QR encodes

    teen.goto(qr_url)
    expect(teen.get_by_role("heading", name="Sign In")).to_be_visible()
    teen.get_by_label("Email").fill(uma.email)
    teen.get_by_label("Password").fill(PASSWORD)
    teen.get_by_role("button", name="Sign In").click()
    expect(teen.get_by_role("heading", name="Link with Alice?")).to_be_visible()
    assert invitation.pk and "/pair/confirm/" in teen.url
    teen.get_by_role("button", name="Decline").click()
    expect(teen.get_by_text("You declined.")).to_be_visible()
    shot(teen, "teen-declined")

    expect(parent.get_by_role("heading", name="Uma declined")).to_be_visible(timeout=10_000)
    assert not GuardianLink.objects.exists()
    parent_context.close()
    teen_context.close()
