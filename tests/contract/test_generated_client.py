"""The contract: a Python client generated from the live `/api/schema/` by openapi-python-client,
unedited, runs a device's whole life against a live server: link with a code, read the policy,
get a 304, acknowledge, report usage twice (the retry counted once), ask for more time, and read
a guardian's answer. If the schema and the server disagree, this is where it shows."""

from __future__ import annotations

import importlib
import os
import subprocess  # nosec B404 - runs the generator from our own virtualenv
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.db.models import F
from django.test import Client as DjangoClient

from accounts.models import DeviceEnrolment
from controls.models import TeenDay
from tests.access.cast import app_token

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "fp_contract_client"


@pytest.fixture
def generated(live_server, tmp_path):
    """The client package, generated from what the live server serves, imported."""
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed (pip install -e '.[dev]')")
    schema = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert schema.status_code == 200
    path = tmp_path / "schema.json"
    path.write_bytes(schema.content)
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(  # nosec B603 - fixed arguments
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(path),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_runs_the_whole_device_flow(generated, live_server, alice, tom):
    client_module = generated("client")
    models = generated("models")
    start = generated("api.device_enrolment.device_enrolment_start")
    token_poll = generated("api.device_enrolment.device_enrolment_token")
    policy_get = generated("api.device.device_policy_retrieve")
    ack = generated("api.device.device_policy_ack_create")
    usage = generated("api.device.device_usage_create")
    ask = generated("api.device.device_time_requests_create")
    read_requests = generated("api.device.device_time_requests_list")
    approve = generated("api.time_requests.time_requests_approve_create")

    anonymous = client_module.Client(base_url=live_server.url)

    # 1. The device asks to be linked, and polls: pending.
    started = start.sync(
        client=anonymous,
        body=models.EnrolmentStartInputRequest(
            platform=models.PlatformEnum("chromeos"), suggested_name="Chromebook"
        ),
    )
    assert isinstance(started, models.EnrolmentStart), started
    grant = models.EnrolmentTokenInputRequest(
        grant_type=models.GrantTypeEnum("urn:ietf:params:oauth:grant-type:device_code"),
        device_code=started.device_code,
    )
    pending = token_poll.sync(client=anonymous, body=grant)
    assert isinstance(pending, models.EnrolmentError)
    assert pending.error.value == "authorization_pending"

    # 2. Tom, signed in, opens the QR link and approves.
    browser = DjangoClient()
    browser.force_login(tom)
    link_path = started.verification_uri_complete.removeprefix(live_server.url)
    assert browser.get(link_path).status_code == 200
    answer = browser.post(
        "/devices/link/",
        {
            "code": started.user_code,
            "decision": "approve",
            "name": "Tom's Chromebook",
            "teen": tom.pk,
        },
    )
    assert answer.status_code == 302, answer.content
    # The device waits its interval before polling again.
    DeviceEnrolment.objects.update(
        last_polled_at=F("last_polled_at") - timedelta(seconds=started.interval)
    )
    enrolled = token_poll.sync(client=anonymous, body=grant)
    assert isinstance(enrolled, models.EnrolmentToken), enrolled
    assert enrolled.device.name == "Tom's Chromebook"
    device = client_module.AuthenticatedClient(
        base_url=live_server.url, token=enrolled.device_token
    )

    # 3. The policy, then 304 with its ETag, then the acknowledgement.
    first = policy_get.sync_detailed(client=device)
    assert first.status_code == 200
    policy = first.parsed
    assert isinstance(policy, models.Policy)
    assert policy.allowed is True and isinstance(policy.browsing.restricted_mode, bool)
    assert isinstance(policy.offline_valid_until, datetime)
    etag = first.headers["ETag"]
    assert etag.strip('"') == f"{policy.version}-{policy.time_requests_version}"
    again = policy_get.sync_detailed(client=device, if_none_match=etag)
    assert again.status_code == 304
    acked = ack.sync(client=device, body=models.AckInputRequest(version=policy.version))
    assert isinstance(acked, models.Ack) and acked.applied_current is True

    # 4. Usage, and the same events again (a retry): counted once.
    now = datetime.now(UTC)
    events = [
        models.UsageEventRequest(
            id=uuid.uuid4(),
            started_at=now - timedelta(minutes=3),
            seconds=60,
            app="web:example.com",
        ),
        models.UsageEventRequest(
            id=uuid.uuid4(), started_at=now - timedelta(minutes=2), seconds=60
        ),
    ]
    booked = usage.sync(client=device, body=models.UsageInputRequest(events=events))
    assert isinstance(booked, models.Usage), booked
    assert len(booked.booked) == 2 and booked.ignored == []
    retried = usage.sync(client=device, body=models.UsageInputRequest(events=events))
    assert isinstance(retried, models.Usage)
    assert retried.booked == [] and sorted(retried.ignored) == sorted(e.id for e in events)
    assert retried.used_seconds == booked.used_seconds == 120
    assert TeenDay.objects.get(teen=tom).counted_seconds == 120

    # 5. Ask for more time; alice approves in her app; the device reads the answer.
    asked = ask.sync(
        client=device, body=models.TimeRequestCreateRequest(minutes=15, reason="homework")
    )
    assert isinstance(asked, models.TimeRequest), asked
    guardian = client_module.AuthenticatedClient(
        base_url=live_server.url,
        token=app_token(alice),
        prefix="",
        auth_header_name="X-Session-Token",
    )
    approved = approve.sync_detailed(
        client=guardian,
        time_request_id=asked.id,
        body=models.ApproveRequest(note="Go on then"),
    )
    assert approved.status_code == 200, approved.content
    (read,) = read_requests.sync(client=device)
    assert read.id == asked.id and read.status.value == "approved"
    assert read.note == "Go on then" and read.answered_by.display_name == alice.display_name
    assert policy_get.sync_detailed(client=device, if_none_match=etag).status_code == 200
