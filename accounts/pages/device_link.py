"""Linking a device with a code (`/devices/link/`, the RFC 8628 verification address) and the
uninstall address a removed client opens (`/devices/removed/<secret>`).

The signed-in teen, or a guardian of the teen, types the code the device shows (or opens the
link in its QR code), sees what the device asked for, names it, picks the teen (a guardian),
and approves or denies. Codes are checked against the failed-guess limits per account and per
address (`accounts.pairing.throttle`, shared with pairing codes' machinery but counted apart).
"""

from __future__ import annotations

import math
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.devices.enrolment import (
    device_enrolment_approve,
    device_enrolment_deny,
    device_enrolment_for_code,
    format_user_code,
    normalize_user_code,
)
from accounts.devices.removal import device_for_removed_secret, device_mark_removed
from accounts.devices.services import NAME_MAX_LENGTH
from accounts.models import DeviceEnrolment, User
from accounts.pairing.throttle import (
    TooManyAttempts,
    attempt_begin,
    attempt_key,
    attempt_refund,
    client_address,
    client_address_key,
)
from accounts.selectors import teens_for_guardian

CODE_HELP = "The 8 letters the device shows, e.g. BKDW-RTQZ."
MALFORMED = "That is not a device code: it has 8 letters, like BKDW-RTQZ."
UNKNOWN = (
    "No device is waiting with this code: check the letters, or ask the device for a new code "
    "(codes last 10 minutes)."
)


class DeviceCodeForm(forms.Form):
    code = forms.CharField(label="Code shown on the device", max_length=20, help_text=CODE_HELP)

    def clean_code(self) -> str:
        bare = normalize_user_code(self.cleaned_data["code"])
        if bare is None:
            raise forms.ValidationError(MALFORMED)
        return format_user_code(bare)


class DeviceLinkForm(DeviceCodeForm):
    name = forms.CharField(label="Device name", max_length=NAME_MAX_LENGTH)
    teen = forms.TypedChoiceField(label="Whose device is it?", coerce=int)
    decision = forms.ChoiceField(choices=[("approve", "Link it"), ("deny", "Don't link it")])

    def __init__(self, *args, teens: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget = forms.HiddenInput()
        self.fields["teen"].choices = [(teen.pk, teen.display_name) for teen in teens]
        if len(teens) == 1:
            self.fields["teen"].initial = teens[0].pk
            self.fields["teen"].widget = forms.HiddenInput()


def _teens_for(user: User) -> list[User]:
    """Whose devices the user may link: themself (a teen) or their active teens."""
    if user.is_teen:
        return [user]
    return list(teens_for_guardian(guardian=user))


def _find(request: HttpRequest, code: str) -> DeviceEnrolment | None:
    """The enrolment behind `code`, counted against the failed-guess limits (a hit is
    refunded). Raises TooManyAttempts past them."""
    keys = (
        attempt_key(scope="device-link:account", value=str(request.user.pk)),
        attempt_key(scope="device-link:address", value=client_address_key(client_address(request))),
    )
    attempt = attempt_begin(keys=keys)
    enrolment = device_enrolment_for_code(user_code=code)
    if enrolment is not None:
        attempt_refund(attempt=attempt)
    return enrolment


ADDRESS_SCOPE = "device-link:address"


def _throttled(request: HttpRequest, exc: TooManyAttempts) -> HttpResponse:
    retry_at = timezone.now() + timedelta(seconds=exc.retry_after)
    response = render(
        request,
        "accounts/device_link_throttled.html",
        {
            "minutes": max(1, math.ceil(exc.retry_after / 60)),
            "retry_at": timezone.localtime(retry_at, request.user.tz),
            "network": exc.scope == ADDRESS_SCOPE,
        },
        status=429,
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _confirm(request, enrolment, form, teens, status=200) -> HttpResponse:
    return render(
        request,
        "accounts/device_link_confirm.html",
        {"enrolment": enrolment, "form": form, "teens": teens},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_link(request: HttpRequest) -> HttpResponse:
    user = request.user
    teens = _teens_for(user)
    data = request.POST if request.method == "POST" else request.GET
    deciding = request.method == "POST" and "decision" in request.POST
    entry = DeviceCodeForm(data if data.get("code") or request.method == "POST" else None)
    if not entry.is_valid():
        status = 400 if entry.is_bound else 200
        return render(
            request, "accounts/device_link.html", {"form": entry, "teens": teens}, status=status
        )
    code = entry.cleaned_data["code"]
    try:
        enrolment = _find(request, code)
    except TooManyAttempts as exc:
        return _throttled(request, exc)
    if enrolment is None:
        entry.add_error("code", UNKNOWN)
        return render(
            request, "accounts/device_link.html", {"form": entry, "teens": teens}, status=400
        )
    if not deciding:
        form = DeviceLinkForm(initial={"code": code, "name": enrolment.suggested_name}, teens=teens)
        return _confirm(request, enrolment, form, teens)

    form = DeviceLinkForm(request.POST, teens=teens)
    if request.POST.get("decision") == "deny":
        device_enrolment_deny(enrolment=enrolment, actor=user)
        messages.success(request, "The device was not linked. It has been told.")
        return redirect("home")
    if not teens:
        form.add_error(None, "Link with your teen first: then you can link their devices.")
    if form.is_valid() and teens:
        teen = next(t for t in teens if t.pk == form.cleaned_data["teen"])
        try:
            device = device_enrolment_approve(
                enrolment=enrolment, actor=user, teen=teen, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                f"Linked “{device.name}”. It finishes setting up by itself in a few seconds.",
            )
            if user.pk == teen.pk:
                return redirect("my_devices")
            return redirect("teen_devices", teen.pk)
    return _confirm(request, enrolment, form, teens, status=400)


@require_GET
def device_removed(request: HttpRequest, secret: str) -> HttpResponse:
    """Opened by the browser when the extension is removed (chrome.runtime.setUninstallURL).
    Public: the secret is the credential; an unknown one is a 404."""
    device = device_for_removed_secret(secret=secret)
    if device is None:
        raise Http404("No such device.")
    device_mark_removed(device=device)
    response = render(request, "accounts/device_removed.html", {})
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
