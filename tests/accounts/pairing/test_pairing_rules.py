"""Pairing: who may pair, the parent's page noticing the answer, the periodic expiry, and the
dashboard and teen pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    GuardianLink,
    InvitationStatus,
    LinkStatus,
)
from accounts.pairing.services import (
    InvitationUnavailable,
    NotAllowed,
    PairingError,
    pairing_accept,
    pairing_invitation_create,
    pairing_invitations_expire,
)
from tests.accounts.pairing.steps import accept_invitation, enter_code
from tests.factories import TeenFactory, UserFactory, birth_date_for_age, link

pytestmark = pytest.mark.django_db


# --- who may pair --------------------------------------------------------------------------------


def test_an_adult_cannot_accept_and_is_told_why(client, alice, carl):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(carl)
    response = client.get(f"/pair/{secrets.token}")
    assert response.status_code == 403
    assert "Only teens (13 to 17) can accept" in response.content.decode()
    assert enter_code(client, secrets.code).status_code == 403
    assert accept_invitation(client, invitation).status_code == 403
    with pytest.raises(NotAllowed):
        pairing_accept(invitation=invitation, teen=carl)
    assert not GuardianLink.objects.exists()


def test_the_parent_opening_their_own_link_is_told_to_show_it_to_the_teen(alice_client, alice):
    _invitation, secrets = pairing_invitation_create(parent=alice)
    response = alice_client.get(f"/pair/{secrets.token}")
    assert response.status_code == 403
    assert "This is your own code" in response.content.decode()
    response = enter_code(alice_client, secrets.code)
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
    page = client.get(enter_code(client, secrets.code)["Location"]).content.decode()
    assert "the most allowed" in page
    assert re.search(r'value="accept"\s+disabled', page)
    response = accept_invitation(client, invitation)
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
