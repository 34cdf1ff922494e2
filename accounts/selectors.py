"""Reads about people and their links, and the one access check per object."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Device, GuardianLink, LinkStatus, User


def teen_for_guardian(*, guardian: User, teen_id: int) -> User:
    """The teen `teen_id` if `guardian` has an active link to them; 404 for everyone else, so a
    stranger cannot even learn that the teen exists."""
    try:
        return User.objects.select_related("rules").get(
            pk=teen_id,
            guardian_links__parent=guardian,
            guardian_links__status=LinkStatus.ACTIVE,
        )
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such teen.") from None


def teens_for_guardian(*, guardian: User) -> QuerySet[User]:
    return User.objects.filter(
        guardian_links__parent=guardian, guardian_links__status=LinkStatus.ACTIVE
    ).order_by("display_name", "id")


def guardians_for_teen(*, teen: User) -> QuerySet[User]:
    return User.objects.filter(
        teen_links__teen=teen, teen_links__status=LinkStatus.ACTIVE
    ).order_by("display_name", "id")


def active_links_for_teen(*, teen: User) -> QuerySet[GuardianLink]:
    return GuardianLink.objects.filter(teen=teen, status=LinkStatus.ACTIVE).select_related("parent")


def is_guardian_of(*, guardian: User, teen: User) -> bool:
    return GuardianLink.objects.filter(
        parent=guardian, teen=teen, status=LinkStatus.ACTIVE
    ).exists()


def device_for_user(*, user: User, device_id: int) -> Device:
    """A device the user may manage: their own (teen) or one of their teens' (guardian)."""
    try:
        device = Device.objects.select_related("teen").get(pk=device_id)
    except (Device.DoesNotExist, ValueError, TypeError):
        raise Http404("No such device.") from None
    if device.teen_id == user.pk or is_guardian_of(guardian=user, teen=device.teen):
        return device
    raise Http404("No such device.")
