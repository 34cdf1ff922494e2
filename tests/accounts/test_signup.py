from __future__ import annotations

from datetime import date
from urllib.parse import unquote

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import Role, User

TODAY = date(2026, 6, 15)


def _signup(client, *, birth_date: date | str, email: str = "new@example.com"):
    return client.post(
        reverse("account_signup"),
        {
            "display_name": "Sam",
            "email": email,
            "birth_date": str(birth_date),
            "time_zone": "Europe/Paris",
            "password1": "a very long passphrase 42",
            "password2": "a very long passphrase 42",
        },
    )


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("birth_date", "role"),
    [
        (date(2013, 6, 15), Role.TEEN),  # 13 today
        (date(2008, 6, 16), Role.TEEN),  # turns 18 tomorrow
        (date(2008, 6, 15), Role.ADULT),  # 18 today
        (date(1980, 1, 1), Role.ADULT),
    ],
)
def test_it_signs_up_at_the_age_boundaries(client, birth_date, role):
    response = _signup(client, birth_date=birth_date)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.role == role
    assert user.birth_date == birth_date
    assert user.time_zone == "Europe/Paris"
    assert user.display_name == "Sam"


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_it_refuses_a_child_one_day_short_of_13(client):
    response = _signup(client, birth_date=date(2013, 6, 16))  # 12 years 364 days
    assert response.status_code == 200
    assert "at least 13" in response.content.decode()
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_it_refuses_a_birth_date_in_the_future(client):
    response = _signup(client, birth_date=date(2027, 1, 1))
    assert "cannot be in the future" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_counts_a_29_february_birthday_from_1_march():
    user = User(birth_date=date(2008, 2, 29))
    assert user.age(on=date(2026, 2, 28)) == 17
    assert user.age(on=date(2026, 3, 1)) == 18
    assert user.age(on=date(2024, 2, 29)) == 16


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_it_requires_email_verification_before_sign_in(client):
    _signup(client, birth_date=date(1990, 1, 1))
    assert len(mail.outbox) == 1
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "new@example.com", "password": "a very long passphrase 42"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    # Following the link in the e-mail verifies the address and signs in.
    body = mail.outbox[-1].body
    key = unquote(body.split("/accounts/confirm-email/")[1].split("/")[0])
    response = client.post(reverse("account_confirm_email", args=[key]))
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_it_does_not_reveal_whether_an_address_is_registered(client, alice):
    response = _signup(client, birth_date=date(1990, 1, 1), email=alice.email)
    # Same outcome as a fresh address: sent to "check your e-mail", and alice is told by mail.
    assert response.status_code == 302
    assert User.objects.filter(email=alice.email).count() == 1


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
def test_the_confirmation_key_reaches_the_server_in_one_request_path_only(client):
    """The e-mailed link moves its key into the session and on to a key-free page, which posts
    the confirmation to itself: access logs see the key once, and it cannot be used twice."""
    _signup(client, birth_date=date(1990, 1, 1))
    client.logout()
    # Signing in waits for the address to be verified; the confirmation then completes it.
    client.post(
        reverse("account_login"),
        {"login": "new@example.com", "password": "a very long passphrase 42"},
    )
    key = unquote(mail.outbox[-1].body.split("/accounts/confirm-email/")[1].split("/")[0])
    link = reverse("account_confirm_email", args=[key])

    response = client.get(link)
    assert response.status_code == 302
    page_url = response["Location"]
    assert page_url == reverse("account_confirm_email_stashed")
    assert key not in page_url
    page = client.get(page_url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "new@example.com" in body
    assert f'action="{page_url}"' in body
    assert key not in body
    assert not EmailAddress.objects.get(email="new@example.com").verified

    response = client.post(page_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified
    assert client.get(reverse("dashboard")).status_code == 200

    # Spent: the page has no key any more, and the link itself no longer confirms anything.
    assert client.post(page_url).status_code == 404
    client.logout()
    client.get(link)
    assert "expired or is invalid" in client.get(page_url).content.decode()


@pytest.mark.django_db
def test_the_key_free_confirmation_page_without_a_link_says_it_is_invalid(client):
    response = client.get(reverse("account_confirm_email_stashed"))
    assert response.status_code == 200
    assert "expired or is invalid" in response.content.decode()
    assert client.post(reverse("account_confirm_email_stashed")).status_code == 404
