"""Pages for more-time requests, the notification centre, data export and deletion."""

from __future__ import annotations

from django.urls import path

from controls.pages import request_views as views

urlpatterns = [
    # More time
    path("me/more-time/", views.teen_time_request, name="teen_time_request"),
    path("me/more-time/panel/", views.teen_time_panel, name="teen_time_panel"),
    path("requests/<int:time_request_id>/", views.time_request_detail, name="time_request_detail"),
    path(
        "requests/<int:time_request_id>/answer/",
        views.time_request_answer,
        name="time_request_answer",
    ),
    # An e-mailed Approve / Deny link: its token is moved into the session at once, and the
    # answer is given on the token-free page (declared first: "confirm" is not a token).
    path(
        "requests/email/confirm/<int:time_request_id>/",
        views.email_action_confirm,
        name="time_request_email_confirm",
    ),
    path("requests/email/<str:token>/", views.email_action, name="time_request_email_action"),
    path("teens/<int:teen_id>/grant-time/", views.teen_grant_time, name="teen_grant_time"),
    # Notification centre
    path("notifications/", views.notification_centre, name="notification_centre"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path(
        "notifications/<int:notification_id>/open/",
        views.notification_open,
        name="notification_open",
    ),
    path(
        "notifications/<int:notification_id>/read/",
        views.notification_read,
        name="notification_read",
    ),
    # Your data
    path("account/data/", views.data_rights, name="data_rights"),
    path("account/data/export.json", views.data_export, name="data_export"),
    path("account/delete/", views.data_delete, name="data_delete"),
]
