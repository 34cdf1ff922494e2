"""{% devices_panel teen %}: the teen's devices with "applied or not" (filled by the devices feature)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("accounts/_devices_panel.html", takes_context=True)
def devices_panel(context, teen):
    return {"teen": teen, "request": context.get("request"), "user": context.get("user")}
