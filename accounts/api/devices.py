"""Managing a teen's devices in the API: the teen for themself, a guardian for their teen. The
same services as the pages (`accounts.devices.services`); the token is in the 201 answer only."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.devices.services import (
    DeviceStatus,
    device_register,
    device_rename,
    device_revoke,
    device_statuses,
    teen_for_device_manager,
)
from accounts.models import Device, InstallType, Platform
from accounts.selectors import device_for_user
from familypairing.api import ErrorSerializer


class DeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    teen = serializers.IntegerField(source="teen_id")
    name = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    token_hint = serializers.SerializerMethodField(help_text="The token's first characters.")
    created_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField(
        allow_null=True, help_text="When the device last reported or fetched its policy."
    )
    revoked_at = serializers.DateTimeField(allow_null=True)
    acked_version = serializers.CharField(help_text="The policy version it last applied.")
    acked_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(
        allow_null=True, help_text="When the client last sent a heartbeat."
    )
    client_version = serializers.CharField()
    install_type = serializers.ChoiceField(
        choices=[("", "Not reported"), *InstallType.choices],
        help_text="How the browser extension is installed, as chrome.management reports it.",
    )
    may_disable = serializers.BooleanField(
        allow_null=True, help_text="Can it be switched off on the device?"
    )
    incognito_allowed = serializers.BooleanField(
        allow_null=True, help_text="Does it run in private (incognito) windows?"
    )
    clock_skew_seconds = serializers.IntegerField(
        allow_null=True, help_text="The device's clock minus the server's at the last heartbeat."
    )
    removed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the client was uninstalled from the device."
    )

    def get_token_hint(self, device: Device) -> str:
        return f"{device.token_prefix}…"


class DeviceStatusSerializer(serializers.Serializer):
    device = DeviceSerializer()
    applied = serializers.BooleanField(help_text="Has it applied the current policy version?")
    applied_at = serializers.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(
        choices=["applied", "not_applied", "never_connected", "removed", "revoked"],
        help_text="`removed`: the client was uninstalled from the device (its uninstall "
        "address was opened); `revoked`: its token was revoked on the site.",
    )


class DeviceRegisterInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, help_text="e.g. “Tom's phone”.")
    platform = serializers.ChoiceField(choices=Platform.choices, default=Platform.OTHER)


class DeviceRegisteredSerializer(serializers.Serializer):
    device = DeviceSerializer()
    token = serializers.CharField(
        help_text="Shown this once: enter it in the app on the device. Only a hash is kept."
    )


class DeviceRenameInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)


_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Not your device or teen.")
_INVALID = OpenApiResponse(description="Field-named errors: `{field: [message]}`.")


def _status_data(status_: DeviceStatus) -> dict:
    return {
        "device": DeviceSerializer(status_.device).data,
        "applied": status_.applied,
        "applied_at": status_.applied_at,
        "state": status_.state,
    }


class TeenDevicesView(APIView):
    @extend_schema(
        summary="A teen's devices, with whether each applied the current rules",
        responses={200: DeviceStatusSerializer(many=True), 401: ErrorSerializer, 404: _NOT_FOUND},
        tags=["devices"],
    )
    def get(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_device_manager(user=request.user, teen_id=teen_id)
        return Response([_status_data(s) for s in device_statuses(teen=teen)])

    @extend_schema(
        summary="Register a device; the answer holds its token, shown once",
        request=DeviceRegisterInputSerializer,
        responses={
            201: DeviceRegisteredSerializer,
            400: _INVALID,
            401: ErrorSerializer,
            404: _NOT_FOUND,
        },
        tags=["devices"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_device_manager(user=request.user, teen_id=teen_id)
        data = DeviceRegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, token = device_register(teen=teen, actor=request.user, **data.validated_data)
        return Response(
            {"device": DeviceSerializer(device).data, "token": token},
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class DeviceDetailView(APIView):
    @extend_schema(
        summary="One device",
        responses={200: DeviceSerializer, 401: ErrorSerializer, 404: _NOT_FOUND},
        tags=["devices"],
    )
    def get(self, request: Request, device_id: int) -> Response:
        device = device_for_user(user=request.user, device_id=device_id)
        return Response(DeviceSerializer(device).data)

    @extend_schema(
        summary="Rename a device",
        request=DeviceRenameInputSerializer,
        responses={
            200: DeviceSerializer,
            400: _INVALID,
            401: ErrorSerializer,
            404: _NOT_FOUND,
        },
        tags=["devices"],
    )
    def patch(self, request: Request, device_id: int) -> Response:
        device = device_for_user(user=request.user, device_id=device_id)
        data = DeviceRenameInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_rename(device=device, actor=request.user, name=data.validated_data["name"])
        return Response(DeviceSerializer(device).data)


class DeviceRevokeView(APIView):
    @extend_schema(
        summary="Revoke a device's token (it gets 401 from then on); safe to repeat",
        request=None,
        responses={200: DeviceSerializer, 401: ErrorSerializer, 404: _NOT_FOUND},
        tags=["devices"],
    )
    def post(self, request: Request, device_id: int) -> Response:
        device = device_for_user(user=request.user, device_id=device_id)
        device_revoke(device=device, actor=request.user)
        return Response(DeviceSerializer(device).data)
