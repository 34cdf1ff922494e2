"""{% time_requests_panel teen %} and {% usage_charts teen %}: the more-time panel and the usage
charts, placed on the guardian's teen page and on the teen's own page."""

from __future__ import annotations

from django import template

from controls.time_requests.panel import time_requests_panel_context
from controls.usage.charts import usage_charts_for_teen
from controls.wording import minutes_spoken

register = template.Library()


@register.inclusion_tag("controls/_time_requests_panel.html", takes_context=True)
def time_requests_panel(context, teen):
    data = time_requests_panel_context(teen=teen, user=context["user"])
    data["request"] = context.get("request")
    return data


@register.inclusion_tag("controls/_usage_charts.html", takes_context=True)
def usage_charts(context, teen):
    return {
        "teen": teen,
        "request": context.get("request"),
        "user": context.get("user"),
        "charts": usage_charts_for_teen(teen=teen),
    }


@register.filter
def request_minutes(minutes):
    return minutes_spoken(minutes)
