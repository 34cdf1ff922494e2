"""Opening a QR pairing link signed out: the sign-in (and sign-up) page says who invites, what
they could see and manage and what happens next, and gives a stranger nothing but a name."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import GuardianLink
from accounts.pairing.services import pairing_invitation_create, pairing_invitation_revoke

pytestmark = pytest.mark.django_db


def _landing_page(client, token: str) -> str:
    response = client.get(f"/pair/{token}")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_it_says_who_invites_and_what_happens_next(client, alice):
    _, secrets = pairing_invitation_create(parent=alice)
    html = _landing_page(client, secrets.token)
    assert "Alice wants to link with your account" in html
    assert "Nothing is linked until you choose" in html
    assert "will not be able to read your messages" in html
    # a signed-out visitor learns the display name, nothing more, and never the code
    assert alice.email not in html
    assert secrets.code not in html and secrets.code.replace("-", "") not in html
    assert not GuardianLink.objects.exists()


def test_the_sign_up_page_says_it_too(client, alice):
    _, secrets = pairing_invitation_create(parent=alice)
    html = client.get(reverse("account_signup"), {"next": f"/pair/{secrets.token}"}).content
    assert "Alice wants to link with your account" in html.decode()


def test_a_link_that_no_longer_works_names_nobody(client, alice):
    invitation, secrets = pairing_invitation_create(parent=alice)
    pairing_invitation_revoke(invitation=invitation, parent=alice)
    html = _landing_page(client, secrets.token)
    assert "This link no longer works" in html
    assert "Alice" not in html


def test_a_made_up_link_names_nobody(client, alice):
    pairing_invitation_create(parent=alice)
    html = client.get(reverse("account_login"), {"next": "/pair/" + "x" * 43}).content.decode()
    assert "This link no longer works" in html
    assert "Alice" not in html


def test_an_ordinary_sign_in_shows_no_invitation(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "wants to link" not in html and "pairing link" not in html
