"""Factories for the cast. Ages are relative to today so tests never rot."""

from __future__ import annotations

from datetime import date

import factory
from allauth.account.models import EmailAddress

from accounts.models import GuardianLink, LinkStatus, User

PASSWORD = "correct horse battery staple"


def birth_date_for_age(years: int, *, today: date | None = None) -> date:
    today = today or date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # today is 29 February
        return today.replace(year=today.year - years, day=28)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    birth_date = factory.LazyFunction(lambda: birth_date_for_age(40))
    time_zone = "Europe/London"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class TeenFactory(UserFactory):
    birth_date = factory.LazyFunction(lambda: birth_date_for_age(15))


def link(parent: User, teen: User) -> GuardianLink:
    """An active guardian link with the teen's rules in place, as pairing leaves it."""
    from controls.rules.selectors import rules_ensure_for_teen

    link = GuardianLink.objects.create(parent=parent, teen=teen, status=LinkStatus.ACTIVE)
    rules_ensure_for_teen(teen=teen)
    return link
