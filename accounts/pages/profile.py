from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.pages.forms import ProfileForm
from accounts.profile import user_profile_update


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={"display_name": user.display_name, "time_zone": user.time_zone},
    )
    if request.method == "POST" and form.is_valid():
        try:
            changes = user_profile_update(user=user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("time_zone", exc)
        else:
            if changes:
                messages.success(request, "Saved: " + "; ".join(changes) + ".")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("profile")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)
