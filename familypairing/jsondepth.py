"""A depth limit for JSON request bodies, checked without recursion (issue 11, item 2).

Python's json parser recurses once per level of nesting, so about 2 KB of `[[[[…` (1,000
levels) raise RecursionError instead of a parse error: a 500 for what is bad input. No body this
API takes nests more than a few levels, so anything deeper than `MAX_DEPTH` is refused with a
400 before any parser sees it: by `JsonDepthMiddleware` for every JSON body (our API, which
parses some bodies itself on its hot paths, and allauth's headless API, which parses
`request.body` itself), and by `familypairing.api.JSONParser` for DRF wherever the middleware
is not in front.

The check works on the raw bytes at C speed: strings are cut out (a bracket in a string is not
nesting), everything but brackets is dropped, and the running depth is summed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import accumulate

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

MAX_DEPTH = 64
TOO_DEEP = f"The JSON body is nested more than {MAX_DEPTH} levels deep."
TOO_BIG = "The request body is too large."

# A JSON string, escapes included; written as an unrolled loop so that an unterminated string
# is given up in linear time.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_too_deep(body: bytes, *, limit: int = MAX_DEPTH) -> bool:
    """Whether `body` opens more than `limit` arrays or objects inside one another. A malformed
    body may pass (the parser then reports it) but never recurses deeper than `limit`."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS).translate(_STEP)
    # b"\x01" opens (+1), b"\xff" closes (-1 as a signed byte).
    return max(accumulate(1 if step == 1 else -1 for step in brackets), default=0) > limit


def _is_json(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


class JsonDepthMiddleware:
    """Answers 400 to a JSON request body nested too deeply, in the error shape of the API it
    was sent to (allauth's for /_allauth/, ours elsewhere)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and _is_json(request):
            try:
                body = request.body
            except RequestDataTooBig:  # (Django's limit, DATA_UPLOAD_MAX_MEMORY_SIZE)
                return bad_json_response(request, TOO_BIG, code="too_large")
            if json_too_deep(body):
                return bad_json_response(request, TOO_DEEP, code="json_too_deep")
        return self.get_response(request)


def bad_json_response(request: HttpRequest, message: str, *, code: str) -> JsonResponse:
    if request.path.startswith("/_allauth/"):
        body = {"status": 400, "errors": [{"message": message, "code": code}]}
    else:
        body = {"detail": message}
    return JsonResponse(body, status=400)
