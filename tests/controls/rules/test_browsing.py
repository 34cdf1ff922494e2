"""Browsing: restricted mode, search, keyword filters and site rules, with the normalisation of
what a parent types or pastes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from controls.models import TeenRules
from controls.rules import services
from controls.rules.domains import display_domain, normalise_domain, normalise_domains


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.com", "example.com"),
        ("  Example.COM.  ", "example.com"),
        # A pasted address blocks its registrable domain (Public Suffix List) ...
        ("https://www.Example.com/watch?v=1#t", "example.com"),
        ("https://www.video.example/watch?v=1", "video.example"),
        ("https://news.bbc.co.uk/sport", "bbc.co.uk"),
        ("https://someone.github.io/page", "someone.github.io"),
        ("m.example.com/feed", "example.com"),
        # ... a name typed bare is kept as typed: a subdomain was meant.
        ("m.example.com", "m.example.com"),
        ("www.games.test", "www.games.test"),
        ("http://user:pw@example.com:8080/", "example.com"),
        ("example.com/some/page", "example.com"),
        ("example.com:443", "example.com"),
        ("*.example.com", "*.example.com"),
        ("*.Bücher.de", "*.xn--bcher-kva.de"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("https://ПРИМЕР.рф/путь", "xn--e1afmkfd.xn--p1ai"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("a-b.co.uk", "a-b.co.uk"),
    ],
)
def test_site_entries_are_normalised(typed, stored):
    assert normalise_domain(typed) == stored


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("foo bar", "it contains spaces."),
        ("localhost", "a site name has at least one dot"),
        ("192.168.1.1", "IP addresses can't be filtered by name"),
        ("http://[::1]/", "IP addresses can't be filtered by name"),
        ("exa_mple.com", "it may contain only letters, digits, hyphens and dots"),
        ("-example.com", "no hyphen at the start or end of a part"),
        ("example..com", "it may contain only letters"),
        ("ex*ample.com", "a * can only stand at the start"),
        ("*.*.example.com", "a * can only stand at the start"),
        ("http://", "there is no site name in it."),
        ("example.123", "the last part cannot be a number."),
        ("!!!", "it may contain only letters"),
    ],
)
def test_garbage_is_refused_with_the_reason(typed, why):
    with pytest.raises(ValidationError) as caught:
        normalise_domain(typed)
    message = caught.value.messages[0]
    assert message.startswith(f"“{typed}” is not a site name: ")
    assert why in message


def test_labels_and_names_at_their_length_bounds():
    label = "a" * 63
    assert normalise_domain(f"{label}.com") == f"{label}.com"
    with pytest.raises(ValidationError):
        normalise_domain(f"{'a' * 64}.com")
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 57, "com"])  # 253 characters
    assert len(name) == 253
    assert normalise_domain(name) == name
    with pytest.raises(ValidationError):
        normalise_domain("e" + name)


def test_a_list_is_deduplicated_and_every_bad_entry_reported():
    assert normalise_domains(["a.com", "", "A.com", "https://a.com/x", "b.org"]) == [
        "a.com",
        "b.org",
    ]
    with pytest.raises(ValidationError) as caught:
        normalise_domains(["ok.com", "bad one", "10.0.0.1"])
    assert len(caught.value.messages) == 2


def test_international_names_are_shown_as_people_read_them():
    assert display_domain("xn--bcher-kva.de") == "bücher.de"
    assert display_domain("*.xn--bcher-kva.de") == "*.bücher.de"
    assert display_domain("example.com") == "example.com"


@pytest.mark.django_db
def test_keywords_are_trimmed_case_folded_and_deduplicated(alice, tom):
    change = services.browsing_update(
        actor=alice,
        teen=tom,
        changes={"keyword_filters": ["  Scary   Clowns ", "GORE", "gore", "", "Straße"]},
    )
    assert TeenRules.objects.get(teen=tom).keyword_filters == ["scary clowns", "gore", "strasse"]
    assert change.lines == ["Keyword filters: added “scary clowns”, “gore”, “strasse”"]


@pytest.mark.django_db
def test_at_most_500_keywords_of_at_most_100_characters(alice, tom):
    services.browsing_update(
        actor=alice, teen=tom, changes={"keyword_filters": [f"w{i}" for i in range(500)]}
    )
    assert len(TeenRules.objects.get(teen=tom).keyword_filters) == 500
    with pytest.raises(ValidationError) as caught:
        services.browsing_update(
            actor=alice, teen=tom, changes={"keyword_filters": [f"w{i}" for i in range(501)]}
        )
    assert caught.value.message_dict == {
        "keyword_filters": ["At most 500 keywords; there are 501."]
    }
    services.browsing_update(actor=alice, teen=tom, changes={"keyword_filters": ["k" * 100]})
    with pytest.raises(ValidationError):
        services.browsing_update(actor=alice, teen=tom, changes={"keyword_filters": ["k" * 101]})
    assert TeenRules.objects.get(teen=tom).keyword_filters == ["k" * 100]


@pytest.mark.django_db
def test_domain_mode_and_entries(alice, tom):
    change = services.browsing_update(
        actor=alice,
        teen=tom,
        changes={"domain_mode": "allow_only", "domains": ["https://kids.example/", "*.wiki.org"]},
    )
    rules = TeenRules.objects.get(teen=tom)
    assert rules.domain_mode == "allow_only"
    assert rules.domains == ["kids.example", "*.wiki.org"]
    assert change.lines == [
        "Site rules: Block these sites → Allow only these sites",
        "Sites: added “kids.example”, “*.wiki.org”",
    ]
    with pytest.raises(ValidationError):
        services.browsing_update(actor=alice, teen=tom, changes={"domain_mode": "sometimes"})


@pytest.mark.django_db
def test_at_most_500_sites(alice, tom):
    services.browsing_update(
        actor=alice, teen=tom, changes={"domains": [f"s{i}.example.com" for i in range(500)]}
    )
    with pytest.raises(ValidationError):
        services.browsing_update(
            actor=alice, teen=tom, changes={"domains": [f"s{i}.example.com" for i in range(501)]}
        )


@pytest.mark.django_db
def test_restricted_mode_and_search_are_switches(alice, tom):
    services.browsing_update(
        actor=alice, teen=tom, changes={"restricted_mode": False, "search_enabled": False}
    )
    rules = TeenRules.objects.get(teen=tom)
    assert (rules.restricted_mode, rules.search_enabled) == (False, False)
    with pytest.raises(ValidationError):
        services.browsing_update(actor=alice, teen=tom, changes={"restricted_mode": "yes"})


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


def _form(**values) -> dict:
    data = {
        "restricted_mode": "on",
        "search_enabled": "on",
        "keyword_filters": "",
        "domain_mode": "block",
        "domains": "",
    }
    data.update(values)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
def test_saving_browsing_from_the_page_says_what_changed(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/browsing/",
        _form(search_enabled=None, keyword_filters="Gore\ngore\n", domains="https://a.com/x"),
        follow=True,
    )
    page = response.content.decode()
    assert "Search: on → off" in page
    assert "Keyword filters: added “gore”" in page
    rules = TeenRules.objects.get(teen=tom)
    assert rules.domains == ["a.com"]
    assert rules.search_enabled is False


@pytest.mark.django_db
def test_a_bad_site_is_shown_next_to_the_field_and_nothing_is_saved(alice_client, tom):
    response = alice_client.post(
        f"/teens/{tom.pk}/browsing/",
        _form(restricted_mode=None, keyword_filters="gore", domains="ok.com\nfoo bar"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["domains"] == [
        "“foo bar” is not a site name: it contains spaces."
    ]
    rules = TeenRules.objects.get(teen=tom)
    assert rules.restricted_mode is True
    assert rules.keyword_filters == []
    assert rules.domains == []


@pytest.mark.django_db
def test_the_teen_can_see_the_keyword_list_and_sites(alice, tom, tom_client):
    services.browsing_update(
        actor=alice, teen=tom, changes={"keyword_filters": ["gore"], "domains": ["bücher.de"]}
    )
    page = tom_client.get("/me/rules/").content.decode()
    assert "gore" in page
    assert "bücher.de" in page
