"""Device management for teens and guardians (list, register, rename, revoke)."""

from __future__ import annotations

from django.urls import path

from accounts.api import devices as views

urlpatterns = [
    path("teens/<int:teen_id>/devices", views.TeenDevicesView.as_view(), name="api-teen-devices"),
    path("devices/<int:device_id>", views.DeviceDetailView.as_view(), name="api-device-detail"),
    path(
        "devices/<int:device_id>/revoke", views.DeviceRevokeView.as_view(), name="api-device-revoke"
    ),
]
