from __future__ import annotations

from django.urls import path

from accounts.api import links, pairing, views

urlpatterns = [
    path("me", views.MeView.as_view(), name="api-me"),
    path(
        "teens/<int:teen_id>/time-zone-change/apply",
        views.TeenTimeZoneApplyView.as_view(),
        name="api-teen-time-zone-apply",
    ),
    # Pairing: invitations (parent), the teen's answer, links, approvals and unlinking.
    path("pairing/invitations", pairing.InvitationListView.as_view(), name="api-invitations"),
    path(
        "pairing/invitations/<int:invitation_id>",
        pairing.InvitationDetailView.as_view(),
        name="api-invitation",
    ),
    path(
        "pairing/invitations/<int:invitation_id>/revoke",
        pairing.InvitationRevokeView.as_view(),
        name="api-invitation-revoke",
    ),
    path("pairing/lookup", pairing.PairingLookupView.as_view(), name="api-pairing-lookup"),
    path("pairing/accept", pairing.PairingAcceptView.as_view(), name="api-pairing-accept"),
    path("pairing/decline", pairing.PairingDeclineView.as_view(), name="api-pairing-decline"),
    path("links", links.LinkListView.as_view(), name="api-links"),
    path("links/approvals", links.ApprovalListView.as_view(), name="api-link-approvals"),
    path("links/<int:link_id>/unlink", links.LinkUnlinkView.as_view(), name="api-link-unlink"),
    path("links/<int:link_id>/approve", links.LinkApproveView.as_view(), name="api-link-approve"),
    path("links/<int:link_id>/refuse", links.LinkRefuseView.as_view(), name="api-link-refuse"),
    path("unlink-requests", links.UnlinkRequestListView.as_view(), name="api-unlink-requests"),
    path(
        "unlink-requests/<int:request_id>/approve",
        links.UnlinkRequestApproveView.as_view(),
        name="api-unlink-request-approve",
    ),
    path(
        "unlink-requests/<int:request_id>/decline",
        links.UnlinkRequestDeclineView.as_view(),
        name="api-unlink-request-decline",
    ),
    path(
        "unlink-requests/<int:request_id>/cancel",
        links.UnlinkRequestCancelView.as_view(),
        name="api-unlink-request-cancel",
    ),
]
