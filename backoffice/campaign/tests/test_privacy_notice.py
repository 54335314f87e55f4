"""The privacy notice: staff edit it in the admin beside the contact, the public site reads it from the API."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from backoffice.campaign.models import CampaignContact
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db

CONTACT = {
    "phone": "0800 123 4567",
    "email": "bookings@xmasfilms.example",
    "opening_hours": "Monday to Friday, 9am to 5pm",
    "text": "Have your access code ready when you call.",
}
OWN_NOTICE = "We keep your name and email until January.\n\n<script>alert('hi')</script> is not a tag here."


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # API answers cached by another test must not stand in for this one's
    yield
    cache.clear()


def change_url() -> str:
    return reverse("admin:campaign_campaigncontact_change", args=[CampaignContact.SINGLETON_ID])


def notice(client) -> str:
    response = client.get("/api/privacy/")
    assert response.status_code == 200
    assert set(response.json()) == {"text"}
    return response.json()["text"]


def test_before_staff_write_one_the_standard_notice_says_what_why_how_long_and_whom_to_ask(client, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 45
    text = notice(client)
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 5
    for said in ("your name and email address", "IP address your booking came from", "to send you your tickets"):
        assert said in text
    assert "How long: 45 days after your screening ends" in text
    assert "ask for a copy of everything we hold about you, or for it to be erased" in text
    assert "Contact the campaign team using the booking details on this site" in text


def test_the_standard_notice_names_the_campaign_contact(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        CampaignContact.objects.create(**CONTACT)
    assert "Contact the campaign team by phone on 0800 123 4567 or by email at bookings@xmasfilms.example" in (
        notice(client)
    )


def test_staff_edit_the_notice_in_the_admin_and_the_api_shows_it_at_once(
    client, admin_client, django_capture_on_commit_callbacks
):
    assert "How long:" in notice(client)  # the standard one, now cached
    form = admin_client.get(change_url()).content.decode()
    assert 'name="privacy_notice"' in form
    assert "How long: 30 days after your screening ends" in form  # the standard notice, to start from

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(change_url(), {**CONTACT, "privacy_notice": OWN_NOTICE})
    assert response.status_code == 302
    assert CampaignContact.load().privacy_notice == OWN_NOTICE
    response = client.get("/api/privacy/")
    assert response.json() == {"text": OWN_NOTICE}
    assert "public" in response["Cache-Control"]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(change_url(), {**CONTACT, "privacy_notice": "  \n "})
    assert "How long:" in notice(client)


def test_the_notice_is_read_only(client):
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/api/privacy/", {}, content_type="application/json").status_code == 405
    assert CampaignContact.objects.count() == 0


def test_the_schema_describes_the_notice(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "get" in schema["paths"]["/api/privacy/"]


@pytest.mark.parametrize(("role", "status"), [("Campaign manager", 200), ("Booking agent", 403), ("Data manager", 403)])
def test_campaign_managers_edit_the_notice_and_other_roles_may_not(client, django_user_model, role, status):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    verified_login(client, user)
    assert client.get(change_url()).status_code == status
    response = client.post(change_url(), {**CONTACT, "privacy_notice": OWN_NOTICE})
    assert response.status_code == (302 if status == 200 else 403)
    assert CampaignContact.objects.filter(privacy_notice=OWN_NOTICE).exists() == (status == 200)
