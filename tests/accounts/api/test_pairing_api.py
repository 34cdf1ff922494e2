"""The pairing API does everything the pages do, with the same rules."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import GuardianLink, InvitationStatus, LinkStatus, UnlinkRequest
from accounts.pairing.services import (
    INVALID_CODE_MESSAGE,
    pairing_accept,
    pairing_invitation_create,
)
from controls.models import Notification, NotificationKind, TeenRules
from tests.factories import PASSWORD, TeenFactory, UserFactory

pytestmark = pytest.mark.django_db


def _post(client, path: str, data: dict | None = None, **extra):
    return client.post(path, data or {}, content_type="application/json", **extra)


def test_a_parent_creates_lists_reads_and_revokes_invitations(alice_client, alice):
    response = _post(alice_client, "/api/v1/pairing/invitations")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert len(body["code"]) == 8 and body["code_display"][4] == "-"
    assert body["url"].endswith("/pair/" + body["token"])

    listed = alice_client.get("/api/v1/pairing/invitations").json()
    assert [i["id"] for i in listed] == [body["id"]]
    detail = alice_client.get(f"/api/v1/pairing/invitations/{body['id']}").json()
    assert detail["code"] == body["code"]

    revoked = _post(alice_client, f"/api/v1/pairing/invitations/{body['id']}/revoke").json()
    assert revoked["status"] == "revoked"
    assert revoked["code"] is None and revoked["token"] is None


def test_a_teen_cannot_create_invitations(tom_client):
    response = _post(tom_client, "/api/v1/pairing/invitations")
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


def test_a_teen_looks_up_and_accepts_by_code(client, alice, uma):
    invitation, secrets = pairing_invitation_create(parent=alice)
    client.force_login(uma)
    preview = _post(client, "/api/v1/pairing/lookup", {"code": secrets.code_display.lower()})
    assert preview.status_code == 200
    body = preview.json()
    assert body["parent"]["display_name"] == "Alice"
    assert body["parent"]["email"] == "alice@example.com"
    assert body["needs_guardian_approval"] is False
    assert any("screen-time" in line for line in body["can_see_and_manage"])
    assert not GuardianLink.objects.exists()  # looking is not accepting

    response = _post(client, "/api/v1/pairing/accept", {"code": secrets.code})
    assert response.status_code == 201
    assert response.json()["status"] == "active"
    assert response.json()["parent"]["id"] == alice.pk
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert Notification.objects.get(recipient=alice).kind == NotificationKind.LINK_ACCEPTED


def test_a_teen_accepts_by_token_and_declines_by_code(client, alice, uma):
    _, first = pairing_invitation_create(parent=alice)
    other = UserFactory(display_name="Oli")
    declined, second = pairing_invitation_create(parent=other)
    client.force_login(uma)
    response = _post(client, "/api/v1/pairing/decline", {"code": second.code})
    assert response.status_code == 200 and response.json() == {"status": "declined"}
    declined.refresh_from_db()
    assert declined.status == InvitationStatus.DECLINED
    response = _post(client, "/api/v1/pairing/accept", {"token": first.token})
    assert response.status_code == 201


def test_bad_input_names_the_field(client, uma):
    client.force_login(uma)
    assert "code" in _post(client, "/api/v1/pairing/lookup", {}).json()
    assert "code" in _post(client, "/api/v1/pairing/lookup", {"code": "0O1IL"}).json()
    both = _post(client, "/api/v1/pairing/lookup", {"code": "ABCDEFGH", "token": "x"})
    assert both.status_code == 400 and "code" in both.json()


def test_wrong_and_used_codes_get_the_same_answer(client, alice, uma):
    used, secrets = pairing_invitation_create(parent=alice)
    pairing_accept(invitation=used, teen=TeenFactory())
    client.force_login(uma)
    wrong = _post(client, "/api/v1/pairing/accept", {"code": "ABCDEFGH"})
    reused = _post(client, "/api/v1/pairing/accept", {"code": secrets.code})
    assert wrong.status_code == reused.status_code == 400
    assert wrong.json() == reused.json() == {"detail": INVALID_CODE_MESSAGE, "code": "invalid_code"}


def test_an_adult_cannot_accept_through_the_api(client, alice, carl):
    _, secrets = pairing_invitation_create(parent=alice)
    client.force_login(carl)
    response = _post(client, "/api/v1/pairing/accept", {"code": secrets.code})
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_teen"
    client.force_login(alice)
    own = _post(client, "/api/v1/pairing/lookup", {"token": secrets.token})
    assert own.status_code == 403
    assert own.json()["code"] == "own_invitation"
    assert not GuardianLink.objects.exists()


def test_the_api_answers_429_with_retry_after(client, uma):
    client.force_login(uma)
    for _ in range(5):
        assert _post(client, "/api/v1/pairing/lookup", {"code": "ABCDEFGH"}).status_code == 400
    response = _post(client, "/api/v1/pairing/lookup", {"code": "ABCDEFGH"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_links_are_listed_for_both_sides(alice_client, alice, tom, client):
    links = alice_client.get("/api/v1/links").json()
    assert [(link["parent"]["id"], link["teen"]["id"]) for link in links] == [(alice.pk, tom.pk)]
    client.force_login(tom)
    assert [link["parent"]["display_name"] for link in client.get("/api/v1/links").json()] == [
        "Alice"
    ]


def test_a_guardian_and_a_teen_unlink_through_the_api(client, alice, tom):
    first = GuardianLink.objects.get(parent=alice, teen=tom)
    client.force_login(alice)
    response = _post(client, f"/api/v1/links/{first.pk}/unlink")
    assert response.status_code == 200
    assert response.json()["link"]["status"] == "ended"
    assert response.json()["unlink_request"] is None
    assert Notification.objects.get(recipient=tom).kind == NotificationKind.LINK_ENDED

    gus = UserFactory()
    invitation, _ = pairing_invitation_create(parent=gus)
    second = pairing_accept(invitation=invitation, teen=tom)
    client.force_login(tom)
    response = _post(client, f"/api/v1/links/{second.pk}/unlink")
    assert response.status_code == 200
    assert response.json()["link"]["end_reason"] == "teen_unlinked"


def test_a_teens_unlink_becomes_a_request_when_approval_is_on(client, alice, tom):
    TeenRules.objects.filter(teen=tom).update(unlink_needs_approval=True)
    link = GuardianLink.objects.get(parent=alice, teen=tom)
    client.force_login(tom)
    response = _post(client, f"/api/v1/links/{link.pk}/unlink")
    assert response.status_code == 202
    request_id = response.json()["unlink_request"]["id"]
    assert [r["id"] for r in client.get("/api/v1/unlink-requests").json()] == [request_id]

    client.force_login(alice)
    assert [r["id"] for r in client.get("/api/v1/unlink-requests").json()] == [request_id]
    response = _post(client, f"/api/v1/unlink-requests/{request_id}/decline")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    again = _post(client, f"/api/v1/unlink-requests/{request_id}/approve")
    assert again.status_code == 400 and again.json()["code"] == "not_pending"


def test_the_teen_withdraws_an_unlink_request_through_the_api(client, alice, tom):
    TeenRules.objects.filter(teen=tom).update(unlink_needs_approval=True)
    link = GuardianLink.objects.get(parent=alice, teen=tom)
    client.force_login(tom)
    request_id = _post(client, f"/api/v1/links/{link.pk}/unlink").json()["unlink_request"]["id"]
    response = _post(client, f"/api/v1/unlink-requests/{request_id}/cancel")
    assert response.json()["status"] == "cancelled"


def test_a_guardian_approves_a_second_guardian_through_the_api(client, alice, tom):
    gus = UserFactory(display_name="Gus")
    invitation, _ = pairing_invitation_create(parent=gus)
    pending = pairing_accept(invitation=invitation, teen=tom)
    client.force_login(alice)
    approvals = client.get("/api/v1/links/approvals").json()
    assert [a["id"] for a in approvals] == [pending.pk]
    response = _post(client, f"/api/v1/links/{pending.pk}/approve")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_a_guardian_refuses_a_second_guardian_through_the_api(client, alice, tom):
    invitation, _ = pairing_invitation_create(parent=UserFactory())
    pending = pairing_accept(invitation=invitation, teen=tom)
    client.force_login(alice)
    response = _post(client, f"/api/v1/links/{pending.pk}/refuse")
    assert response.status_code == 200 and response.json()["status"] == "refused"


def test_a_stranger_parent_gets_404_on_another_familys_invitations_and_links(
    client, alice, tom, bob
):
    invitation, _ = pairing_invitation_create(parent=alice)
    link = GuardianLink.objects.get(parent=alice, teen=tom)
    gus_invitation, _ = pairing_invitation_create(parent=UserFactory())
    pending = pairing_accept(invitation=gus_invitation, teen=tom)
    TeenRules.objects.filter(teen=tom).update(unlink_needs_approval=True)
    from accounts.pairing.unlinking import teen_unlink

    unlink_request = teen_unlink(link=link, teen=tom)
    client.force_login(bob)
    assert client.get(f"/api/v1/pairing/invitations/{invitation.pk}").status_code == 404
    assert _post(client, f"/api/v1/pairing/invitations/{invitation.pk}/revoke").status_code == 404
    assert _post(client, f"/api/v1/links/{link.pk}/unlink").status_code == 404
    assert _post(client, f"/api/v1/links/{pending.pk}/approve").status_code == 404
    assert _post(client, f"/api/v1/links/{pending.pk}/refuse").status_code == 404
    for action in ("approve", "decline", "cancel"):
        path = f"/api/v1/unlink-requests/{unlink_request.pk}/{action}"
        assert _post(client, path).status_code == 404
    assert all(row["teen"]["id"] != tom.pk for row in client.get("/api/v1/links").json())
    assert client.get("/api/v1/links/approvals").json() == []
    invitation.refresh_from_db()
    link.refresh_from_db()
    pending.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert link.status == LinkStatus.ACTIVE
    assert pending.status == LinkStatus.PENDING_APPROVAL
    assert UnlinkRequest.objects.get().status == "pending"


def test_anonymous_callers_get_401(client):
    assert client.get("/api/v1/links").status_code == 401
    assert _post(client, "/api/v1/pairing/invitations").status_code == 401


def test_an_app_pairs_with_a_headless_session_token(client, alice, uma):
    _, secrets = pairing_invitation_create(parent=alice)
    login = client.post(
        "/_allauth/app/v1/auth/login",
        data=json.dumps({"email": uma.email, "password": PASSWORD}),
        content_type="application/json",
    )
    token = login.json()["meta"]["session_token"]
    client.logout()
    response = _post(
        client, "/api/v1/pairing/accept", {"code": secrets.code}, HTTP_X_SESSION_TOKEN=token
    )
    assert response.status_code == 201


def test_every_pairing_route_is_in_the_schema(client):
    paths = json.loads(client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content)[
        "paths"
    ]
    for path in (
        "/api/v1/pairing/invitations",
        "/api/v1/pairing/invitations/{invitation_id}",
        "/api/v1/pairing/invitations/{invitation_id}/revoke",
        "/api/v1/pairing/lookup",
        "/api/v1/pairing/accept",
        "/api/v1/pairing/decline",
        "/api/v1/links",
        "/api/v1/links/approvals",
        "/api/v1/links/{link_id}/unlink",
        "/api/v1/links/{link_id}/approve",
        "/api/v1/links/{link_id}/refuse",
        "/api/v1/unlink-requests",
        "/api/v1/unlink-requests/{request_id}/approve",
        "/api/v1/unlink-requests/{request_id}/decline",
        "/api/v1/unlink-requests/{request_id}/cancel",
    ):
        assert path in paths, path
    assert "429" in paths["/api/v1/pairing/accept"]["post"]["responses"]
    assert "404" in paths["/api/v1/links/{link_id}/unlink"]["post"]["responses"]
