from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import MeSerializer
from familypairing.api import ErrorSerializer


class MeView(APIView):
    @extend_schema(
        responses={200: MeSerializer, 401: OpenApiResponse(ErrorSerializer, "Not signed in.")},
        summary="The signed-in user",
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
