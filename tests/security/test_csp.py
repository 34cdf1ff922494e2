"""A Content-Security-Policy on every HTML page, with scripts from our own origin only.

The pages are every argument-free URL pattern of the project (walked from the resolver), fetched
as a visitor, a guardian and a teen, plus the error pages. Pages with ids in their URL are fetched
by the access-control matrix, which checks the same header on each HTML answer it gets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.access.resolver import all_routes

ROOT = Path(__file__).resolve().parents[2]

# HTML pages deliberately served without our policy, each with the reason.
CSP_EXEMPT_PREFIXES: dict[str, str] = {}
# Not pages: the admin is staff-only and Django's own; /_allauth/ and /api/ answer JSON.
SKIPPED_PREFIXES = ("/admin/", "/_allauth/", "/api/v1/")


def parse_csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_strict_csp(response, where: str) -> None:
    """The page carries a policy whose scripts can only come from files on our origin."""
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{where}: no Content-Security-Policy header on an HTML page"
    directives = parse_csp(header)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{where}: the policy sets neither script-src nor default-src"
    bad = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(scripts)
    assert not bad, f"{where}: script-src allows {sorted(bad)}: {header}"
    assert directives.get("object-src") == ["'none'"], f"{where}: object-src is not 'none'"
    assert directives.get("frame-ancestors") == ["'none'"], f"{where}: framing is allowed"
    assert "base-uri" in directives, f"{where}: base-uri is not restricted"


def is_html(response) -> bool:
    return response.headers.get("Content-Type", "").startswith("text/html")


def _argument_free_pages() -> list[str]:
    paths = []
    for route in all_routes():
        path = "/" + route.route
        if route.kwargs or "(" in route.route or path.startswith(SKIPPED_PREFIXES):
            continue
        paths.append(path)
    return sorted(set(paths))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "guardian", "teen"])
def test_it_sends_a_strict_policy_on_every_html_page(who, alice, tom):
    client = Client()
    if who == "guardian":
        client.force_login(alice)
    elif who == "teen":
        client.force_login(tom)
    checked = []
    for path in _argument_free_pages():
        response = client.get(path, follow=True)
        if not is_html(response) or path.startswith(tuple(CSP_EXEMPT_PREFIXES)):
            continue
        final = response.redirect_chain[-1][0] if response.redirect_chain else path
        assert_strict_csp(response, f"GET {path} (→ {final}) as {who}")
        checked.append(path)
    # The walk must have found the real pages, not silently nothing.
    assert "/" in checked
    assert "/accounts/login/" in checked or who != "visitor"


@pytest.mark.django_db
def test_it_sends_the_policy_on_error_pages(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_strict_csp(response, "the 404 page")


def _template_files() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html")) + sorted(
        path
        for app in ("accounts", "controls", "familypairing")
        for path in (ROOT / app).rglob("templates/**/*.html")
    )


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def test_no_template_has_inline_script_that_the_policy_would_block():
    """The policy would silently break such a page in the browser; fail here instead."""
    found = []
    for path in _template_files():
        text = path.read_text()
        for pattern, what in (
            (INLINE_SCRIPT, "inline <script>"),
            (EVENT_HANDLER, "on…= handler"),
            (JS_URL, "javascript: URL"),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "blocked by the CSP:\n" + "\n".join(found)


@pytest.mark.django_db
def test_the_api_docs_load_swagger_from_our_own_origin(client):
    page = client.get("/api/docs/").content.decode()
    assert "cdn.jsdelivr.net" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
