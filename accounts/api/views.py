from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import (
    MeSerializer,
    ProfileUpdateSerializer,
    TeenTimeZoneSerializer,
    time_zone_change_data,
)
from accounts.profile import time_zone_change_apply_now, user_profile_update
from controls.access import teen_for_rule_change
from familypairing.api import ErrorSerializer


class MeView(APIView):
    @extend_schema(
        responses={200: MeSerializer, 401: OpenApiResponse(ErrorSerializer, "Not signed in.")},
        summary="The signed-in user",
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        request=ProfileUpdateSerializer,
        responses={
            200: MeSerializer,
            400: OpenApiResponse(description="A field is invalid; the error names it."),
            401: OpenApiResponse(ErrorSerializer, "Not signed in."),
        },
        summary="Change my name or time zone (a teen's new zone applies from their next day)",
    )
    def patch(self, request: Request) -> Response:
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        user_profile_update(
            user=user,
            display_name=serializer.validated_data.get("display_name", user.display_name),
            # Leaving the zone out keeps what was chosen (a pending change stays pending).
            time_zone=serializer.validated_data.get(
                "time_zone", user.pending_time_zone or user.time_zone
            ),
        )
        return Response(MeSerializer(user).data)


class TeenTimeZoneApplyView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: TeenTimeZoneSerializer,
            401: OpenApiResponse(ErrorSerializer, "Not signed in."),
            403: OpenApiResponse(ErrorSerializer, "The teen themself: only a guardian can."),
            404: OpenApiResponse(ErrorSerializer, "Not your teen."),
        },
        summary="Apply a teen's pending change of time zone now (a guardian); safe to repeat",
        tags=["time zone"],
    )
    def post(self, request: Request, teen_id: int) -> Response:
        teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
        applied = time_zone_change_apply_now(teen=teen, actor=request.user)
        teen.refresh_from_db()
        return Response(
            {
                "teen": teen.pk,
                "time_zone": teen.time_zone,
                "applied": applied,
                "time_zone_change": time_zone_change_data(teen, viewer=request.user),
            }
        )
