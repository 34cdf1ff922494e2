"""The URLs the ASGI server's change-channel handler serves (see familypairing.asgi)."""

from __future__ import annotations

from django.urls import path

from controls.api.device import DevicePolicyView
from controls.api.device_channel import channel_view

urlpatterns = [
    path(
        "api/v1/device/policy",
        channel_view(DevicePolicyView.as_view()),
        name="api-device-policy-channel",
    ),
]
