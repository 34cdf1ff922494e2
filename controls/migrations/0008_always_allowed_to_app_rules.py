"""Today's typed always-allowed list (`TeenRules.always_allowed_apps`) becomes always-allowed
app rules, matched to catalogue entries where the identifier is known (``com.whatsapp`` → the
WhatsApp rule, which also covers WhatsApp's other identifiers), else kept as the raw identifier.

Reversible: going back, each teen's list is rebuilt from their always-allowed app rules, a
catalogue app as its Android and iOS identifiers (so the old code allows at least what it did).
"""

from django.db import migrations

from controls.catalogue.lookup import app_key, catalogue


def forwards(apps, schema_editor):
    TeenRules = apps.get_model("controls", "TeenRules")
    AppRule = apps.get_model("controls", "AppRule")
    for rules in TeenRules.objects.exclude(always_allowed_apps=[]).iterator():
        keys = []
        for identifier in rules.always_allowed_apps or []:
            key = app_key(str(identifier))
            if key and key not in keys:
                keys.append(key)
        for key in keys:
            AppRule.objects.get_or_create(
                teen_id=rules.teen_id, app=key, defaults={"kind": "always_allowed"}
            )
        rules.always_allowed_apps = []
        rules.save(update_fields=["always_allowed_apps"])


def backwards(apps, schema_editor):
    TeenRules = apps.get_model("controls", "TeenRules")
    AppRule = apps.get_model("controls", "AppRule")
    known = catalogue().by_key
    lists: dict[int, list[str]] = {}
    for rule in AppRule.objects.filter(kind="always_allowed").exclude(app="").order_by("id"):
        entry = known.get(rule.app)
        identifiers = [*entry.android, *entry.ios] if entry else [rule.app]
        target = lists.setdefault(rule.teen_id, [])
        target += [identifier for identifier in identifiers if identifier not in target]
    for teen_id, identifiers in lists.items():
        TeenRules.objects.filter(teen_id=teen_id).update(always_allowed_apps=identifiers)
    AppRule.objects.filter(kind="always_allowed").exclude(app="").delete()


class Migration(migrations.Migration):
    dependencies = [("controls", "0007_app_rules_locks_labels")]

    operations = [migrations.RunPython(forwards, backwards)]
