"""Device pages (link with a code, register, list, rename, revoke) for teens and their guardians,
and the public uninstall address."""

from __future__ import annotations

from django.urls import path

from accounts.pages import device_link
from accounts.pages import devices as views

urlpatterns = [
    path("devices/", views.my_devices, name="my_devices"),
    # RFC 8628's verification address: where a device's code is typed (or its QR link opened).
    path("devices/link/", device_link.device_link, name="device_link"),
    # The uninstall address a removed client opens; the path segment is the device's secret.
    path("devices/removed/<str:secret>", device_link.device_removed, name="device_removed"),
    path("teens/<int:teen_id>/devices/", views.teen_devices, name="teen_devices"),
    path("devices/<int:device_id>/rename/", views.device_rename_view, name="device_rename"),
    path("devices/<int:device_id>/remove/", views.device_revoke_view, name="device_revoke"),
]
