"""The browser extension as files (issue 15): the packed extension and its update manifest for
any browser to fetch (public: an extension is not a secret, and a browser installing it by
policy sends no session), and, for a teen's guardians only, the install page with the
enterprise policy files that force-install it on the teen's computer (a stranger gets 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.devices.extension_package import extension_package, update_manifest
from accounts.devices.extension_policy import (
    LINUX_CHROME_DIRS,
    LINUX_EDGE_DIR,
    POLICY_FILE_NAME,
    ExtensionSource,
    linux_json,
    macos_mobileconfig,
    windows_reg,
)
from accounts.selectors import teen_for_guardian

CRX_TYPE = "application/x-chrome-extension"
# Browsers ask for updates every few hours; five minutes of caching keeps a release quick to reach.
PUBLIC_CACHE = "public, max-age=300"


def _download(body: bytes | str, content_type: str, filename: str, cache: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def extension_crx(request: HttpRequest) -> HttpResponse:
    package = extension_package()
    return _download(package.crx_bytes, CRX_TYPE, "family-pairing.crx", PUBLIC_CACHE)


@require_GET
def extension_zip(request: HttpRequest) -> HttpResponse:
    package = extension_package()
    return _download(package.zip_bytes, "application/zip", "family-pairing.zip", PUBLIC_CACHE)


@require_GET
def extension_updates(request: HttpRequest) -> HttpResponse:
    package = extension_package()
    body = update_manifest(
        extension_id=package.extension_id,
        version=package.version,
        crx_url=request.build_absolute_uri(reverse("extension_crx")),
    )
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = PUBLIC_CACHE
    return response


def _source(request: HttpRequest) -> ExtensionSource:
    return ExtensionSource(
        extension_id=extension_package().extension_id,
        update_url=request.build_absolute_uri(reverse("extension_updates")),
        server_url=request.build_absolute_uri("/").rstrip("/"),
    )


@login_required
@require_GET
def teen_browser_extension(request: HttpRequest, teen_id: int) -> HttpResponse:
    teen = teen_for_guardian(guardian=request.user, teen_id=teen_id)
    source = _source(request)
    return render(
        request,
        "accounts/browser_extension.html",
        {
            "teen": teen,
            "source": source,
            "version": extension_package().version,
            "linux_chrome_dirs": LINUX_CHROME_DIRS,
            "linux_edge_dir": LINUX_EDGE_DIR,
            "policy_file_name": POLICY_FILE_NAME,
        },
    )


POLICY_FILES = {
    "linux-chrome.json": ("application/json", lambda source: linux_json(source)),
    "linux-edge.json": ("application/json", lambda source: linux_json(source, edge=True)),
    "macos.mobileconfig": ("application/x-apple-aspen-config", macos_mobileconfig),
    "windows.reg": ("text/plain; charset=utf-16", windows_reg),
}


@login_required
@require_GET
def teen_extension_policy(request: HttpRequest, teen_id: int, kind: str) -> HttpResponse:
    teen_for_guardian(guardian=request.user, teen_id=teen_id)  # 404 for anyone else
    if kind not in POLICY_FILES:
        raise Http404("No such policy file.")
    content_type, render_file = POLICY_FILES[kind]
    filename = POLICY_FILE_NAME if kind.endswith(".json") else f"family-pairing-{kind}"
    return _download(render_file(_source(request)), content_type, filename, "private, no-store")
