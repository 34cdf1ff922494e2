"""Pairing pages: /family/… for parents and guardians, /pair/… and /me/… for teens."""

from __future__ import annotations

from django.urls import path

from accounts.pages import profile as profile_views
from accounts.pages import unlinking, views

urlpatterns = [
    # A parent links a teen.
    path("account/profile/", profile_views.profile, name="profile"),
    path("family/link/", views.pairing_start, name="pairing_start"),
    path("family/link/<int:invitation_id>/", views.pairing_invitation, name="pairing_invitation"),
    path(
        "family/link/<int:invitation_id>/status/",
        views.pairing_invitation_status,
        name="pairing_invitation_status",
    ),
    path(
        "family/link/<int:invitation_id>/revoke/",
        views.pairing_invitation_revoke,
        name="pairing_invitation_revoke",
    ),
    path(
        "family/link/<int:invitation_id>/renew/",
        views.pairing_invitation_renew,
        name="pairing_invitation_renew",
    ),
    # Guardians answer a second guardian and the teen's unlink requests; and unlink themselves.
    path("family/approvals/<int:link_id>/", views.guardian_approval, name="guardian_approval"),
    path(
        "family/links/<int:link_id>/withdraw/",
        views.guardian_link_withdraw,
        name="guardian_link_withdraw",
    ),
    path("family/teens/<int:teen_id>/unlink/", unlinking.guardian_unlink, name="guardian_unlink"),
    path(
        "family/teens/<int:teen_id>/time-zone/apply/",
        profile_views.teen_time_zone_apply,
        name="teen_time_zone_apply",
    ),
    path(
        "family/unlink-requests/<int:request_id>/",
        unlinking.unlink_request_decide,
        name="unlink_request",
    ),
    # A teen enters a code or opens the QR link, then confirms.
    path("pair/", views.pair_enter_code, name="pair_enter_code"),
    path("pair/confirm/<int:invitation_id>/", views.pair_confirm, name="pair_confirm"),
    path("pair/<str:token>", views.pair_by_token, name="pair_by_token"),
    # A teen unlinks.
    path("me/guardians/<int:link_id>/unlink/", unlinking.teen_unlink, name="teen_unlink"),
    path(
        "me/unlink-requests/<int:request_id>/cancel/",
        unlinking.teen_unlink_request_cancel,
        name="teen_unlink_request_cancel",
    ),
]
