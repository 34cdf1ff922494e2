"""`Authorization: Bearer <device token>` for the device API (and only for it: device views list
this class alone, so a device token never acts as the teen anywhere else in the API)."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.devices.services import device_and_cached, device_for_token, device_seen
from accounts.models import Device

KEYWORD = b"bearer"


def device_for_request(request) -> Device | None:
    """The device of a well-formed `Authorization: Bearer` header whose teen is supervised, for
    the device API's hot paths (issue 8), which answer without DRF's per-request machinery.
    None for anything else: the view then goes through DRF, which gives the usual 401/403."""
    return device_and_cached_for_request(request)[0]


def device_and_cached_for_request(
    request, teen_keys: Callable[[int], list[str]] | None = None
) -> tuple[Device | None, dict | None]:
    """`device_for_request`, with the cache entries `teen_keys` names for its teen when they
    came in the same round trip (see `accounts.devices.services.device_and_cached`)."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None, None
    device, found = device_and_cached(token=parts[1], teen_keys=teen_keys)
    if device is None or not getattr(device, "supervised", False):
        return None, None
    if not device_seen(device=device):
        return None, None
    return device, found


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
    target_class = "accounts.devices.auth.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "fpd_<hint>_<secret>",
            "description": "A device token, shown once when the device is registered.",
        }
