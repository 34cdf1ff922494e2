"""The access-control matrix: every URL of the project, every API operation, the whole cast.

Each row says what each member of the cast gets, in this column order (see tests/access/cast.py):

    anonymous  guardian  other_guardian  teen  other_teen  adult  device  other_device

Objects in URLs always belong to tom's family (tom is "teen", alice "guardian"). A cell is a
status code, or `login` for a redirect to the sign-in page. Pages are tried with GET and POST
(an empty form unless DATA gives one), API operations with each method the schema lists. Every
request runs in a transaction that is rolled back, so each cell starts from the same data.

Whatever the status, a request from someone outside tom's family (anonymous, bob, tina, carl,
tina's device) must leave every row of tom's family exactly as it was; and every HTML answer
carries the strict Content-Security-Policy (tests/security/test_csp.py).

A URL pattern without a row fails the test, naming it and showing what the server answers now:
a new page cannot land without someone deciding who may see it. Decide, then add the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from tests.access.cast import (
    DEVICE_ROLES,
    ROLES,
    STRANGER_ROLES,
    Cast,
    app_token,
    build_cast,
    family_state,
)
from tests.access.matrix_rows import (
    API,
    ARGUMENTS,
    COLUMNS,
    DATA,
    DEFAULT_ARGUMENTS,
    PAGES,
    SKIPPED_NAMES,
    SKIPPED_PREFIXES,
)
from tests.access.resolver import Route, all_routes
from tests.security.test_csp import CSP_EXEMPT_PREFIXES, assert_strict_csp, is_html

# =================================================================================================


@dataclass(frozen=True)
class Probe:
    key: str  # the URL name, or "METHOD /api/v1/path" for an API operation
    method: str
    route: Route
    api: bool


def _expected_matches(cell: str, response) -> bool:
    if cell == "login":
        location = response.headers.get("Location", "")
        return response.status_code == 302 and location.startswith("/accounts/login/")
    return str(response.status_code) == cell


def _observed_cell(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/accounts/login/"):
        return "login"
    return str(response.status_code)


def _argument_value(cast: Cast, key: str, name: str):
    source = ARGUMENTS.get(key, {}).get(name) or DEFAULT_ARGUMENTS.get(name)
    if source is None:
        raise KeyError(f"{key}: no object for the URL argument {name!r}; add it to ARGUMENTS")
    if source == "teen":
        return cast.tom.pk
    if source in cast.secrets:
        return cast.secrets[source]
    return cast.objects[source].pk


def _path(cast: Cast, probe: Probe) -> str:
    values = {name: _argument_value(cast, probe.key, name) for name in probe.route.kwargs}
    return probe.route.path(**values)


class Requester:
    """Sends one request as one member of the cast, in a transaction that is rolled back."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.tokens = {role: app_token(user) for role, user in cast.users.items()}
        # Every cell is rolled back, so the family looks like this before each one.
        self.baseline = family_state(cast)

    def client(self, role: str, *, api: bool) -> Client:
        headers = {}
        if role in DEVICE_ROLES:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {self.cast.device_tokens[role]}"
        elif role != "anonymous" and api:
            headers["HTTP_X_SESSION_TOKEN"] = self.tokens[role]
        client = Client(raise_request_exception=False, **headers)
        if role in self.cast.users and not api:
            client.force_login(self.cast.users[role])
        return client

    def send(self, probe: Probe, role: str):
        """(path, response, what of tom's family changed) for one cell."""
        path = _path(self.cast, probe)
        client = self.client(role, api=probe.api)
        data = DATA.get(probe.key, {})
        cache.clear()  # throttles and cached device lookups start afresh for every cell
        changed: list[str] = []
        with transaction.atomic():
            if probe.api:
                response = client.generic(
                    probe.method,
                    path,
                    json.dumps(data) if probe.method != "GET" else "",
                    content_type="application/json",
                )
            elif probe.method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data)
            if role in STRANGER_ROLES:
                after = family_state(self.cast)
                changed = [name for name in after if after[name] != self.baseline[name]]
            transaction.set_rollback(True)
        return path, response, changed


def _page_routes() -> list[Route]:
    routes = []
    for route in all_routes():
        if route.route.startswith(tuple(SKIPPED_PREFIXES)) or route.name in SKIPPED_NAMES:
            continue
        if route.route.startswith("api/v1/"):
            continue  # API operations come from the schema, below
        routes.append(route)
    return routes


def _api_operations(client: Client) -> dict[str, list[str]]:
    """{"/api/v1/teens/{teen_id}/rules": ["GET", "PATCH"], ...} from the served schema."""
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        path: sorted(method.upper() for method in item if method in methods)
        for path, item in schema["paths"].items()
    }


def _cells(row: str, key: str) -> list[str]:
    cells = row.split()
    if len(cells) != len(ROLES):
        raise AssertionError(f"{key}: the row {row!r} needs {len(ROLES)} cells ({COLUMNS})")
    return cells


@pytest.fixture
def cast(db, alice, bob, tom, tina, carl, uma) -> Cast:
    return build_cast(alice=alice, bob=bob, tom=tom, tina=tina, carl=carl, uma=uma)


def _probes(client: Client) -> tuple[list[tuple[Probe, str | None]], list[str]]:
    """Every (probe, expected row or None) and the structural problems found on the way."""
    problems: list[str] = []
    probes: list[tuple[Probe, str | None]] = []
    routes = _page_routes()
    for route in routes:
        rows = PAGES.get(route.key)
        for method in ("GET", "POST"):
            expected = rows.get(method) if rows else None
            probes.append((Probe(route.key, method, route, api=False), expected))

    api_routes = {r.openapi_path: r for r in all_routes() if r.route.startswith("api/v1/")}
    operations = _api_operations(client)
    for path in sorted(set(api_routes) - set(operations)):
        problems.append(f"{path} is routed but missing from the OpenAPI schema")
    for path, methods in sorted(operations.items()):
        route = api_routes.get(path)
        if route is None:
            problems.append(f"{path} is in the schema but no URL pattern serves it")
            continue
        for method in methods:
            key = f"{method} {path}"
            probes.append((Probe(key, method, route, api=True), API.get(key)))

    known = {p.key for p, _ in probes}
    for stale in sorted((set(PAGES) | set(API)) - known):
        problems.append(f"{stale} has a row but no longer exists: remove the row")
    for key, rows in PAGES.items():
        for method in set(rows) - {"GET", "POST"}:
            problems.append(f"{key}: pages are tried with GET and POST only, not {method}")
    return probes, problems


@pytest.mark.django_db
def test_every_url_answers_each_member_of_the_cast_as_the_matrix_says(cast):
    requester = Requester(cast)
    probes, problems = _probes(Client())
    missing: list[str] = []
    wrong: list[str] = []
    intrusions: list[str] = []
    for probe, expected in probes:
        observed: list[str] = []
        mismatches: list[str] = []
        cells = _cells(expected, probe.key) if expected else [None] * len(ROLES)
        for role, cell in zip(ROLES, cells, strict=True):
            path, response, changed = requester.send(probe, role)
            observed.append(_observed_cell(response))
            if changed:
                intrusions.append(
                    f"{probe.method} {path} as {role} changed tom's family: {', '.join(changed)}"
                )
            if is_html(response) and not path.startswith(tuple(CSP_EXEMPT_PREFIXES)):
                assert_strict_csp(response, f"{probe.method} {path} as {role}")
            if cell is not None and not _expected_matches(cell, response):
                mismatches.append(f"{role}: expected {cell}, got {observed[-1]}")
        label = probe.key if probe.api else f"{probe.method} {probe.key} ({probe.route.route})"
        if expected is None:
            missing.append(f"{label}: no row; the server answers now: {' '.join(observed)!r}")
        elif mismatches:
            wrong.append(f"{label}: {'; '.join(mismatches)}\n    whole row now: {observed}")
    report = []
    if intrusions:
        report.append("Strangers changed another family's data:\n  " + "\n  ".join(intrusions))
    if problems:
        report.append("Structure:\n  " + "\n  ".join(problems))
    if missing:
        report.append(
            "URLs nobody has decided about (add a row to PAGES or API, in the order "
            f"{COLUMNS}):\n  " + "\n  ".join(missing)
        )
    if wrong:
        report.append("Answers that differ from the matrix:\n  " + "\n  ".join(wrong))
    assert not report, "\n\n".join(report)


@pytest.mark.django_db
def test_it_keeps_the_whole_cast_out_of_the_admin(cast):
    """No member of the cast is staff: every argument-free admin page sends them to its login."""
    requester = Requester(cast)
    admin_pages = [
        route for route in all_routes() if route.route.startswith("admin/") and not route.kwargs
    ]
    admin_pages = [route for route in admin_pages if "(" not in route.route]
    assert admin_pages
    refused = []
    for route in admin_pages:
        for role in ROLES:
            response = requester.client(role, api=False).get("/" + route.route)
            location = response.headers.get("Location", "")
            if route.name == "admin:logout" or route.name == "admin:login":
                continue
            if not (response.status_code == 302 and location.startswith("/admin/login/")):
                refused.append(f"/{route.route} as {role}: {response.status_code} {location}")
    assert not refused, "\n".join(refused)


# Arguments that point at something of tom's: after an unlink, none of these may open for alice
# (the e-mailed Approve link for tom's request included).
TEEN_OBJECTS = {"teen_id", "device_id", "window_id", "time_request_id", "token"}
# Where a link's secret lands: it only moves into the session and redirects; the door is the
# page after (the pairing confirmation, the e-mailed answer), tried below.
TOKEN_LANDINGS = {"pair_by_token", "time_request_email_action"}


@pytest.mark.django_db
def test_a_guardian_who_was_unlinked_loses_every_door_at_once(cast):
    """Right after alice unlinks, every page and operation about tom refuses her, exactly as it
    refuses a stranger: no cached access, no half-open door."""
    from accounts.pairing.unlinking import guardian_unlink

    requester = Requester(cast)
    guardian_unlink(link=cast.objects["link"], guardian=cast.alice)
    probes, _ = _probes(Client())
    opened, tried = [], 0
    for probe, _ in probes:
        if not TEEN_OBJECTS & set(probe.route.kwargs) or probe.route.name in TOKEN_LANDINGS:
            continue
        if probe.route.route.startswith("api/v1/device/"):
            continue  # a device's own API: a person never gets past its 401
        tried += 1
        path, response, _ = requester.send(probe, "guardian")
        if response.status_code not in {403, 404, 405}:
            opened.append(f"{probe.method} {path}: {response.status_code}")
    # The e-mailed Approve link, followed as a browser does, from its landing to its page.
    response = requester.client("guardian", api=False).get(
        f"/requests/email/{cast.secrets['email_action_token']}/", follow=True
    )
    if response.status_code != 403:
        opened.append(f"the e-mailed Approve link, followed: {response.status_code}")
    assert tried > 50, f"only {tried} doors tried"
    assert not opened, "still open to a former guardian:\n" + "\n".join(opened)


@pytest.mark.django_db
def test_the_e_mailed_link_opens_for_its_guardian_only(cast):
    """Followed as a browser does (token into the session, then the token-free page), the
    Approve link signed for alice opens for her and refuses everyone else."""
    requester = Requester(cast)
    url = f"/requests/email/{cast.secrets['email_action_token']}/"
    answers = {}
    for role in ROLES:
        client = requester.client(role, api=False)
        response = client.get(url, follow=True)
        chain = [address for address, _ in response.redirect_chain]
        signing_in = bool(chain) and chain[-1].startswith("/accounts/login/")
        answers[role] = "login" if signing_in else str(response.status_code)
    assert answers == {
        "anonymous": "login",
        "guardian": "200",
        "other_guardian": "403",
        "teen": "403",
        "other_teen": "403",
        "adult": "403",
        "device": "login",
        "other_device": "login",
    }
