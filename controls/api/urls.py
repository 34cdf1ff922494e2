"""Rules per teen for guardians (read/update) and teens (read-only); the effective policy."""

from __future__ import annotations

from django.urls import path

from controls.api import app_rules, downtime, rules

urlpatterns = [
    path("teens/<int:teen_id>/rules", rules.TeenRulesView.as_view(), name="api-teen-rules"),
    path(
        "teens/<int:teen_id>/rules/screen-time",
        rules.ScreenTimeView.as_view(),
        name="api-teen-screen-time",
    ),
    path(
        "teens/<int:teen_id>/rules/browsing",
        rules.BrowsingView.as_view(),
        name="api-teen-browsing",
    ),
    path(
        "teens/<int:teen_id>/rules/privacy",
        rules.PrivacyView.as_view(),
        name="api-teen-privacy",
    ),
    path(
        "teens/<int:teen_id>/rules/unlinking",
        rules.GovernanceView.as_view(),
        name="api-teen-unlinking",
    ),
    path(
        "teens/<int:teen_id>/downtime-windows",
        downtime.DowntimeWindowListView.as_view(),
        name="api-teen-downtime-windows",
    ),
    path(
        "teens/<int:teen_id>/downtime-windows/<int:window_id>",
        downtime.DowntimeWindowDetailView.as_view(),
        name="api-teen-downtime-window",
    ),
    path(
        "teens/<int:teen_id>/downtime-windows/<int:window_id>/allowed",
        app_rules.DowntimeAllowedView.as_view(),
        name="api-teen-downtime-allowed",
    ),
    path("catalogue", app_rules.CatalogueView.as_view(), name="api-catalogue"),
    path(
        "teens/<int:teen_id>/app-rules",
        app_rules.AppRuleListView.as_view(),
        name="api-teen-app-rules",
    ),
    path(
        "teens/<int:teen_id>/app-rules/<int:rule_id>",
        app_rules.AppRuleDetailView.as_view(),
        name="api-teen-app-rule",
    ),
    path("teens/<int:teen_id>/locks", app_rules.LockListView.as_view(), name="api-teen-locks"),
    path(
        "teens/<int:teen_id>/locks/<int:lock_id>",
        app_rules.LockDetailView.as_view(),
        name="api-teen-lock",
    ),
    path(
        "teens/<int:teen_id>/app-labels",
        app_rules.AppLabelListView.as_view(),
        name="api-teen-app-labels",
    ),
    path(
        "teens/<int:teen_id>/app-labels/<int:label_id>",
        app_rules.AppLabelDetailView.as_view(),
        name="api-teen-app-label",
    ),
    path("teens/<int:teen_id>/policy", rules.TeenPolicyView.as_view(), name="api-teen-policy"),
    path("teens/<int:teen_id>/history", rules.TeenHistoryView.as_view(), name="api-teen-history"),
]
