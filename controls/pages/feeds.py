"""The subscription door: `/feeds/<token>/<format>.txt`, fetched by a home DNS filter.

No session and no header: the token in the path is the credential (`controls.feeds`). Every
answer is plain text, never HTML, because a filter stores whatever it gets: 200 with the list,
304 when the filter's ETag or date still holds, 404 for an unknown, rotated or revoked token
(all alike, so a guess learns nothing) or an unknown format, 429 with Retry-After when fetched
too often, 400 naming the `clients` parameter when it holds a name AdGuard Home cannot take.
"""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_POST

from accounts.pairing.throttle import client_address, client_address_key
from controls.access import teen_for_rule_change
from controls.effective.inputs import browsing_rules
from controls.feeds import services as feeds
from controls.feeds.selectors import feed_addresses
from controls.rules import dns_formats
from controls.rules.selectors import rules_ensure_for_teen

TEXT = "text/plain; charset=utf-8"


def _plain(status: int, text: str, **headers: str) -> HttpResponse:
    response = HttpResponse(text + "\n", content_type=TEXT, status=status, headers=headers)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def feed(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    client = client_address_key(client_address(request))
    wait = feeds.feed_fetch_allowed(token=token, client=client)
    if wait is not None:
        return _plain(
            429, f"Too many requests: try again in {wait} seconds.", **{"Retry-After": str(wait)}
        )
    subscription = feeds.dns_feed_for_token(token=token)
    if subscription is None or fmt not in dns_formats.FORMATS:
        return _plain(404, "Not found: this filter address does not exist or was turned off.")
    clients: list[str] = []
    if fmt == "adguard":
        raw = request.GET.get("clients", "")
        try:
            clients = dns_formats.clean_clients(raw.split(","))
        except ValueError as exc:
            return _plain(400, f"clients: {exc}")
    rules = rules_ensure_for_teen(teen=subscription.teen)
    # Same rules, format, client names and server host → same text → same ETag.
    tag_source = f"{rules.version}|{fmt}|{','.join(clients)}|{dns_formats.server_host()}"
    etag = '"' + hashlib.sha256(tag_source.encode()).hexdigest()[:32] + '"'
    last_modified = int(rules.updated_at.timestamp())
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified),
        # A filter may keep the list, but must ask again before trusting it.
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    feeds.dns_feed_mark_fetched(feed=subscription)
    unchanged = get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=None
    )
    if unchanged is not None and unchanged.status_code == 304:
        return HttpResponse(status=304, headers=headers)
    text = dns_formats.render(
        fmt, browsing=browsing_rules(rules), version=rules.version, clients=clients
    )
    response = HttpResponse(text, content_type=TEXT, headers=headers)
    response["Content-Disposition"] = f'inline; filename="{fmt}.txt"'
    return response


FEED_ACTIONS = ("create", "rotate", "revoke")


@login_required
@require_POST
def teen_dns_feed(request: HttpRequest, teen_id: int) -> HttpResponse:
    """The card's buttons: make, replace or turn off the teen's filter address (guardians)."""
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    action = request.POST.get("action", "")
    if action not in FEED_ACTIONS:
        return HttpResponseBadRequest("action: choose create, rotate or revoke.", content_type=TEXT)
    if action == "create":
        feeds.dns_feed_create(actor=request.user, teen=teen)
        messages.success(request, "Your home network filter address is ready.")
    elif action == "rotate":
        feeds.dns_feed_rotate(actor=request.user, teen=teen)
        messages.success(
            request,
            "New address made. The old one no longer works: give the new one to your filter.",
        )
    else:
        feeds.dns_feed_revoke(actor=request.user, teen=teen)
        messages.success(request, "The home network filter address is turned off.")
    return redirect(reverse("teen_browsing", args=[teen.pk]) + "#home-filter")


def feed_card(*, teen) -> dict:
    """What the Browsing card shows a guardian: the live address of each format, if any."""
    feed = feeds.dns_feed_live_for_teen(teen=teen)
    token = feeds.dns_feed_token(feed=feed) if feed else None
    if feed is None or token is None:
        return {"live": False}
    return {"live": True, "feed": feed, "addresses": feed_addresses(token)}
