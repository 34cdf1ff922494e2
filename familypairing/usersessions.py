"""allauth's session activity tracking, at most once a minute per session (issue 8).

With `USERSESSIONS_TRACK_ACTIVITY`, allauth updates the session's row ("last seen", address,
browser) in a transaction of four statements on *every* request of a signed-in user: more than
a whole dashboard's own reads. "Last seen" needs minute precision, so this middleware lets
allauth's do its work on the first request of each minute per session (remembered in the cache
under a hash of the session key) and skips it otherwise. Sessions are still listed from their
first request, and a change of address or browser is still noticed, within the minute.
"""

from __future__ import annotations

import hashlib

from allauth.usersessions.middleware import UserSessionsMiddleware
from django.core.cache import cache
from django.http import HttpRequest

TRACK_EVERY_SECONDS = 60


class MinuteUserSessionsMiddleware(UserSessionsMiddleware):
    def __call__(self, request: HttpRequest):
        session = getattr(request, "session", None)
        key = session.session_key if session is not None else None
        if key:
            digest = hashlib.sha256(key.encode()).hexdigest()
            if not cache.add(f"fp:usersession-seen:{digest}", 1, TRACK_EVERY_SECONDS):
                return self.get_response(request)
        return super().__call__(request)
