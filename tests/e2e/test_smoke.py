from __future__ import annotations

import pytest


@pytest.mark.django_db(transaction=True)
def test_it_signs_in_and_lands_on_the_dashboard(page, live_server, alice, login, shot):
    page.goto(live_server.url + "/")
    shot(page, "landing")
    assert "Family controls" in page.content()
    login(page, alice)
    page.wait_for_url("**/dashboard/")
    shot(page, "dashboard")
    assert page.get_by_role("heading", name="Your family", exact=True).is_visible()
