from __future__ import annotations

from django.urls import path

from controls.pages import app_views

urlpatterns = [
    path("teens/<int:teen_id>/app-rules/", app_views.app_rule_save, name="app_rule_save"),
    path(
        "teens/<int:teen_id>/app-rules/<int:rule_id>/delete/",
        app_views.app_rule_delete,
        name="app_rule_delete",
    ),
    path("teens/<int:teen_id>/app-labels/", app_views.app_label_save, name="app_label_save"),
    path(
        "teens/<int:teen_id>/app-labels/<int:label_id>/delete/",
        app_views.app_label_delete,
        name="app_label_delete",
    ),
    path("teens/<int:teen_id>/lock/", app_views.lock_start, name="lock_start"),
    path("teens/<int:teen_id>/lock/<int:lock_id>/end/", app_views.lock_end, name="lock_end"),
    path(
        "teens/<int:teen_id>/downtime/<int:window_id>/allowed/",
        app_views.downtime_allowed,
        name="downtime_allowed",
    ),
]
