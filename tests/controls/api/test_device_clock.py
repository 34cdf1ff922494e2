"""Every device answer tells the server's clock (issue 14, clock skew): the HTTP `Date` header,
which a client compares with its own clock; the heartbeat adds `server_time` to the millisecond."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from tests.device_support import register


@pytest.mark.django_db(transaction=True)
def test_the_policy_answer_carries_the_servers_clock(live_server, tom):
    _, token = register(tom)
    response = httpx.get(
        f"{live_server.url}/api/v1/device/policy",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200
    stamped = parsedate_to_datetime(response.headers["Date"])
    assert abs((datetime.now(UTC) - stamped).total_seconds()) < 5
