"""The Django admin behind allauth's sign-in.

Django's own admin login form checks a password and nothing else: no two-step verification and
no attempt limit. allauth's documented answer is to wrap the admin's login view with
`secure_admin_login`, which sends every visitor to allauth's sign-in (password, then the TOTP
code for accounts that have one, with allauth's rate limits) and back to the admin after.

On top of that, when `ADMIN_REQUIRE_MFA` is on (the production default), a staff account without
two-step verification is not let into the admin at all: it is sent to set up TOTP first, so a
stolen staff password alone never opens the admin.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


def admin_mfa_missing(request: HttpRequest) -> bool:
    """True when the admin requires two-step verification and this staff user has none."""
    user = request.user
    return bool(
        settings.ADMIN_REQUIRE_MFA
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and not is_mfa_enabled(user)
    )


def _mfa_first(login_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(login_view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if admin_mfa_missing(request):
            messages.warning(request, "Turn on two-step verification before opening the admin.")
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return login_view(request, *args, **kwargs)

    return wrapper


def admin_site_secure(*, site: AdminSite) -> None:
    """Route `site`'s sign-in through allauth and refuse staff without MFA where required.

    Must run before `site.urls` is read (the login view is bound when the URLs are built).
    """
    has_permission = site.has_permission

    def has_permission_with_mfa(request: HttpRequest) -> bool:
        # A staff user without MFA gets the admin's "go to login" redirect from every admin
        # page, and the login view above sends them on to the TOTP set-up.
        return has_permission(request) and not admin_mfa_missing(request)

    site.has_permission = has_permission_with_mfa  # type: ignore[method-assign]
    site.login = secure_admin_login(_mfa_first(site.login))  # type: ignore[method-assign]
