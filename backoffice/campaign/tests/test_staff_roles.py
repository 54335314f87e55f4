"""The staff roles the migrations create: each can do its work and nothing else."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import AccessCodeFactory, ReservationFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import Reservation
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    def make(role: str):
        user = django_user_model.objects.create_user(role.lower().replace(" ", "-"), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return django_user_model.objects.get(pk=user.pk)  # a fresh permission cache

    return make


CAN_NOT_ANYONE = ["auth.view_user", "auth.add_user", "auth.change_user", "auth.change_group"]


@pytest.mark.parametrize(
    ("role", "can", "can_not"),
    [
        (
            "Booking agent",
            ["campaign.add_reservation", "campaign.change_reservation", "campaign.view_screening"],
            [
                "campaign.view_accesscode",
                "campaign.add_accesscode",
                "campaign.export_reservation",
                "campaign.erase_reservation",
                "campaign.delete_reservation",
                "campaign.change_screening",
                "campaign.import_ticket",
            ],
        ),
        (
            "Campaign manager",
            [
                "campaign.change_screening",
                "campaign.change_film",
                "campaign.view_accesscode",
                "campaign.add_accesscode",
                "campaign.import_ticket",
                "campaign.export_reservation",
                "campaign.erase_reservation",
                "campaign.change_campaigncontact",
            ],
            [],
        ),
        (
            "Data manager",
            [
                "campaign.import_screening",
                "campaign.import_ticket",
                "campaign.export_reservation",
                "campaign.export_accesscode",
                "campaign.add_accesscode",
                "campaign.view_accesscodebatch",
                "campaign.erase_reservation",
            ],
            ["campaign.add_reservation", "campaign.change_reservation", "campaign.change_screening"],
        ),
    ],
)
def test_each_role_holds_what_it_needs_and_no_more(staff, role, can, can_not):
    user = staff(role)
    assert [perm for perm in can if not user.has_perm(perm)] == []
    assert [perm for perm in can_not + CAN_NOT_ANYONE if user.has_perm(perm)] == []


@pytest.mark.parametrize("role", ["Booking agent", "Campaign manager", "Data manager"])
def test_no_role_reaches_the_staff_accounts(client, staff, role):
    verified_login(client, staff(role))
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_a_booking_agent_books_by_typing_the_code_and_sees_no_codes(client, staff):
    client.force_login(staff("Booking agent"))
    screening = ScreeningFactory()
    TicketFactory.create_batch(2, film=screening.film)
    code = AccessCodeFactory()
    add_url = reverse("admin:campaign_reservation_add")

    form = client.get(add_url).content.decode()
    assert '<input type="text" name="access_code"' in form
    assert '<select name="access_code"' not in form
    data = {"name": "Mary Holly", "email": "mary@example.com", "screening": screening.pk, "quantity": 2}

    refused = client.post(add_url, {**data, "access_code": "NOPE-NOPE-NOPE-NOPE"})
    assert "There is no such access code" in refused.content.decode()
    assert client.post(add_url, {**data, "access_code": code.value.lower()}).status_code == 302
    assert Reservation.objects.get().access_code == code

    assert client.get(reverse("admin:campaign_reservation_changelist")).status_code == 200
    assert client.get(reverse("admin:campaign_accesscode_changelist")).status_code == 403
    assert client.get(reverse("admin:campaign_accesscodebatch_changelist")).status_code == 403
    autocomplete = {"app_label": "campaign", "model_name": "reservation", "field_name": "access_code", "term": "A"}
    assert client.get(reverse("admin:autocomplete"), autocomplete).status_code == 403
    assert client.get(reverse("admin:campaign_reservation_export")).status_code == 403
    assert client.get(reverse("admin:campaign_screening_import")).status_code == 403


def test_a_booking_agent_changes_a_booking_without_seeing_its_code(client, staff):
    # Code values are shown only to staff who may view access codes (docs/reservations.md).
    client.force_login(staff("Booking agent"))
    reservation = ReservationFactory(quantity=0)
    page = client.get(reverse("admin:campaign_reservation_change", args=[reservation.pk]))
    assert page.status_code == 200
    assert reservation.access_code.value not in page.content.decode()


def test_a_booking_agent_sees_the_tickets_bookings_hold_but_no_code_of_the_stock(client, staff):
    client.force_login(staff("Booking agent"))
    held = TicketFactory(reservation=ReservationFactory())
    free = TicketFactory(film=held.film)
    void = TicketFactory(film=held.film, issued_at=timezone.now())
    changelist = reverse("admin:campaign_ticket_changelist")

    page = client.get(changelist, {"all": ""}).content.decode()
    assert held.code in page
    assert free.code not in page
    assert void.code not in page
    for ticket in (free, void):
        assert list(client.get(changelist, {"q": ticket.code}).context["cl"].result_list) == []
        change = client.get(reverse("admin:campaign_ticket_change", args=[ticket.pk]), follow=True)
        assert ticket.code not in change.content.decode()
    assert client.get(reverse("admin:campaign_ticket_change", args=[held.pk])).status_code == 200


@pytest.mark.parametrize("role", ["Campaign manager", "Data manager"])
def test_staff_verified_with_the_second_factor_see_every_ticket_code(client, staff, role):
    verified_login(client, staff(role))
    codes = [TicketFactory(reservation=ReservationFactory()).code, TicketFactory().code]
    codes.append(TicketFactory(issued_at=timezone.now()).code)
    page = client.get(reverse("admin:campaign_ticket_changelist")).content.decode()
    assert all(code in page for code in codes)


def test_a_data_manager_imports_and_exports_but_books_nothing(client, staff):
    verified_login(client, staff("Data manager"))
    assert client.get(reverse("admin:campaign_screening_import")).status_code == 200
    assert client.get(reverse("admin:campaign_reservation_export")).status_code == 200
    assert client.get(reverse("admin:campaign_reservation_add")).status_code == 403


def admin_url(name: str) -> str:
    """A URL name of the admin, or a path already."""
    return name if name.startswith("/") else reverse(f"admin:{name}")


CONTACT = reverse("admin:campaign_campaigncontact_change", args=[1])
# What each role opens in its work, and what it is refused (403), page by page.
PAGES = {
    "Booking agent": (
        [
            "campaign_reservation_changelist",
            "campaign_reservation_add",
            "campaign_screening_changelist",
            "campaign_ticket_changelist",
            "campaign_email_changelist",
        ],
        [
            "campaign_accesscode_changelist",
            "campaign_accesscode_generate",
            "campaign_accesscodebatch_changelist",
            "campaign_screening_add",
            "campaign_screening_import",
            "campaign_reservation_export",
            "campaign_film_changelist",
            "campaign_cinema_changelist",
            CONTACT,
            "auth_user_changelist",
            "auth_group_changelist",
        ],
    ),
    "Campaign manager": (
        [
            "campaign_reservation_changelist",
            "campaign_reservation_add",
            "campaign_screening_add",
            "campaign_screening_import",
            "campaign_film_add",
            "campaign_cinema_add",
            "campaign_ticket_import",
            "campaign_accesscode_changelist",
            "campaign_accesscode_generate",
            "campaign_accesscodebatch_changelist",
            "campaign_reservation_export",
            "campaign_email_changelist",
            CONTACT,
        ],
        ["auth_user_changelist", "auth_user_add", "auth_group_changelist", "auth_group_add"],
    ),
    "Data manager": (
        [
            "campaign_reservation_changelist",
            "campaign_screening_changelist",
            "campaign_film_changelist",
            "campaign_screening_import",
            "campaign_ticket_import",
            "campaign_film_import",
            "campaign_reservation_export",
            "campaign_accesscode_changelist",
            "campaign_accesscode_generate",
            "campaign_accesscodebatch_changelist",
        ],
        [
            "campaign_reservation_add",
            "campaign_screening_add",
            "campaign_film_add",
            "campaign_email_changelist",
            CONTACT,
            "auth_user_changelist",
            "auth_group_changelist",
        ],
    ),
}


@pytest.mark.parametrize("role", PAGES)
def test_each_role_opens_the_pages_of_its_work_and_gets_403_on_the_rest(client, staff, role):
    verified_login(client, staff(role))
    opens, refused = PAGES[role]
    assert {name: client.get(admin_url(name)).status_code for name in opens} == dict.fromkeys(opens, 200)
    assert {name: client.get(admin_url(name)).status_code for name in refused} == dict.fromkeys(refused, 403)


@pytest.mark.parametrize(
    ("role", "may"), [("Booking agent", False), ("Campaign manager", True), ("Data manager", True)]
)
def test_only_roles_with_data_rights_erase_or_copy_a_customer(client, staff, role, may):
    verified_login(client, staff(role))
    reservation = ReservationFactory(quantity=0, name="Mary Holly", email="mary@example.com")
    changelist = admin_url("campaign_reservation_changelist")
    selected = {"_selected_action": [reservation.pk]}

    copy = client.post(changelist, {"action": "export_personal_data", **selected})
    assert ("Content-Disposition" in copy) is may
    client.post(changelist, {"action": "erase_personal_data", "post": "yes", **selected})
    reservation.refresh_from_db()
    assert (reservation.name != "Mary Holly") is may
