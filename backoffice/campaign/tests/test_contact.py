"""The campaign contact: one row staff edit in the admin, read by the public site from the API."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.urls import reverse

from backoffice.campaign.models import CampaignContact

pytestmark = pytest.mark.django_db

CONTACT = {
    "phone": "0800 123 4567",
    "email": "bookings@xmasfilms.example",
    "opening_hours": "Monday to Friday, 9am to 5pm",
    "text": "Have your access code ready when you call.",
}
EMPTY = {"phone": "", "email": "", "opening_hours": "", "text": ""}
# What the API adds to the contact: the booking cut-off (BOOKING_CUTOFF_MINUTES) the site states.
CUTOFF = {"booking_cutoff_minutes": 60}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # API answers cached by another test must not stand in for this one's
    yield
    cache.clear()


def change_url() -> str:
    return reverse("admin:campaign_campaigncontact_change", args=[CampaignContact.SINGLETON_ID])


def test_staff_edit_the_one_contact_from_the_admin_list(admin_client):
    listing = admin_client.get(reverse("admin:campaign_campaigncontact_changelist"))
    assert listing.status_code == 302
    assert listing["Location"] == change_url()
    assert admin_client.get(change_url()).status_code == 200

    response = admin_client.post(change_url(), CONTACT)
    assert response.status_code == 302
    assert list(CampaignContact.objects.values("pk", *CONTACT)) == [{"pk": CampaignContact.SINGLETON_ID, **CONTACT}]

    admin_client.post(change_url(), {**CONTACT, "phone": "0800 765 4321"})
    assert list(CampaignContact.objects.values_list("phone", flat=True)) == ["0800 765 4321"]


def test_a_bad_contact_is_refused_and_changes_nothing(admin_client):
    CampaignContact.objects.create(**CONTACT)
    response = admin_client.post(change_url(), {**CONTACT, "email": "bookings at xmasfilms", "phone": "call us"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["email"] == ["Enter a valid email address."]
    assert errors["phone"] == ["Enter a phone number: digits, spaces, and + ( ) - only, e.g. 0800 123 4567."]
    assert list(CampaignContact.objects.values(*CONTACT)) == [CONTACT]


def test_there_is_no_second_contact(admin_client):
    assert admin_client.get(reverse("admin:campaign_campaigncontact_add")).status_code == 403
    CampaignContact.objects.create(**CONTACT)
    with pytest.raises(IntegrityError):
        CampaignContact.objects.create(id=2, **CONTACT)


def test_the_api_shows_the_contact_or_empty_fields(client, django_capture_on_commit_callbacks):
    response = client.get("/api/contact/")
    assert response.status_code == 200
    assert response.json() == EMPTY | CUTOFF
    with django_capture_on_commit_callbacks(execute=True):
        CampaignContact.objects.create(**CONTACT)
    assert client.get("/api/contact/").json() == CONTACT | CUTOFF


def test_a_saved_contact_replaces_the_cached_answer(client, admin_client, django_capture_on_commit_callbacks):
    assert client.get("/api/contact/").json() == EMPTY | CUTOFF
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(), CONTACT)
    response = client.get("/api/contact/")
    assert response.json() == CONTACT | CUTOFF
    assert "public" in response["Cache-Control"]


def test_the_api_states_the_booking_cut_off_the_server_applies(client, settings):
    settings.BOOKING_CUTOFF_MINUTES = 90
    assert client.get("/api/contact/").json()["booking_cutoff_minutes"] == 90


def test_the_schema_describes_the_contact(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "get" in schema["paths"]["/api/contact/"]
