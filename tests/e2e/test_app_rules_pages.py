"""Issue 13's pages in a browser: the screen-time tab with app and category rules, a lock, the
catalogue picker (searched without and with JavaScript), unknown apps and a School window's
allowed list; the teen's page with every rule in words. Screenshots at 390 and 1280 px and axe,
as in test_pages.py."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.e2e.test_pages import PageCheck, _sign_in


def _family_rules(alice, tom):
    from controls.app_rules.locks import lock_start
    from controls.app_rules.services import app_rule_set, downtime_allowed_set
    from controls.models import DailyUsage
    from controls.rules.downtime import downtime_window_create

    app_rule_set(
        actor=alice, teen=tom, changes={"category": "games", "kind": "limit", "school_days": 60}
    )
    app_rule_set(actor=alice, teen=tom, changes={"app": "tiktok", "kind": "blocked"})
    app_rule_set(actor=alice, teen=tom, changes={"app": "phone", "kind": "always_allowed"})
    school = downtime_window_create(
        actor=alice,
        teen=tom,
        name="School",
        weekdays=list(range(5)),
        start=time(8, 30),
        end=time(15),
    )
    downtime_allowed_set(
        actor=alice, teen=tom, window_id=school.pk, apps=["khan-academy"], categories=["education"]
    )
    lock_start(actor=alice, teen=tom, category="video")
    DailyUsage.objects.create(
        teen=tom, local_date=timezone.localdate(), app="com.example.chessclub", seconds=1200
    )


@pytest.mark.django_db(transaction=True)
def test_the_per_app_pages(browser, live_server, settings, alice, tom):
    settings.SITE_URL = live_server.url
    _family_rules(alice, tom)
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_server.url, alice)
    check = PageCheck(page, live_server.url, "guardian")
    url = reverse("teen_screen_time", args=[tom.pk])
    check.visit("app-rules", url)
    assert page.get_by_text("Games: 1 h on Mon–Fri").first.is_visible()
    check.visit("app-rules-search", url + "?q=khan")
    check.visit("app-rules-pick", url + "?pick=khan-academy")
    assert page.get_by_role("heading", name="Rule for Khan Academy").is_visible()
    # With JavaScript, typing in the search box swaps only the picker in place (htmx).
    check.visit("app-rules-live", url)
    page.get_by_label("Find an app or site").fill("mine")
    page.wait_for_selector("#catalogue-picker a:has-text('Minecraft')")
    check.check("app-rules-live-results")
    context.close()

    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="en-GB")
    page = context.new_page()
    _sign_in(page, live_server.url, tom)
    teen = PageCheck(page, live_server.url, "teen")
    teen.visit("my-page-app-rules", reverse("my_rules"))
    for words in (
        "Video locked by Alice until unlocked",
        "TikTok: blocked",
        "School: allowed during it: Khan Academy, Education",
    ):
        assert words in page.content()
    context.close()
    check.assert_clean()
    teen.assert_clean()
