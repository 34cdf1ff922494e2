from django.core.management.base import BaseCommand

from familypairing.periodic import install_periodic_tasks


class Command(BaseCommand):
    help = "Install or update the periodic Celery tasks declared in familypairing/periodic.py."

    def handle(self, *args, **options) -> None:
        for name in install_periodic_tasks():
            self.stdout.write(f"installed: {name}")
