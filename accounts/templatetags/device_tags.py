"""{% devices_panel teen %}: the teen's devices, each with its last report and whether it applied
the current rules ("applied 2 minutes ago" / "not yet applied"), and a link to manage them.

The current policy version is needed to tell "applied" from "not yet applied". Pass the page's
effective policy (`{% devices_panel teen policy %}`), or leave it in the context as `policy`
next to `teen` (as the per-teen pages do); otherwise the tag computes it."""

from __future__ import annotations

from django import template
from django.urls import reverse

from accounts.devices.services import device_statuses
from controls.policy import EffectivePolicy

register = template.Library()


@register.inclusion_tag("accounts/_devices_panel.html", takes_context=True)
def devices_panel(context, teen, policy=None):
    if not isinstance(policy, EffectivePolicy):
        page_policy, page_teen = context.get("policy"), context.get("teen")
        same_teen = getattr(page_teen, "pk", None) == teen.pk
        policy = page_policy if isinstance(page_policy, EffectivePolicy) and same_teen else None
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
