from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_periodic_tasks(sender, **kwargs) -> None:
    # Here, not at the top: periodic imports django-celery-beat's models, which cannot be
    # imported while Django is still loading this app's config.
    from familypairing.periodic import install_periodic_tasks

    install_periodic_tasks()


class ControlsConfig(AppConfig):
    name = "controls"
    verbose_name = "Controls, usage and notifications"

    def ready(self) -> None:
        # Connects the signals that keep the device API's policy cache fresh, in every process.
        # Inside ready(): these modules import models, which Django loads only after this app's
        # config (a top-level import here would run before the app registry is ready). Both
        # connect signals: the policy cache's invalidation, and a link's end turning off the
        # filter address.
        from controls.effective import cache  # noqa: F401
        from controls.feeds import services  # noqa: F401

        post_migrate.connect(
            _install_periodic_tasks, sender=self, dispatch_uid="install_periodic_tasks"
        )
