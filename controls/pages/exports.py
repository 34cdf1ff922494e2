"""A teen's browsing rules as a hosts file or an AdGuard / Pi-hole list, for a home DNS filter
(guardians and the teen; devices get theirs from the device API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from controls.access import teen_for_viewer
from controls.effective.inputs import browsing_rules
from controls.rules import exports
from controls.rules.selectors import rules_ensure_for_teen

# --------------------------------------------------------------------------------------------
# Exports for home DNS filters (guardians and the teen; devices get theirs from the device API)
# --------------------------------------------------------------------------------------------


def _export(request: HttpRequest, teen_id: int, render_text, filename: str) -> HttpResponse:
    teen = teen_for_viewer(user=request.user, teen_id=teen_id)
    rules = rules_ensure_for_teen(teen=teen)
    text = render_text(browsing=browsing_rules(rules), version=rules.version)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-cache"
    response["ETag"] = f'"rules-{teen.pk}-{rules.version}"'
    return response


@login_required
@require_GET
def export_hosts(request: HttpRequest, teen_id: int) -> HttpResponse:
    return _export(request, teen_id, exports.hosts_file, "hosts.txt")


@login_required
@require_GET
def export_adguard(request: HttpRequest, teen_id: int) -> HttpResponse:
    return _export(request, teen_id, exports.adguard_list, "adguard.txt")
