"""Turning what a parent types or pastes into a site rule: a host name or a `*.` wildcard.

Accepted: `example.com`, `Example.COM.`, `https://www.example.com/path?q=1`, `bücher.de`
(stored as `xn--bcher-kva.de`), `*.example.com`. Refused with a message that says why: spaces,
IP addresses, single names without a dot, labels longer than 63 characters, names longer than
253, anything with characters a host name cannot hold.

A pasted address (with a scheme such as `https://`, or a path, query or fragment) stands for its
whole site: `https://www.video.example/watch?v=1` becomes `video.example`, the registrable domain
by the Public Suffix List (so `https://foo.github.io/x` stays `foo.github.io`, and
`https://news.bbc.co.uk/` becomes `bbc.co.uk`). A bare name a parent types, such as
`m.example.com`, is kept as typed: typing a subdomain is a deliberate choice. The list is the
snapshot bundled with the `publicsuffixlist` package; nothing is fetched at run time.

Meaning: `example.com` stands for that site and every address under it (the way home DNS filters
read it); `*.example.com` for every address under it but not the site itself.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna
from django.core.exceptions import ValidationError
from publicsuffixlist import PublicSuffixList

MAX_HOST_LENGTH = 253
MAX_LABEL_LENGTH = 63
WILDCARD_PREFIX = "*."

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PSL: PublicSuffixList | None = None


def _psl() -> PublicSuffixList:
    # Parsing the bundled list takes a few milliseconds: once per process, on first use.
    global _PSL
    if _PSL is None:
        _PSL = PublicSuffixList()
    return _PSL


def is_pasted_address(text: str) -> bool:
    """A URL copied from a browser, not a name typed on purpose: it has a scheme, or a path,
    query or fragment after the host."""
    return bool(_SCHEME.match(text)) or bool(re.search(r"[/?#]", text))


def registrable_domain(host: str) -> str:
    """The part of `host` one owner registered (`www.video.example` → `video.example`); the
    host itself when it is a public suffix or the list knows no more (e.g. `github.io`)."""
    return _psl().privatesuffix(host) or host


def _refuse(raw: str, why: str) -> ValidationError:
    shown = raw if len(raw) <= 60 else raw[:57] + "…"
    return ValidationError(f"“{shown}” is not a site name: {why}", code="invalid_domain")


def _host_part(text: str) -> str:
    """The host of a pasted URL or of `host[:port][/path]`."""
    if _SCHEME.match(text):
        try:
            host = urlsplit(text).hostname or ""
        except ValueError:
            return ""
        return host
    # No scheme: "example.com/path", "example.com:8080", "user@example.com" are all typed by
    # people; the host is what stands before the first "/", "?" or "#", after any "@".
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host


def _to_ascii(name: str, raw: str) -> str:
    if name.isascii():
        return name.lower()
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise _refuse(raw, "it is not a valid international name.") from exc


def normalise_domain(raw: str) -> str:
    """One entry, normalised (lower case, punycode, no scheme/path/port/trailing dot), or a
    `ValidationError` naming the entry and the reason."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("Enter a site name such as example.com.", code="empty")
    if any(ch.isspace() for ch in text):
        raise _refuse(text, "it contains spaces.")
    host = _host_part(text).strip().rstrip(".")
    wildcard = host.startswith(WILDCARD_PREFIX)
    if wildcard:
        host = host[len(WILDCARD_PREFIX) :]
    if not host:
        raise _refuse(text, "there is no site name in it.")
    if "*" in host:
        raise _refuse(text, "a * can only stand at the start, as in *.example.com.")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise _refuse(text, "IP addresses can't be filtered by name; enter the site's name.")
    host = _to_ascii(host, text)
    labels = host.split(".")
    for label in labels:
        if len(label) > MAX_LABEL_LENGTH:
            raise _refuse(text, f"each part between dots is at most {MAX_LABEL_LENGTH} characters.")
        if not _LABEL.match(label):
            raise _refuse(
                text,
                "it may contain only letters, digits, hyphens and dots "
                "(no hyphen at the start or end of a part).",
            )
    if len(labels) < 2:
        raise _refuse(text, "a site name has at least one dot, as in example.com.")
    if labels[-1].isdigit():
        raise _refuse(text, "the last part cannot be a number.")
    if len(host) > MAX_HOST_LENGTH:
        raise _refuse(text, f"a site name is at most {MAX_HOST_LENGTH} characters.")
    if not wildcard and is_pasted_address(text):
        host = registrable_domain(host)
    return WILDCARD_PREFIX + host if wildcard else host


def normalise_domains(entries: list[str]) -> list[str]:
    """A whole list: each entry normalised, duplicates dropped (first one kept), blank lines
    ignored. Raises one `ValidationError` listing every bad entry, so the parent can fix them
    all at once."""
    found: list[str] = []
    seen: set[str] = set()
    errors: list[ValidationError] = []
    for raw in entries:
        if not str(raw).strip():
            continue
        try:
            host = normalise_domain(str(raw))
        except ValidationError as exc:
            errors.append(exc)
            continue
        if host not in seen:
            seen.add(host)
            found.append(host)
    if errors:
        raise ValidationError(errors)
    return found


def is_wildcard(entry: str) -> bool:
    return entry.startswith(WILDCARD_PREFIX)


def base_host(entry: str) -> str:
    return entry[len(WILDCARD_PREFIX) :] if is_wildcard(entry) else entry


def display_domain(entry: str) -> str:
    """An entry as people read it: `*.xn--bcher-kva.de` → `*.bücher.de`."""
    prefix = WILDCARD_PREFIX if is_wildcard(entry) else ""
    host = base_host(entry)
    if "xn--" not in host:
        return entry
    try:
        return prefix + idna.decode(host)
    except idna.IDNAError:
        return entry
