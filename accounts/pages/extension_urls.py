"""The browser extension's files (public) and its install page for a teen's guardians."""

from __future__ import annotations

from django.urls import path

from accounts.pages import extension as views

urlpatterns = [
    path("extension/family-pairing.crx", views.extension_crx, name="extension_crx"),
    path("extension/family-pairing.zip", views.extension_zip, name="extension_zip"),
    path("extension/updates.xml", views.extension_updates, name="extension_updates"),
    path(
        "teens/<int:teen_id>/browser-extension/",
        views.teen_browser_extension,
        name="teen_browser_extension",
    ),
    path(
        "teens/<int:teen_id>/browser-extension/<str:kind>",
        views.teen_extension_policy,
        name="teen_extension_policy",
    ),
]
