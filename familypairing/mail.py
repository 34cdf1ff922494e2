"""E-mail helpers: the embedded-default backend, and rendering plain text without HTML escaping.

Django templates escape for HTML by default, which is right for the HTML part of an e-mail and
wrong for its plain-text part and subject: there a name like ``Robin O'Neil & "Co"`` must read
as typed, not as ``Robin O&#x27;Neil &amp; &quot;Co&quot;`` (issue 11, item 10). Plain text
cannot run markup, so not escaping it is safe; the HTML part stays escaped.
"""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.http import HttpRequest
from django.template.context import make_context
from django.template.loader import get_template


class ConsoleAndFileBackend(ConsoleBackend):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._file = FileBackend(*args, **kwargs)

    def send_messages(self, email_messages):  # type: ignore[override]
        self._file.send_messages(email_messages)
        return super().send_messages(email_messages)


def render_plain_text(
    template_name: str, context: dict[str, Any], request: HttpRequest | None = None
) -> str:
    """Render a template for a plain-text part or a subject, with autoescaping off (the same
    engine, loaders and context processors as any template)."""
    template = get_template(template_name)
    return template.template.render(make_context(context, request, autoescape=False))


def plain_subject(text: str) -> str:
    """A subject on one line (a header cannot hold line breaks)."""
    return " ".join(str(text).split())
