"""{% devices_panel teen %}: the teen's devices, each with its last report and whether it applied
the current rules ("applied 2 minutes ago" / "not yet applied"), and a link to manage them.

Pass the page's effective policy when it has one (`{% devices_panel teen policy %}`) to save
computing it again."""

from __future__ import annotations

from django import template
from django.urls import reverse

from accounts.devices import device_statuses

register = template.Library()


@register.inclusion_tag("accounts/_devices_panel.html", takes_context=True)
def devices_panel(context, teen, policy=None):
    user = context.get("user")
    is_self = user is not None and user.pk == teen.pk
    return {
        "teen": teen,
        "statuses": device_statuses(teen=teen, version=policy.version if policy else None),
        "is_self": is_self,
        "manage_url": reverse("my_devices") if is_self else reverse("teen_devices", args=[teen.pk]),
        "request": context.get("request"),
        "user": user,
    }
