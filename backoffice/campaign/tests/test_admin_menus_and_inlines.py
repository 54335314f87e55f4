"""What staff read in the admin's menus, logs and inlines: every name once, in plain words."""

import re

import pytest
from django.urls import reverse

from backoffice.campaign.factories import AccessCodeFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Reservation
from backoffice.campaign.tests.test_admin_import_export import export

pytestmark = pytest.mark.django_db


def test_held_tickets_appear_once_each_in_the_reservation(admin_client):
    screening = ScreeningFactory(capacity=10)
    TicketFactory.create_batch(3, film=screening.film)
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=2, name="Mary Holly", email="m@example.com"
    )
    html = admin_client.get(reverse("admin:campaign_reservation_change", args=[reservation.pk])).content.decode()
    held = list(reservation.tickets.all())
    assert len(held) == 2
    for ticket in held:
        assert len(re.findall(rf"\b{re.escape(ticket.code)}\b", html)) == 1, f"{ticket.code} is not shown once"
        assert html.count(reverse("admin:campaign_ticket_change", args=[ticket.pk])) == 1


def test_the_theme_stays_out_of_the_everyday_menus(admin_client):
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Themes" not in index
    assert 'href="/admin/admin_interface/' not in index
    screenings = admin_client.get(reverse("admin:campaign_screening_changelist")).content.decode()
    assert "Themes" not in screenings  # the side menu
    # Still there for a superuser who goes looking.
    assert admin_client.get(reverse("admin:admin_interface_theme_changelist")).status_code == 200


def test_the_theme_is_refused_to_staff_without_its_permissions(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="-", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:admin_interface_theme_changelist")).status_code == 403


def test_the_exchange_log_names_its_data_in_plain_words(admin_client):
    ScreeningFactory()
    export(admin_client, "screening")
    html = admin_client.get(reverse("admin:campaign_dataexchangelog_changelist")).content.decode()
    assert '<td class="field-data">Screenings</td>' in html
    assert "Christmas film campaign | screening" not in html


def test_login_lockouts_and_second_factor_devices_sit_under_one_heading(admin_client):
    response = admin_client.get(reverse("admin:index"))
    apps = {str(app["name"]): [str(m["name"]) for m in app["models"]] for app in response.context["app_list"]}
    assert apps["Staff login security"] == [
        "Access attempts",
        "Access failures",
        "Access logs",
        "Static devices",
        "TOTP devices",
    ]
    assert not {"Axes", "Otp_Totp", "Otp_Static"} & set(apps)
    assert list(apps) == sorted(apps, key=str.lower)
    # The side menu of every other page reads the same list.
    sidebar = admin_client.get(reverse("admin:campaign_film_changelist")).content.decode()
    assert sidebar.count("Staff login security") == 2  # the heading and its link's title
    assert "Otp_Totp" not in sidebar
    # Each app's own page still lists its own models.
    axes = admin_client.get(reverse("admin:app_list", args=["axes"])).context["app_list"]
    assert [model["name"] for model in axes[0]["models"]] == ["Access attempts", "Access failures", "Access logs"]
