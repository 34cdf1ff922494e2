"""Device pages: a teen registers, renames and removes their own devices (/devices/…); a guardian
does the same for their teen (/teens/<id>/devices/). The token is shown once, on the page that
answers the registration, and never again."""

from __future__ import annotations

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from accounts.devices.services import (
    NAME_MAX_LENGTH,
    device_register,
    device_rename,
    device_revoke,
    device_statuses,
    teen_for_device_manager,
)
from accounts.models import Device, Platform, User
from accounts.selectors import device_for_user, guardians_for_teen


class DeviceForm(forms.Form):
    name = forms.CharField(
        label="Device name",
        max_length=NAME_MAX_LENGTH,
        help_text="So everyone can tell it apart, e.g. “Phone” or “School laptop”.",
    )
    platform = forms.ChoiceField(label="Kind of device", choices=Platform.choices)


class DeviceRenameForm(forms.Form):
    name = forms.CharField(label="New name", max_length=NAME_MAX_LENGTH)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


def _devices_url(user: User, teen: User) -> str:
    if user.pk == teen.pk:
        return reverse("my_devices")
    return reverse("teen_devices", args=[teen.pk])


def _setup_qr(token: str) -> str:
    """A QR code the Family Pairing app can scan instead of typing the token."""
    payload = "familypairing://device?" + urlencode({"server": settings.SITE_URL, "token": token})
    svg = segno.make(payload, error="m").svg_inline(
        scale=4, border=2, title="QR code with the device token", svgclass="qr-code"
    )
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703 - segno draws QR modules and a fixed title


def _devices_page(request: HttpRequest, teen: User) -> HttpResponse:
    form = DeviceForm(
        request.POST if request.method == "POST" else None, initial={"platform": Platform.ANDROID}
    )
    if request.method == "POST" and form.is_valid():
        try:
            device, token = device_register(teen=teen, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            response = render(
                request,
                "accounts/devices_token.html",
                {
                    "teen": teen,
                    "device": device,
                    "token": token,
                    "qr": _setup_qr(token),
                    "is_self": request.user.pk == teen.pk,
                    "devices_url": _devices_url(request.user, teen),
                    "api_url": settings.SITE_URL + "/api/v1/device/policy",
                },
            )
            # The only copy of the token: keep it out of every cache and the back button.
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "accounts/devices.html",
        {
            "teen": teen,
            "statuses": device_statuses(teen=teen),
            "form": form,
            "is_self": request.user.pk == teen.pk,
            "supervised": guardians_for_teen(teen=teen).exists(),
            "back_url": reverse("teen_home")
            if request.user.pk == teen.pk
            else reverse("teen_detail", args=[teen.pk]),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_devices(request: HttpRequest) -> HttpResponse:
    """The teen's own devices."""
    if not request.user.is_teen:
        return redirect("dashboard")
    return _devices_page(request, request.user)


@login_required
@require_http_methods(["GET", "POST"])
def teen_devices(request: HttpRequest, teen_id: int) -> HttpResponse:
    """A guardian's view of their teen's devices (404 for anyone else)."""
    if request.user.pk == teen_id:
        return redirect("my_devices")
    teen = teen_for_device_manager(user=request.user, teen_id=teen_id)
    return _devices_page(request, teen)


def _device_or_404(request: HttpRequest, device_id: int) -> Device:
    return device_for_user(user=request.user, device_id=device_id)


@login_required
@require_http_methods(["GET", "POST"])
def device_rename_view(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(request, device_id)
    form = DeviceRenameForm(
        request.POST if request.method == "POST" else None, initial={"name": device.name}
    )
    if request.method == "POST" and form.is_valid():
        before = device.name
        try:
            device_rename(device=device, actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Renamed “{before}” to “{device.name}”.")
            return redirect(_devices_url(request.user, device.teen))
    return render(
        request,
        "accounts/devices_rename.html",
        {"device": device, "form": form, "devices_url": _devices_url(request.user, device.teen)},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_revoke_view(request: HttpRequest, device_id: int) -> HttpResponse:
    device = _device_or_404(request, device_id)
    devices_url = _devices_url(request.user, device.teen)
    if request.method == "POST":
        if device_revoke(device=device, actor=request.user):
            messages.success(request, f"Removed “{device.name}”: its token no longer works.")
        return redirect(devices_url)
    return render(
        request,
        "accounts/devices_revoke.html",
        {
            "device": device,
            "devices_url": devices_url,
            "is_self": request.user.pk == device.teen_id,
        },
    )
