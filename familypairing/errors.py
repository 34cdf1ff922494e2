"""Errors the JSON APIs answer in JSON (issue 11, item 7).

With PostgreSQL or Redis unreachable, a device or an app must be told "try again later", not
shown Django's HTML error page: every `/api/` and `/_allauth/` route answers **503** with
`Retry-After` when a backing service is unreachable, and a JSON **500** with no detail of the
error for anything else (the traceback goes to the log only). Three places catch, so that no
path is left out: DRF's exception handler (`familypairing.api`) for DRF views,
`ApiErrorMiddleware.process_exception` for the other views (the device API's hot paths,
allauth's headless views), and `handler500` for what fails outside a view (a middleware). Pages
keep their HTML error page.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import kombu.exceptions
import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error

logger = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/_allauth/")
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "A service this request needs is unreachable; try again later."
SERVER_ERROR = "Something went wrong on our side; it has been logged."

# What a database, cache or broker that is down or not answering raises.
SERVICE_UNREACHABLE = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)


def is_json_api(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES)


def _body(request: HttpRequest, status: int, message: str, code: str) -> dict:
    if request.path.startswith("/_allauth/"):  # allauth's own error shape
        return {"status": status, "errors": [{"message": message, "code": code}]}
    return {"detail": message}


def error_response(request: HttpRequest, exc: BaseException) -> JsonResponse:
    """The JSON answer for `exc`, logged: 503 with Retry-After for an unreachable service,
    else 500."""
    if isinstance(exc, SERVICE_UNREACHABLE):
        # Expected during an outage and frequent: one line, no traceback.
        logger.warning(
            "Service unreachable (%s) on %s %s: answered 503",
            type(exc).__name__,
            request.method,
            request.path,
        )
        response = JsonResponse(_body(request, 503, UNAVAILABLE, "unavailable"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": request},
    )
    return JsonResponse(_body(request, 500, SERVER_ERROR, "server_error"), status=500)


class ApiErrorMiddleware:
    """JSON errors for exceptions raised in the views of the JSON APIs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_json_api(request):
            return None
        return error_response(request, exc)


def handler500(request: HttpRequest) -> HttpResponse:
    """Django's last resort (an exception outside a view, logged by Django already): JSON for
    the JSON APIs, the HTML page elsewhere."""
    if not is_json_api(request):
        return server_error(request)
    exc = sys.exc_info()[1]
    if isinstance(exc, SERVICE_UNREACHABLE):
        response = JsonResponse(_body(request, 503, UNAVAILABLE, "unavailable"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(_body(request, 500, SERVER_ERROR, "server_error"), status=500)


# --- The schema: every operation may answer 500 and 503 ----------------------------------------


def add_server_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: documents the 500 and 503 (with Retry-After) that
    any operation may answer."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ServerError",
        {
            "type": "object",
            "properties": {"detail": {"type": "string", "readOnly": True}},
            "required": ["detail"],
        },
    )
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/ServerError"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "500", {"description": "An unexpected error (logged).", "content": content}
            )
            responses.setdefault(
                "503",
                {
                    "description": "A backing service (database, cache, broker) is unreachable: "
                    "retry after the number of seconds in Retry-After.",
                    "headers": {
                        "Retry-After": {
                            "schema": {"type": "integer", "minimum": 1},
                            "description": "Seconds to wait before retrying.",
                        }
                    },
                    "content": content,
                },
            )
    return result
