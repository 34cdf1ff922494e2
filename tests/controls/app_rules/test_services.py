"""The writes of issue 13: audited, versioned, the other guardians told, the policy changed at
once; the teen and strangers refused."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from controls.app_models import AppRule, FamilyAppLabel, Lock
from controls.app_rules.describe import app_display_name
from controls.app_rules.locks import lock_end, lock_start
from controls.app_rules.selectors import labels_of
from controls.app_rules.services import app_label_set, app_rule_delete, app_rule_set
from controls.effective.cache import policy_entry_for_teen, policy_inputs
from controls.models import AuditEvent, Notification, TeenRules
from tests.factories import UserFactory, link


@pytest.fixture
def dad(tom):
    dad = UserFactory(email="dad@example.com", display_name="Dad")
    link(dad, tom)
    return dad


@pytest.mark.django_db
def test_a_rule_change_is_audited_versioned_and_told_to_the_other_guardian(alice, dad, tom):
    before = policy_entry_for_teen(teen=tom)
    version = TeenRules.objects.get(teen=tom).version
    rule, changed = app_rule_set(
        actor=alice, teen=tom, changes={"app": "roblox", "kind": "limit", "every_day": 45}
    )
    assert changed and TeenRules.objects.get(teen=tom).version == version + 1
    event = AuditEvent.objects.filter(teen=tom, action="app_rules.set").get()
    assert event.details["lines"] == ["Roblox: 45 min every day"]
    assert event.details["after"]["limits"] == [45] * 7
    assert Notification.objects.filter(recipient=dad, title__contains="app rules").exists()
    assert not Notification.objects.filter(recipient=alice, title__contains="app rules").exists()
    after = policy_entry_for_teen(teen=tom)
    assert after.etag != before.etag
    assert [r.app for r in after.policy.app_rules] == ["roblox"]
    # The same values again: nothing recorded.
    assert (
        app_rule_set(
            actor=alice,
            teen=tom,
            changes={"app": "com.roblox.client", "kind": "limit", "every_day": 45},
        )[1]
        is False
    )
    app_rule_delete(actor=alice, teen=tom, rule_id=rule.pk)
    assert not AppRule.objects.exists()
    assert policy_entry_for_teen(teen=tom).policy.app_rules == ()


@pytest.mark.django_db
def test_only_guardians_write(alice, bob, tom):
    for actor in (tom, bob):
        with pytest.raises(PermissionDenied):
            app_rule_set(actor=actor, teen=tom, changes={"category": "games", "kind": "blocked"})
        with pytest.raises(PermissionDenied):
            lock_start(actor=actor, teen=tom)
    assert not AppRule.objects.exists() and not Lock.objects.exists()


@pytest.mark.django_db
def test_a_new_lock_of_the_same_scope_replaces_the_old_and_unlock_ends_at_once(alice, tom):
    first = lock_start(actor=alice, teen=tom, category="games")
    second = lock_start(actor=alice, teen=tom, category="games")
    first.refresh_from_db()
    assert first.ended_at is not None and second.ended_at is None
    assert policy_entry_for_teen(teen=tom).policy.allowed  # games only
    everything = lock_start(actor=alice, teen=tom)
    assert policy_entry_for_teen(teen=tom).policy.reason == "locked"
    lock_end(actor=alice, teen=tom, lock_id=everything.pk)
    assert policy_entry_for_teen(teen=tom).policy.reason == "ok"
    actions = list(AuditEvent.objects.filter(teen=tom).values_list("action", flat=True))
    assert actions.count("lock.start") == 3 and actions.count("lock.end") == 1


@pytest.mark.django_db
def test_a_family_label_names_an_unknown_app_everywhere(alice, tom):
    with pytest.raises(ValidationError) as error:
        app_label_set(actor=alice, teen=tom, app="com.whatsapp", name="x", category="social")
    assert "app" in error.value.message_dict
    app_label_set(actor=alice, teen=tom, app="com.example.Quiz", name="Quiz", category="education")
    app_rule_set(actor=alice, teen=tom, changes={"category": "education", "kind": "always_allowed"})
    assert FamilyAppLabel.objects.get(teen=tom).app == "com.example.quiz"
    # Named "Education", its time is not counted: the always-allowed Education rule covers it.
    allowed = policy_inputs(teen=tom).always_allowed_apps
    assert "com.example.quiz" in allowed and "com.example.other" not in allowed
    assert app_display_name("com.example.quiz", labels_of(tom)) == "Quiz"


@pytest.mark.django_db
def test_a_stranger_gets_404_for_another_familys_rule(alice, bob, tom, client):
    rule, _ = app_rule_set(actor=alice, teen=tom, changes={"app": "tiktok", "kind": "blocked"})
    client.force_login(bob)
    url = f"/api/v1/teens/{tom.pk}/app-rules/{rule.pk}"
    assert client.delete(url).status_code == 404
    response = client.patch(url, json.dumps({"kind": "limit"}), content_type="application/json")
    assert response.status_code == 404
    assert AppRule.objects.get(pk=rule.pk).kind == "blocked"
