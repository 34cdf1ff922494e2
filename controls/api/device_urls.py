"""The device API: /api/v1/device/... authenticated with a device bearer token."""

from __future__ import annotations

from django.urls import path

from controls.api import device as views
from controls.api import device_requests

urlpatterns = [
    path("device/policy", views.DevicePolicyView.as_view(), name="api-device-policy"),
    path("device/policy/ack", views.DevicePolicyAckView.as_view(), name="api-device-policy-ack"),
    path("device/usage", views.DeviceUsageView.as_view(), name="api-device-usage"),
    path(
        "device/time-requests",
        device_requests.DeviceTimeRequestsView.as_view(),
        name="api-device-time-requests",
    ),
    path(
        "device/time-requests/<int:time_request_id>",
        device_requests.DeviceTimeRequestDetailView.as_view(),
        name="api-device-time-request",
    ),
    path("device/blocklist.hosts", views.DeviceHostsView.as_view(), name="api-device-hosts"),
    path("device/blocklist.adguard", views.DeviceAdguardView.as_view(), name="api-device-adguard"),
]
