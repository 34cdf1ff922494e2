"""Embedded-default e-mail: print each message and keep a copy under var/mail/."""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class ConsoleAndFileBackend(ConsoleBackend):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._file = FileBackend(*args, **kwargs)

    def send_messages(self, email_messages):  # type: ignore[override]
        self._file.send_messages(email_messages)
        return super().send_messages(email_messages)
