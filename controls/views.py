from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.selectors import guardians_for_teen, teens_for_guardian


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The guardian's home: one card per linked teen."""
    if request.user.is_teen:
        return redirect("teen_home")
    teens = list(teens_for_guardian(guardian=request.user))
    offer_mfa = not Authenticator.objects.filter(user=request.user).exists()
    return render(request, "controls/dashboard.html", {"teens": teens, "offer_mfa": offer_mfa})


@login_required
def teen_home(request: HttpRequest) -> HttpResponse:
    """The teen's own page: who can see and manage what, the rules, time left, history."""
    if not request.user.is_teen:
        return redirect("dashboard")
    guardians = list(guardians_for_teen(teen=request.user))
    return render(request, "controls/teen_home.html", {"guardians": guardians})
