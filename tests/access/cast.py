"""The whole cast for the access matrix, the fuzzers and the log checks, built through the
services (as the product builds it), on top of tests/conftest.py's people:

| role           | who                                                   |
| -------------- | ----------------------------------------------------- |
| anonymous      | nobody signed in                                      |
| guardian       | alice, guardian of tom                                |
| other_guardian | bob, guardian of tina (another family)                |
| teen           | tom (15)                                              |
| other_teen     | tina (16), bob's teen                                 |
| adult          | carl, an adult with no teen                           |
| device         | tom's phone (bearer token)                            |
| other_device   | tina's laptop (bearer token)                          |

Objects in URLs (a device, a time request, an invitation, ...) always belong to tom's family,
so every other role is a stranger to them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD

ROLES = (
    "anonymous",
    "guardian",
    "other_guardian",
    "teen",
    "other_teen",
    "adult",
    "device",
    "other_device",
)
USER_ROLES = ("guardian", "other_guardian", "teen", "other_teen", "adult")
DEVICE_ROLES = ("device", "other_device")


@dataclass
class Cast:
    alice: User
    bob: User
    tom: User
    tina: User
    carl: User
    uma: User
    users: dict[str, User] = field(default_factory=dict)
    device_tokens: dict[str, str] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # tokens and codes to look for in logs

    def client_for(self, role: str, *, api: bool = False) -> Client:
        """A client acting as `role`: a browser session for people (or an app token for the
        API), a bearer token for devices, nothing for the anonymous visitor."""
        if role in DEVICE_ROLES:
            return Client(HTTP_AUTHORIZATION=f"Bearer {self.device_tokens[role]}")
        if role == "anonymous":
            return Client()
        if api:
            return Client(HTTP_X_SESSION_TOKEN=app_token(self.users[role]))
        client = Client()
        client.force_login(self.users[role])
        return client


def app_token(user: User, password: str = PASSWORD) -> str:
    """An allauth headless app token, as a phone app signs in."""
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": user.email, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def build_cast(*, alice, bob, tom, tina, carl, uma) -> Cast:
    """Everything a URL can point at, in tom's family, made through the services."""
    from datetime import time

    from accounts.devices.removal import removed_secret_for_token
    from accounts.devices.services import device_register
    from accounts.pairing.services import pairing_accept, pairing_invitation_create
    from accounts.pairing.unlinking import teen_unlink
    from controls.models import Notification, TeenRules
    from controls.rules.downtime import downtime_window_create
    from controls.time_requests.email_links import email_action_token
    from controls.time_requests.services import time_request_create
    from tests.factories import UserFactory

    cast = Cast(alice=alice, bob=bob, tom=tom, tina=tina, carl=carl, uma=uma)
    cast.users = {
        "guardian": alice,
        "other_guardian": bob,
        "teen": tom,
        "other_teen": tina,
        "adult": carl,
    }
    link = tom.guardian_links.get(parent=alice)
    cast.objects["link"] = link

    device, token = device_register(teen=tom, actor=tom, name="Tom's phone", platform="android")
    cast.objects["device"] = device
    cast.device_tokens["device"] = token
    other, other_token = device_register(
        teen=tina, actor=bob, name="Tina's laptop", platform="windows"
    )
    cast.objects["other_device"] = other
    cast.device_tokens["other_device"] = other_token
    # The uninstall address of tina's device: opening it changes nothing of tom's family.
    cast.secrets["other_device_removed"] = removed_secret_for_token(other_token)

    invitation, secrets = pairing_invitation_create(parent=alice)
    cast.objects["invitation"] = invitation
    cast.secrets.update(pairing_token=secrets.token, pairing_code=secrets.code)

    # A second adult asks to become tom's guardian: the link waits for alice's approval.
    dave = UserFactory(email="dave@example.com", display_name="Dave")
    dave_invitation, _ = pairing_invitation_create(parent=dave)
    cast.objects["pending_link"] = pairing_accept(invitation=dave_invitation, teen=tom)

    cast.objects["window"] = downtime_window_create(
        actor=alice, teen=tom, name="Bedtime", weekdays=list(range(7)), start=time(22), end=time(6)
    )
    # Issue 13: an app rule, a lock and a family label of tom's.
    from controls.app_rules.locks import lock_start
    from controls.app_rules.services import app_label_set, app_rule_set

    cast.objects["app_rule"], _ = app_rule_set(
        actor=alice, teen=tom, changes={"app": "tiktok", "kind": "blocked"}
    )
    cast.objects["lock"] = lock_start(actor=alice, teen=tom, category="games")
    cast.objects["app_label"] = app_label_set(
        actor=alice, teen=tom, app="com.example.quiz", name="Quiz", category="education"
    )
    time_request = time_request_create(teen=tom, minutes=30, reason="homework")
    cast.objects["time_request"] = time_request
    cast.secrets["email_action_token"] = email_action_token(
        time_request=time_request, guardian=alice, action="approve"
    )
    cast.objects["notification"] = Notification.objects.filter(recipient=alice).latest("id")

    # tom's home network filter address (a secret URL any filter may fetch).
    from controls.feeds.services import dns_feed_create

    feed = dns_feed_create(actor=alice, teen=tom)
    cast.secrets.update(dns_feed_token=feed.token, dns_feed_format="adguard")
    cast.secrets["extension_policy_kind"] = "windows.reg"  # not a secret: a file name

    # Unlinking tom from alice needs her approval: tom's unlink becomes a request.
    TeenRules.objects.filter(teen=tom).update(unlink_needs_approval=True)
    cast.objects["unlink_request"] = teen_unlink(link=link, teen=tom)
    return cast


STRANGER_ROLES = ("anonymous", "other_guardian", "other_teen", "adult", "other_device")


def family_state(cast: Cast) -> dict[str, list]:
    """Everything of tom's family a stranger must never change, as plain values: the people,
    their links, invitations, rules, windows, grants, requests, devices, usage, notifications
    and history. (Left out: when a device was last heard from and when someone last signed in;
    neither is a change to the family.)"""
    from allauth.account.models import EmailAddress

    from accounts.models import Device, GuardianLink, PairingInvitation, UnlinkRequest
    from controls.models import (
        AuditEvent,
        DailyUsage,
        DayGrant,
        DnsFeed,
        DowntimeWindow,
        Notification,
        NotificationPreference,
        TeenDay,
        TeenRules,
        TimeRequest,
        UsageEvent,
    )

    family = [cast.alice.pk, cast.tom.pk]
    device_fields = [f.name for f in Device._meta.concrete_fields if f.name != "last_seen_at"]
    user_fields = [f.name for f in User._meta.concrete_fields if f.name != "last_login"]
    feed_fields = [f.name for f in DnsFeed._meta.concrete_fields if f.name != "last_fetched_at"]

    def rows(queryset, *fields) -> list:
        return list(queryset.order_by("pk").values_list(*fields))

    return {
        "users": rows(User.objects.filter(pk__in=family), *user_fields),
        "emails": rows(EmailAddress.objects.filter(user__in=family)),
        "links": rows(GuardianLink.objects.filter(teen=cast.tom)),
        "unlink_requests": rows(UnlinkRequest.objects.filter(link__teen=cast.tom)),
        "invitations": rows(PairingInvitation.objects.filter(parent=cast.alice)),
        "rules": rows(TeenRules.objects.filter(teen=cast.tom)),
        "windows": rows(DowntimeWindow.objects.filter(teen=cast.tom)),
        "grants": rows(DayGrant.objects.filter(teen=cast.tom)),
        "time_requests": rows(TimeRequest.objects.filter(teen=cast.tom)),
        "devices": rows(Device.objects.filter(teen=cast.tom), *device_fields),
        "usage_events": rows(UsageEvent.objects.filter(teen=cast.tom)),
        "daily_usage": rows(DailyUsage.objects.filter(teen=cast.tom)),
        "days": rows(TeenDay.objects.filter(teen=cast.tom)),
        "notifications": rows(Notification.objects.filter(recipient__in=family)),
        "preferences": rows(NotificationPreference.objects.filter(user__in=family)),
        "audit": rows(AuditEvent.objects.filter(teen=cast.tom)),
        # Fetching the feed is not a change to the family: last_fetched_at is left out.
        "dns_feeds": rows(DnsFeed.objects.filter(teen=cast.tom), *feed_fields),
    }
