"""allauth's e-mail confirmation link without its key in more than one logged URL.

allauth's link is `/accounts/confirm-email/<key>/`; its page posts the confirmation back to the
same address, so every proxy and gunicorn access log kept the key twice. Here the link's GET
moves the key into the session and redirects to a key-free page, which shows and performs
allauth's own confirmation (`ConfirmEmailView`, unchanged: the same checks, sign-in and
redirects). A POST to the key URL itself (scripts, a page served before this change) is still
allauth's confirmation: the key is then in one logged request only too.
"""

from __future__ import annotations

from allauth.account.views import confirm_email as allauth_confirm_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

CONFIRM_KEY_SESSION_KEY = "account_confirm_email_key"
# No key in this session: allauth answers with its "expired or invalid link" page.
_NO_KEY = "-"


def confirm_email_landing(request: HttpRequest, key: str) -> HttpResponse:
    if request.method != "GET":
        return allauth_confirm_email(request, key=key)
    request.session[CONFIRM_KEY_SESSION_KEY] = key
    return redirect("account_confirm_email_stashed")


def confirm_email_stashed(request: HttpRequest) -> HttpResponse:
    key = request.session.get(CONFIRM_KEY_SESSION_KEY) or _NO_KEY
    response = allauth_confirm_email(request, key=key)
    if request.method == "POST" and response.status_code in {301, 302}:
        # Confirmed: the key is spent. (allauth may have rotated the session by signing in.)
        request.session.pop(CONFIRM_KEY_SESSION_KEY, None)
    return response
