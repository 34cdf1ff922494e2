from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and pairing"

    def ready(self) -> None:
        # Connects the signals that keep cached device lookups fresh, in every process.
        # Inside ready(): the module imports models, which Django loads only after this app's
        # config (a top-level import here would run before the app registry is ready).
        from accounts.devices import services  # noqa: F401
