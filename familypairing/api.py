"""Shared API pieces: one error shape for every 4xx, never a 500 for bad input."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# What every device-token endpoint may answer besides its own statuses.
DEVICE_AUTH_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="Missing, unknown or revoked token."),
    403: OpenApiResponse(
        ErrorSerializer, description="The teen has no guardian linked: nothing to enforce."
    ),
}
