"""Helpers for tests of devices, usage and enforcement: a registered device with its token, and a
usage event body."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from accounts.devices.services import device_register
from accounts.models import Device, Platform


def register(teen, *, name: str = "Phone", actor=None) -> tuple[Device, str]:
    return device_register(teen=teen, actor=actor or teen, name=name, platform=Platform.ANDROID)


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def event(started_at: datetime, seconds: int, *, app: str = "", event_id=None) -> dict:
    return {
        "id": str(event_id or uuid.uuid4()),
        "started_at": started_at.isoformat(),
        "seconds": seconds,
        "app": app,
    }


def post_usage(client, token: str, events: list[dict]):
    return client.post(
        "/api/v1/device/usage",
        data=json.dumps({"events": events}),
        content_type="application/json",
        **auth(token),
    )
