"""Every page, as a guardian, a teen and a visitor: a screenshot at phone (390 px) and desktop
(1280 px) width under test-results/screenshots/, and axe-core run in the page with no serious or
critical violation allowed.

axe-core is vendored under tests/e2e/vendor/ (npm's axe-core, MPL-2.0, see README there) and
evaluated through the DevTools protocol, so the site's strict CSP stays on while it runs.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WIDTHS = (390, 1280)
BLOCKING = {"serious", "critical"}


class PageCheck:
    """Visits pages in one browser context, saving screenshots and collecting axe findings."""

    def __init__(self, page, base_url: str, role: str) -> None:
        self.page, self.base_url, self.role = page, base_url, role
        self.problems: list[str] = []
        self.visited: list[str] = []
        SHOTS.mkdir(parents=True, exist_ok=True)

    def visit(self, name: str, path: str, *, status: int = 200) -> None:
        response = self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("networkidle")
        self.check(name, got=response.status if response else None, status=status, path=path)

    def check(self, name: str, *, got: int | None = 200, status: int = 200, path: str = "") -> None:
        """Screenshot and axe the page that is open now (reached by a visit or a click)."""
        self.visited.append(name)
        if got != status:
            self.problems.append(f"{self.role}/{name} ({path}): HTTP {got}, expected {status}")
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            self.page.screenshot(
                path=str(SHOTS / f"{self.role}-{name}-{width}.png"), full_page=True
            )
            for violation in self._axe():
                nodes = "; ".join(node["target"][0] for node in violation["nodes"][:5])
                self.problems.append(
                    f"{self.role}/{name} @{width}px: [{violation['impact']}] {violation['id']}: "
                    f"{violation['help']} — {nodes}"
                )
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def _axe(self) -> list[dict]:
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(f"() => {{ {AXE}\n}}")
            if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
                # axe's UMD wrapper saw no window global: attach it by hand.
                self.page.evaluate(
                    f"() => {{ const module = {{}}; {AXE}\n window.axe = module.exports; }}"
                )
        result = self.page.evaluate(
            "async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']}))"
            ".violations)"
        )
        return [v for v in json.loads(result) if v["impact"] in BLOCKING]

    def assert_clean(self) -> None:
        assert self.visited
        assert not self.problems, "\n".join(self.problems)


def _sign_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_every_page_for_a_visitor(browser, live_server, settings, alice):
    from accounts.pairing.services import pairing_invitation_create

    settings.SITE_URL = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    check = PageCheck(context.new_page(), live_server.url, "visitor")
    check.visit("landing", "/")
    check.visit("sign-in", reverse("account_login"))
    check.visit("sign-up", reverse("account_signup"))
    check.visit("password-reset", reverse("account_reset_password"))
    check.visit("password-reset-sent", reverse("account_reset_password_done"))
    bad_key = reverse("account_reset_password_from_key", kwargs={"uidb36": "x", "key": "y"})
    check.visit("password-reset-link-used", bad_key)
    check.visit("password-reset-done", reverse("account_reset_password_from_key_done"))
    check.visit("check-your-e-mail", reverse("account_email_verification_sent"))
    _, secrets = pairing_invitation_create(parent=alice)
    check.visit("qr-link-signed-out", f"/pair/{secrets.token}")
    assert "Alice wants to link with your account" in check.page.content()
    # a form sent with mistakes: labels and errors must stay readable and announced
    check.visit("sign-in", reverse("account_login"))
    check.page.get_by_label("Email").fill("nobody@example.com")
    check.page.get_by_label("Password").fill("wrong password")
    check.page.get_by_role("button", name="Sign in").click()
    check.page.wait_for_load_state()
    check.check("sign-in-error")
    context.close()
    check.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_every_page_for_a_guardian(browser, live_server, settings, alice, tom):
    from accounts.devices.services import device_register
    from accounts.models import GuardianLink
    from accounts.pairing.services import pairing_invitation_create
    from controls.time_requests.services import time_request_create

    settings.SITE_URL = live_server.url
    device_register(teen=tom, actor=tom, name="Tom's phone", platform="android")
    time_request = time_request_create(teen=tom, minutes=30, reason="Finishing homework")
    invitation, _ = pairing_invitation_create(parent=alice)
    link = GuardianLink.objects.get(parent=alice, teen=tom)

    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_server.url, alice)
    check = PageCheck(page, live_server.url, "guardian")
    check.visit("dashboard", reverse("dashboard"))
    for name, url in [
        ("teen-today", "teen_detail"),
        ("teen-screen-time", "teen_screen_time"),
        ("teen-browsing", "teen_browsing"),
        ("teen-privacy", "teen_privacy"),
        ("teen-history", "teen_history"),
        ("teen-devices", "teen_devices"),
        ("teen-browser-extension", "teen_browser_extension"),
        ("teen-unlink", "guardian_unlink"),
    ]:
        check.visit(name, reverse(url, args=[tom.pk]))
    check.visit("pairing-start", reverse("pairing_start"))
    check.visit("pairing-invitation", reverse("pairing_invitation", args=[invitation.pk]))
    check.visit("request", reverse("time_request_detail", args=[time_request.pk]))
    check.visit("notifications", reverse("notification_centre"))
    # e-mail switches save in place (htmx) and say so
    page.get_by_role("switch", name="Time almost up").check()
    page.get_by_role("button", name="Save e-mail choices").click()
    page.locator("#email-preferences .form-outcome", has_text="Saved.").wait_for()
    check.check("notifications-saved")
    # a rule saved in place says Saved in its card; extra time answers in its panel
    check.visit("teen-screen-time-again", reverse("teen_screen_time", args=[tom.pk]))
    page.locator("#limits-card").get_by_label("1 h 30 min", exact=True).check()
    page.get_by_role("button", name="Set every day").click()
    page.locator("#limits-card .form-outcome", has_text="Saved.").wait_for()
    check.check("teen-screen-time-saved")
    check.visit("teen-today-again", reverse("teen_detail", args=[tom.pk]))
    page.get_by_role("button", name="+15 min").click()
    page.locator(f"#time-requests-{tom.pk} .form-outcome", has_text="15 minutes more").wait_for()
    assert (
        "1 h 45 min left" in page.locator("#teen-status").inner_text()
    )  # 1 h 30 + 15, out of band
    check.check("teen-extra-time-given")
    check.visit("profile", reverse("profile"))
    check.visit("email", reverse("account_email"))
    check.visit("password", reverse("account_change_password"))
    check.visit("two-step", reverse("mfa_index"))
    check.visit("two-step-setup", reverse("mfa_activate_totp"))  # may ask for the password
    if page.get_by_role("heading", name="Confirm it's you").is_visible():
        check.check("confirm-its-you")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_load_state()
    check.check("two-step-setup-form")
    assert page.get_by_label("Authenticator secret").is_visible()
    check.visit("sessions", reverse("usersessions_list"))
    check.visit("your-data", reverse("data_rights"))
    check.visit("delete-account", reverse("data_delete"))
    check.visit("confirm-its-you-direct", reverse("account_reauthenticate"))
    check.visit("sign-out", reverse("account_logout"))
    # unlinking: the dashboard says so where the teen's card was
    check.visit("teen-unlink-again", reverse("guardian_unlink", args=[tom.pk]))
    page.get_by_role("button", name="Unlink from Tom").click()
    page.wait_for_url("**/dashboard/")
    assert page.locator("#unlinked-outcome").is_visible()
    check.check("dashboard-after-unlink")
    assert link.pk
    context.close()
    check.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_every_page_for_a_teen(browser, live_server, settings, alice, tom, uma):
    from accounts.devices.services import device_register
    from accounts.models import GuardianLink
    from accounts.pairing.services import pairing_invitation_create
    from controls.time_requests.services import time_request_create

    settings.SITE_URL = live_server.url
    device, _ = device_register(teen=tom, actor=tom, name="Tom's phone", platform="android")
    time_request = time_request_create(teen=tom, minutes=30, reason="Finishing homework")
    link = GuardianLink.objects.get(parent=alice, teen=tom)

    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_server.url, tom)
    check = PageCheck(page, live_server.url, "teen")
    check.visit("my-page", reverse("teen_home"))
    check.visit("my-rules", reverse("my_rules"))
    check.visit("my-guardians", reverse("my_guardians"))
    check.visit("my-history", reverse("my_history"))
    # the tabs swap in place with htmx: the address and the current tab follow
    page.get_by_role("link", name="My rules").click()
    page.wait_for_url("**/me/rules/")
    assert page.get_by_role("heading", name="My screen time rules").is_visible()
    assert page.locator('nav.tabs a[aria-current="page"]').inner_text() == "My rules"
    check.visit("more-time", reverse("teen_time_request"))
    check.visit("request", reverse("time_request_detail", args=[time_request.pk]))
    check.visit("devices", reverse("my_devices"))
    check.visit("device-rename", reverse("device_rename", args=[device.pk]))
    check.visit("unlink", reverse("teen_unlink", args=[link.pk]))
    check.visit("notifications", reverse("notification_centre"))
    check.visit("profile", reverse("profile"))
    check.visit("two-step", reverse("mfa_index"))
    check.visit("your-data", reverse("data_rights"))
    context.close()

    # An unlinked teen pairs: the code page, then the confirmation (reached only with the code).
    _, secrets = pairing_invitation_create(parent=alice, now=timezone.now() - timedelta(seconds=1))
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_server.url, uma)
    unlinked = PageCheck(page, live_server.url, "teen-unlinked")
    unlinked.visit("my-page", reverse("teen_home"))
    unlinked.visit("my-rules", reverse("my_rules"))
    unlinked.visit("my-guardians", reverse("my_guardians"))
    unlinked.visit("pair-enter", reverse("pair_enter_code"))
    page.get_by_label("Pairing code").fill(secrets.code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    unlinked.check("pair-confirm")
    assert "Link with Alice?" in page.content()
    context.close()
    check.problems += unlinked.problems
    check.assert_clean()
