"""A second guardian's approval, unlinking from either side (with or without a guardian's
approval), and the end of supervision at 18."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.models import (
    EndReason,
    GuardianLink,
    LinkStatus,
    UnlinkRequest,
    UnlinkRequestStatus,
)
from accounts.pairing.guardians import guardian_link_approve
from accounts.pairing.services import NotAllowed, pairing_accept, pairing_invitation_create
from accounts.pairing.unlinking import links_end_at_18, teen_unlink
from controls.models import AuditEvent, Notification, NotificationKind, TeenRules
from tests.factories import TeenFactory, UserFactory, link

pytestmark = pytest.mark.django_db


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


@pytest.fixture
def gus(db):
    """A second parent who wants to link with tom (alice's teen)."""
    return UserFactory(email="gus@example.com", display_name="Gus")


@pytest.fixture
def gus_pending(gus, tom):
    invitation, _ = pairing_invitation_create(parent=gus)
    return pairing_accept(invitation=invitation, teen=tom)


# --- a second guardian ---------------------------------------------------------------------------


def test_a_second_guardian_waits_for_the_first_ones_approval(gus_pending, alice, gus, tom):
    assert gus_pending.status == LinkStatus.PENDING_APPROVAL
    approval = Notification.objects.get(recipient=alice)
    assert approval.kind == NotificationKind.GUARDIAN_APPROVAL_NEEDED
    assert approval.link == reverse("guardian_approval", args=[gus_pending.pk])
    assert "Gus wants to become Tom's guardian" in approval.title
    assert _kinds(gus) == [NotificationKind.LINK_ACCEPTED]
    # Gus cannot manage Tom yet
    from accounts.selectors import is_guardian_of

    assert not is_guardian_of(guardian=gus, teen=tom)


def test_the_first_guardian_approves_from_the_page(client, gus_pending, alice, gus, tom):
    client.force_login(alice)
    page = client.get(reverse("guardian_approval", args=[gus_pending.pk])).content.decode()
    assert "Approve Gus as Tom" in page and "gus@example.com" in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Waiting for your approval" in dashboard
    response = client.post(
        reverse("guardian_approval", args=[gus_pending.pk]), {"answer": "approve"}
    )
    assert response.status_code == 302
    gus_pending.refresh_from_db()
    assert gus_pending.status == LinkStatus.ACTIVE
    assert gus_pending.approved_by == alice
    assert NotificationKind.LINK_APPROVED in _kinds(gus)
    assert NotificationKind.LINK_APPROVED in _kinds(tom)
    assert AuditEvent.objects.filter(teen=tom, action="link.approved", actor=alice).exists()


def test_the_first_guardian_refuses(client, gus_pending, alice, gus, tom):
    client.force_login(alice)
    client.post(reverse("guardian_approval", args=[gus_pending.pk]), {"answer": "refuse"})
    gus_pending.refresh_from_db()
    assert gus_pending.status == LinkStatus.REFUSED
    assert gus_pending.ended_by == alice
    assert NotificationKind.LINK_REFUSED in _kinds(gus)
    assert NotificationKind.LINK_REFUSED in _kinds(tom)
    assert AuditEvent.objects.filter(teen=tom, action="link.refused").exists()


def test_only_an_existing_guardian_can_approve(client, gus_pending, gus, bob, tom):
    for outsider in (gus, bob, tom):
        client.force_login(outsider)
        url = reverse("guardian_approval", args=[gus_pending.pk])
        assert client.get(url).status_code in (302, 404)
        assert client.post(url, {"answer": "approve"}).status_code in (302, 404)
        with pytest.raises(NotAllowed):
            guardian_link_approve(link=gus_pending, guardian=outsider)
    gus_pending.refresh_from_db()
    assert gus_pending.status == LinkStatus.PENDING_APPROVAL


def test_the_teen_sees_and_can_cancel_a_link_waiting_for_approval(client, gus_pending, gus, tom):
    client.force_login(tom)
    page = client.get(reverse("my_guardians")).content.decode()
    assert "Waiting for approval" in page and "Gus" in page
    client.post(reverse("teen_unlink", args=[gus_pending.pk]))
    gus_pending.refresh_from_db()
    assert gus_pending.status == LinkStatus.ENDED
    assert NotificationKind.LINK_ENDED in _kinds(gus)


def test_the_new_parent_can_withdraw_while_waiting(client, gus_pending, gus):
    client.force_login(gus)
    assert "Waiting for another guardian" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("guardian_link_withdraw", args=[gus_pending.pk]))
    gus_pending.refresh_from_db()
    assert gus_pending.status == LinkStatus.ENDED


def test_a_waiting_link_is_cancelled_when_no_guardian_is_left_to_approve(
    client, gus_pending, alice, gus, tom
):
    client.force_login(alice)
    client.post(reverse("guardian_unlink", args=[tom.pk]))
    gus_pending.refresh_from_db()
    assert gus_pending.status == LinkStatus.REFUSED
    assert gus_pending.ended_by is None
    assert NotificationKind.LINK_REFUSED in _kinds(gus)


# --- a guardian unlinks --------------------------------------------------------------------------


@time_machine.travel(
    datetime(2026, 6, 10, 12, 0, tzinfo=UTC), tick=False
)  # not in tom's mute hours
def test_a_guardian_unlinks_after_confirming(
    client, alice, tom, django_capture_on_commit_callbacks
):
    from django.core import mail

    co = UserFactory(display_name="Cora")
    link(co, tom)
    client.force_login(alice)
    page = client.get(reverse("guardian_unlink", args=[tom.pk])).content.decode()
    assert "Unlink from Tom?" in page and "Cora" in page
    assert GuardianLink.objects.get(parent=alice, teen=tom).status == LinkStatus.ACTIVE

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("guardian_unlink", args=[tom.pk]))
    assert response.status_code == 302
    ended = GuardianLink.objects.get(parent=alice, teen=tom)
    assert ended.status == LinkStatus.ENDED
    assert (ended.ended_by, ended.end_reason) == (alice, EndReason.GUARDIAN_UNLINKED)
    assert _kinds(tom) == [NotificationKind.LINK_ENDED]
    assert _kinds(co) == [NotificationKind.LINK_ENDED]
    assert _kinds(alice) == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted([tom.email, co.email])
    assert AuditEvent.objects.filter(teen=tom, action="link.ended", actor=alice).exists()
    # alice no longer reaches tom
    assert client.get(reverse("guardian_unlink", args=[tom.pk])).status_code == 404


def test_a_stranger_parent_gets_404_on_another_familys_links(client, bob, tom, alice):
    client.force_login(bob)
    assert client.get(reverse("guardian_unlink", args=[tom.pk])).status_code == 404
    assert client.post(reverse("guardian_unlink", args=[tom.pk])).status_code == 404
    alice_link = GuardianLink.objects.get(parent=alice, teen=tom)
    assert client.post(reverse("guardian_link_withdraw", args=[alice_link.pk])).status_code == 404
    assert client.get(reverse("guardian_approval", args=[alice_link.pk])).status_code == 404
    assert alice_link.status == LinkStatus.ACTIVE


# --- the teen unlinks ----------------------------------------------------------------------------


def test_the_teen_unlinks_and_every_guardian_is_told_at_once(client, alice, tom):
    co = UserFactory(display_name="Cora")
    link(co, tom)
    alice_link = GuardianLink.objects.get(parent=alice, teen=tom)
    client.force_login(tom)
    page = client.get(reverse("teen_unlink", args=[alice_link.pk])).content.decode()
    assert "Unlink from Alice?" in page and "told right away" in page

    client.post(reverse("teen_unlink", args=[alice_link.pk]))
    alice_link.refresh_from_db()
    assert alice_link.status == LinkStatus.ENDED
    assert (alice_link.ended_by, alice_link.end_reason) == (tom, EndReason.TEEN_UNLINKED)
    assert _kinds(alice) == [NotificationKind.LINK_ENDED]
    assert _kinds(co) == [NotificationKind.LINK_ENDED]
    assert "Tom unlinked from you" in Notification.objects.get(recipient=alice).title
    assert "Tom unlinked from Alice" in Notification.objects.get(recipient=co).title


def test_a_teen_cannot_unlink_someone_elses_link(client, tom, tina, bob):
    bob_link = GuardianLink.objects.get(parent=bob, teen=tina)
    client.force_login(tom)
    assert client.post(reverse("teen_unlink", args=[bob_link.pk])).status_code == 404
    with pytest.raises(NotAllowed):
        teen_unlink(link=bob_link, teen=tom)
    bob_link.refresh_from_db()
    assert bob_link.status == LinkStatus.ACTIVE


@pytest.fixture
def approval_on(tom):
    TeenRules.objects.filter(teen=tom).update(unlink_needs_approval=True)


def test_with_approval_on_the_teens_unlink_becomes_a_request(client, approval_on, alice, tom):
    alice_link = GuardianLink.objects.get(parent=alice, teen=tom)
    client.force_login(tom)
    assert "Ask to unlink" in client.get(reverse("my_guardians")).content.decode()
    client.post(reverse("teen_unlink", args=[alice_link.pk]))
    client.post(reverse("teen_unlink", args=[alice_link.pk]))  # twice: still one request
    alice_link.refresh_from_db()
    assert alice_link.status == LinkStatus.ACTIVE
    request = UnlinkRequest.objects.get(link=alice_link)
    assert request.status == UnlinkRequestStatus.PENDING
    assert _kinds(alice) == [NotificationKind.UNLINK_REQUESTED]
    assert "Waiting for a guardian" in client.get(reverse("my_guardians")).content.decode()


def test_a_guardian_approves_the_teens_unlink_request(client, approval_on, alice, tom):
    alice_link = GuardianLink.objects.get(parent=alice, teen=tom)
    request = teen_unlink(link=alice_link, teen=tom)
    client.force_login(alice)
    assert "Unlink requests" in client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("unlink_request", args=[request.pk])).content.decode()
    assert "Tom asked to unlink from you" in page
    client.post(reverse("unlink_request", args=[request.pk]), {"answer": "approve"})
    request.refresh_from_db()
    alice_link.refresh_from_db()
    assert request.status == UnlinkRequestStatus.APPROVED and request.decided_by == alice
    assert alice_link.status == LinkStatus.ENDED
    assert alice_link.end_reason == EndReason.TEEN_UNLINKED
    assert _kinds(tom) == [NotificationKind.LINK_ENDED]


def test_a_guardian_declines_the_teens_unlink_request(client, approval_on, alice, tom):
    alice_link = GuardianLink.objects.get(parent=alice, teen=tom)
    request = teen_unlink(link=alice_link, teen=tom)
    client.force_login(alice)
    client.post(reverse("unlink_request", args=[request.pk]), {"answer": "decline"})
    request.refresh_from_db()
    alice_link.refresh_from_db()
    assert request.status == UnlinkRequestStatus.DECLINED
    assert alice_link.status == LinkStatus.ACTIVE
    assert _kinds(tom) == [NotificationKind.UNLINK_DECLINED]
    assert AuditEvent.objects.filter(teen=tom, action="link.unlink_declined").exists()


def test_the_teen_withdraws_an_unlink_request(client, approval_on, alice, tom):
    alice_link = GuardianLink.objects.get(parent=alice, teen=tom)
    request = teen_unlink(link=alice_link, teen=tom)
    client.force_login(tom)
    client.post(reverse("teen_unlink_request_cancel", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == UnlinkRequestStatus.CANCELLED


def test_a_stranger_cannot_answer_an_unlink_request(client, approval_on, alice, tom, bob):
    request = teen_unlink(link=GuardianLink.objects.get(parent=alice, teen=tom), teen=tom)
    client.force_login(bob)
    assert client.get(reverse("unlink_request", args=[request.pk])).status_code == 404
    assert (
        client.post(reverse("unlink_request", args=[request.pk]), {"answer": "approve"})
    ).status_code == 404
    request.refresh_from_db()
    assert request.status == UnlinkRequestStatus.PENDING


# --- the 18th birthday ---------------------------------------------------------------------------


def test_supervision_ends_on_the_18th_birthday_in_the_teens_own_time_zone():
    parent = UserFactory(display_name="Pia")
    teen = TeenFactory(
        display_name="Kai", birth_date=date(2008, 6, 15), time_zone="Pacific/Auckland"
    )
    link(parent, teen)
    # 11:30 UTC on 14 June is already 23:30 there, not yet the birthday
    with time_machine.travel(datetime(2026, 6, 14, 11, 30, tzinfo=UTC), tick=False):
        assert links_end_at_18() == 0
    # 12:30 UTC on 14 June is 00:30 on 15 June in Auckland (UTC+12): Kai is 18
    with time_machine.travel(datetime(2026, 6, 14, 12, 30, tzinfo=UTC), tick=False):
        assert links_end_at_18() == 1
        assert links_end_at_18() == 0  # the next run finds nothing
    ended = GuardianLink.objects.get(teen=teen)
    assert ended.status == LinkStatus.ENDED
    assert ended.end_reason == EndReason.TURNED_18
    assert ended.ended_by is None
    assert _kinds(teen) == [NotificationKind.SUPERVISION_ENDED]
    assert _kinds(parent) == [NotificationKind.SUPERVISION_ENDED]
    assert AuditEvent.objects.filter(teen=teen, action="link.ended", actor=None).exists()


def test_the_18th_birthday_task_ends_every_guardians_link_and_only_the_adults():
    from accounts.tasks import guardian_links_end_at_18

    first, second = UserFactory(), UserFactory()
    turning = TeenFactory(birth_date=date(2008, 3, 2), time_zone="UTC")
    younger = TeenFactory(birth_date=date(2008, 3, 3), time_zone="UTC")
    for teen in (turning, younger):
        link(first, teen)
    link(second, turning)
    with time_machine.travel(datetime(2026, 3, 2, 0, 5, tzinfo=UTC), tick=False):
        assert guardian_links_end_at_18.delay().get() == 2
    assert not GuardianLink.objects.filter(teen=turning, status=LinkStatus.ACTIVE).exists()
    assert GuardianLink.objects.get(teen=younger).status == LinkStatus.ACTIVE
    assert _kinds(turning) == [NotificationKind.SUPERVISION_ENDED]
    assert _kinds(first) == [NotificationKind.SUPERVISION_ENDED]
    assert _kinds(second) == [NotificationKind.SUPERVISION_ENDED]


def test_a_leap_day_baby_turns_18_on_the_first_of_march():
    teen = TeenFactory(birth_date=date(2008, 2, 29), time_zone="UTC")
    link(UserFactory(), teen)
    with time_machine.travel(datetime(2026, 2, 28, 12, 0, tzinfo=UTC), tick=False):
        assert links_end_at_18() == 0
    with time_machine.travel(datetime(2026, 3, 1, 0, 30, tzinfo=UTC), tick=False):
        assert links_end_at_18() == 1
