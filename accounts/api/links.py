"""Links and unlink requests in the API: list, unlink, a second guardian's approval, a teen's
request to unlink and its answer. Thin: the rules are in `accounts.pairing`, the same functions
the pages call."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.pairing import (
    R400,
    R401,
    R404,
    LinkSerializer,
    UnlinkRequestSerializer,
    UnlinkResultSerializer,
    refused,
)
from accounts.models import (
    OPEN_LINK_STATUSES,
    GuardianLink,
    UnlinkRequest,
    User,
)
from accounts.pairing import guardians, unlinking
from accounts.pairing.selectors import (
    approvals_for_guardian,
    link_awaiting_approval_for_guardian,
    links_for_user,
    unlink_request_for_guardian,
    unlink_request_for_teen,
    unlink_requests_for_guardian,
    unlink_requests_for_teen,
)
from accounts.pairing.services import PairingError

# --- links ---------------------------------------------------------------------------------------


class LinkListView(APIView):
    @extend_schema(
        summary="My open links: my teens (parent) or my guardians (teen)",
        responses={200: LinkSerializer(many=True), 401: R401},
        tags=["links"],
    )
    def get(self, request: Request) -> Response:
        return Response(LinkSerializer(links_for_user(user=request.user), many=True).data)


class ApprovalListView(APIView):
    @extend_schema(
        summary="Links to my teens waiting for my approval (guardian)",
        responses={200: LinkSerializer(many=True), 401: R401},
        tags=["links"],
    )
    def get(self, request: Request) -> Response:
        return Response(
            LinkSerializer(approvals_for_guardian(guardian=request.user), many=True).data
        )


def _own_open_link(user: User, link_id: int) -> GuardianLink:
    link = (
        GuardianLink.objects.select_related("parent", "teen")
        .filter(Q(parent=user) | Q(teen=user), pk=link_id, status__in=OPEN_LINK_STATUSES)
        .first()
    )
    if link is None:
        raise Http404("Not found.")
    return link


class LinkUnlinkView(APIView):
    @extend_schema(
        summary="Unlink (the link's guardian or its teen)",
        description="A guardian's unlink and a teen's unlink end the link at once (200) and "
        "everyone concerned is notified; when a guardian turned on 'unlinking needs approval', "
        "a teen's unlink becomes a request instead (202).",
        request=None,
        responses={
            200: UnlinkResultSerializer,
            202: UnlinkResultSerializer,
            400: R400,
            401: R401,
            404: R404,
        },
        tags=["links"],
    )
    def post(self, request: Request, link_id: int) -> Response:
        link = _own_open_link(request.user, link_id)
        unlink_request = None
        try:
            if link.parent_id == request.user.pk:
                unlinking.guardian_unlink(link=link, guardian=request.user)
            else:
                result = unlinking.teen_unlink(link=link, teen=request.user)
                if isinstance(result, UnlinkRequest):
                    unlink_request = result
        except PairingError as exc:
            return refused(exc)
        link.refresh_from_db()
        body = UnlinkResultSerializer({"link": link, "unlink_request": unlink_request}).data
        return Response(body, status=202 if unlink_request else 200)


class LinkApproveView(APIView):
    @extend_schema(
        summary="Approve another parent as my teen's guardian (guardian)",
        request=None,
        responses={200: LinkSerializer, 400: R400, 401: R401, 404: R404},
        tags=["links"],
    )
    def post(self, request: Request, link_id: int) -> Response:
        link = link_awaiting_approval_for_guardian(guardian=request.user, link_id=link_id)
        try:
            link = guardians.guardian_link_approve(link=link, guardian=request.user)
        except PairingError as exc:
            return refused(exc)
        return Response(LinkSerializer(link).data)


class LinkRefuseView(APIView):
    @extend_schema(
        summary="Refuse another parent as my teen's guardian (guardian)",
        request=None,
        responses={200: LinkSerializer, 400: R400, 401: R401, 404: R404},
        tags=["links"],
    )
    def post(self, request: Request, link_id: int) -> Response:
        link = link_awaiting_approval_for_guardian(guardian=request.user, link_id=link_id)
        try:
            link = guardians.guardian_link_refuse(link=link, guardian=request.user)
        except PairingError as exc:
            return refused(exc)
        return Response(LinkSerializer(link).data)


# --- unlink requests -----------------------------------------------------------------------------


class UnlinkRequestListView(APIView):
    @extend_schema(
        summary="Unlink requests: waiting ones for my teens (guardian), or my own (teen)",
        responses={200: UnlinkRequestSerializer(many=True), 401: R401},
        tags=["links"],
    )
    def get(self, request: Request) -> Response:
        if request.user.is_teen:
            requests = unlink_requests_for_teen(teen=request.user)
        else:
            requests = unlink_requests_for_guardian(guardian=request.user)
        return Response(UnlinkRequestSerializer(requests, many=True).data)


class UnlinkRequestApproveView(APIView):
    @extend_schema(
        summary="Approve a teen's request to unlink (guardian)",
        request=None,
        responses={200: LinkSerializer, 400: R400, 401: R401, 404: R404},
        tags=["links"],
    )
    def post(self, request: Request, request_id: int) -> Response:
        unlink_request = unlink_request_for_guardian(guardian=request.user, request_id=request_id)
        try:
            link = unlinking.unlink_request_approve(
                unlink_request=unlink_request, guardian=request.user
            )
        except PairingError as exc:
            return refused(exc)
        return Response(LinkSerializer(link).data)


class UnlinkRequestDeclineView(APIView):
    @extend_schema(
        summary="Decline a teen's request to unlink (guardian)",
        request=None,
        responses={200: UnlinkRequestSerializer, 400: R400, 401: R401, 404: R404},
        tags=["links"],
    )
    def post(self, request: Request, request_id: int) -> Response:
        unlink_request = unlink_request_for_guardian(guardian=request.user, request_id=request_id)
        try:
            unlink_request = unlinking.unlink_request_decline(
                unlink_request=unlink_request, guardian=request.user
            )
        except PairingError as exc:
            return refused(exc)
        return Response(UnlinkRequestSerializer(unlink_request).data)


class UnlinkRequestCancelView(APIView):
    @extend_schema(
        summary="Withdraw my request to unlink (teen)",
        request=None,
        responses={200: UnlinkRequestSerializer, 400: R400, 401: R401, 404: R404},
        tags=["links"],
    )
    def post(self, request: Request, request_id: int) -> Response:
        unlink_request = unlink_request_for_teen(teen=request.user, request_id=request_id)
        try:
            unlink_request = unlinking.unlink_request_cancel(
                unlink_request=unlink_request, teen=request.user
            )
        except PairingError as exc:
            return refused(exc)
        return Response(UnlinkRequestSerializer(unlink_request).data)
