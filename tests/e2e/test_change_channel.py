"""A guardian's grant reaches a connected device in under a second (issue 14's product
requirement, so this one test measures time): a page in Chromium holds the change channel with
its device token, the way a browser extension's service worker would, and the guardian gives
15 minutes through the guardian's API.

The page is served by the live test server itself (same origin: the device API sends no CORS
headers; an extension calls it with host permissions, which CORS does not apply to)."""

from __future__ import annotations

import time

import pytest

from tests.device_support import register

# The product bound. The clock starts when the guardian's POST has returned, and stops when the
# page has the new policy; the page measures with its own clock so browser scheduling between
# the two is included.
BOUND_SECONDS = 1.0

HOLD_SCRIPT = """
async ([token, etag]) => {
  window.answer = null;
  const started = performance.now();
  const response = await fetch('/api/v1/device/policy?wait=30', {
    headers: {'Authorization': 'Bearer ' + token, 'If-None-Match': etag},
  });
  window.answer = {
    status: response.status,
    etag: response.headers.get('ETag'),
    policy: response.status === 200 ? await response.json() : null,
    at: performance.now(),
    started,
  };
}
"""


@pytest.mark.django_db(transaction=True)
def test_a_grant_reaches_a_connected_browser_device_within_a_second(
    page, live_server, alice, tom, client
):
    from controls.effective.channel import hub

    _, token = register(tom, name="Chromebook")
    client.force_login(alice)
    page.goto(f"{live_server.url}/healthz")
    etag = page.evaluate(
        """async (token) => (await fetch('/api/v1/device/policy',
             {headers: {'Authorization': 'Bearer ' + token}})).headers.get('ETag')""",
        token,
    )
    # The held request, not awaited: it answers when the policy changes.
    page.evaluate(f"([token, etag]) => {{ ({HOLD_SCRIPT})([token, etag]); }}", [token, etag])
    for _ in range(500):  # until the live server holds it (bounded)
        if hub().held():
            break
        time.sleep(0.01)
    assert hub().held() == 1

    response = client.post(
        f"/api/v1/teens/{tom.pk}/grants",
        data={"bonus_minutes": 15},
        content_type="application/json",
    )
    granted_at = page.evaluate("performance.now()")
    assert response.status_code == 201
    # Polled from here: the page's strict CSP refuses wait_for_function's string evaluation.
    for _ in range(500):  # bounded: 5 s
        if page.evaluate("window.answer !== null"):
            break
        time.sleep(0.01)
    answer = page.evaluate("window.answer")

    assert answer["status"] == 200
    assert answer["etag"] != etag
    assert answer["policy"]["limit_seconds"] == (60 + 15) * 60
    assert (answer["at"] - granted_at) / 1000 < BOUND_SECONDS
