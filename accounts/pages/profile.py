from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.pages.forms import ProfileForm
from accounts.profile import time_zone_change_apply_now, user_profile_update
from controls.access import teen_for_rule_change


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        # A pending change shows as chosen; choosing the zone in force again cancels it.
        initial={
            "display_name": user.display_name,
            "time_zone": user.pending_time_zone or user.time_zone,
        },
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


@login_required
@require_POST
def teen_time_zone_apply(request: HttpRequest, teen_id: int) -> HttpResponse:
    """A guardian applies the teen's pending change of time zone now."""
    teen = teen_for_rule_change(user=request.user, teen_id=teen_id)
    new_zone = teen.pending_time_zone
    if time_zone_change_apply_now(teen=teen, actor=request.user):
        messages.success(
            request, f"{teen.display_name}'s day is counted in {new_zone} from now on."
        )
    else:
        messages.info(request, f"{teen.display_name} has no change of time zone waiting.")
    return redirect("teen_detail", teen_id=teen.pk)
