"""Deeply nested JSON is a clear 400 on every JSON route, ours and allauth's headless API
(issue 11, item 2): Python's parser recurses per level, so 1,000 levels were a RecursionError
and a 500."""

from __future__ import annotations

import json

import pytest

from familypairing.jsondepth import MAX_DEPTH, json_too_deep
from tests.access.resolver import all_routes
from tests.device_support import auth, register

DEEP_ARRAYS = "[" * 1000 + "]" * 1000  # about 2 KB
DEEP_OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000
UNCLOSED = "[" * 1000


def _json_routes() -> list[str]:
    """Every route of our API and of allauth's headless API, from the URL resolver (a new route
    is covered without touching this file)."""
    routes = []
    for route in all_routes():
        text = route.route.replace("(?:app|browser)", "app")
        if text.startswith(("api/v1/", "_allauth/")):
            routes.append(text)
    return routes


JSON_ROUTES = _json_routes()


def test_the_route_list_covers_both_apis():
    assert "api/v1/device/usage" in JSON_ROUTES
    assert "api/v1/time-requests" in JSON_ROUTES
    assert "_allauth/app/v1/auth/login" in JSON_ROUTES
    assert "_allauth/browser/v1/auth/signup" in JSON_ROUTES


@pytest.fixture
def signed_in(client, alice, tom):
    """alice's session for the API, tom's device token for the device API."""
    client.force_login(alice)
    _, token = register(tom)
    return client, token


def _path(route: str, tom) -> str:
    from tests.access.resolver import _CONVERTER

    return "/" + _CONVERTER.sub(
        lambda match: str(tom.pk if match["name"] == "teen_id" else 1), route
    )


def _assert_clear_400(response, route: str) -> None:
    assert response.status_code == 400, (route, response.status_code, response.content[:200])
    body = response.json()
    if route.startswith("_allauth/"):
        assert body["status"] == 400
        assert "nested more than 64 levels" in body["errors"][0]["message"]
    else:
        assert "nested more than 64 levels" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("route", JSON_ROUTES)
def test_every_json_route_answers_400_to_deep_nesting(signed_in, tom, route):
    client, token = signed_in
    extra = auth(token) if route.startswith("api/v1/device/") else {}
    response = client.post(
        _path(route, tom), data=DEEP_ARRAYS, content_type="application/json", **extra
    )
    _assert_clear_400(response, route)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route", ["_allauth/app/v1/auth/login", "api/v1/time-requests", "api/v1/device/usage"]
)
@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS, UNCLOSED])
@pytest.mark.parametrize("method", ["post", "patch"])
def test_every_shape_of_deep_nesting_is_refused(signed_in, tom, route, body, method):
    client, token = signed_in
    extra = auth(token) if route.startswith("api/v1/device/") else {}
    response = getattr(client, method)(
        _path(route, tom), data=body, content_type="application/json", **extra
    )
    _assert_clear_400(response, route)


@pytest.mark.django_db
def test_drfs_parser_refuses_it_without_the_middleware(client, tom, settings):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "familypairing.jsondepth.JsonDepthMiddleware"
    ]
    client.force_login(tom)  # a teen, so the request reaches the parser
    response = client.post(
        "/api/v1/time-requests", data=DEEP_OBJECTS, content_type="application/json"
    )
    _assert_clear_400(response, "api/v1/time-requests")


@pytest.mark.django_db
def test_nesting_at_the_limit_reaches_the_view(client, tom):
    client.force_login(tom)
    body = {"minutes": 15, "reason": "x"}
    for _ in range(MAX_DEPTH - 1):
        body = {"nested": body}
    body["minutes"] = 15
    response = client.post(
        "/api/v1/time-requests", data=json.dumps(body), content_type="application/json"
    )
    # The view's own validation answers (not the depth limit).
    assert "levels deep" not in response.content.decode()
    assert response.status_code in (201, 400)


@pytest.mark.parametrize(
    ("body", "too_deep"),
    [
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
        (b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), True),
        # Brackets inside strings (escaped quotes included) are not nesting.
        (b'{"a": "' + b"[" * 500 + b'"}', False),
        (b'{"a": "\\"' + b"[" * 500 + b'"}', False),
        (b'["\\\\"' + b",[" * 65 + b"]" * 65 + b"]", True),
        # Many siblings are not depth.
        (json.dumps([{"events": [{"id": i}]} for i in range(500)]).encode(), False),
        # An unterminated string still counts what follows conservatively, and fast.
        (b"[" * 70 + b'"' + b"a" * 100_000, True),
        (b"", False),
    ],
)
def test_the_depth_check(body, too_deep):
    assert json_too_deep(body) is too_deep


@pytest.mark.django_db
def test_a_body_over_djangos_size_limit_is_a_json_400(signed_in, tom, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client, token = signed_in
    response = client.post(
        "/api/v1/device/usage",
        data=json.dumps({"events": [], "padding": "x" * 2000}),
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is too large."}
