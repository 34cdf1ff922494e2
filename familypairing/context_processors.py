from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from controls.notifications.selectors import notification_unread_count


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = notification_unread_count(user=user)
    return {"SITE_URL": settings.SITE_URL, "unread_notifications": unread}
