"""Subscription addresses for home DNS filters (no sign-in: the token is the credential)."""

from __future__ import annotations

from django.urls import path

from controls.pages import feeds as feed_views

urlpatterns = [
    path("feeds/<str:token>/<str:fmt>.txt", feed_views.feed, name="dns_feed"),
    path(
        "teens/<int:teen_id>/browsing/filter-address/",
        feed_views.teen_dns_feed,
        name="teen_dns_feed",
    ),
]
