"""The Chromium extension (`clients/chromium/`, issue 15) against a live test server, in Debian's
Chromium with the extension loaded unpacked: linking by code, time per site, the limit, a
guardian's grant over the change channel, site rules, asking for time, and offline.

Time is sped up on the server's side (a small limit, usage booked through the usage service)
and by the extension's own storage config (a report every 2 s instead of every minute); the
extension's code is the one a family installs (see tests/e2e/extension_support.py).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from accounts.devices.enrolment import device_enrolment_approve, device_enrolment_for_code
from accounts.models import Device
from controls.app_rules.locks import lock_end, lock_start
from controls.app_rules.services import app_rule_set
from controls.models import TimeRequest, UsageEvent
from controls.rules.services import browsing_update, screen_time_update
from controls.time_requests.services import time_request_deny
from controls.usage.events import usage_events_parse
from controls.usage.services import usage_record_batch
from tests.device_support import register
from tests.e2e.conftest import chromium_path
from tests.e2e.extension_support import (
    ROOT,
    Relay,
    Sites,
    launch,
    storage,
    unlocked,
    wait_until,
)
from tests.e2e.test_pages import PageCheck

REPORT_SECONDS = 2
GRANT_BOUND_SECONDS = 2.0


@pytest.fixture
def shots(request):
    """Where the README's screenshots go: docs/screenshots/ with --screenshots (to refresh
    them), else test-results/ (so a plain run leaves the work tree as it was)."""
    folder = (
        ROOT / "docs" / "screenshots"
        if request.config.getoption("--screenshots")
        else ROOT / "test-results" / "screenshots"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def sites():
    served = Sites()
    yield served
    served.close()


@pytest.fixture
def relay(live_server):
    host, port = live_server.thread.host, live_server.thread.port
    served = Relay("127.0.0.1" if host == "localhost" else host, port)
    yield served
    served.close()


@pytest.fixture
def browser_extension(playwright, tmp_path, sites):
    context, worker, extension_id = launch(playwright, tmp_path, chromium_path(), sites)
    yield context, worker, extension_id
    context.close()


def link(context, worker, extension_id, relay, teen, *, shots=None):
    """Link the browser as a family does: the options page shows a code, the teen approves it
    (the approval page's service), the extension collects its token."""
    worker.evaluate(
        "(s) => chrome.storage.local.set({config: {reportSeconds: s, pollWait: 20}})",
        REPORT_SECONDS,
    )
    options = context.new_page()
    options.goto(f"chrome-extension://{extension_id}/options.html")
    options.get_by_label("Server address").fill(relay.url)
    options.get_by_role("button", name="Get a link code").click()
    code = options.locator("#user-code")
    code.wait_for(state="visible", timeout=10_000)
    assert options.locator("#qr svg").count() == 1
    if shots is not None:
        options.screenshot(path=str(shots / "extension-link-code.png"), full_page=True)
        check = PageCheck(options, "", "extension")
        check.check("options-code")
        check.assert_clean()
        options.set_viewport_size({"width": 900, "height": 760})
    enrolment = unlocked(device_enrolment_for_code, user_code=code.inner_text())
    assert enrolment is not None
    unlocked(
        device_enrolment_approve, enrolment=enrolment, actor=teen, teen=teen, name="School laptop"
    )
    wait_until(lambda: storage(worker, "token").get("token"), timeout=15, what="the device token")
    options.get_by_text("This browser is linked").wait_for(timeout=10_000)
    wait_until(lambda: storage(worker, "policy").get("policy"), timeout=10, what="the first policy")
    wait_until(lambda: storage(worker, "about").get("about"), timeout=10, what="who supervises")
    return options


def site_seconds(teen, site: str) -> int:
    total = unlocked(
        lambda: UsageEvent.objects.filter(device__teen=teen, app=f"web:{site}").aggregate(
            total=Sum("seconds")
        )["total"]
    )
    return total or 0


def book(teen, seconds: int, *, name: str = "Phone"):
    """Usage from another of the teen's devices, through the usage service."""
    device, _ = register(teen, name=name)
    now = timezone.now()
    events = usage_events_parse(
        {
            "events": [
                {
                    "id": str(uuid.uuid4()),
                    "started_at": (now - timedelta(seconds=seconds + 5)).isoformat(),
                    "seconds": seconds,
                    "app": "",
                }
            ]
        },
        now=now,
    )
    usage_record_batch(device=device, events=events, now=now)


def block_page(extension_id):
    return lambda url: url.startswith(f"chrome-extension://{extension_id}/block.html")


def wait_for(page, matches, timeout: float = 5.0):
    """`page.wait_for_url`, going on through navigations the extension itself cut short (it
    moves a page while it loads)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            page.wait_for_url(matches, timeout=max(1, (deadline - time.monotonic()) * 1000))
            return
        except PlaywrightError:
            if time.monotonic() >= deadline:
                raise


@pytest.mark.django_db(transaction=True)
def test_link_count_a_site_reach_the_limit_ask_and_get_time(
    browser_extension, relay, sites, live_server, alice, tom, client, login, shots
):
    context, worker, extension_id = browser_extension
    options = link(context, worker, extension_id, relay, tom, shots=shots)
    options.close()

    # Time per site: a page of video.example in front, reported every 2 s.
    page = context.new_page()
    page.goto(sites.url("www.video.example", "/watch?v=1"))
    page.bring_to_front()
    wait_until(lambda: site_seconds(tom, "video.example") >= 4, timeout=15, what="booked time")
    guardian = context.new_page()
    login(guardian, alice)
    guardian.goto(f"{live_server.url}/teens/{tom.pk}/")
    assert "video.example" in guardian.content()
    guardian.close()
    page.bring_to_front()

    # How it is installed reaches the guardians (heartbeat): loaded unpacked, so it may be
    # switched off, and not allowed in incognito.
    laptop = unlocked(Device.objects.get, teen=tom, name="School laptop")
    assert (laptop.install_type, laptop.may_disable, laptop.incognito_allowed) == (
        "development",
        True,
        False,
    )

    # A warning as a browser notification: 20 minutes a day, 6 used on the phone.
    unlocked(screen_time_update, actor=alice, teen=tom, changes={"every_day": 20})
    unlocked(book, tom, 6 * 60)
    wait_until(
        lambda: any(
            key.startswith("warning-") and key.endswith("-15")
            for key in worker.evaluate("chrome.notifications.getAll()")
        ),
        timeout=5,
        what="the 15-minute warning",
    )

    # The limit: 1 minute a day, and more than that already used on the teen's phone.
    unlocked(screen_time_update, actor=alice, teen=tom, changes={"every_day": 1})
    unlocked(book, tom, 70, name="Tablet")
    wait_for(page, block_page(extension_id))
    page.get_by_text("Today's screen time is used up.").wait_for(timeout=5_000)
    other = context.new_page()
    # The server itself stays open: the teen's own page.
    other.goto(f"{relay.url}/healthz")
    assert other.url == f"{relay.url}/healthz"
    other.goto(sites.url("game.example"))
    wait_for(other, block_page(extension_id))
    other.close()

    # Ask for time from the block page; the answer shows there, live.
    page.get_by_label("How much").select_option("15")
    page.get_by_label("Why (your guardian sees this)").fill("Homework on the video site")
    page.get_by_role("button", name="Ask for more time").click()
    page.get_by_text("Waiting for an answer").wait_for(timeout=5_000)
    asked = unlocked(TimeRequest.objects.get, teen=tom)
    assert asked.reason == "Homework on the video site"
    unlocked(time_request_deny, time_request=asked, guardian=alice, note="After dinner")
    page.get_by_text("Alice said no to 15 minutes.").wait_for(timeout=5_000)
    page.screenshot(path=str(shots / "extension-block-page.png"))
    pages_checked = PageCheck(page, "", "extension")  # axe-core, as for the site's pages
    pages_checked.check("block-page")
    page.set_viewport_size({"width": 900, "height": 760})

    # A guardian's +15 minutes opens it again within 2 s.
    client.force_login(alice)
    started = time.monotonic()
    response = client.post(
        f"/api/v1/teens/{tom.pk}/grants",
        data={"bonus_minutes": 15},
        content_type="application/json",
    )
    assert response.status_code == 201
    page.wait_for_url(
        lambda url: url.startswith(sites.url("www.video.example")),
        timeout=GRANT_BOUND_SECONDS * 1000,
    )
    assert time.monotonic() - started < GRANT_BOUND_SECONDS

    popup = context.new_page()
    popup.set_viewport_size({"width": 340, "height": 330})
    popup.goto(f"chrome-extension://{extension_id}/popup.html")
    popup.get_by_text("Supervised by Alice").wait_for(timeout=5_000)
    assert "left" in popup.locator("#left").inner_text()
    popup.screenshot(path=str(shots / "extension-popup.png"))
    check = PageCheck(popup, "", "extension")
    check.check("popup")
    check.problems += pages_checked.problems
    check.assert_clean()
    badge = worker.evaluate("chrome.action.getBadgeText({})")
    assert badge.isdigit() and 0 < int(badge) <= 15


@pytest.mark.django_db(transaction=True)
def test_a_blocked_site_allow_only_mode_and_a_keyword_are_enforced(
    browser_extension, relay, sites, alice, tom
):
    context, worker, extension_id = browser_extension
    link(context, worker, extension_id, relay, tom).close()
    blocked = block_page(extension_id)

    page = context.new_page()
    page.goto(sites.url("game.example"))
    assert page.url.startswith(sites.url("game.example"))  # allowed before the rule

    # A blocked site: the open page moves to the block page, and so does a new visit.
    unlocked(browsing_update, actor=alice, teen=tom, changes={"domains": ["game.example"]})
    wait_for(page, blocked)
    page.get_by_text("This site is on your blocked list.").wait_for(timeout=5_000)
    assert page.locator("#ask").is_hidden()  # more time does not open a blocked site
    page.goto(sites.url("play.game.example", "/level/2"))
    wait_for(page, blocked)
    page.goto(sites.url("news.example"))
    assert page.url.startswith(sites.url("news.example"))

    # A keyword, in the address or (seen once loaded) in the title.
    unlocked(browsing_update, actor=alice, teen=tom, changes={"keyword_filters": ["dragon fight"]})
    wait_until(
        lambda: storage(worker, "policy")["policy"]["browsing"]["keyword_filters"],
        timeout=5,
        what="the keyword in the policy",
    )
    page.goto(sites.url("news.example", "/search?q=dragon+fight"))
    wait_for(page, blocked)
    page.get_by_text("This page has a blocked word: “dragon fight”.").wait_for(timeout=5_000)
    # Only the title has it: seen once the page has loaded.
    page.goto(sites.url("news.example", f"/story?title={b'Dragon FIGHT tonight'.hex()}"))
    wait_for(page, blocked)
    page.wait_for_timeout(1_000)  # and it stays there (no bouncing back to the page)
    assert blocked(page.url)
    page.get_by_text("This page has a blocked word: “dragon fight”.").wait_for(timeout=5_000)
    page.goto(sites.url("news.example", "/story?id=7"))
    assert page.url.startswith(sites.url("news.example"))

    # Allow-only: only school.example opens; everything else goes to the block page.
    unlocked(
        browsing_update,
        actor=alice,
        teen=tom,
        changes={"keyword_filters": [], "domain_mode": "allow_only", "domains": ["school.example"]},
    )
    wait_for(page, blocked)
    page.get_by_text("Only the sites on your allowed list can be opened.").wait_for(timeout=5_000)
    page.goto(sites.url("www.school.example", "/lesson"))
    assert page.url.startswith(sites.url("www.school.example"))
    page.goto(sites.url("video.example"))
    wait_for(page, blocked)

    # Back to the block list with nothing on it: the block page opens the site again by itself.
    unlocked(
        browsing_update, actor=alice, teen=tom, changes={"domain_mode": "block", "domains": []}
    )
    page.wait_for_url(lambda url: url.startswith(sites.url("video.example")), timeout=5_000)

    # Restricted mode (a 15-year-old's default): SafeSearch on the search engines, YouTube's
    # restricted mode by its header. The engines' names are served locally.
    assert storage(worker, "policy")["policy"]["browsing"]["restricted_mode"] is True
    page.goto(sites.url("www.google.com", "/search?q=cats"))
    assert "safe=active" in page.url
    # (Bing and DuckDuckGo are on the browser's HTTPS-only list, so not served here: the unit
    # tests check their rules.)
    # youtube.com itself is HTTPS-only in the browser; its privacy-enhanced embed host is not.
    page.goto(sites.url("www.youtube-nocookie.com", "/embed/1"))
    youtube = [h for host, _, h in sites.server.seen if host == "www.youtube-nocookie.com"]
    restrict = [{k.lower(): v for k, v in h.items()}.get("youtube-restrict") for h in youtube]
    assert restrict and set(restrict) == {"Strict"}


@pytest.mark.django_db(transaction=True)
def test_lock_now_and_a_blocked_app_reach_the_browser(browser_extension, relay, sites, alice, tom):
    context, worker, extension_id = browser_extension
    link(context, worker, extension_id, relay, tom).close()
    blocked = block_page(extension_id)
    page = context.new_page()
    page.goto(sites.url("game.example"))
    assert page.url.startswith(sites.url("game.example"))

    # An app the family blocks (a site the catalogue does not know, by its web identifier).
    unlocked(
        app_rule_set, actor=alice, teen=tom, changes={"app": "web:game.example", "kind": "blocked"}
    )
    wait_for(page, blocked)
    page.get_by_text("Your guardian blocked this app or site.").wait_for(timeout=5_000)
    page.goto(sites.url("news.example"))
    assert page.url.startswith(sites.url("news.example"))  # other sites stay open

    # Lock now: every page closes, saying who locked; unlocking opens them again at once.
    lock = unlocked(lock_start, actor=alice, teen=tom)
    wait_for(page, blocked)
    page.get_by_text("Alice locked your devices for now.").wait_for(timeout=5_000)
    unlocked(lock_end, actor=alice, teen=tom, lock_id=lock.pk)
    page.wait_for_url(lambda url: url.startswith(sites.url("news.example")), timeout=5_000)


@pytest.mark.django_db(transaction=True)
def test_offline_and_back_books_every_second_once(browser_extension, relay, sites, tom):
    context, worker, extension_id = browser_extension
    link(context, worker, extension_id, relay, tom).close()
    page = context.new_page()
    page.goto(sites.url("video.example"))
    page.bring_to_front()

    def settled():
        return site_seconds(tom, "video.example") >= 2 and not storage(worker, "pending")["pending"]

    wait_until(settled, timeout=10, what="a first report booked")
    started, booked_before = time.monotonic(), site_seconds(tom, "video.example")

    relay.go_offline()
    wait_until(
        lambda: len(storage(worker, "pending")["pending"]) >= 3,
        timeout=15,
        what="reports kept while offline",
    )
    assert storage(worker, "online")["online"] is False
    kept = storage(worker, "pending")["pending"]
    relay.go_online()
    wait_until(
        lambda: not storage(worker, "pending")["pending"], timeout=10, what="the kept reports sent"
    )
    ended = time.monotonic()
    booked = site_seconds(tom, "video.example") - booked_before
    # Every second of the page in front, once: the booked time is the clock's time (give or take
    # the report interval at each end), and every event kept offline was booked under its id.
    assert abs(booked - (ended - started)) <= REPORT_SECONDS + 1.5, (booked, ended - started)
    ids = {event["id"] for event in kept}
    assert unlocked(UsageEvent.objects.filter(event_id__in=ids).count) == len(ids)
    assert storage(worker, "online")["online"] is True
