"""{% time_requests_panel teen %} and {% usage_charts teen %} (filled by the requests feature)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("controls/_time_requests_panel.html", takes_context=True)
def time_requests_panel(context, teen):
    return {"teen": teen, "request": context.get("request"), "user": context.get("user")}


@register.inclusion_tag("controls/_usage_charts.html", takes_context=True)
def usage_charts(context, teen):
    return {"teen": teen, "request": context.get("request"), "user": context.get("user")}
