"""`Authorization: Bearer <device token>` for the device API (and only for it: device views list
this class alone, so a device token never acts as the teen anywhere else in the API)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.devices import device_for_token, device_seen
from accounts.models import Device

KEYWORD = b"bearer"


def device_for_request(request) -> Device | None:
    """The device of a well-formed `Authorization: Bearer` header whose teen is supervised, for
    the device API's hot paths (issue 8), which answer without DRF's per-request machinery.
    None for anything else: the view then goes through DRF, which gives the usual 401/403."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    device = device_for_token(token=parts[1])
    if device is None or not getattr(device, "supervised", False):
        return None
    if not device_seen(device=device):
        return None
    return device


class DeviceTokenAuthentication(BaseAuthentication):
    """Authenticates as the device's teen; `request.auth` is the Device.

    Unknown, malformed and revoked tokens all get the same 401 (with WWW-Authenticate), so the
    answer says nothing about which tokens once existed."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the device token as `Authorization: Bearer <token>`."
            )
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Unknown or revoked device token.") from None
        device = device_for_token(token=token)
        if device is None or not device_seen(device=device):
            raise exceptions.AuthenticationFailed("Unknown or revoked device token.")
        return device.teen, device

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="device"'


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.device_auth.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "fpd_<hint>_<secret>",
            "description": "A device token, shown once when the device is registered.",
        }
