from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from controls.models import AuditEvent


@pytest.mark.django_db
def test_a_teens_change_of_time_zone_waits_for_their_next_day_and_is_in_the_history(
    tom_client, tom
):
    with time_machine.travel(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), tick=False):
        response = tom_client.post(
            reverse("profile"), {"display_name": "Tom", "time_zone": "America/Chicago"}
        )
        assert response.status_code == 302
        tom.refresh_from_db()
        assert tom.time_zone == "Europe/London"  # still counted in London today
        assert tom.pending_time_zone == "America/Chicago"
        assert tom.time_zone_changes_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
        page = tom_client.get(reverse("profile")).content.decode()
        assert (
            "Your time zone changes to America/Chicago at 00:00 on Wednesday 2 December your "
            "time." in page
        )
    event = AuditEvent.objects.get(teen=tom, action="profile.updated")
    assert event.details["before"]["time_zone"] == "Europe/London"
    assert event.details["after"]["time_zone"] == "Europe/London"
    assert event.details["after"]["pending_time_zone"] == "America/Chicago"


@pytest.mark.django_db
def test_it_refuses_an_unknown_time_zone_next_to_the_field(alice_client, alice):
    response = alice_client.post(
        reverse("profile"), {"display_name": "Alice", "time_zone": "Mars/Olympus"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/London"


@pytest.mark.django_db
def test_it_refuses_a_blank_name(alice_client, alice):
    response = alice_client.post(reverse("profile"), {"display_name": "   ", "time_zone": "UTC"})
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.display_name == "Alice"


@pytest.mark.django_db
def test_the_api_updates_the_profile_and_names_a_bad_field(alice_client, alice):
    response = alice_client.patch(
        "/api/v1/me", {"time_zone": "Asia/Tokyo"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["time_zone"] == "Asia/Tokyo"
    response = alice_client.patch(
        "/api/v1/me", {"time_zone": "Nowhere/Land"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()
    alice.refresh_from_db()
    assert alice.time_zone == "Asia/Tokyo"
    assert not AuditEvent.objects.filter(action="profile.updated").exists()  # adults: no teen


@pytest.mark.django_db
def test_the_profile_page_needs_sign_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_an_empty_post_is_refused_with_the_fields_named(alice_client, alice):
    response = alice_client.post(reverse("profile"), {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
