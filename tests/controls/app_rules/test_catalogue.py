"""The catalogue of apps and sites (data in the repository) and how identifiers are named."""

from __future__ import annotations

import pytest

from controls.app_models import AppCategory as ModelCategory
from controls.catalogue.lookup import (
    AppCategory,
    app_identify,
    catalogue,
    catalogue_resolve,
    catalogue_search,
    registrable_domain,
)


def test_the_catalogue_holds_a_few_hundred_apps_in_every_category():
    apps = catalogue().apps
    assert len(apps) >= 250
    assert {app.category for app in apps} == {c.value for c in AppCategory}
    for must in (
        "tiktok",
        "youtube",
        "instagram",
        "snapchat",
        "whatsapp",
        "discord",
        "roblox",
        "minecraft",
        "fortnite",
        "spotify",
        "duolingo",
        "khan-academy",
        "google-classroom",
        "chrome",
        "safari",
    ):
        assert must in catalogue().by_key


def test_the_model_choices_are_the_catalogue_categories():
    assert ModelCategory.values == [c.value for c in AppCategory]


@pytest.mark.parametrize(
    ("identifier", "key", "category"),
    [
        ("com.zhiliaoapp.musically", "tiktok", "social"),
        ("COM.BURBN.INSTAGRAM", "instagram", "social"),
        ("web:m.youtube.com", "youtube", "video"),
        ("web:music.youtube.com", "youtube-music", "music"),
        ("web:classroom.google.com", "google-classroom", "education"),
        ("web:www.roblox.com", "roblox", "games"),
        ("Khan-Academy", "khan-academy", "education"),
    ],
)
def test_it_names_known_identifiers(identifier, key, category):
    info = app_identify(identifier)
    assert (info.key, info.category, info.known) == (key, category, True)


def test_unknown_identifiers_show_under_other_with_their_raw_id_until_the_family_names_them():
    info = app_identify("com.example.Quiz")
    assert (info.key, info.name, info.category, info.known) == (
        "com.example.quiz",
        "com.example.Quiz",
        "other",
        False,
    )
    named = app_identify("com.example.Quiz", {"com.example.quiz": ("Quiz", "education")})
    assert (named.name, named.category, named.known) == ("Quiz", "education", True)
    site = app_identify("web:news.example.co.uk")
    assert (site.key, site.name) == ("web:example.co.uk", "example.co.uk")


def test_registrable_domains():
    assert registrable_domain("a.b.example.com") == "example.com"
    assert registrable_domain("www.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("localhost") == "localhost"


def test_search_and_resolve():
    assert [app.key for app in catalogue_search("tik")][:1] == ["tiktok"]
    assert all(app.category == "games" for app in catalogue_search("", category="games"))
    assert catalogue_search("org.khanacademy")[0].key == "khan-academy"
    assert catalogue_resolve("Khan Academy") == "khan-academy"
    assert catalogue_resolve("com.example.thing") == "com.example.thing"
    assert catalogue_resolve("No Such App") is None
