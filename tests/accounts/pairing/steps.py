"""Steps of the pairing pages that several test modules take."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import PairingInvitation


def enter_code(client, code: str):
    return client.post(reverse("pair_enter_code"), {"code": code})


def accept_invitation(client, invitation: PairingInvitation):
    return client.post(reverse("pair_confirm", args=[invitation.pk]), {"answer": "accept"})
