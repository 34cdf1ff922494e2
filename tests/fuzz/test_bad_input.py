"""Bad input everywhere: whatever a device, a guardian's form or a teen's code field sends, the
answer is a 2xx, a 3xx or a 4xx with a readable message (never a 5xx), and nothing is saved from
a request that was refused.

Hypothesis generates the input: usage event batches for the device API, the rule forms a
guardian posts, and the pairing code (page and API). Each example runs in a transaction that is
rolled back, so examples do not see each other's data; the same examples run every time
(derandomized), so a CI failure reproduces locally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accounts.models import GuardianLink, PairingInvitation
from controls.models import (
    AuditEvent,
    DailyUsage,
    DowntimeWindow,
    TeenDay,
    TeenRules,
    UsageEvent,
)

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example is rolled back: no state leaks
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# --- What the generators draw from ------------------------------------------------------------
nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "null",
            "-1",
            "0",
            "1e309",
            "NaN",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "%00",
            "🙂" * 30,
            "\u202e",
            "25:61",
            "23:59:60",
            "2026-02-30",
            "9" * 40,
        ]
    ),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
any_json = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@contextmanager
def rolled_back() -> Iterator[None]:
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def rows(*querysets) -> list:
    return [list(queryset.order_by("pk").values()) for queryset in querysets]


def messages_in(payload) -> list[str]:
    """Every string in an error body (DRF nests them under field names and indexes)."""
    if isinstance(payload, str):
        return [payload]
    if isinstance(payload, dict):
        return [m for value in payload.values() for m in messages_in(value)]
    if isinstance(payload, list):
        return [m for value in payload for m in messages_in(value)]
    return []


def assert_readable_api_error(response, sent) -> None:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    found = messages_in(response.json())
    assert any(len(m.split()) >= 2 for m in found), (
        f"{response.status_code} without a readable message: {response.content[:300]!r}\n"
        f"sent: {sent!r}"[:1000]
    )


def assert_not_a_server_error(response, sent) -> None:
    event(f"HTTP {response.status_code}")  # --hypothesis-show-statistics shows the mix
    assert response.status_code < 500, (
        f"{response.status_code} for {sent!r}"[:1000] + f"\n{response.content[:500]!r}"
    )


# --- Usage events (device API) ------------------------------------------------------------------


def _usage_event(now: datetime):
    valid_start = st.integers(min_value=1, max_value=6 * 3600).map(
        lambda ago: (now - timedelta(seconds=ago)).isoformat()
    )
    return st.fixed_dictionaries(
        {
            "id": st.one_of(st.uuids().map(str), json_scalars),
            "started_at": st.one_of(
                valid_start,
                st.datetimes(allow_imaginary=False).map(lambda d: d.isoformat()),  # naive
                st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
                json_scalars,
            ),
            "seconds": st.one_of(st.integers(min_value=-5, max_value=8000), json_scalars),
            "app": st.one_of(st.text(max_size=250), json_scalars),
        },
        optional={"extra": json_scalars},
    )


def _usage_body(now: datetime):
    return st.one_of(
        st.fixed_dictionaries({"events": st.lists(_usage_event(now), max_size=5)}),
        st.fixed_dictionaries({"events": any_json}),
        any_json,
    )


@pytest.fixture
def device_token(tom):
    from accounts.devices.services import device_register

    _, token = device_register(teen=tom, actor=tom, name="Tom's phone", platform="android")
    return token


NOW = datetime.now(tz=UTC).replace(microsecond=0)


@pytest.mark.fuzz
@pytest.mark.django_db
@BOUNDED
@given(body=_usage_body(NOW), raw=st.one_of(st.none(), st.binary(max_size=200)))
def test_usage_reports_never_crash_and_a_refused_batch_books_nothing(body, raw, tom, device_token):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {device_token}")
    usage = (UsageEvent.objects.all(), DailyUsage.objects.all(), TeenDay.objects.all())
    with rolled_back():
        before = rows(*usage)
        payload = raw if raw is not None else json.dumps(body)
        response = client.post("/api/v1/device/usage", payload, content_type="application/json")
        sent = raw if raw is not None else body
        assert_not_a_server_error(response, sent)
        if response.status_code >= 400:
            assert_readable_api_error(response, sent)
            assert rows(*usage) == before, f"a refused batch booked something: {sent!r}"
        else:
            answer = response.json()
            sent_ids = {str(e.get("id")) for e in body.get("events", []) if isinstance(e, dict)}
            assert set(answer["booked"]) <= sent_ids
            booked_seconds = sum(
                e["seconds"]
                for e in body["events"]
                if str(e.get("id")) in set(answer["booked"]) and isinstance(e["seconds"], int)
            )
            added = sum(day["total_seconds"] for day in TeenDay.objects.values("total_seconds"))
            assert added <= booked_seconds, f"booked more than was reported: {body!r}"


# --- The rule forms (guardian pages) --------------------------------------------------------------

FORMS = {
    "screen_time_limits": ["limit_mon", "limit_tue", "limit_wed", "limit_thu", "limit_fri",
                           "limit_sat", "limit_sun"],
    "screen_time_every_day": ["choice", "other_minutes"],
    "screen_time_options": ["warning_minutes", "day_start"],
    "downtime_create": ["new-name", "new-weekdays", "new-start", "new-end"],
    "teen_browsing": ["restricted_mode", "search_enabled", "keyword_filters", "domain_mode",
                      "domains"],
    "teen_privacy": ["private_account", "suggest_account", "live_streaming", "duet_stitch",
                     "downloads", "direct_messages", "comments", "liked_videos", "mute_start",
                     "mute_end"],
}  # fmt: skip
form_value = st.one_of(
    nasty_text,
    st.integers(min_value=-10, max_value=3000).map(str),
    st.sampled_from(["on", "off", "true", "none", "other", "everyone", "no_one", "friends",
                     "block", "allow_only", "21:00", "07:30", "0", "1440", "1441", "15, 5",
                     "example.com", "*.example.com", "http://x", "bücher.de"]),
)  # fmt: skip


@st.composite
def form_posts(draw):
    name = draw(st.sampled_from(sorted(FORMS)))
    fields = FORMS[name]
    data = {}
    for field in draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields))):
        data[field] = draw(st.lists(form_value, min_size=1, max_size=3))
    return name, data


@pytest.mark.fuzz
@pytest.mark.django_db
@BOUNDED
@given(post=form_posts())
def test_rule_forms_never_crash_and_a_rejected_form_saves_nothing(post, alice, tom):
    from django.urls import reverse

    name, data = post
    client = Client()
    client.force_login(alice)
    saved = (
        TeenRules.objects.filter(teen=tom),
        DowntimeWindow.objects.filter(teen=tom),
        AuditEvent.objects.filter(teen=tom),
    )
    with rolled_back():
        before = rows(*saved)
        response = client.post(reverse(name, args=[tom.pk]), data)
        assert_not_a_server_error(response, post)
        if response.status_code >= 400 or response.status_code == 200:
            page = response.content.decode()
            assert "errorlist" in page or "error" in page, f"rejected without saying why: {post}"
            assert rows(*saved) == before, f"a rejected form saved something: {post}"
        else:
            assert response.status_code == 302


# --- The pairing code (teen page and API) ---------------------------------------------------

code_like = st.one_of(
    nasty_text,
    st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ23456789abcdefgh01IL -_", min_size=0, max_size=20),
)


@pytest.fixture
def open_invitation(alice):
    from accounts.pairing.services import pairing_invitation_create

    invitation, secrets = pairing_invitation_create(parent=alice)
    return invitation, secrets


@pytest.fixture
def uma_token(uma) -> str:
    from tests.access.cast import app_token

    return app_token(uma)


def _pairing_state():
    return (GuardianLink.objects.all(), PairingInvitation.objects.all())


@pytest.mark.fuzz
@pytest.mark.django_db
@BOUNDED
@given(code=code_like)
def test_the_pairing_code_field_never_crashes_and_a_wrong_code_links_nobody(
    code, uma, open_invitation
):
    from accounts.pairing.services import normalize_code

    _, secrets = open_invitation
    client = Client()
    client.force_login(uma)
    with rolled_back():
        before = rows(*_pairing_state())
        response = client.post("/pair/", {"code": code})
        assert_not_a_server_error(response, code)
        if normalize_code(code) == secrets.code:
            assert response.status_code == 302
        else:
            assert response.status_code in {400, 429}, (response.status_code, code)
            page = response.content.decode()
            assert "errorlist" in page or "too many" in page.lower(), code
        assert rows(*_pairing_state()) == before  # looking up a code changes nothing


@pytest.mark.fuzz
@pytest.mark.django_db
@BOUNDED
@given(
    operation=st.sampled_from(["lookup", "accept", "decline"]),
    body=st.one_of(
        st.fixed_dictionaries({}, optional={"code": st.one_of(code_like, any_json)}),
        st.fixed_dictionaries({}, optional={"token": st.one_of(nasty_text, any_json)}),
        any_json,
    ),
)
def test_the_pairing_api_never_crashes_and_a_bad_code_links_nobody(
    operation, body, uma_token, open_invitation
):
    client = Client(HTTP_X_SESSION_TOKEN=uma_token)
    with rolled_back():
        before = rows(*_pairing_state())
        response = client.post(
            f"/api/v1/pairing/{operation}", json.dumps(body), content_type="application/json"
        )
        assert_not_a_server_error(response, body)
        assert response.status_code in {400, 429}, (response.status_code, body)
        assert_readable_api_error(response, body)
        assert rows(*_pairing_state()) == before
