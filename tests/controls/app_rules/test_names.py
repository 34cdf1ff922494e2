"""Every place that shows an app uses the catalogue's name (or the family's label): charts, the
weekly report and its e-mail."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from controls.app_rules.services import app_label_set
from controls.models import DailyUsage
from controls.reports.services import teen_week
from controls.usage.charts import usage_charts_for_teen


@pytest.mark.django_db
@time_machine.travel(datetime(2024, 6, 5, 11, 0), tick=False)
def test_charts_and_the_weekly_report_name_apps_from_the_catalogue(alice, tom):
    today = date(2024, 6, 5)
    for app, minutes in (
        ("com.zhiliaoapp.musically", 30),
        ("web:tiktok.com", 10),
        ("com.example.quiz", 20),
        ("com.example.other", 5),
    ):
        DailyUsage.objects.create(teen=tom, local_date=today, app=app, seconds=minutes * 60)
    app_label_set(actor=alice, teen=tom, app="com.example.quiz", name="Quiz", category="education")
    rows = [row[:2] for row in usage_charts_for_teen(teen=tom)["today"].rows]
    assert rows == [("TikTok", "40 min"), ("Quiz", "20 min"), ("com.example.other", "5 min")]
    week = teen_week(teen=tom, week_start=today - timedelta(days=today.weekday()))
    assert week.top_apps[:2] == [("TikTok", "40 min"), ("Quiz", "20 min")]
