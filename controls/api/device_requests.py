"""A device reads its teen's more-time requests and their answers (`/api/v1/device/time-requests`).

The teen comes from the device token, so a device sees only its own teen's requests: another
teen's request id is a 404, like any id that does not exist. An answer also bumps the teen's
policy generation (`controls.time_requests.services`), so the change channel tells the device
to read it.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from controls.api.device import DeviceAPIView, DeviceTimeRequestView
from controls.api.requests import TimeRequestSerializer
from controls.effective.selectors import teen_today
from controls.time_requests.selectors import time_request_for_user, time_requests_for_teen_on
from familypairing.api import DEVICE_AUTH_ERRORS, ErrorSerializer


class DeviceTimeRequestsView(DeviceTimeRequestView):
    """Asking (POST, `controls.api.device`) and reading (GET) at one address."""

    @extend_schema(
        operation_id="device_time_requests_list",
        summary="This teen's more-time requests of today, newest first",
        description="Today is the teen's day in the teen's time zone. Each request has its "
        "status (`pending`, `approved`, `denied`, `lapsed`), the minutes asked, the reason, "
        "and once answered who answered, when, and the guardian's note.",
        responses={200: TimeRequestSerializer(many=True), **DEVICE_AUTH_ERRORS},
        tags=["device"],
    )
    def get(self, request: Request) -> Response:
        teen = request.user
        day = teen_today(teen=teen)
        requests = time_requests_for_teen_on(teen=teen, local_date=day.local_date)
        return Response(TimeRequestSerializer(requests, many=True).data)


class DeviceTimeRequestDetailView(DeviceAPIView):
    @extend_schema(
        operation_id="device_time_requests_retrieve",
        summary="One of this teen's more-time requests",
        responses={
            200: TimeRequestSerializer,
            **DEVICE_AUTH_ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="Not this teen's request."),
        },
        tags=["device"],
    )
    def get(self, request: Request, time_request_id: int) -> Response:
        # The device's teen as the user: a request of anyone else's is a 404.
        time_request = time_request_for_user(user=request.user, time_request_id=time_request_id)
        return Response(TimeRequestSerializer(time_request).data)
