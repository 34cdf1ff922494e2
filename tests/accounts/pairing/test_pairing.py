"""Pairing by QR token and by code: the parent's page, the teen's confirmation, and the rules."""

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
    InvitationUnavailable,
    NotAllowed,
    PairingError,
    format_code,
    pairing_accept,
    pairing_invitation_create,
    pairing_invitations_expire,
)
from controls.models import AuditEvent, Notification, NotificationKind, TeenRules
from tests.factories import TeenFactory, UserFactory, birth_date_for_age, link

pytestmark = pytest.mark.django_db


def _enter_code(client, code: str):
    return client.post(reverse("pair_enter_code"), {"code": code})


def _accept(client, invitation: PairingInvitation):
    return client.post(reverse("pair_confirm", args=[invitation.pk]), {"answer": "accept"})


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
    response = _enter_code(client, secrets.code)
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
    response = _enter_code(client, typed)
    assert response.status_code == 302
    assert response["Location"] == reverse("pair_confirm", args=[invitation.pk])

    page = client.get(response["Location"]).content.decode()
    assert "Link with Alice?" in page
    assert "alice@example.com" in page and "verified" in page
    assert "Set daily screen-time limits" in page
    assert "Read your messages" in page
    assert not GuardianLink.objects.exists()  # nothing happens until the teen chooses

    with django_capture_on_commit_callbacks(execute=True):
        response = _accept(client, invitation)
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
    _accept(client, invitation)
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
    _enter_code(client, secrets.code)
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
    response = _accept(client, invitation)  # guessing the id is not enough
    assert response.status_code == 400
    assert not GuardianLink.objects.exists()


def test_a_code_works_once(client, alice, uma):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    _enter_code(client, secrets.code)
    _accept(client, invitation)
    other = TeenFactory(display_name="Otto")
    client.force_login(other)
    response = _enter_code(client, secrets.code)
    assert response.status_code == 400
    assert escape(INVALID_CODE_MESSAGE) in response.content.decode()
    assert client.get(f"/pair/{secrets.token}").status_code == 400
    assert not GuardianLink.objects.filter(teen=other).exists()


def test_a_code_expires(client, alice, uma):
    _invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = _enter_code(client, secrets.code)
        assert response.status_code == 400
        assert escape(INVALID_CODE_MESSAGE) in response.content.decode()


def test_a_code_that_expires_on_the_confirmation_page_links_nothing(client, alice, uma):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    _enter_code(client, secrets.code)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = _accept(client, invitation)
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
        response = _enter_code(client, code)
        errors = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', response.content.decode())
        answers.add((response.status_code, tuple(errors)))
    assert answers == {(400, (f"<li>{escape(INVALID_CODE_MESSAGE)}</li>",))}


def test_a_malformed_code_is_explained_without_counting(client, uma):
    client.force_login(uma)
    for _ in range(8):
        response = _enter_code(client, "ABC0")
        assert response.status_code == 400
        assert "8 letters and numbers" in response.content.decode()
    assert client.get(reverse("pair_enter_code")).status_code == 200


def test_the_code_entry_page_offers_the_form(client, uma):
    client.force_login(uma)
    html = client.get(reverse("pair_enter_code")).content.decode()
    assert 'name="code"' in html and "Pairing code" in html


# --- who may pair --------------------------------------------------------------------------------


def test_an_adult_cannot_accept_and_is_told_why(client, alice, carl):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(carl)
    response = client.get(f"/pair/{secrets.token}")
    assert response.status_code == 403
    assert "Only teens (13 to 17) can accept" in response.content.decode()
    assert _enter_code(client, secrets.code).status_code == 403
    assert _accept(client, invitation).status_code == 403
    with pytest.raises(NotAllowed):
        pairing_accept(invitation=invitation, teen=carl)
    assert not GuardianLink.objects.exists()


def test_the_parent_opening_their_own_link_is_told_to_show_it_to_the_teen(alice_client, alice):
    _invitation, secrets = pairing_invitation_create(parent=alice)
    response = alice_client.get(f"/pair/{secrets.token}")
    assert response.status_code == 403
    assert "This is your own code" in response.content.decode()
    response = _enter_code(alice_client, secrets.code)
    assert "This is your own code" in response.content.decode()


def test_nobody_links_to_themself(alice):
    invitation, _ = pairing_invitation_create(parent=alice)
    with pytest.raises(NotAllowed, match="your own"):
        pairing_accept(invitation=invitation, teen=alice)
    assert not GuardianLink.objects.exists()


def test_the_database_refuses_a_self_link(alice):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        GuardianLink.objects.create(parent=alice, teen=alice)


def test_a_teen_already_linked_with_this_parent_is_told_so(tom, alice):
    invitation, _ = pairing_invitation_create(parent=alice)
    with pytest.raises(PairingError, match="already linked with Alice"):
        pairing_accept(invitation=invitation, teen=tom)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


def test_the_guardian_cap_holds(settings, tom, alice):
    second = UserFactory(display_name="Gus")
    link(second, tom)
    third = UserFactory(display_name="Thea")
    invitation, _ = pairing_invitation_create(parent=third)
    with pytest.raises(PairingError, match="most allowed") as exc:
        pairing_accept(invitation=invitation, teen=tom)
    assert exc.value.code == "guardian_limit"
    assert not GuardianLink.objects.filter(parent=third).exists()

    settings.MAX_GUARDIANS_PER_TEEN = 3
    created = pairing_accept(invitation=invitation, teen=tom)
    assert created.status == LinkStatus.PENDING_APPROVAL


def test_a_link_waiting_for_approval_counts_toward_the_cap(tom, alice):
    bob_like = UserFactory(display_name="Ben")
    invitation, _ = pairing_invitation_create(parent=bob_like)
    pairing_accept(invitation=invitation, teen=tom)
    stranger = UserFactory()
    invitation, _ = pairing_invitation_create(parent=stranger)
    with pytest.raises(PairingError, match="most allowed"):
        pairing_accept(invitation=invitation, teen=tom)


def test_a_used_invitation_cannot_be_accepted_twice_through_the_service(alice, uma):
    invitation, _ = pairing_invitation_create(parent=alice)
    pairing_accept(invitation=invitation, teen=uma)
    with pytest.raises(InvitationUnavailable):
        pairing_accept(invitation=invitation, teen=TeenFactory())


# --- the parent's page notices the answer --------------------------------------------------------


def test_the_status_poll_answers_204_until_something_changes(alice_client, alice, uma):
    invitation, _ = pairing_invitation_create(parent=alice)
    url = reverse("pairing_invitation_status", args=[invitation.pk])
    assert alice_client.get(url + "?m=10", HTTP_HX_REQUEST="true").status_code == 204
    pairing_accept(invitation=invitation, teen=uma)
    response = alice_client.get(url + "?m=10", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#invitation-card"
    assert "Linked with Uma" in response.content.decode()
    assert "hx-trigger" not in response.content.decode()  # polling stops


def test_the_status_poll_updates_the_time_left(alice_client, alice):
    invitation, _ = pairing_invitation_create(parent=alice)
    url = reverse("pairing_invitation_status", args=[invitation.pk])
    with time_machine.travel(timezone.now() + timedelta(minutes=3, seconds=30)):
        response = alice_client.get(url + "?m=10")
    assert response.status_code == 200
    assert "7 more minutes" in response.content.decode()


def test_the_parents_page_shows_a_pending_approval_and_an_expiry(alice_client, alice, tina):
    invitation, _ = pairing_invitation_create(parent=alice)
    pairing_accept(invitation=invitation, teen=tina)
    page = alice_client.get(reverse("pairing_invitation", args=[invitation.pk])).content.decode()
    assert "Tina accepted" in page and "Waiting for approval" in page

    expired, _ = pairing_invitation_create(parent=alice)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        page = alice_client.get(reverse("pairing_invitation", args=[expired.pk])).content.decode()
    assert "This code expired" in page


# --- the periodic expiry -------------------------------------------------------------------------


def test_the_expiry_task_marks_old_invitations_and_wipes_their_secrets(alice):
    from accounts.tasks import pairing_invitations_expire as task

    old, _ = pairing_invitation_create(parent=alice)
    fresh, _ = pairing_invitation_create(parent=alice, now=timezone.now() + timedelta(minutes=5))
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=30)):
        assert task.delay().get() == 1
        assert pairing_invitations_expire() == 0  # twice is harmless
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, old.sealed) == (InvitationStatus.EXPIRED, "")
    assert fresh.status == InvitationStatus.PENDING


def test_the_periodic_tasks_are_declared():
    from familypairing.periodic import PERIODIC_TASKS

    tasks = {task for task, _ in PERIODIC_TASKS.values()}
    assert "accounts.tasks.pairing_invitations_expire" in tasks
    assert "accounts.tasks.guardian_links_end_at_18" in tasks


# --- the dashboard and the teen's page -----------------------------------------------------------


def test_the_dashboard_offers_link_a_teen_and_lists_links(alice_client, alice, tom):
    pairing_invitation_create(parent=alice)
    html = alice_client.get(reverse("dashboard")).content.decode()
    assert "Link a teen" in html
    assert reverse("pairing_start") in html
    assert "Linked teens" in html and reverse("guardian_unlink", args=[tom.pk]) in html
    assert "Pairing codes waiting" in html


def test_the_teens_page_says_what_each_guardian_can_see(tom_client, tom):
    html = tom_client.get(reverse("my_guardians")).content.decode()
    assert "My guardians" in html
    assert "What Alice can see and manage" in html
    assert "Set daily screen-time limits" in html
    assert "Read your messages" in html
    assert reverse("pair_enter_code") in html
    assert "Unlink" in html


def test_a_new_teen_signs_up_from_the_qr_link_and_comes_back_to_it(
    client, alice, django_capture_on_commit_callbacks
):
    invitation, secrets = pairing_invitation_create(parent=alice)
    path = f"/pair/{secrets.token}"
    login_page = client.get(client.get(path)["Location"]).content.decode()
    signup_links = set(re.findall(r'href="(/accounts/signup/[^"]*)"', login_page))
    assert len(signup_links) == 1  # the header's "Create an account" keeps the way back too
    signup_url = signup_links.pop().replace("&amp;", "&")
    assert "next=" in signup_url

    response = client.post(
        signup_url,
        {
            "display_name": "Sam",
            "email": "sam@example.com",
            "birth_date": str(birth_date_for_age(15)),
            "time_zone": "UTC",
            "password1": "a very long passphrase 42",
            "password2": "a very long passphrase 42",
        },
    )
    assert response.status_code == 302
    confirm = re.search(r"/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    response = client.post(confirm)
    assert response["Location"] == path
    response = client.get(path)
    assert response["Location"] == reverse("pair_confirm", args=[invitation.pk])


def test_the_dashboard_panel_costs_the_same_queries_for_one_teen_or_five(
    alice, django_assert_num_queries
):
    from accounts.pairing.selectors import family_overview

    link(alice, TeenFactory())
    with django_assert_num_queries(4):
        family_overview(guardian=alice)
    for _ in range(4):
        teen = TeenFactory()
        link(alice, teen)
        gus_invitation, _ = pairing_invitation_create(parent=UserFactory())
        pairing_accept(invitation=gus_invitation, teen=teen)
        pairing_invitation_create(parent=alice)
    with django_assert_num_queries(4):
        overview = family_overview(guardian=alice)
    assert (len(overview.links), len(overview.approvals), len(overview.invitations)) == (5, 4, 4)


def test_the_teens_panel_costs_a_fixed_number_of_queries(tom, django_assert_num_queries):
    from accounts.pairing.selectors import teen_overview

    with django_assert_num_queries(3):
        overview = teen_overview(teen=tom)
    assert [link.parent.display_name for link in overview.links] == ["Alice"]


def test_the_status_poll_costs_a_fixed_number_of_queries(
    alice_client, alice, django_assert_num_queries
):
    invitation, _ = pairing_invitation_create(parent=alice)
    url = reverse("pairing_invitation_status", args=[invitation.pk])
    alice_client.get(url)  # warm the session
    # 2 are the session and the user (allauth's user-session tracking writes at most once a
    # minute: familypairing.usersessions); 2 are the invitation and its link. Polled every few
    # seconds while a parent waits, so it must stay flat.
    with django_assert_num_queries(4):
        assert alice_client.get(url + "?m=10").status_code == 204


def test_the_confirmation_page_says_when_accepting_is_not_possible(client, tom, alice):
    second = UserFactory(display_name="Gus")
    link(second, tom)
    invitation, secrets = pairing_invitation_create(parent=UserFactory(display_name="Thea"))
    client.force_login(tom)
    page = client.get(_enter_code(client, secrets.code)["Location"]).content.decode()
    assert "the most allowed" in page
    assert re.search(r'value="accept"\s+disabled', page)
    response = _accept(client, invitation)
    assert response.status_code == 400
    assert "the most allowed" in response.content.decode()


def test_the_admin_lists_invitations_and_links_without_any_code(client, alice, tom):
    admin = UserFactory(is_staff=True, is_superuser=True)
    invitation, secrets = pairing_invitation_create(parent=alice)
    tom_link = GuardianLink.objects.get(parent=alice, teen=tom)
    from accounts.pairing.unlinking import guardian_unlink

    guardian_unlink(link=tom_link, guardian=alice)
    client.force_login(admin)
    pages = [
        "/admin/accounts/pairinginvitation/",
        f"/admin/accounts/pairinginvitation/{invitation.pk}/change/",
        "/admin/accounts/guardianlink/",
        f"/admin/accounts/guardianlink/{tom_link.pk}/change/",
        "/admin/accounts/unlinkrequest/",
        "/admin/accounts/attemptcounter/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in (secrets.code, secrets.code_display, secrets.token, invitation.code_hash):
            assert secret not in html
    history = client.get(pages[3]).content.decode()
    assert "link.ended" in history and "Alice unlinked from Tom." in history
