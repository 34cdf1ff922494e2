from __future__ import annotations

from django.urls import path

from controls import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("me/", views.teen_home, name="teen_home"),
]
