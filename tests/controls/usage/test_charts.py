"""Usage charts: server-rendered SVG with text alternatives, from DailyUsage and TeenDay."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest
import time_machine
from django.template import Context, Template

from accounts.models import Device
from controls.models import DailyUsage, DayGrant, TeenDay
from controls.usage.charts import Bar, DayColumn, bar_chart, days_chart, usage_charts_for_teen

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
    with django_assert_num_queries(6):  # (the family's app names since issue 13)
        usage_charts_for_teen(teen=usage)
