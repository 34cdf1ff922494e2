from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_periodic_tasks(sender, **kwargs) -> None:
    from familypairing.periodic import install_periodic_tasks

    install_periodic_tasks()


class ControlsConfig(AppConfig):
    name = "controls"
    verbose_name = "Controls, usage and notifications"

    def ready(self) -> None:
        # Connects the signals that keep the device API's policy cache fresh, in every process.
        from controls import (
            feeds,  # noqa: F401  # a link's end turns off the filter address
            policy_cache,  # noqa: F401
        )

        post_migrate.connect(
            _install_periodic_tasks, sender=self, dispatch_uid="install_periodic_tasks"
        )
