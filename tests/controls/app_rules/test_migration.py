"""The data migration of today's typed always-allowed list onto always-allowed app rules
(controls 0008), forwards and back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import TeenFactory

BEFORE = [("controls", "0007_app_rules_locks_labels")]
AFTER = [("controls", "0008_always_allowed_to_app_rules")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_typed_identifiers_become_app_rules_and_come_back():
    teen = TeenFactory(email="t@example.com")
    other = TeenFactory(email="o@example.com")
    old = _migrate(BEFORE)
    TeenRules = old.get_model("controls", "TeenRules")
    TeenRules.objects.filter(teen_id__in=[teen.pk, other.pk]).delete()
    TeenRules.objects.create(
        teen_id=teen.pk,
        always_allowed_apps=["com.apple.mobilephone", "com.whatsapp", "WhatsApp", "org.example.x"],
    )
    TeenRules.objects.create(teen_id=other.pk, always_allowed_apps=[])

    new = _migrate(AFTER)
    AppRule = new.get_model("controls", "AppRule")
    rules = sorted(AppRule.objects.filter(teen_id=teen.pk).values_list("app", "kind"))
    # Matched to the catalogue where known ("com.apple.mobilephone" is Phone; "com.whatsapp"
    # and the typed key "WhatsApp" are one rule); an unknown identifier is kept as typed.
    assert rules == [
        ("org.example.x", "always_allowed"),
        ("phone", "always_allowed"),
        ("whatsapp", "always_allowed"),
    ]
    assert not AppRule.objects.filter(teen_id=other.pk).exists()
    assert (
        new.get_model("controls", "TeenRules").objects.get(teen_id=teen.pk).always_allowed_apps
        == []
    )

    back = _migrate(BEFORE)
    restored = back.get_model("controls", "TeenRules").objects.get(teen_id=teen.pk)
    # Each catalogue app comes back as its Android and iOS identifiers: at least what was typed.
    assert {"com.apple.mobilephone", "com.whatsapp", "org.example.x"} <= set(
        restored.always_allowed_apps
    )
    assert not back.get_model("controls", "AppRule").objects.exists()
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("controls"))
