"""More-time requests, grants, notifications and your data in the API."""

from __future__ import annotations

from django.urls import path

from controls.api import data_rights, notifications
from controls.api import requests as views

urlpatterns = [
    path("time-requests", views.TimeRequestListView.as_view(), name="api-time-requests"),
    path(
        "time-requests/<int:time_request_id>",
        views.TimeRequestDetailView.as_view(),
        name="api-time-request",
    ),
    path(
        "time-requests/<int:time_request_id>/approve",
        views.TimeRequestApproveView.as_view(),
        name="api-time-request-approve",
    ),
    path(
        "time-requests/<int:time_request_id>/deny",
        views.TimeRequestDenyView.as_view(),
        name="api-time-request-deny",
    ),
    path("teens/<int:teen_id>/grants", views.TeenGrantView.as_view(), name="api-teen-grants"),
    path("notifications", notifications.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/read",
        notifications.NotificationReadView.as_view(),
        name="api-notifications-read",
    ),
    path(
        "notifications/unread-count",
        notifications.NotificationUnreadView.as_view(),
        name="api-notifications-unread",
    ),
    path(
        "notifications/preferences",
        notifications.NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    path("me/export", data_rights.DataExportView.as_view(), name="api-data-export"),
    path("me/delete", data_rights.AccountDeleteView.as_view(), name="api-account-delete"),
]
