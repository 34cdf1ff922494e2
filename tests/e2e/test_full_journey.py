"""The whole product in one journey, from an empty database, through the pages only.

A parent signs up, confirms the e-mail (the link read from the test outbox) and turns on two-step
verification; a teen signs up in another browser; they link by code; a second teen links by
opening the QR link while signed out (and signs up on the way); the guardian sets limits and a
downtime window; the teen registers a phone, whose app reports usage through the API until the
limit; the teen's page and the guardian's dashboard say "limit reached" and the notifications
arrive; the teen asks for more time and the guardian approves; the teen unlinks and the guardian
is told. `--screenshots` saves one picture per step under screenshots/.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import hotp_value
from django.core import mail
from playwright.sync_api import Page, expect

from familypairing.celery import app as celery_app

PHONE = {"viewport": {"width": 412, "height": 915}, "locale": "en-GB"}
PASSWORD = "a long and quite unguessable passphrase 7"


@pytest.fixture
def midday():
    """Noon (UTC) today, with the clock running: the teen's day (Europe/London) has hours to
    go, so usage booked "in the last minutes" is always today's, whenever the suite runs."""
    noon = datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC).replace(hour=12)
    with time_machine.travel(noon, tick=True):
        yield noon


@pytest.fixture
def eager_tasks():
    """Enforcement and e-mails run in-process, also on the Redis CI run (no worker here)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _context(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    yield context
    context.close()


# Browser contexts as fixtures, so a failure saves a screenshot and the HTML of each of them.
@pytest.fixture
def parent_browser(browser):
    yield from _context(browser)


@pytest.fixture
def teen_browser(browser):
    yield from _context(browser)


@pytest.fixture
def sibling_browser(browser):
    yield from _context(browser)


def _years_ago(years: int) -> str:
    today = date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def _mail_link(to: str, pattern: str) -> str:
    """The last link matching `pattern` in the last e-mail sent to `to`."""
    messages = [m for m in mail.outbox if to in m.to]
    assert messages, f"no e-mail to {to}; outbox: {[m.subject for m in mail.outbox]}"
    links = re.findall(pattern, messages[-1].body)
    assert links, messages[-1].body
    return links[-1]


def sign_up(page: Page, base: str, *, name: str, email: str, age: int, shot, step: str) -> None:
    """Through the sign-up page, then the confirmation link from the e-mail."""
    if "/accounts/signup/" not in page.url:
        page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Date of birth").fill(_years_ago(age))
    page.get_by_label("Time zone").select_option("Europe/London")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    shot(page, f"{step}-sign-up")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    page.goto(_mail_link(email, r"https?://\S+/accounts/confirm-email/\S+/"))
    shot(page, f"{step}-confirm-email")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def enrol_mfa(page: Page, shot) -> None:
    """From the dashboard's offer; the secret is read from the page, as an app would scan it."""
    page.get_by_role("link", name="Set up two-step verification").click()
    if page.get_by_role("heading", name="Confirm it's you").is_visible():
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    secret = page.get_by_label("Authenticator secret").input_value()
    shot(page, "parent-mfa-activate")
    code = f"{hotp_value(secret, int(time.time()) // 30):06d}"
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state()
    shot(page, "parent-mfa-done")


def _qr_link(page: Page, parent) -> str:
    """The link the QR code on the page encodes. No QR decoder here, so: the link of the
    parent's open invitation, checked to draw exactly the QR code the page shows."""
    from accounts.models import PairingInvitation
    from accounts.pages.views import qr_svg
    from accounts.pairing.services import pairing_invitation_secrets

    invitation = PairingInvitation.objects.filter(parent=parent).latest("id")
    link = pairing_invitation_secrets(invitation=invitation).url
    shown = page.locator(".qr svg").evaluate("svg => svg.outerHTML")
    drawn = re.search(r"<svg.*</svg>", str(qr_svg(link)), re.S).group(0)
    assert _svg_paths(shown), f"no QR code drawn on the page: {shown[:200]}"
    assert _svg_paths(shown) == _svg_paths(drawn), "the QR code on the page is not this link"
    return link


def _svg_paths(svg: str) -> list[str]:
    return re.findall(r'\sd="([^"]+)"', svg)


@pytest.mark.django_db(transaction=True)
def test_the_whole_product_from_sign_up_to_unlinking(
    live_server,
    settings,
    playwright,
    midday,
    parent_browser,
    teen_browser,
    sibling_browser,
    eager_tasks,
    shot,
):
    from accounts.models import User

    base = live_server.url
    # Links in e-mails and QR codes point at SITE_URL: here, the test server.
    configured, settings.SITE_URL = settings.SITE_URL, base
    settings.HEADLESS_FRONTEND_URLS = {
        name: url.replace(configured, base) for name, url in settings.HEADLESS_FRONTEND_URLS.items()
    }
    parent = parent_browser.new_page()
    teen = teen_browser.new_page()

    # 1. A parent signs up, confirms the e-mail and turns on two-step verification.
    sign_up(parent, base, name="Pat", email="pat@example.com", age=41, shot=shot, step="parent")
    expect(parent.get_by_role("heading", name="Your family", exact=True)).to_be_visible()
    enrol_mfa(parent, shot)
    pat = User.objects.get(email="pat@example.com")
    assert pat.is_adult and pat.authenticator_set.filter(type="totp").exists()

    # 2. A teen signs up in another browser.
    sign_up(teen, base, name="Robin", email="robin@example.com", age=14, shot=shot, step="teen")
    expect(teen).to_have_url(re.compile(r"/me/$"))
    assert User.objects.get(email="robin@example.com").is_teen

    # 3. They link by code, each in their own browser; the parent's page notices by itself.
    parent.get_by_role("link", name="Dashboard").click()
    parent.get_by_role("button", name="Link a teen").click()
    expect(parent.get_by_role("heading", name="Show this to your teen")).to_be_visible()
    code = parent.locator("#pairing-code").inner_text()
    shot(parent, "parent-shows-code")
    teen.goto(f"{base}/pair/")
    teen.get_by_label("Pairing code").fill(code)
    teen.get_by_role("button", name="Continue").click()
    expect(teen.get_by_role("heading", name="Link with Pat?")).to_be_visible()
    expect(teen.get_by_text("pat@example.com")).to_be_visible()
    shot(teen, "teen-confirms-pairing")
    teen.get_by_role("button", name="Accept").click()
    expect(teen.get_by_text("You are now linked with Pat.")).to_be_visible()
    expect(parent.get_by_role("heading", name="Linked with Robin")).to_be_visible()
    shot(parent, "parent-linked")

    # 4. A second teen opens the QR link while signed out, signs up on the way, and accepts.
    parent.get_by_role("link", name="Go to your family").click()
    parent.get_by_role("button", name="Link a teen").click()
    expect(parent.get_by_role("heading", name="Show this to your teen")).to_be_visible()
    qr_link = _qr_link(parent, pat)
    sibling = sibling_browser.new_page()
    sibling.goto(qr_link)  # what the phone's camera opens
    # The signed-out page says who invites before anything else.
    expect(
        sibling.get_by_role("heading", name="Pat wants to link with your account")
    ).to_be_visible()
    sibling.get_by_role("link", name="Create an account").first.click()
    sign_up(sibling, base, name="Sam", email="sam@example.com", age=16, shot=shot, step="sibling")
    expect(sibling.get_by_role("heading", name="Link with Pat?")).to_be_visible()
    shot(sibling, "sibling-confirms-pairing")
    sibling.get_by_role("button", name="Accept").click()
    expect(sibling.get_by_text("You are now linked with Pat.")).to_be_visible()
    expect(parent.get_by_role("heading", name="Linked with Sam")).to_be_visible()
    parent.get_by_role("link", name="Go to your family").click()
    for name in ("Robin", "Sam"):
        expect(parent.get_by_role("link", name=name, exact=True).first).to_be_visible()
    shot(parent, "parent-family")

    # 5. The guardian sets Robin's limit (10 minutes, every day) and a bedtime downtime.
    parent.get_by_role("link", name="Robin", exact=True).first.click()
    parent.get_by_role("link", name="Screen time", exact=True).first.click()
    parent.get_by_label("Other", exact=True).check()
    parent.get_by_label("Other (minutes)").fill("10")
    parent.get_by_role("button", name="Set every day").click()
    expect(parent.get_by_text(re.compile(r"Saved\..*10 min"))).to_be_visible()
    add = parent.locator("details.add")
    if add.get_attribute("open") is None:
        add.locator("summary").click()
    parent.locator("#id_new-name").fill("Bedtime")
    parent.locator("#id_new-start").fill("21:00")
    parent.locator("#id_new-end").fill("07:00")
    parent.get_by_role("button", name="Add downtime").click()
    expect(parent.get_by_text(re.compile("New downtime: “Bedtime”"))).to_be_visible()
    shot(parent, "parent-sets-limits")

    # 6. Robin registers a phone; the token is shown once, on the page.
    teen.goto(f"{base}/me/")
    teen.get_by_role("link", name="Add a device").click()
    teen.get_by_label("Device name").fill("Robin's phone")
    teen.get_by_label("Kind of device").select_option("android")
    teen.get_by_role("button", name="Add device").click()
    token = teen.locator("#device-token").inner_text()
    shot(teen, "teen-device-token")
    teen.get_by_role("link", name="Done").click()

    # 7. The phone's app reports usage every two minutes until the 10-minute limit.
    app = playwright.request.new_context(
        base_url=base, extra_http_headers={"Authorization": f"Bearer {token}"}
    )
    policy = app.get("/api/v1/device/policy")
    assert policy.status == 200 and policy.json()["allowed"] is True, policy.text()
    app.post("/api/v1/device/policy/ack", data={"version": policy.json()["version"]})
    now = datetime.now(tz=UTC)
    answers = []
    for minutes_ago in (12, 10, 8, 6, 4):
        event = {
            "id": str(uuid.uuid4()),
            "started_at": (now - timedelta(minutes=minutes_ago)).isoformat(),
            "seconds": 120,
            "app": "com.example.videos",
        }
        response = app.post("/api/v1/device/usage", data={"events": [event]})
        assert response.status == 200, response.text()
        answers.append(response.json())
    assert [a["seconds_left"] for a in answers] == [480, 360, 240, 120, 0]
    assert answers[-1]["allowed"] is False and answers[-1]["reason"] == "daily_limit"

    # 8. Robin's page and Pat's dashboard say so; both are notified.
    teen.goto(f"{base}/me/")
    expect(teen.get_by_text("Daily limit reached").first).to_be_visible()
    expect(teen.locator("#time-left")).to_have_text("Time's up for today")
    shot(teen, "teen-limit-reached")
    teen.get_by_role("link", name="Notifications").click()
    expect(teen.get_by_text("You've reached today's screen-time limit")).to_be_visible()
    shot(teen, "teen-notifications")
    parent.goto(f"{base}/dashboard/")
    robin_card = parent.locator(".card", has=parent.get_by_role("link", name="Robin", exact=True))
    expect(robin_card.get_by_text("Daily limit reached")).to_be_visible()
    shot(parent, "parent-limit-reached")
    parent.get_by_role("link", name="Notifications").click()
    expect(
        parent.get_by_text("Robin reached today's screen-time limit (10 minutes)")
    ).to_be_visible()
    shot(parent, "parent-notifications")

    # 9. Robin asks for 30 more minutes; Pat approves from the notification centre.
    teen.goto(f"{base}/me/")
    teen.get_by_label("30 minutes").check()
    teen.get_by_label("Why? (optional)").fill("Finishing a school project")
    teen.get_by_role("button", name="Ask", exact=True).click()
    expect(teen.get_by_text("You asked for 30 minutes")).to_be_visible()
    shot(teen, "teen-asks-for-more-time")
    parent.reload()
    request_card = parent.locator(
        "li.notification", has_text="Robin asks for 30 minutes more today"
    )
    expect(request_card).to_contain_text("Finishing a school project")
    request_card.get_by_role("button", name="Approve 30 min").click()
    expect(parent.get_by_text("Approved: Robin has 30 minutes more today.")).to_be_visible()
    shot(parent, "parent-approves")
    expect(teen.locator("#time-left")).to_have_text("30 min left today", timeout=20_000)
    shot(teen, "teen-has-more-time")
    policy = app.get("/api/v1/device/policy").json()
    assert policy["allowed"] is True and policy["seconds_left"] == 30 * 60

    # 10. Robin unlinks (on the My guardians tab); Pat is told at once, in the app and by e-mail.
    teen.goto(f"{base}/me/guardians/")
    teen.get_by_role("link", name="Unlink", exact=True).click()
    expect(teen.get_by_role("heading", name="Unlink from Pat?")).to_be_visible()
    shot(teen, "teen-unlink-confirm")
    teen.get_by_role("button", name="Unlink from Pat").click()
    expect(
        teen.get_by_text("You unlinked from Pat. Your guardians were told right away.")
    ).to_be_visible()
    shot(teen, "teen-unlinked")
    parent.goto(f"{base}/notifications/")
    expect(parent.get_by_text("Robin unlinked from you")).to_be_visible()
    shot(parent, "parent-told")
    parent.get_by_role("link", name="Dashboard").click()
    expect(parent.get_by_role("link", name="Sam", exact=True).first).to_be_visible()
    expect(parent.get_by_role("link", name="Robin", exact=True)).to_have_count(0)
    assert any("Robin unlinked" in m.subject for m in mail.outbox if "pat@example.com" in m.to)
    app.dispose()
