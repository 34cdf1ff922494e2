from __future__ import annotations

from datetime import date

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User

DEMO_PASSWORD = "family-demo-2026"  # noqa: S105  # nosec B105 - debug-only demo accounts, printed on purpose
DEMO_USERS = [
    ("parent@demo.familypairing.local", "Pat Parent", date(1985, 5, 17), "Europe/London"),
    ("teen@demo.familypairing.local", "Toni Teen", date(2011, 3, 2), "Europe/London"),
]


class Command(BaseCommand):
    help = "Create a demo parent and teen (debug only, once) and print how to sign in."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo only runs with DEBUG=1: it creates accounts with known passwords."
            )
        with transaction.atomic():
            created = False
            for email, name, birth_date, tz in DEMO_USERS:
                user, was_created = User.objects.get_or_create(
                    email=email,
                    defaults={"display_name": name, "birth_date": birth_date, "time_zone": tz},
                )
                if was_created:
                    user.set_password(DEMO_PASSWORD)
                    user.save(update_fields=["password"])
                    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                    created = True
        self.stdout.write(
            self.style.SUCCESS("Demo family " + ("created." if created else "already there."))
        )
        self.stdout.write(f"Sign in at {settings.SITE_URL}/accounts/login/ with:")
        for email, name, _, _ in DEMO_USERS:
            self.stdout.write(f"  {name:<11} {email}  password: {DEMO_PASSWORD}")
        self.stdout.write("The parent can link the teen from the dashboard (Link a teen).")
