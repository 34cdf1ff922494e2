"""Pairing by QR token and by code: the parent's page and the teen's confirmation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.models import (
    GuardianLink,
    InvitationStatus,
    LinkStatus,
    PairingInvitation,
)
from accounts.pairing.services import (
    CODE_ALPHABET,
    INVALID_CODE_MESSAGE,
    NotAllowed,
    PairingError,
    format_code,
    pairing_accept,
    pairing_invitation_create,
)
from controls.models import AuditEvent, Notification, NotificationKind, TeenRules
from tests.accounts.pairing.steps import accept_invitation, enter_code
from tests.factories import TeenFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- the parent's side -------------------------------------------------------------------------


def test_it_creates_an_invitation_with_a_qr_code_and_a_grouped_code(alice_client, alice):
    response = alice_client.post(reverse("pairing_start"))
    invitation = PairingInvitation.objects.get(parent=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("pairing_invitation", args=[invitation.pk])

    page = alice_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "qr-code" in html
    code = html.split('data-code="')[1].split('"')[0]
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    assert format_code(code) in html
    assert "10 more minutes" in html
    assert "Revoke this code" in html and "Make a new code" in html
    # htmx polls the status while the teen decides
    assert reverse("pairing_invitation_status", args=[invitation.pk]) in html


def test_it_stores_only_keyed_hashes_and_a_sealed_copy(alice):
    invitation, secrets = pairing_invitation_create(parent=alice)
    assert len(secrets.token) >= 22  # ≥ 128 bits of url-safe base64
    stored = " ".join(
        str(v) for v in PairingInvitation.objects.filter(pk=invitation.pk).values().first().values()
    )
    assert secrets.token not in stored
    assert secrets.code not in stored
    assert secrets.url.endswith(f"/pair/{secrets.token}")


def test_it_shows_the_same_code_again_after_a_reload(alice_client, alice):
    _invitation, secrets = pairing_invitation_create(parent=alice)
    html = alice_client.get(reverse("pairing_start"), follow=True).content.decode()
    assert secrets.code_display in html


def test_it_refuses_invitations_to_a_teen(tom_client, tom):
    response = tom_client.post(reverse("pairing_start"))
    assert response.status_code == 403
    assert "Only parents can create a pairing code" in response.content.decode()
    assert not PairingInvitation.objects.exists()
    with pytest.raises(NotAllowed):
        pairing_invitation_create(parent=tom)


def test_it_refuses_a_parent_without_a_verified_email(client):
    from allauth.account.models import EmailAddress

    parent = UserFactory()
    EmailAddress.objects.filter(user=parent).update(verified=False)
    client.force_login(parent)
    response = client.post(reverse("pairing_start"))
    assert response.status_code == 403
    assert "confirm your e-mail address" in response.content.decode()


def test_it_revokes_a_code(alice_client, alice, uma, client):
    invitation, secrets = pairing_invitation_create(parent=alice)
    response = alice_client.post(reverse("pairing_invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert invitation.sealed == ""
    page = alice_client.get(reverse("pairing_invitation", args=[invitation.pk])).content.decode()
    assert "Code revoked" in page and secrets.code_display not in page

    client.force_login(uma)
    response = enter_code(client, secrets.code)
    assert response.status_code == 400
    assert escape(INVALID_CODE_MESSAGE) in response.content.decode()


def test_it_makes_a_new_code_and_the_old_one_stops_working(alice_client, alice):
    old, _old_secrets = pairing_invitation_create(parent=alice)
    response = alice_client.post(reverse("pairing_invitation_renew", args=[old.pk]))
    new = PairingInvitation.objects.exclude(pk=old.pk).get()
    assert response["Location"] == reverse("pairing_invitation", args=[new.pk])
    old.refresh_from_db()
    assert old.status == InvitationStatus.REVOKED
    assert new.status == InvitationStatus.PENDING


def test_it_caps_open_invitations_per_parent(alice):
    for _ in range(5):
        pairing_invitation_create(parent=alice)
    with pytest.raises(PairingError, match="5 codes waiting"):
        pairing_invitation_create(parent=alice)


def test_a_stranger_parent_gets_404_on_another_familys_invitation(client, alice, bob):
    invitation, _ = pairing_invitation_create(parent=alice)
    client.force_login(bob)
    for name in ("pairing_invitation", "pairing_invitation_status"):
        assert client.get(reverse(name, args=[invitation.pk])).status_code == 404
    for name in ("pairing_invitation_revoke", "pairing_invitation_renew"):
        assert client.post(reverse(name, args=[invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


# --- the teen's side: by code and by QR token ----------------------------------------------------


def test_it_links_by_code_with_the_teens_consent(
    client, alice, uma, django_capture_on_commit_callbacks
):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    typed = f" {secrets.code[:4].lower()} - {secrets.code[4:]} "  # case, spaces, dashes ignored
    response = enter_code(client, typed)
    assert response.status_code == 302
    assert response["Location"] == reverse("pair_confirm", args=[invitation.pk])

    page = client.get(response["Location"]).content.decode()
    assert "Link with Alice?" in page
    assert "alice@example.com" in page and "verified" in page
    assert "Set daily screen-time limits" in page
    assert "Read your messages" in page
    assert not GuardianLink.objects.exists()  # nothing happens until the teen chooses

    with django_capture_on_commit_callbacks(execute=True):
        response = accept_invitation(client, invitation)
    assert response.status_code == 302 and response["Location"] == reverse("teen_home")
    link = GuardianLink.objects.get(parent=alice, teen=uma)
    assert link.status == LinkStatus.ACTIVE
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.answered_by == uma
    assert invitation.sealed == ""
    assert TeenRules.objects.filter(teen=uma).exists()
    notice = Notification.objects.get(recipient=alice)
    assert notice.kind == NotificationKind.LINK_ACCEPTED
    assert "Uma accepted" in notice.title
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    event = AuditEvent.objects.get(teen=uma, action="link.created")
    assert event.actor == uma and event.details["link_id"] == link.pk


def test_it_links_by_qr_token(client, alice, uma):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    response = client.get(f"/pair/{secrets.token}")
    assert response.status_code == 302
    assert response["Location"] == reverse("pair_confirm", args=[invitation.pk])
    assert secrets.token not in response["Location"]
    accept_invitation(client, invitation)
    assert GuardianLink.objects.get(parent=alice, teen=uma).status == LinkStatus.ACTIVE


def test_the_qr_link_sends_a_signed_out_teen_to_sign_in_and_back(client, alice, uma):
    from tests.factories import PASSWORD

    _, secrets = pairing_invitation_create(parent=alice)
    path = f"/pair/{secrets.token}"
    response = client.get(path)
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith(reverse("account_login"))
    assert "next=" in login_url
    # the sign-in page offers sign-up with the same way back
    assert f"next={path}" in client.get(login_url).content.decode().replace("%2F", "/")
    response = client.post(login_url, {"login": uma.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == path


def test_it_declines_and_tells_the_parent(client, alice, uma):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    enter_code(client, secrets.code)
    response = client.post(reverse("pair_confirm", args=[invitation.pk]), {"answer": "decline"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.DECLINED
    assert not GuardianLink.objects.exists()
    assert Notification.objects.get(recipient=alice).kind == NotificationKind.LINK_DECLINED
    assert AuditEvent.objects.filter(teen=uma, action="link.declined").exists()


def test_the_confirmation_page_needs_the_code_first(client, alice, uma):
    invitation, _ = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    response = accept_invitation(client, invitation)  # guessing the id is not enough
    assert response.status_code == 400
    assert not GuardianLink.objects.exists()


def test_a_code_works_once(client, alice, uma):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    enter_code(client, secrets.code)
    accept_invitation(client, invitation)
    other = TeenFactory(display_name="Otto")
    client.force_login(other)
    response = enter_code(client, secrets.code)
    assert response.status_code == 400
    assert escape(INVALID_CODE_MESSAGE) in response.content.decode()
    assert client.get(f"/pair/{secrets.token}").status_code == 400
    assert not GuardianLink.objects.filter(teen=other).exists()


def test_a_code_expires(client, alice, uma):
    _invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = enter_code(client, secrets.code)
        assert response.status_code == 400
        assert escape(INVALID_CODE_MESSAGE) in response.content.decode()


def test_a_code_that_expires_on_the_confirmation_page_links_nothing(client, alice, uma):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    enter_code(client, secrets.code)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = accept_invitation(client, invitation)
    assert response.status_code == 400
    assert escape(INVALID_CODE_MESSAGE) in response.content.decode()
    assert not GuardianLink.objects.exists()


def test_wrong_expired_revoked_and_used_codes_get_the_same_answer(client, alice, uma):
    used, used_secrets = pairing_invitation_create(parent=alice)
    pairing_accept(invitation=used, teen=TeenFactory())
    revoked, revoked_secrets = pairing_invitation_create(parent=alice)
    revoked.status = InvitationStatus.REVOKED
    revoked.save()
    expired, expired_secrets = pairing_invitation_create(parent=alice)
    PairingInvitation.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timedelta(minutes=30),
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    wrong = "ABCDEFGH" if used_secrets.code != "ABCDEFGH" else "HGFEDCBA"
    client.force_login(uma)
    answers = set()
    for code in (wrong, used_secrets.code, revoked_secrets.code, expired_secrets.code):
        response = enter_code(client, code)
        errors = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', response.content.decode())
        answers.add((response.status_code, tuple(errors)))
    assert answers == {(400, (f"<li>{escape(INVALID_CODE_MESSAGE)}</li>",))}


def test_a_malformed_code_is_explained_without_counting(client, uma):
    client.force_login(uma)
    for _ in range(8):
        response = enter_code(client, "ABC0")
        assert response.status_code == 400
        assert "8 letters and numbers" in response.content.decode()
    assert client.get(reverse("pair_enter_code")).status_code == 200


def test_the_code_entry_page_offers_the_form(client, uma):
    client.force_login(uma)
    html = client.get(reverse("pair_enter_code")).content.decode()
    assert 'name="code"' in html and "Pairing code" in html
