"""The catalogue of apps and sites teens use (`data/apps.json`, kept in the repository) and how a
device's raw identifier is named and categorised.

Categories (`AppCategory`) are a small fixed set, chosen so that a guardian can set one limit for
"games" or "social" without listing apps:

- ``social``: feeds and profiles (TikTok, Instagram, Snapchat, Reddit, BeReal, …)
- ``video``: watching (YouTube, Netflix, Twitch, Disney+, …)
- ``games``: games and game stores (Roblox, Minecraft, Fortnite, Steam, web game sites, …)
- ``messaging``: talking to people (WhatsApp, Discord, Messages, Phone, FaceTime, …)
- ``music``: music, podcasts and audiobooks (Spotify, Apple Music, Audible, …)
- ``education``: learning and school (Duolingo, Khan Academy, Google Classroom, Quizlet, …)
- ``creativity``: making things (CapCut, Canva, Procreate, GarageBand, Wattpad, Camera, …)
- ``browsers``: web browsers and search (Chrome, Safari, Firefox, Google Search, …)
- ``productivity``: documents, mail, calendars, maps, assistants (Docs, Gmail, Zoom, ChatGPT, …)
- ``other``: everything else, and every identifier the catalogue does not know

Identifiers, as devices report them (`UsageEvent.app`):

- an Android package (``com.zhiliaoapp.musically``) or an iOS bundle id
  (``com.burbn.instagram``): matched exactly, ignoring case;
- ``web:<host>`` for a site: matched by the longest catalogue domain the host ends with, so
  ``web:m.youtube.com`` is YouTube and ``web:music.youtube.com`` is YouTube Music; a host the
  catalogue does not know is keyed by its registrable domain (``web:news.example.co.uk`` →
  ``web:example.co.uk``), so all of a site's hosts share one row and one rule.

A catalogue entry is keyed by its slug (``tiktok``); an unknown identifier by itself, casefolded.
A family's own labels (`controls.models.FamilyAppLabel`) name and categorise unknown ones: they
are passed in as a mapping of key → (name, category) and win over "Other".

Pure: no Django, so the policy's inputs and the tests can use it anywhere.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DATA = Path(__file__).with_name("data") / "apps.json"
WEB_PREFIX = "web:"
# Public suffixes of two labels common enough to matter for "registrable domain" (a full public
# suffix list is not needed: a miss only makes two hosts of one site two rows).
TWO_LABEL_SUFFIXES = frozenset(
    {"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp",
     "com.br", "com.mx", "co.in", "co.za", "com.tr", "com.cn", "com.sg", "com.hk", "co.kr"}
)  # fmt: skip


class AppCategory(StrEnum):
    """The catalogue's categories; `controls.models.AppCategory` is the same set as TextChoices."""

    SOCIAL = "social"
    VIDEO = "video"
    GAMES = "games"
    MESSAGING = "messaging"
    MUSIC = "music"
    EDUCATION = "education"
    CREATIVITY = "creativity"
    BROWSERS = "browsers"
    PRODUCTIVITY = "productivity"
    OTHER = "other"


CATEGORY_LABELS = {
    AppCategory.SOCIAL: "Social",
    AppCategory.VIDEO: "Video",
    AppCategory.GAMES: "Games",
    AppCategory.MESSAGING: "Messaging and calls",
    AppCategory.MUSIC: "Music and audio",
    AppCategory.EDUCATION: "Education",
    AppCategory.CREATIVITY: "Creativity",
    AppCategory.BROWSERS: "Browsers and search",
    AppCategory.PRODUCTIVITY: "Productivity and tools",
    AppCategory.OTHER: "Other",
}


@dataclass(frozen=True)
class CatalogueApp:
    key: str
    name: str
    category: str
    android: tuple[str, ...] = ()
    ios: tuple[str, ...] = ()
    web: tuple[str, ...] = ()

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Every identifier a device may report for this app (web ones as ``web:<domain>``)."""
        return (*self.android, *self.ios, *(WEB_PREFIX + domain for domain in self.web))

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[AppCategory(self.category)]


@dataclass(frozen=True)
class AppInfo:
    """What an identifier is: its key (a catalogue slug or the normalised raw id), display name,
    category and whether the catalogue (or the family) knows it."""

    key: str
    name: str
    category: str
    known: bool
    raw: str = ""

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[AppCategory(self.category)]


@dataclass(frozen=True)
class Catalogue:
    apps: tuple[CatalogueApp, ...]
    by_key: Mapping[str, CatalogueApp]
    by_id: Mapping[str, CatalogueApp]  # casefolded Android/iOS identifiers
    by_domain: Mapping[str, CatalogueApp]  # casefolded web domains


def _load_rows(text: str) -> list[dict]:
    rows = json.loads(text)
    if not isinstance(rows, list):
        raise ValueError("the catalogue is a JSON list")
    return rows


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue, read once per process; checked as it loads (unique keys and identifiers,
    known categories)."""
    apps = []
    for row in _load_rows(DATA.read_text(encoding="utf-8")):
        AppCategory(row["category"])  # an unknown category fails here, not in a page later
        apps.append(
            CatalogueApp(
                key=row["key"],
                name=row["name"],
                category=row["category"],
                android=tuple(row.get("android", ())),
                ios=tuple(row.get("ios", ())),
                web=tuple(row.get("web", ())),
            )
        )
    by_key: dict[str, CatalogueApp] = {}
    by_id: dict[str, CatalogueApp] = {}
    by_domain: dict[str, CatalogueApp] = {}
    for app in apps:
        if app.key in by_key:
            raise ValueError(f"catalogue key {app.key!r} twice")
        by_key[app.key] = app
        for identifier in (*app.android, *app.ios):
            # (An Android package may equal the same app's iOS bundle id.)
            if by_id.setdefault(identifier.casefold(), app) is not app:
                raise ValueError(f"identifier {identifier!r} in two apps")
        for domain in app.web:
            if by_domain.setdefault(domain.casefold(), app) is not app:
                raise ValueError(f"domain {domain!r} twice")
    return Catalogue(tuple(apps), by_key, by_id, by_domain)


def registrable_domain(host: str) -> str:
    """``news.example.co.uk`` → ``example.co.uk``; ``m.example.com`` → ``example.com``."""
    labels = [label for label in host.strip(".").split(".") if label]
    if len(labels) <= 2:
        return ".".join(labels)
    if ".".join(labels[-2:]) in TWO_LABEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def app_key(identifier: str) -> str:
    """The key an identifier is counted under: the catalogue slug, else the normalised raw id
    (casefolded; a site by its registrable domain)."""
    return app_identify(identifier).key


def _web_match(host: str) -> CatalogueApp | None:
    found = catalogue().by_domain
    labels = host.split(".")
    for start in range(len(labels) - 1):
        app = found.get(".".join(labels[start:]))
        if app is not None:
            return app
    return None


@functools.lru_cache(maxsize=4096)
def _catalogue_match(folded: str) -> tuple[CatalogueApp | None, str]:
    """The catalogue entry of a casefolded identifier and its key if unknown (a web host
    reduced to its registrable domain). Memoised: the catalogue is data that never changes
    while the process runs, and a usage report asks this once per event."""
    data = catalogue()
    app = data.by_key.get(folded) or data.by_id.get(folded)
    if app is None and folded.startswith(WEB_PREFIX):
        host = folded[len(WEB_PREFIX) :].split("/")[0].split(":")[0]
        app = _web_match(host)
        if app is None:
            folded = WEB_PREFIX + registrable_domain(host)
    return app, folded


def app_identify(identifier: str, labels: Mapping[str, tuple[str, str]] | None = None) -> AppInfo:
    """Name and category of a raw identifier (or of a key already normalised). `labels`: the
    family's own names, key → (name, category), for identifiers the catalogue does not know."""
    raw = (identifier or "").strip()
    app, folded = _catalogue_match(raw.casefold())
    if app is not None:
        return AppInfo(key=app.key, name=app.name, category=app.category, known=True, raw=raw)
    if labels and folded in labels:
        name, category = labels[folded]
        return AppInfo(key=folded, name=name, category=category, known=True, raw=raw)
    name = folded[len(WEB_PREFIX) :] if folded.startswith(WEB_PREFIX) else raw
    return AppInfo(
        key=folded,
        name=name or "Unnamed app",
        category=AppCategory.OTHER.value,
        known=False,
        raw=raw,
    )


def catalogue_search(query: str, *, category: str = "", limit: int = 30) -> list[CatalogueApp]:
    """Catalogue entries whose name, key or identifiers contain `query` (case and accents as
    typed, casefolded), names starting with it first; all of a category when `query` is empty."""
    needle = (query or "").strip().casefold()
    found = []
    for app in catalogue().apps:
        if category and app.category != category:
            continue
        name = app.name.casefold()
        if not needle:
            found.append((1, name, app))
        elif name.startswith(needle):
            found.append((0, name, app))
        elif (
            needle in name
            or needle in app.key
            or any(needle in identifier.casefold() for identifier in app.identifiers)
        ):
            found.append((1, name, app))
    found.sort(key=lambda item: (item[0], item[1]))
    return [app for _, _, app in found[:limit]]


def catalogue_resolve(text: str) -> str | None:
    """What a guardian typed ("Khan Academy", "khan-academy", "org.khanacademy.android",
    "web:duolingo.com") as an app key; None for a name the catalogue does not know (an
    identifier it does not know, with no spaces, is its own key)."""
    typed = (text or "").strip()
    if not typed:
        return None
    folded = typed.casefold()
    for app in catalogue().apps:
        if app.name.casefold() == folded:
            return app.key
    info = app_identify(typed)
    if info.known or not any(ch.isspace() for ch in typed):
        return info.key
    return None
