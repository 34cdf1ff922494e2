from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.pages import email_confirm as email_confirm_views
from familypairing import views
from familypairing.admin_security import admin_site_secure

# The admin signs in through allauth (two-step verification, rate limits), never its own form.
admin_site_secure(site=admin.site)

# JSON for the JSON APIs, Django's page elsewhere (familypairing.errors).
handler500 = "familypairing.errors.handler500"

urlpatterns = [
    # The API first: devices call it every minute, and each pattern tried before a match costs
    # time (issue 8). Its prefix clashes with nothing below.
    path("api/v1/", include("familypairing.api_urls")),
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # allauth's e-mail confirmation link: the key moves into the session at the first request
    # and the confirmation happens on a key-free page (declared before allauth's own pattern).
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$",
        email_confirm_views.confirm_email_landing,
        name="account_confirm_email",
    ),
    path(
        "accounts/email/confirm/",
        email_confirm_views.confirm_email_stashed,
        name="account_confirm_email_stashed",
    ),
    path("accounts/", include("allauth.urls")),
    # allauth's headless API mounts phone-number endpoints whatever the settings; this product
    # has no phone numbers, so they answer a plain 404 instead of failing inside allauth.
    re_path(r"^_allauth/(?:app|browser)/v1/account/phone$", views.not_offered),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # allauth's headless API (sign-up, sign-in, tokens) in the same Swagger UI, from its own spec.
    path(
        "api/docs/auth/",
        SpectacularSwaggerSplitView.as_view(
            url="/_allauth/openapi.json", title="Family Pairing sign-in API"
        ),
        name="api-docs-auth",
    ),
    path("", include("accounts.pages.urls")),
    path("", include("accounts.pages.device_urls")),
    path("", include("accounts.pages.extension_urls")),
    path("", include("controls.pages.urls")),
    path("", include("controls.pages.request_urls")),
    path("", include("controls.pages.feed_urls")),
    path("", include("controls.pages.app_urls")),
]
