"""Browser journeys in headless Chromium (Debian's `chromium`; CHROMIUM_PATH overrides).

Without any Chromium these tests are skipped with one clear line. On failure a screenshot and the
page's HTML are saved under test-results/; `--screenshots` saves one screenshot per step
(`shot(page, "name")`) under screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside one
# unless told the test owns the loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
SHOTS = ROOT / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots", action="store_true", help="save a screenshot per journey step"
    )


def pytest_collection_modifyitems(config, items):
    if chromium_path() is None:
        skip = pytest.mark.skip(
            reason="no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)"
        )
        for item in items:
            if "tests/e2e" in str(item.fspath):
                item.add_marker(skip)
    for item in items:
        if "tests/e2e" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_FLAGS}


@pytest.fixture
def browser_context_args(browser_context_args):
    # A phone-sized screen: every journey must work there.
    return {**browser_context_args, "viewport": {"width": 412, "height": 915}, "locale": "en-GB"}


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        _save_pages(item)


def _save_pages(item) -> None:
    """A screenshot and the HTML of every open page of a failed journey, under test-results/."""
    RESULTS.mkdir(exist_ok=True)
    for name, value in getattr(item, "funcargs", {}).items():
        pages = [value] if hasattr(value, "screenshot") else []
        if hasattr(value, "pages"):  # a browser context
            pages = list(value.pages)
        for index, page in enumerate(pages):
            stem = RESULTS / f"{item.name}-{name}-{index}"
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                Path(f"{stem}.html").write_text(page.content())
            except Exception as exc:  # the page may be gone; say so instead of hiding it
                Path(f"{stem}.txt").write_text(f"could not capture: {exc}")


@pytest.fixture
def shot(request):
    """`shot(page, "step-name")`: a screenshot when --screenshots is given."""
    enabled = request.config.getoption("--screenshots")

    def take(page, name: str) -> None:
        if enabled:
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{request.node.name}-{name}.png"), full_page=True)

    return take


@pytest.fixture
def login(live_server):
    """Sign a user in through the real sign-in page."""
    from tests.factories import PASSWORD

    def _login(page, user, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_load_state()

    return _login
