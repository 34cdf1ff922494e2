from __future__ import annotations

from django.urls import path

from controls.pages import exports, teen_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    # The teen's own page, one address per tab
    path("me/", teen_views.teen_home, name="teen_home"),
    path("me/rules/", teen_views.my_rules, name="my_rules"),
    path("me/guardians/", teen_views.my_guardians, name="my_guardians"),
    path("me/history/", teen_views.my_history, name="my_history"),
    # A guardian's pages for one teen (the teen themself may read the exports)
    path("teens/<int:teen_id>/", views.teen_detail, name="teen_detail"),
    path("teens/<int:teen_id>/screen-time/", views.teen_screen_time, name="teen_screen_time"),
    path(
        "teens/<int:teen_id>/screen-time/limits/",
        views.screen_time_limits,
        name="screen_time_limits",
    ),
    path(
        "teens/<int:teen_id>/screen-time/every-day/",
        views.screen_time_every_day,
        name="screen_time_every_day",
    ),
    path(
        "teens/<int:teen_id>/screen-time/options/",
        views.screen_time_options,
        name="screen_time_options",
    ),
    path("teens/<int:teen_id>/downtime/", views.downtime_create, name="downtime_create"),
    path(
        "teens/<int:teen_id>/downtime/<int:window_id>/",
        views.downtime_update,
        name="downtime_update",
    ),
    path(
        "teens/<int:teen_id>/downtime/<int:window_id>/delete/",
        views.downtime_delete,
        name="downtime_delete",
    ),
    path("teens/<int:teen_id>/browsing/", views.teen_browsing, name="teen_browsing"),
    path("teens/<int:teen_id>/privacy/", views.teen_privacy, name="teen_privacy"),
    path("teens/<int:teen_id>/unlinking/", views.teen_governance, name="teen_governance"),
    path("teens/<int:teen_id>/history/", views.teen_history, name="teen_history"),
    path("teens/<int:teen_id>/export/hosts.txt", exports.export_hosts, name="export_hosts"),
    path("teens/<int:teen_id>/export/adguard.txt", exports.export_adguard, name="export_adguard"),
]
