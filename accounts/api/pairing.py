"""Pairing API (`/api/v1/pairing/…`, `/api/v1/links…`, `/api/v1/unlink-requests…`): everything the
pairing pages do, for app clients. Thin: the rules are in `accounts.pairing.services`."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import (
    EndReason,
    GuardianLink,
    InvitationStatus,
    PairingInvitation,
    UnlinkRequest,
)
from accounts.pairing import lookup, unlinking
from accounts.pairing import services as pairing
from accounts.pairing.selectors import (
    invitation_for_parent,
    invitations_recent_for_parent,
)
from accounts.pairing.services import PairingError
from accounts.pairing.throttle import TooManyAttempts, client_address
from accounts.selectors import guardians_for_teen
from familypairing.api import ErrorSerializer

# --- serializers ---------------------------------------------------------------------------------


class PairingErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    email = serializers.EmailField()


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=InvitationStatus.choices)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    answered_by = PersonSerializer(allow_null=True)
    token = serializers.CharField(
        allow_null=True, help_text="The QR token; only while the invitation is open."
    )
    code = serializers.CharField(
        allow_null=True, help_text="The 8-character code; only while the invitation is open."
    )
    code_display = serializers.CharField(allow_null=True, help_text="The code as ABCD-EFGH.")
    url = serializers.CharField(allow_null=True, help_text="What the QR code encodes.")
    link_id = serializers.IntegerField(allow_null=True)
    link_status = serializers.CharField(allow_null=True)


def invitation_data(invitation: PairingInvitation) -> dict:
    secrets_ = pairing.pairing_invitation_secrets(invitation=invitation)
    link = GuardianLink.objects.filter(invitation=invitation).first()
    status_ = invitation.status
    if status_ == InvitationStatus.PENDING and not invitation.is_usable():
        status_ = InvitationStatus.EXPIRED
    return {
        "id": invitation.pk,
        "status": status_,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "answered_at": invitation.answered_at,
        "answered_by": invitation.answered_by,
        "token": secrets_.token if secrets_ else None,
        "code": secrets_.code if secrets_ else None,
        "code_display": secrets_.code_display if secrets_ else None,
        "url": secrets_.url if secrets_ else None,
        "link_id": link.pk if link else None,
        "link_status": link.status if link else None,
    }


class CodeOrTokenSerializer(serializers.Serializer):
    code = serializers.CharField(
        required=False, max_length=32, help_text="Typed code; case, spaces and dashes ignored."
    )
    token = serializers.CharField(required=False, max_length=128, help_text="From the QR link.")

    def validate_code(self, value: str) -> str:
        normalized = pairing.normalize_code(value)
        if normalized is None:
            raise serializers.ValidationError(pairing.MALFORMED_CODE_MESSAGE)
        return normalized

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("code")) == bool(attrs.get("token")):
            raise serializers.ValidationError({"code": "Give either a code or a token."})
        return attrs


class PreviewSerializer(serializers.Serializer):
    parent = PersonSerializer(help_text="Who is asking; `email` is their verified address.")
    expires_at = serializers.DateTimeField()
    needs_guardian_approval = serializers.BooleanField(
        help_text="True when the teen already has a guardian, who must approve this link."
    )
    unlink_needs_approval = serializers.BooleanField()
    can_see_and_manage = serializers.ListField(child=serializers.CharField())
    cannot = serializers.ListField(child=serializers.CharField())


class LinkSerializer(serializers.ModelSerializer):
    parent = PersonSerializer()
    teen = PersonSerializer()
    end_reason = serializers.ChoiceField(
        choices=EndReason.choices, allow_blank=True, help_text="Empty while the link is open."
    )

    class Meta:
        model = GuardianLink
        fields = [
            "id",
            "parent",
            "teen",
            "status",
            "created_at",
            "approved_at",
            "ended_at",
            "end_reason",
        ]
        read_only_fields = fields


class UnlinkRequestSerializer(serializers.ModelSerializer):
    link = LinkSerializer()

    class Meta:
        model = UnlinkRequest
        fields = ["id", "link", "status", "created_at", "decided_at"]
        read_only_fields = fields


class UnlinkResultSerializer(serializers.Serializer):
    link = LinkSerializer()
    unlink_request = UnlinkRequestSerializer(
        allow_null=True, help_text="Set (HTTP 202) when unlinking needs a guardian's approval."
    )


class DeclinedSerializer(serializers.Serializer):
    status = serializers.CharField()


# --- helpers -------------------------------------------------------------------------------------

R400 = OpenApiResponse(
    description="A rule refused it: `{detail, code}` (see `code`); or malformed input: "
    "`{field: [message]}`."
)
R401 = OpenApiResponse(ErrorSerializer, description="Not signed in.")
R403 = OpenApiResponse(PairingErrorSerializer, description="Not allowed for this account.")
R404 = OpenApiResponse(ErrorSerializer, description="No such object, or not yours.")
R429 = OpenApiResponse(
    ErrorSerializer,
    description="Too many wrong typed codes from this account, or from this address across "
    "accounts; wait for `Retry-After` seconds. A valid QR token is never refused.",
)


def refused(exc: PairingError) -> Response:
    return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)


def _lookup(request: Request, data: dict) -> PairingInvitation:
    try:
        return lookup.pairing_invitation_lookup(
            user=request.user,
            client_address=client_address(request),
            token=data.get("token"),
            code=data.get("code"),
        )
    except TooManyAttempts as exc:
        raise exceptions.Throttled(
            wait=exc.retry_after, detail=lookup.pairing_throttled_message(exc=exc)
        ) from None


def _own_or_not_a_teen(request: Request, data: dict) -> Response | None:
    if request.user.is_teen:
        return None
    own = lookup.pairing_invitation_own(
        user=request.user, token=data.get("token"), code=data.get("code")
    )
    if own is not None:
        return refused(pairing.NotAllowed(pairing.OWN_INVITATION_MESSAGE, code="own_invitation"))
    return refused(pairing.NotAllowed(pairing.NOT_A_TEEN_MESSAGE, code="not_a_teen"))


# --- invitations (parent) ------------------------------------------------------------------------


class InvitationListView(APIView):
    @extend_schema(
        summary="List my recent pairing invitations (parent)",
        responses={200: InvitationSerializer(many=True), 401: R401},
        tags=["pairing"],
    )
    def get(self, request: Request) -> Response:
        invitations = invitations_recent_for_parent(parent=request.user)
        return Response(
            InvitationSerializer([invitation_data(i) for i in invitations], many=True).data
        )

    @extend_schema(
        summary="Create a pairing invitation: a QR token and an 8-character code (parent)",
        request=None,
        responses={201: InvitationSerializer, 400: R400, 401: R401, 403: R403},
        tags=["pairing"],
    )
    def post(self, request: Request) -> Response:
        try:
            invitation, _ = pairing.pairing_invitation_create(parent=request.user)
        except PairingError as exc:
            return refused(exc)
        return Response(
            InvitationSerializer(invitation_data(invitation)).data, status=status.HTTP_201_CREATED
        )


class InvitationDetailView(APIView):
    @extend_schema(
        summary="One of my invitations, with the teen's answer once given (parent)",
        responses={200: InvitationSerializer, 401: R401, 404: R404},
        tags=["pairing"],
    )
    def get(self, request: Request, invitation_id: int) -> Response:
        invitation = invitation_for_parent(parent=request.user, invitation_id=invitation_id)
        return Response(InvitationSerializer(invitation_data(invitation)).data)


class InvitationRevokeView(APIView):
    @extend_schema(
        summary="Revoke one of my invitations (parent); revoking a closed one changes nothing",
        request=None,
        responses={200: InvitationSerializer, 401: R401, 404: R404},
        tags=["pairing"],
    )
    def post(self, request: Request, invitation_id: int) -> Response:
        invitation = invitation_for_parent(parent=request.user, invitation_id=invitation_id)
        invitation = pairing.pairing_invitation_revoke(invitation=invitation, parent=request.user)
        return Response(InvitationSerializer(invitation_data(invitation)).data)


# --- the teen's answer ---------------------------------------------------------------------------


class PairingLookupView(APIView):
    @extend_schema(
        summary="Who is asking and what they could see and manage (teen)",
        description="Wrong, expired, revoked and used codes get the same 400 `invalid_code`. "
        "Wrong typed codes count per account and per address; after "
        f"{settings.PAIRING_MAX_FAILURES} from one account, or "
        f"{settings.PAIRING_MAX_FAILURES_PER_ADDRESS} from one address, in "
        f"{settings.PAIRING_FAILURE_WINDOW_MINUTES} minutes, codes get 429 with Retry-After. "
        "A QR `token` is never counted or refused.",
        request=CodeOrTokenSerializer,
        responses={200: PreviewSerializer, 400: R400, 401: R401, 403: R403, 429: R429},
        tags=["pairing"],
    )
    def post(self, request: Request) -> Response:
        serializer = CodeOrTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if (response := _own_or_not_a_teen(request, data)) is not None:
            return response
        try:
            invitation = _lookup(request, data)
        except PairingError as exc:
            return refused(exc)
        parent = invitation.parent
        preview = {
            "parent": {
                "id": parent.pk,
                "display_name": parent.display_name,
                "email": pairing.verified_email(parent) or parent.email,
            },
            "expires_at": invitation.expires_at,
            "needs_guardian_approval": guardians_for_teen(teen=request.user).exists(),
            "unlink_needs_approval": unlinking.unlink_needs_approval(teen=request.user),
            "can_see_and_manage": list(pairing.GUARDIAN_CAN),
            "cannot": list(pairing.GUARDIAN_CANNOT),
        }
        return Response(PreviewSerializer(preview).data)


class PairingAcceptView(APIView):
    @extend_schema(
        summary="Accept an invitation by code or token (teen)",
        description="The link is `active` at once for a first guardian, `pending_approval` when "
        "the teen already has one (an existing guardian must approve).",
        request=CodeOrTokenSerializer,
        responses={201: LinkSerializer, 400: R400, 401: R401, 403: R403, 429: R429},
        tags=["pairing"],
    )
    def post(self, request: Request) -> Response:
        serializer = CodeOrTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if (response := _own_or_not_a_teen(request, data)) is not None:
            return response
        try:
            invitation = _lookup(request, data)
            link = pairing.pairing_accept(invitation=invitation, teen=request.user)
        except PairingError as exc:
            return refused(exc)
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class PairingDeclineView(APIView):
    @extend_schema(
        summary="Decline an invitation by code or token (teen)",
        request=CodeOrTokenSerializer,
        responses={200: DeclinedSerializer, 400: R400, 401: R401, 403: R403, 429: R429},
        tags=["pairing"],
    )
    def post(self, request: Request) -> Response:
        serializer = CodeOrTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if (response := _own_or_not_a_teen(request, data)) is not None:
            return response
        try:
            invitation = _lookup(request, data)
            pairing.pairing_decline(invitation=invitation, teen=request.user)
        except PairingError as exc:
            return refused(exc)
        return Response({"status": InvitationStatus.DECLINED})
