from __future__ import annotations

from allauth.headless.contrib.rest_framework.authentication import XSessionTokenAuthentication
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionTokenAuthentication(XSessionTokenAuthentication):
    """allauth's headless app token (X-Session-Token). Listed first so that DRF answers an
    anonymous request with 401 and a WWW-Authenticate header rather than 403."""

    def authenticate_header(self, request) -> str:
        return 'X-Session-Token realm="api"'


class SessionTokenScheme(OpenApiAuthenticationExtension):
    target_class = "familypairing.auth.SessionTokenAuthentication"
    name = "appSessionToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Session-Token"}
