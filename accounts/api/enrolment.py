"""The device's own account endpoints: linking with a code (RFC 8628) and the heartbeat.

`POST /api/v1/device/enrolment` (no credentials: the device has none yet) answers a device code,
a user code and the verification addresses; `POST /api/v1/device/enrolment/token` is polled with
the device code until someone approves on the site. `POST /api/v1/device/heartbeat` (device
token) records what the client says about itself. Rules live in `accounts.devices.enrolment`,
`accounts.devices.removal` and `controls.enforcement.heartbeat`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.devices.enrolment import (
    EXPIRES,
    GRANT_TYPE,
    EnrolmentError,
    device_enrolment_poll,
    device_enrolment_start,
)
from accounts.devices.removal import device_removed_secret_ensure, removed_path_for_token
from accounts.models import InstallType, Platform
from accounts.pairing.throttle import (
    TooManyAttempts,
    attempt_begin,
    attempt_key,
    client_address,
    client_address_key,
)
from controls.api.device import DeviceAPIView
from controls.enforcement.heartbeat import CLIENT_VERSION_MAX_LENGTH, device_heartbeat
from familypairing.api import DEVICE_AUTH_ERRORS, ErrorSerializer

# Starting an enrolment needs no credentials: at most this many per address in the window.
STARTS_PER_ADDRESS = 30
STARTS_WINDOW = timedelta(minutes=10)
VERSION_PATTERN = re.compile(r"^[0-9a-f]{1,64}$")

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    int,
    OpenApiParameter.HEADER,
    description="Seconds to wait before asking again.",
    response=[429],
)


# --- serializers ---------------------------------------------------------------------------------


class EnrolmentStartInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(
        choices=Platform.choices, help_text="The kind of device, shown on the approval page."
    )
    suggested_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=80,
        default="",
        help_text="A name to offer, e.g. “Chrome on the school laptop”; the person approving "
        "may change it.",
    )


class EnrolmentStartSerializer(serializers.Serializer):
    device_code = serializers.CharField(
        help_text="The device's secret for polling the token endpoint; never shown to anyone."
    )
    user_code = serializers.CharField(
        help_text="8 letters shown as XXXX-XXXX, to be typed at `verification_uri`."
    )
    verification_uri = serializers.URLField(help_text="Where the user code is typed.")
    verification_uri_complete = serializers.URLField(
        help_text="The same address with the code filled in: show it as a QR code."
    )
    expires_in = serializers.IntegerField(help_text="Seconds until both codes expire.")
    interval = serializers.IntegerField(
        help_text="Seconds to wait between two polls of the token endpoint."
    )


class EnrolmentTokenInputSerializer(serializers.Serializer):
    grant_type = serializers.ChoiceField(
        choices=[GRANT_TYPE], help_text="Always `urn:ietf:params:oauth:grant-type:device_code`."
    )
    device_code = serializers.CharField(max_length=200)


class EnrolledDeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    teen = serializers.IntegerField(source="teen_id", help_text="The teen's user id.")


class EnrolmentTokenSerializer(serializers.Serializer):
    device_token = serializers.CharField(
        help_text="Send as `Authorization: Bearer <device_token>` on every device request. "
        "Handed out once; only a hash is kept."
    )
    token_type = serializers.ChoiceField(choices=["Bearer"])
    device = EnrolledDeviceSerializer()
    removed_url = serializers.URLField(
        help_text="This device's uninstall address: a browser extension passes it to "
        "chrome.runtime.setUninstallURL, so its removal tells the guardians at once."
    )


class EnrolmentErrorSerializer(serializers.Serializer):
    error = serializers.ChoiceField(
        choices=[
            "authorization_pending",
            "slow_down",
            "expired_token",
            "access_denied",
            "invalid_grant",
            "invalid_request",
        ],
        help_text="As in RFC 8628 §3.5: `authorization_pending` (keep polling), `slow_down` "
        "(keep polling, 5 s more between polls), `expired_token` (start again), "
        "`access_denied` (refused on the site), `invalid_grant` (unknown or already used "
        "code), `invalid_request` (a field is missing or wrong).",
    )
    error_description = serializers.CharField()


class HeartbeatInputSerializer(serializers.Serializer):
    applied_version = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=70,
        help_text="The policy version (its ETag, with or without quotes) the device applies.",
    )
    client_version = serializers.CharField(
        required=False, allow_blank=True, max_length=CLIENT_VERSION_MAX_LENGTH, default=""
    )
    install_type = serializers.ChoiceField(
        choices=InstallType.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="For a browser extension: `chrome.management.getSelf().installType`.",
    )
    may_disable = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="`chrome.management.getSelf().mayDisable`: can the user switch it off?",
    )
    incognito_allowed = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="`chrome.extension.isAllowedIncognitoAccess()`: does it run in private windows?",
    )
    device_time = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The device's clock now (ISO 8601 with an offset), for the skew.",
    )

    def validate_applied_version(self, value: str) -> str:
        bare = value.strip().removeprefix("W/").strip('"')
        if bare and not VERSION_PATTERN.match(bare):
            raise serializers.ValidationError("Not a policy version.")
        return bare


class HeartbeatSerializer(serializers.Serializer):
    server_time = serializers.DateTimeField(help_text="The server's clock (UTC).")
    clock_skew_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="`device_time` minus `server_time`, rounded (positive: the device is ahead); "
        "null when no `device_time` was sent.",
    )
    current_version = serializers.CharField(
        allow_null=True, help_text="The current policy version; null if none was sent."
    )
    applied_current = serializers.BooleanField(
        allow_null=True, help_text="Is `applied_version` the current one? Else fetch the policy."
    )
    tamper_signals = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["may_disable", "not_in_incognito", "developer_install", "clock_skew"]
        ),
        help_text="What makes this device easier to get around (guardians are told of each "
        "new one): it may be switched off, it does not run in incognito, it was installed "
        "outside the store, or its clock is more than 5 minutes off.",
    )
    removed_url = serializers.URLField(help_text="This device's uninstall address.")


def _enrolment_error(error: str, description: str) -> Response:
    return Response(
        {"error": error, "error_description": description},
        status=status.HTTP_400_BAD_REQUEST,
        headers={"Cache-Control": "no-store"},
    )


# --- views ---------------------------------------------------------------------------------------


class DeviceEnrolmentView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(
        operation_id="device_enrolment_start",
        summary="Ask to link this device (RFC 8628 device authorization request)",
        description="No credentials. Show `user_code` and a QR code of "
        "`verification_uri_complete`; the teen or a guardian, signed in on the site, enters "
        "it and approves. Then poll `POST /api/v1/device/enrolment/token` every `interval` "
        "seconds until it answers the device token (within `expires_in` seconds).",
        request=EnrolmentStartInputSerializer,
        responses={
            200: EnrolmentStartSerializer,
            400: OpenApiResponse(description="Field-named errors: `{field: [message]}`."),
            429: OpenApiResponse(ErrorSerializer, description="Too many from this address."),
        },
        parameters=[RETRY_AFTER],
        auth=[],
        tags=["device enrolment"],
    )
    def post(self, request: Request) -> Response:
        data = EnrolmentStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = attempt_key(
            scope="device-enrolment:address", value=client_address_key(client_address(request))
        )
        try:
            attempt_begin(keys=(key,), limit=STARTS_PER_ADDRESS, window=STARTS_WINDOW)
        except TooManyAttempts as exc:
            return Response(
                {"detail": "Too many link requests from this address; try again later."},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after)},
            )
        try:
            started = device_enrolment_start(**data.validated_data)
        except ValidationError as error:
            return Response(error.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "device_code": started.device_code,
                "user_code": started.user_code,
                "verification_uri": request.build_absolute_uri(started.verification_path),
                "verification_uri_complete": request.build_absolute_uri(
                    started.verification_path_complete
                ),
                "expires_in": int(EXPIRES.total_seconds()),
                "interval": started.enrolment.interval,
            },
            headers={"Cache-Control": "no-store"},
        )


class DeviceEnrolmentTokenView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    # RFC 8628 §3.4 posts a form; JSON is accepted too.
    parser_classes = [parsers.JSONParser, parsers.FormParser]

    @extend_schema(
        operation_id="device_enrolment_token",
        summary="Poll for the device token (RFC 8628 device access token request)",
        description="Answers 400 with `authorization_pending` until the code is approved, then "
        "200 with the device token, once. Polling sooner than `interval` answers `slow_down` "
        "and adds 5 seconds to the interval.",
        # JSON only in the schema (generated clients send that); RFC 8628's form is accepted
        # as well.
        request={"application/json": EnrolmentTokenInputSerializer},
        responses={
            200: EnrolmentTokenSerializer,
            400: OpenApiResponse(
                EnrolmentErrorSerializer,
                description="Not (yet) a token: see `error`.",
                examples=[
                    OpenApiExample(
                        "pending",
                        value={
                            "error": "authorization_pending",
                            "error_description": "Waiting for the code to be entered.",
                        },
                    )
                ],
            ),
        },
        auth=[],
        tags=["device enrolment"],
    )
    def post(self, request: Request) -> Response:
        try:
            payload = request.data
        except (exceptions.ParseError, exceptions.UnsupportedMediaType):
            # Every answer of this endpoint has the RFC's shape, a body we cannot read too.
            return _enrolment_error("invalid_request", "Send a JSON object or a form.")
        data = EnrolmentTokenInputSerializer(data=payload)
        if not data.is_valid():
            field, messages = next(iter(data.errors.items()))
            return _enrolment_error("invalid_request", f"{field}: {messages[0]}")
        try:
            collected = device_enrolment_poll(device_code=data.validated_data["device_code"])
        except EnrolmentError as exc:
            return _enrolment_error(exc.error, exc.description)
        device = collected.device
        device_removed_secret_ensure(device=device, token=collected.token)
        return Response(
            {
                "device_token": collected.token,
                "token_type": "Bearer",  # nosec B105 - the scheme's name
                "device": EnrolledDeviceSerializer(device).data,
                "removed_url": request.build_absolute_uri(removed_path_for_token(collected.token)),
            },
            headers={"Cache-Control": "no-store"},
        )


class DeviceHeartbeatView(DeviceAPIView):
    @extend_schema(
        operation_id="device_heartbeat",
        summary="Tell the server how this device is doing (every few minutes)",
        description="Records the applied policy version (as an acknowledgement), the client's "
        "version, how it is installed and its clock. Guardians see it on the devices panel "
        "and are told when the device becomes easier to get around (`tamper_signals`). The "
        "answer carries the server's time, the measured clock skew and the uninstall address.",
        request=HeartbeatInputSerializer,
        responses={
            200: HeartbeatSerializer,
            400: OpenApiResponse(description="Field-named errors: `{field: [message]}`."),
            **DEVICE_AUTH_ERRORS,
        },
        tags=["device"],
    )
    def post(self, request: Request) -> Response:
        data = HeartbeatInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = request.auth
        token = request.META.get("HTTP_AUTHORIZATION", "").split()[-1]
        secret_path = removed_path_for_token(token)
        device_removed_secret_ensure(device=device, token=token)
        beat = device_heartbeat(device=device, **data.validated_data)
        return Response(
            {
                "server_time": beat.server_time,
                "clock_skew_seconds": beat.clock_skew_seconds,
                "current_version": beat.current_version,
                "applied_current": beat.applied_current,
                "tamper_signals": list(beat.tamper_signals),
                "removed_url": request.build_absolute_uri(secret_path),
            },
            headers={"Cache-Control": "no-store"},
        )
