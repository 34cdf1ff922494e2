"""Usage charts: server-rendered SVG with text alternatives, from DailyUsage and TeenDay."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import time_machine
from django.template import Context, Template

from accounts.models import Device, GuardianLink, User
from controls.models import DailyUsage, DayGrant, DayLimit, TeenDay
from controls.rules import day_limits, services
from controls.rules.day_limits import day_limits_record_current
from controls.usage.charts import (
    MIN_BAR,
    Bar,
    DayColumn,
    bar_chart,
    days_chart,
    usage_charts_for_teen,
)

NOW = datetime(2025, 6, 11, 14, 0, tzinfo=UTC)  # Wednesday 15:00 in London
TODAY = date(2025, 6, 11)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def _svg(chart) -> ElementTree.Element:
    return ElementTree.fromstring(str(chart.svg))  # noqa: S314 - our own SVG


def _device(teen, name):
    return Device.objects.create(
        teen=teen, name=name, token_prefix=name[:4], token_hash=f"hash-{name}"
    )


def _age(teen, days: int) -> None:
    """The teen's account and pairing made `days` ago, with each past day's limit recorded."""
    User.objects.filter(pk=teen.pk).update(date_joined=NOW - timedelta(days=days))
    GuardianLink.objects.filter(teen=teen).update(created_at=NOW - timedelta(days=days))
    teen.refresh_from_db()
    DayLimit.objects.bulk_create(
        DayLimit(teen=teen, local_date=TODAY - timedelta(days=n), limit_minutes=60)
        for n in range(1, days + 1)
    )


@pytest.fixture
def tom(tom):
    _age(tom, 60)
    return tom


@pytest.fixture
def usage(tom):
    phone, laptop = _device(tom, "Pixel"), _device(tom, "Chromebook")
    rows = [
        (TODAY, "YouTube", phone, 30 * 60, True),
        (TODAY, "YouTube", laptop, 10 * 60, True),
        (TODAY, "Minecraft", laptop, 20 * 60, True),
        (TODAY, "Khan Academy", laptop, 15 * 60, False),
        (TODAY - timedelta(days=1), "YouTube", phone, 50 * 60, True),
    ]
    for day, app, device, seconds, counted in rows:
        DailyUsage.objects.create(
            teen=tom, local_date=day, app=app, device=device, seconds=seconds, counted=counted
        )
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=60 * 60)
    TeenDay.objects.create(teen=tom, local_date=TODAY - timedelta(days=1), counted_seconds=50 * 60)
    TeenDay.objects.create(teen=tom, local_date=TODAY - timedelta(days=2), counted_seconds=80 * 60)
    DayGrant.objects.create(teen=tom, local_date=TODAY - timedelta(days=2), bonus_minutes=30)
    return tom


def test_it_draws_todays_use_by_app_largest_first(usage):
    chart = usage_charts_for_teen(teen=usage)["today"]
    assert [row[:2] for row in chart.rows] == [
        ("YouTube", "40 min"),
        ("Minecraft", "20 min"),
        ("Khan Academy", "15 min"),
    ]
    assert chart.rows[2][2] == "always allowed"
    svg = _svg(chart)
    assert svg.get("role") == "img"
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert svg.find("s:title", ns).text == "Tom's use today by app"
    assert "YouTube: 40 min" in svg.find("s:desc", ns).text
    assert len(svg.findall("s:rect", ns)) == 3


def test_it_draws_seven_days_against_each_days_limit(usage):
    chart = usage_charts_for_teen(teen=usage)["week"]
    assert [row[0] for row in chart.rows] == [
        "Thu 5 Jun",
        "Fri 6 Jun",
        "Sat 7 Jun",
        "Sun 8 Jun",
        "Mon 9 Jun",
        "Tue 10 Jun",
        "Wed 11 Jun",
    ]
    assert chart.rows[-1] == ("Wed 11 Jun", "1 h", "1 h")
    assert chart.rows[-3] == ("Mon 9 Jun", "1 h 20 min", "1 h 30 min")  # with the bonus
    assert chart.rows[0] == ("Thu 5 Jun", "0 min", "1 h")
    assert "over the limit on 0 days" in chart.description


def test_it_marks_days_over_the_limit_in_red(tom):
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=90 * 60)
    chart = usage_charts_for_teen(teen=tom)["week"]
    assert 'fill="#b3261e"' in str(chart.svg)
    assert "over the limit on 1 day." in chart.description


def test_it_draws_thirty_days(usage):
    chart = usage_charts_for_teen(teen=usage)["month"]
    assert len(chart.rows) == 30
    assert chart.rows[0][0] == "Tue 13 May"


def test_it_totals_per_device_today_and_this_week(usage):
    chart = usage_charts_for_teen(teen=usage)["devices"]
    assert chart.rows == [
        ("Pixel", "30 min", "1 h 20 min in 7 days"),
        ("Chromebook", "45 min", "45 min in 7 days"),
    ]


def test_it_says_so_when_there_is_no_use(tom):
    charts = usage_charts_for_teen(teen=tom)
    assert charts["today"].empty
    assert "No use reported today yet." in str(charts["today"].svg)


def test_it_shows_no_limit_days_as_such(tom):
    tom.rules.limit_wed = None
    tom.rules.save()
    chart = usage_charts_for_teen(teen=tom)["week"]
    assert chart.rows[-1] == ("Wed 11 Jun", "0 min", "no limit")


def test_it_escapes_app_names(tom):
    DailyUsage.objects.create(teen=tom, local_date=TODAY, app="<script>x</script>", seconds=60)
    svg = str(usage_charts_for_teen(teen=tom)["today"].svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ElementTree.fromstring(svg)  # noqa: S314 - still well-formed


def test_it_groups_the_long_tail_of_apps(tom):
    for n in range(12):
        DailyUsage.objects.create(
            teen=tom, local_date=TODAY, app=f"App {n:02d}", seconds=60 * (n + 1)
        )
    chart = usage_charts_for_teen(teen=tom)["today"]
    assert len(chart.rows) == 8
    assert chart.rows[-1][0] == "5 more apps"


def test_bars_scale_to_the_longest_and_fit_the_width():
    chart = bar_chart(key="t", title="t", bars=[Bar("a", 600), Bar("b", 60)], empty_text="")
    widths = [float(w) for w in re.findall(r'<rect[^>]*width="([\d.]+)"', str(chart.svg))]
    assert widths[0] == 260.0 and widths[1] == pytest.approx(26.0)


def test_day_columns_stay_inside_the_view_box():
    columns = [DayColumn(TODAY - timedelta(days=n), 5 * 3600, 3600) for n in range(30)]
    svg = str(days_chart(key="m", title="m", columns=columns, today=TODAY).svg)
    xs = [float(x) for x in re.findall(r'<rect x="([\d.]+)"', svg)]
    assert min(xs) >= 30 and max(xs) < 360


def test_the_template_offers_each_chart_as_a_table(usage, rf):
    html = Template("{% load request_tags %}{% usage_charts teen %}").render(
        Context({"user": usage, "teen": usage, "request": rf.get("/me/")})
    )
    assert html.count("<svg") == 4
    assert html.count("Show as a table") == 4
    assert '<th scope="row">YouTube</th>' in html
    assert "My screen time" in html


def test_the_charts_run_a_fixed_number_of_queries(usage, django_assert_num_queries):
    usage_charts_for_teen(teen=usage)
    # 5, the family's app names (issue 13), the recorded day limits with their grants (one query
    # each, today's included) and the first pairing (issue 17).
    with django_assert_num_queries(8):
        usage_charts_for_teen(teen=usage)


# --- issue 17: honest charts ---------------------------------------------------------------------


def test_a_past_day_is_drawn_against_its_own_recorded_limit_not_todays_rules(tom, alice):
    DayLimit.objects.filter(teen=tom, local_date=TODAY - timedelta(days=1)).update(
        limit_minutes=120
    )
    services.screen_time_update(actor=alice, teen=tom, changes={"every_day": 10})
    week = usage_charts_for_teen(teen=tom)["week"]
    assert week.rows[-1] == ("Wed 11 Jun", "0 min", "10 min")  # today: the rules in force
    assert week.rows[-2] == ("Tue 10 Jun", "0 min", "2 h")  # yesterday: its record
    assert week.rows[-3] == ("Mon 9 Jun", "0 min", "1 h")  # not today's 10 minutes


def test_a_day_without_a_record_says_so_and_draws_no_limit(tom):
    DayLimit.objects.filter(teen=tom, local_date=TODAY - timedelta(days=2)).delete()
    week = usage_charts_for_teen(teen=tom)["week"]
    assert week.rows[-3] == ("Mon 9 Jun", "0 min", "not recorded")
    assert len(re.findall(r'stroke-width="2.5"', str(week.svg))) == 6  # limit ticks: 7 days - 1


def test_no_day_before_the_account_existed(tom):
    User.objects.filter(pk=tom.pk).update(date_joined=NOW - timedelta(days=2))
    tom.refresh_from_db()
    charts = usage_charts_for_teen(teen=tom)
    assert [row[0] for row in charts["week"].rows] == ["Mon 9 Jun", "Tue 10 Jun", "Wed 11 Jun"]
    assert len(charts["month"].rows) == 3
    assert charts["month"].description.startswith("3 days")


def test_no_day_before_the_first_pairing(tom):
    GuardianLink.objects.filter(teen=tom).update(created_at=NOW - timedelta(days=1))
    rows = usage_charts_for_teen(teen=tom)["month"].rows
    assert [row[0] for row in rows] == ["Tue 10 Jun", "Wed 11 Jun"]


def test_a_small_value_keeps_a_visible_bar_and_its_exact_value(tom):
    TeenDay.objects.create(teen=tom, local_date=TODAY - timedelta(days=1), counted_seconds=12 * 60)
    TeenDay.objects.create(teen=tom, local_date=TODAY, counted_seconds=2 * 3600)
    week = usage_charts_for_teen(teen=tom)["week"]
    root = _svg(week)
    ns = "{http://www.w3.org/2000/svg}"
    rects = {r.find(f"{ns}title").text: float(r.get("height")) for r in root.iter(f"{ns}rect")}
    assert rects["Tue 10 Jun: 12 min"] >= MIN_BAR
    assert rects["Wed 11 Jun: 2 h"] == pytest.approx(150.0)
    labels = [t.text for t in root.iter(f"{ns}text")]
    assert "12 min" in labels and "2 h" in labels
    assert rects["Mon 9 Jun: 0 min"] == 0  # nothing used: no bar at all
    # a 2-minute day on a 30-day chart still shows a bar, with the value in its tooltip
    TeenDay.objects.create(teen=tom, local_date=TODAY - timedelta(days=20), counted_seconds=120)
    month = _svg(usage_charts_for_teen(teen=tom)["month"])
    heights = {r.find(f"{ns}title").text: float(r.get("height")) for r in month.iter(f"{ns}rect")}
    assert heights["Thu 22 May: 2 min"] >= MIN_BAR


def test_the_svg_scales_with_its_container(tom):
    for chart in usage_charts_for_teen(teen=tom).values():
        root = _svg(chart)
        assert re.fullmatch(r"0 0 360 \d+", root.get("viewBox"))
        assert root.get("width") is None and root.get("height") is None  # CSS: width 100%
    css = (Path(__file__).resolve().parents[3] / "static/css/app.css").read_text()
    assert ".chart { width: 100%;" in css and "height: auto" in css


def test_the_legend_is_page_text_not_tiny_svg_text(usage, rf):
    html = Template("{% load request_tags %}{% usage_charts teen %}").render(
        Context({"user": usage, "teen": usage, "request": rf.get("/me/")})
    )
    assert html.count('<ul class="chart-legend"') == 2  # the 7- and 30-day charts
    assert "Daily limit that day" in html and "Over the limit" in html
    assert 'font-size="11"' not in html  # no SVG text under 12 units


def test_a_rule_change_records_todays_limit_and_the_periodic_job_fills_other_days(tom, alice, uma):
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 25})
    assert DayLimit.objects.get(teen=tom, local_date=TODAY).limit_minutes == 25
    services.screen_time_update(actor=alice, teen=tom, changes={"limit_wed": 35})
    assert DayLimit.objects.get(teen=tom, local_date=TODAY).limit_minutes == 35  # latest wins
    assert day_limits_record_current() == 0  # today's row is kept
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert day_limits_record_current() == 1  # Thursday, for Tom only (Uma has no guardian)
        assert day_limits_record_current() == 0
    assert DayLimit.objects.get(teen=tom, local_date=TODAY + timedelta(days=1)).limit_minutes == 60
    assert not DayLimit.objects.filter(teen=uma).exists()


def test_the_periodic_job_works_through_every_teen_in_bounded_batches(
    tom, tina, alice, bob, monkeypatch
):
    monkeypatch.setattr(day_limits, "RECORD_BATCH", 1)  # a batch per teen
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert day_limits_record_current() == 2  # Tom and Tina, each in a batch of their own
        assert day_limits_record_current() == 0
    assert DayLimit.objects.filter(local_date=TODAY + timedelta(days=1)).count() == 2
