"""`GET /api/v1/device/about` (device token): who this device belongs to and who supervises it.

A client shows it to the teen (the browser extension's popup and block page: “Supervised by
Alice”, with a link to the teen's own page), so supervision is never hidden from the child, as
the UK Age Appropriate Design Code asks. Only display names: no e-mail addresses, no ids of
other people. The teen comes from the token, so no request can name another teen.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import guardians_for_teen
from controls.api.device import DeviceAPIView
from familypairing.api import DEVICE_AUTH_ERRORS


class AboutDeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.CharField()


class AboutSerializer(serializers.Serializer):
    device = AboutDeviceSerializer()
    teen_name = serializers.CharField(help_text="The teen's display name.")
    guardian_names = serializers.ListField(
        child=serializers.CharField(),
        help_text="Display names of the teen's linked parents and guardians, sorted.",
    )
    teen_page_url = serializers.URLField(
        help_text="The teen's own page on the site (what is set for them, asking for time)."
    )


def about_for_device(*, device) -> dict:
    teen = device.teen
    return {
        "device": {"id": device.pk, "name": device.name, "platform": device.platform},
        "teen_name": teen.display_name or "you",
        # A display name only: a guardian who has none is not shown by e-mail address.
        "guardian_names": [g.display_name or "A guardian" for g in guardians_for_teen(teen=teen)],
    }


class DeviceAboutView(DeviceAPIView):
    @extend_schema(
        operation_id="device_about",
        summary="Who this device belongs to and who supervises it",
        description="For the teen to see on the device: their name, their guardians' names and "
        "the address of their own page. Read it after enrolment and now and then (guardians "
        "may be linked or unlinked).",
        responses={200: AboutSerializer, **DEVICE_AUTH_ERRORS},
        tags=["device"],
    )
    def get(self, request: Request) -> Response:
        answer = about_for_device(device=request.auth)
        answer["teen_page_url"] = request.build_absolute_uri(reverse("teen_home"))
        return Response(answer, headers={"Cache-Control": "private, no-cache"})
