"""Every URL pattern of the project, walked from the root resolver.

Shared by the access-control matrix (tests/access/test_matrix.py) and the security checks
(tests/security/), so both see the same list: a page added anywhere shows up here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full route (`teens/<int:teen_id>/`), its name and its view."""

    route: str
    name: str
    callback: object

    @property
    def key(self) -> str:
        """How the matrix refers to it: the URL name, or the route for an unnamed pattern."""
        return self.name or self.route

    @property
    def kwargs(self) -> tuple[str, ...]:
        return tuple(match["name"] for match in _CONVERTER.finditer(self.route))

    @property
    def openapi_path(self) -> str:
        """The route as drf-spectacular writes it: `/api/v1/teens/{teen_id}/rules`."""
        return "/" + _CONVERTER.sub(lambda match: "{" + match["name"] + "}", self.route)

    def path(self, **values: object) -> str:
        missing = [name for name in self.kwargs if name not in values]
        if missing:
            raise KeyError(f"{self.key}: no value for {', '.join(missing)}")
        return "/" + _CONVERTER.sub(lambda match: str(values[match["name"]]), self.route)


def _pattern_text(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    # A regex pattern (allauth and the admin use a few): keep it readable, without anchors.
    return str(pattern).lstrip("^").rstrip("$").replace("\\Z", "")


def _walk(patterns, prefix: str, namespace: str) -> Iterator[Route]:
    for pattern in patterns:
        text = prefix + _pattern_text(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, text, inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or ""
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(route=text, name=name, callback=pattern.callback)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))
