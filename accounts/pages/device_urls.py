"""Device pages (register, list, rename, revoke) for teens and their guardians."""

from __future__ import annotations

from django.urls import path

from accounts.pages import devices as views

urlpatterns = [
    path("devices/", views.my_devices, name="my_devices"),
    path("teens/<int:teen_id>/devices/", views.teen_devices, name="teen_devices"),
    path("devices/<int:device_id>/rename/", views.device_rename_view, name="device_rename"),
    path("devices/<int:device_id>/remove/", views.device_revoke_view, name="device_revoke"),
]
