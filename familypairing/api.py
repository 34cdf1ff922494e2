"""Shared API pieces: one error shape for every 4xx, never a 500 for bad input, and a JSON 503
(with Retry-After) or 500 for what fails on our side (see familypairing.errors)."""

from __future__ import annotations

import io
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, parsers, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from familypairing.errors import error_response
from familypairing.jsondepth import TOO_DEEP, json_too_deep


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    # Not an API error: an outage (503) or a bug (500), answered in JSON, not as a page.
    request = context["request"]._request
    answer = error_response(request, exc)
    retry_after = answer.get("Retry-After")
    return Response(
        data=json.loads(answer.content),
        status=answer.status_code,
        headers={"Retry-After": retry_after} if retry_after else None,
    )


class JSONParser(parsers.JSONParser):
    """DRF's parser, refusing bodies nested deeper than `familypairing.jsondepth.MAX_DEPTH`
    before parsing (the parser recurses per level)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = stream.read() if stream is not None else b""
        if json_too_deep(data):
            raise exceptions.ParseError(TOO_DEEP)
        return super().parse(io.BytesIO(data), media_type, parser_context)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
