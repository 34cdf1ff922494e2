from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import MeSerializer, ProfileUpdateSerializer
from accounts.profile import user_profile_update
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
        summary="Change my name or time zone",
    )
    def patch(self, request: Request) -> Response:
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        user_profile_update(
            user=user,
            display_name=serializer.validated_data.get("display_name", user.display_name),
            time_zone=serializer.validated_data.get("time_zone", user.time_zone),
        )
        return Response(MeSerializer(user).data)
