"""Your data in the API: export it (JSON) or delete the account. Thin: the rules are in
`controls.data_rights.services`, the same functions the pages call."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from controls.api.data_rights_schema import DataExportSerializer
from controls.api.requests import UNAUTHENTICATED
from controls.data_rights.services import account_delete, user_data_export


class DeleteAccountSerializer(serializers.Serializer):
    password = serializers.CharField(style={"input_type": "password"})
    confirm = serializers.BooleanField(help_text="Must be true.")


# --- your data -------------------------------------------------------------------------------


class DataExportView(APIView):
    @extend_schema(
        summary="Everything held about you, as JSON (guardians: with their teens' rules and usage)",
        responses={
            200: OpenApiResponse(DataExportSerializer, description="The export document."),
            401: UNAUTHENTICATED,
        },
    )
    def get(self, request: Request) -> Response:
        response = Response(user_data_export(user=request.user))
        response["Cache-Control"] = "no-store"
        return response


class AccountDeleteView(APIView):
    @extend_schema(
        summary="Delete your account: links end with notices, personal data is removed",
        request=DeleteAccountSerializer,
        responses={
            204: None,
            400: OpenApiResponse(description="Wrong password or not confirmed."),
            401: UNAUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        data = DeleteAccountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        errors = {}
        if not request.user.check_password(data.validated_data["password"]):
            errors["password"] = ["That password is not right."]
        if not data.validated_data["confirm"]:
            errors["confirm"] = ["Set confirm to true to delete your account."]
        if errors:
            raise exceptions.ValidationError(errors)
        account_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
