"""Who may see and who may change a teen's rules: one check each, for pages and the API.

- A guardian with an active link sees and changes.
- The teen sees their own rules but cannot change them (403: they know the page exists).
- Everyone else gets 404, so a stranger cannot even learn that the teen exists.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from accounts.selectors import teen_for_guardian


def _is_self(user: User, teen_id) -> bool:
    return str(user.pk) == str(teen_id)


def teen_for_viewer(*, user: User, teen_id) -> User:
    """The teen, for the teen themself or one of their guardians; 404 for anyone else."""
    if _is_self(user, teen_id):
        if not user.is_teen:
            raise Http404("No such teen.")
        return User.objects.select_related("rules").get(pk=user.pk)
    return teen_for_guardian(guardian=user, teen_id=teen_id)


def teen_for_rule_change(*, user: User, teen_id) -> User:
    """The teen, for one of their guardians; 403 for the teen themself; 404 for anyone else."""
    if _is_self(user, teen_id):
        raise PermissionDenied("Only a guardian can change these rules.")
    return teen_for_guardian(guardian=user, teen_id=teen_id)
