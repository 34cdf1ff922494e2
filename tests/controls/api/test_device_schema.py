"""The device-facing schema says what the server sends: the policy body and the export have
exactly the fields their serializers declare, and every device-facing field is described."""

from __future__ import annotations

import json

import pytest

from controls.api.data_rights_schema import DataExportSerializer
from controls.api.device_schema import PolicySerializer
from tests.device_support import auth, register


def _fields(serializer) -> set[str]:
    return set(serializer.fields)


@pytest.mark.django_db
def test_the_policy_body_has_exactly_the_declared_fields(client, tom):
    _, token = register(tom)
    body = client.get("/api/v1/device/policy", **auth(token)).json()
    declared = PolicySerializer()
    assert set(body) == _fields(declared)
    assert set(body["browsing"]) == _fields(declared.fields["browsing"])
    assert set(body["privacy"]) == _fields(declared.fields["privacy"])


@pytest.mark.django_db
def test_the_export_has_the_declared_fields(alice_client, tom):
    body = alice_client.get("/api/v1/me/export", HTTP_ACCEPT="application/json").json()
    declared = DataExportSerializer()
    optional = {name for name, field in declared.fields.items() if not field.required}
    assert _fields(declared) - optional <= set(body) <= _fields(declared)
    (teen,) = body["teens"]
    assert set(teen) == _fields(declared.fields["teens"].child)


@pytest.mark.django_db
def test_every_device_facing_field_is_typed_and_described(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]
    for name in ("Policy", "BrowsingRules", "PrivacyRules", "Heartbeat", "EnrolmentToken"):
        for field, spec in components[name]["properties"].items():
            assert "type" in spec or "$ref" in spec or "allOf" in spec or "oneOf" in spec, (
                f"{name}.{field} is untyped"
            )
            if name in ("BrowsingRules", "PrivacyRules"):
                assert spec.get("description"), f"{name}.{field} has no description"
    policy = schema["paths"]["/api/v1/device/policy"]["get"]
    assert "ETag" in policy["responses"]["200"]["headers"]
    assert "ETag" in policy["responses"]["304"]["headers"]
    start = schema["paths"]["/api/v1/device/enrolment"]["post"]
    assert "Retry-After" in start["responses"]["429"]["headers"]
    assert "/_allauth/openapi.json" in schema["info"]["description"]
