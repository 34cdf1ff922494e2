"""A teen's home network filter address, for guardians."""

from __future__ import annotations

from django.urls import path

from controls.api import feeds

urlpatterns = [
    path("teens/<int:teen_id>/dns-feed", feeds.TeenDnsFeedView.as_view(), name="api-teen-dns-feed"),
    path(
        "teens/<int:teen_id>/dns-feed/rotate",
        feeds.TeenDnsFeedRotateView.as_view(),
        name="api-teen-dns-feed-rotate",
    ),
]
