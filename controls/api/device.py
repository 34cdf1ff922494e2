"""The device API (`/api/v1/device/…`), authenticated with `Authorization: Bearer <device token>`.

These are the hot paths (every teen's phone, every minute), so the views are thin `APIView`s
that hand-parse tiny bodies and answer with plain dicts; serializers below exist for the schema
(and for the rarely used time-request endpoint). The policy GET and the usage POST go further
(issue 8, measured by `make bench`): a request with a valid token is answered before DRF's
per-request machinery, from the policy cache (`controls.effective.cache`); anything else (no or a
bad token, an unsupervised teen, another content type) goes through DRF as usual, so errors
keep their DRF shape and the documented behaviour is the same either way.

A device acts for its own teen only: the teen is taken from the token, never from the request,
so no URL or body can name another teen.
"""

from __future__ import annotations

import json
import re

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.devices.auth import DeviceTokenAuthentication, device_and_cached_for_request
from controls.api import device_channel
from controls.api.app_policy_schema import AppRuleStateSerializer
from controls.api.device_schema import ETAG_HEADER, IF_NONE_MATCH, WAIT_QUERY, PolicySerializer
from controls.api.requests import TimeRequestCreateSerializer, TimeRequestSerializer
from controls.effective.cache import (
    policy_entry_for_teen,
    policy_entry_keys,
    render_json,
    usage_context_keys,
)
from controls.effective.inputs import browsing_rules
from controls.enforcement.acks import device_policy_ack
from controls.policy import Reason
from controls.rules import exports
from controls.rules.selectors import rules_ensure_for_teen
from controls.time_requests.services import time_request_create
from controls.usage.events import MAX_EVENTS_PER_BATCH, UsageRejected, usage_events_parse
from controls.usage.services import usage_record_batch
from familypairing.api import ErrorSerializer

VERSION_PATTERN = re.compile(r"^[0-9a-f]{1,64}$")
CACHE_CONTROL = device_channel.CACHE_CONTROL


class DeviceIsSupervised(permissions.BasePermission):
    message = (
        "This account has no parent or guardian linked, so nothing is enforced: the device may "
        "stop applying rules."
    )
    code = "not_supervised"

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.auth, "supervised", False))


class DeviceAPIView(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [permissions.IsAuthenticated, DeviceIsSupervised]


# --- Schema-only serializers -------------------------------------------------------------------


class AckInputSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64, help_text="The policy version applied.")


class AckSerializer(serializers.Serializer):
    version = serializers.CharField()
    current_version = serializers.CharField()
    applied_current = serializers.BooleanField(
        help_text="False: the policy changed since; fetch it again."
    )


class UsageEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Made by the device; a retry reuses it.")
    started_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone offset.")
    seconds = serializers.IntegerField(min_value=1, max_value=3600)
    app = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The app in the foreground (its identifier), or for a site `web:<registrable "
        "domain>`, e.g. `web:example.com` for https://www.example.com/watch, `web:bbc.co.uk` "
        "for news.bbc.co.uk (by the Public Suffix List; the server normalises case, "
        "subdomains and Unicode names, and refuses what is not a domain). Events of different "
        "apps may overlap (two windows at once): each app gets its seconds, the daily limit "
        "counts the clock once per device.",
    )


class UsageInputSerializer(serializers.Serializer):
    events = UsageEventSerializer(many=True, help_text=f"At most {MAX_EVENTS_PER_BATCH}.")


class UsageSerializer(serializers.Serializer):
    booked = serializers.ListField(child=serializers.UUIDField())
    ignored = serializers.ListField(
        child=serializers.UUIDField(), help_text="Already booked earlier (a retry)."
    )
    allowed = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=[reason.value for reason in Reason])
    seconds_left = serializers.IntegerField(allow_null=True)
    used_seconds = serializers.IntegerField()
    limit_seconds = serializers.IntegerField(allow_null=True)
    next_change_at = serializers.DateTimeField(allow_null=True)
    warnings_due = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The \u201cN minutes left\u201d warnings due now (largest first), as in the "
        "policy: time running down does not change the policy's version, so a client learns "
        "of a warning here.",
    )
    version = serializers.CharField(help_text="Fetch the policy again when this changes.")
    app_rules = AppRuleStateSerializer(
        many=True, help_text="Each app and category rule now, as in the policy (issue 13)."
    )


class UsageErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    events = serializers.ListField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        required=False,
        help_text="One entry per event sent, in order; {} for an event that was fine.",
    )


_AUTH_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="Missing, unknown or revoked token."),
    403: OpenApiResponse(
        ErrorSerializer, description="The teen has no guardian linked: nothing to enforce."
    ),
}


# --- Views -------------------------------------------------------------------------------------


def _accepts_json(request: HttpRequest) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return not accept or any(
        kind in accept for kind in ("application/json", "*/*", "application/*")
    )


class DevicePolicyView(DeviceAPIView):
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "GET" and _accepts_json(request):
            # The device and its teen's cached policy, in one round trip to the cache.
            device, found = device_and_cached_for_request(request, teen_keys=policy_entry_keys)
            if device is not None:
                response = self._answer(request, device.teen, found)
                if response is not None:  # (None: the token was revoked while held)
                    return response
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _answer(request, teen, found: dict | None = None) -> HttpResponse | None:
        if request.GET:  # the change channel (controls.api.device_channel)
            try:
                wait = device_channel.wait_seconds(request)
            except device_channel.WaitInvalid as error:
                return device_channel.wait_invalid_response(error)
            return device_channel.hold_in_thread(request, teen=teen, wait=wait)
        entry = policy_entry_for_teen(teen=teen, found=found)
        return device_channel.entry_response(request, entry)

    @extend_schema(
        summary="The effective policy for this device's teen",
        description="Send the last ETag in If-None-Match: 304 with no body while nothing that "
        "matters has changed. Ask again at `next_change_at` at the latest.\n\n"
        "**The change channel**: add `wait=<seconds>` (1–55) to hold the request open (a long "
        "poll): it is answered at once if the policy differs from your ETag, else as soon as "
        "it changes (a grant, a rule change, a lock, the limit reached, a downtime starting, "
        "an answer to a time request), else with 304 when the wait ends. Ask again at once "
        "after each answer; after a 503, after its Retry-After.\n\n"
        "**Clock**: every answer carries the HTTP `Date` header (the server's clock, to the "
        "second); `POST /api/v1/device/heartbeat` answers `server_time` and the skew it measured.",
        parameters=[
            WAIT_QUERY,
            IF_NONE_MATCH,
            ETAG_HEADER,
        ],
        responses={
            200: PolicySerializer,
            304: OpenApiResponse(
                description="Not modified (or, with `wait`, nothing changed during the wait): "
                "keep applying the policy you have."
            ),
            400: OpenApiResponse(ErrorSerializer, description="`wait` out of range."),
            **_AUTH_ERRORS,
        },
        tags=["device"],
    )
    def get(self, request: Request) -> HttpResponse:
        response = self._answer(request, request.user)
        if response is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked device token.")
        return response


class DevicePolicyAckView(DeviceAPIView):
    @extend_schema(
        summary="Acknowledge the policy version the device applied",
        description="Guardians see “applied on <device> at 18:02” while the acknowledged version "
        "is the current one, and “not yet applied” otherwise.",
        request=AckInputSerializer,
        responses={200: AckSerializer, 400: ErrorSerializer, **_AUTH_ERRORS},
        tags=["device"],
    )
    def post(self, request: Request) -> Response:
        version = request.data.get("version") if isinstance(request.data, dict) else None
        if not isinstance(version, str) or not VERSION_PATTERN.match(version):
            return Response(
                {"detail": "Send the applied policy's version.", "version": ["Not a version."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        ack = device_policy_ack(device=request.auth, version=version)
        return Response(
            {
                "version": ack.version,
                "current_version": ack.current_version,
                "applied_current": ack.applied_current,
            }
        )


def _usage_answer(device, payload, cached: dict | None = None) -> HttpResponse:
    now = timezone.now()
    try:
        events = usage_events_parse(payload, now=now)
        result = usage_record_batch(device=device, events=events, now=now, cached=cached)
    except UsageRejected as rejected:
        return HttpResponse(
            render_json(rejected.as_dict()),
            status=status.HTTP_400_BAD_REQUEST,
            content_type="application/json",
        )
    policy = result.policy
    answer = {
        "booked": [str(event_id) for event_id in result.booked],
        "ignored": [str(event_id) for event_id in result.ignored],
        "allowed": policy.allowed,
        "reason": policy.reason.value,
        "seconds_left": policy.seconds_left,
        "used_seconds": policy.used_seconds,
        "limit_seconds": policy.limit_seconds,
        "next_change_at": policy.to_dict()["next_change_at"],
        "warnings_due": list(policy.warnings_due),
        "version": policy.version,
        "app_rules": [result.to_dict() for result in policy.app_rules],
    }
    return HttpResponse(render_json(answer), content_type="application/json")


class DeviceUsageView(DeviceAPIView):
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            request.method == "POST"
            and request.content_type == "application/json"
            and _accepts_json(request)
        ):
            device, found = device_and_cached_for_request(request, teen_keys=usage_context_keys)
            if device is not None:
                try:
                    payload = json.loads(request.body)
                except ValueError:
                    pass  # DRF words the parse error
                else:
                    return _usage_answer(device, payload, found)
        return super().dispatch(request, *args, **kwargs)

    @extend_schema(
        summary="Report usage (a batch of events)",
        description="Each event is booked on the teen's local day (split at the day start). "
        "An event id already booked is ignored, so retries are safe. One bad event rejects "
        "the batch with an error per event and books nothing. Time in always-allowed apps is "
        "recorded but not counted. The answer carries the time left and the policy version.",
        request=UsageInputSerializer,
        responses={200: UsageSerializer, 400: UsageErrorSerializer, **_AUTH_ERRORS},
        tags=["device"],
    )
    def post(self, request: Request) -> HttpResponse:
        return _usage_answer(request.auth, request.data)


class DeviceTimeRequestView(DeviceAPIView):
    @extend_schema(
        summary="Ask for more time today, from this device",
        description="Every guardian is told at once, in the app and by e-mail.",
        request=TimeRequestCreateSerializer,
        responses={
            201: TimeRequestSerializer,
            400: OpenApiResponse(description="Field-named errors: `{field: [message]}`."),
            **_AUTH_ERRORS,
        },
        tags=["device"],
    )
    def post(self, request: Request) -> Response:
        data = TimeRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        time_request = time_request_create(
            teen=request.user,
            minutes=data.validated_data["minutes"],
            reason=data.validated_data["reason"],
            device=request.auth,
        )
        return Response(TimeRequestSerializer(time_request).data, status=status.HTTP_201_CREATED)


class _BlocklistView(DeviceAPIView):
    render_text = staticmethod(exports.hosts_file)

    def get(self, request: Request) -> HttpResponse:
        teen = request.user
        rules = rules_ensure_for_teen(teen=teen)
        headers = {"ETag": f'"rules-{teen.pk}-{rules.version}"', "Cache-Control": CACHE_CONTROL}
        if device_channel.etag_matches(request.headers.get("If-None-Match", ""), headers["ETag"]):
            return HttpResponseNotModified(headers=headers)
        text = self.render_text(browsing=browsing_rules(rules), version=rules.version)
        return HttpResponse(text, content_type="text/plain; charset=utf-8", headers=headers)


_TEXT = {
    (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR),
    304: OpenApiResponse(description="Not modified."),
    **_AUTH_ERRORS,
}


class DeviceHostsView(_BlocklistView):
    render_text = staticmethod(exports.hosts_file)

    @extend_schema(
        summary="The teen's blocked sites as a hosts file",
        operation_id="device_blocklist_hosts",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses=_TEXT,
        tags=["device"],
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class DeviceAdguardView(_BlocklistView):
    render_text = staticmethod(exports.adguard_list)

    @extend_schema(
        summary="The teen's site rules as an AdGuard / Pi-hole list",
        operation_id="device_blocklist_adguard",
        parameters=[IF_NONE_MATCH, ETAG_HEADER],
        responses=_TEXT,
        tags=["device"],
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)
