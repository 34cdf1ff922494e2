"""Pages for more-time requests, the notification centre, data export and deletion."""

from __future__ import annotations

from django.urls import path

from controls import request_views as views

urlpatterns = [
    path("requests/<int:time_request_id>/", views.time_request_detail, name="time_request_detail"),
    path(
        "requests/<int:time_request_id>/answer/",
        views.time_request_answer,
        name="time_request_answer",
    ),
    path("requests/email/<str:token>/", views.email_action, name="time_request_email_action"),
]
