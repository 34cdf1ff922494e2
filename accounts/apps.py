from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and pairing"

    def ready(self) -> None:
        # Connects the signals that keep cached device lookups fresh, in every process.
        from accounts.devices import services  # noqa: F401
