"""An app signs up through allauth's headless API with exactly what the sign-up page asks, and
the same rules: under-13s refused, the role follows from the birth date."""

from __future__ import annotations

import json
from datetime import date

import pytest
import time_machine
from django.core import mail

from accounts.models import Role, User

TODAY = date(2026, 6, 15)
PASSPHRASE = "a very long passphrase 42"


def _signup(client, client_kind: str = "app", **fields):
    body = {
        "email": "new@example.com",
        "password": PASSPHRASE,
        "display_name": "Sam",
        "birth_date": "2010-03-01",
        "time_zone": "Europe/Paris",
        **fields,
    }
    body = {key: value for key, value in body.items() if value is not None}
    return client.post(
        f"/_allauth/{client_kind}/v1/auth/signup",
        data=json.dumps(body),
        content_type="application/json",
    )


def _params(response) -> set[str]:
    return {error.get("param") for error in response.json()["errors"]}


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("client_kind", ["app", "browser"])
def test_it_refuses_an_under_13_naming_the_birth_date(client, client_kind):
    response = _signup(client, client_kind, birth_date="2013-06-16")  # 12 years 364 days
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["param"], e["code"]) for e in errors] == [("birth_date", "under_13")]
    assert "at least 13" in errors[0]["message"]
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["display_name", "birth_date", "time_zone"])
def test_it_requires_each_sign_up_field(client, missing):
    response = _signup(client, **{missing: None})
    assert response.status_code == 400
    assert _params(response) == {missing}
    assert not User.objects.exists()


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"birth_date": "2027-01-01"}, "birth_date"),
        ({"birth_date": "15/06/2010"}, "birth_date"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"display_name": "   "}, "display_name"),
    ],
)
def test_it_refuses_bad_values_naming_the_field(client, fields, param):
    response = _signup(client, **fields)
    assert response.status_code == 400
    assert _params(response) == {param}
    assert not User.objects.exists()


@pytest.mark.django_db
@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("birth_date", "role"),
    [
        ("2013-06-15", Role.TEEN),  # 13 today
        ("2008-06-16", Role.TEEN),  # 18 tomorrow
        ("2008-06-15", Role.ADULT),  # 18 today: may be a parent
    ],
)
def test_it_creates_a_teen_or_a_parent_like_the_sign_up_page(client, birth_date, role):
    response = _signup(client, birth_date=birth_date, display_name="  Sam   Lee ")
    # Signed up, the e-mail address still to verify (allauth's 401 "verify_email" flow).
    assert response.status_code == 401
    flows = {flow["id"]: flow for flow in response.json()["data"]["flows"]}
    assert flows["verify_email"]["is_pending"] is True
    user = User.objects.get(email="new@example.com")
    assert user.role == role
    assert user.birth_date == date.fromisoformat(birth_date)
    assert user.time_zone == "Europe/Paris"
    assert user.display_name == "Sam Lee"
    assert user.check_password(PASSPHRASE)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_it_serves_allauths_openapi_specification_with_our_sign_up_fields(client):
    response = client.get("/_allauth/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert any(path.endswith("/v1/auth/signup") for path in spec["paths"])
    base_signup = spec["components"]["schemas"]["BaseSignup"]
    for field in ("display_name", "birth_date", "time_zone"):
        assert field in base_signup["properties"]
        assert field in base_signup["required"]
    assert client.get("/_allauth/openapi.yaml").status_code == 200


@pytest.mark.django_db
def test_the_api_docs_link_the_sign_in_specification(client):
    schema = client.get("/api/schema/?format=json").json()
    assert "/_allauth/openapi.json" in schema["info"]["description"]
    assert "/api/docs/auth/" in schema["info"]["description"]
    page = client.get("/api/docs/auth/")
    assert page.status_code == 200
    script = client.get("/api/docs/auth/?script=")
    assert 'url: "/_allauth/openapi.json"' in script.content.decode()
