"""{% time_zone_change teen %}: a teen's pending change of time zone in plain words ("Your time
zone changes to … at 00:00 your time on …"), with an "Apply now" button for a guardian. Nothing
when no change is pending."""

from __future__ import annotations

from django import template

from accounts.profile import time_zone_change_text

register = template.Library()


@register.inclusion_tag("accounts/_time_zone_change.html", takes_context=True)
def time_zone_change(context, person):
    viewer = context.get("user")
    return {
        "person": person,
        "text": time_zone_change_text(user=person, viewer=viewer),
        "can_apply": viewer is not None and viewer.pk != person.pk and person.is_teen,
        "csrf_token": context.get("csrf_token"),
    }
