"""Device management for teens and guardians (list, register, rename, revoke), and a device's
own enrolment by code and heartbeat."""

from __future__ import annotations

from django.urls import path

from accounts.api import device_about, enrolment
from accounts.api import devices as views

urlpatterns = [
    # The device's own: linking with a code (RFC 8628) and its heartbeat.
    path("device/enrolment", enrolment.DeviceEnrolmentView.as_view(), name="api-device-enrolment"),
    path(
        "device/enrolment/token",
        enrolment.DeviceEnrolmentTokenView.as_view(),
        name="api-device-enrolment-token",
    ),
    path("device/about", device_about.DeviceAboutView.as_view(), name="api-device-about"),
    path("device/heartbeat", enrolment.DeviceHeartbeatView.as_view(), name="api-device-heartbeat"),
    path("teens/<int:teen_id>/devices", views.TeenDevicesView.as_view(), name="api-teen-devices"),
    path("devices/<int:device_id>", views.DeviceDetailView.as_view(), name="api-device-detail"),
    path(
        "devices/<int:device_id>/revoke", views.DeviceRevokeView.as_view(), name="api-device-revoke"
    ),
]
