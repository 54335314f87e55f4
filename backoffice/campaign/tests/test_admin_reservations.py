"""Booking and changing reservations (and screening capacity) through the admin's forms."""

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Reservation, Screening, Ticket
from backoffice.campaign.services.locking import BUSY_MESSAGE
from backoffice.campaign.tests.locking import screening_locked_elsewhere

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:campaign_reservation_add")
ELF_AT_YORK = "Elf at York - Vangarde, Sat 12 Dec 2026 18:30"


@pytest.fixture
def screening():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(20, film=film)
    return ScreeningFactory(
        film=film,
        cinema=CinemaFactory(name="York - Vangarde"),
        starts_at=dt.datetime(2026, 12, 12, 18, 30, tzinfo=LONDON),
        capacity=6,
    )


def change_url(reservation: Reservation) -> str:
    return reverse("admin:campaign_reservation_change", args=[reservation.pk])


def add_data(screening: Screening, **overrides) -> dict:
    data = {
        "name": "Mary Holly",
        "email": "mary@example.com",
        "screening": screening.pk,
        "access_code": AccessCodeFactory().pk,
        "quantity": 2,
        "ip_address": "",
    }
    return {**data, **overrides}


def change_data(reservation: Reservation, **overrides) -> dict:
    """What the change form posts: its fields plus the read-only tickets inline's management form."""
    tickets = list(Ticket.objects.filter(reservation=reservation).values_list("pk", flat=True))
    data = {
        "name": reservation.name,
        "email": reservation.email,
        "screening": reservation.screening_id,
        "access_code": reservation.access_code_id,
        "quantity": reservation.quantity,
        "ip_address": reservation.ip_address or "",
        "tickets-TOTAL_FORMS": len(tickets),
        "tickets-INITIAL_FORMS": len(tickets),
        "tickets-MIN_NUM_FORMS": 0,
        "tickets-MAX_NUM_FORMS": 0,
    }
    for i, pk in enumerate(tickets):
        data[f"tickets-{i}-id"] = pk
        data[f"tickets-{i}-reservation"] = reservation.pk
    return {**data, **overrides}


def state() -> tuple[list, list]:
    reservations = list(
        Reservation.objects.order_by("pk").values_list("pk", "screening_id", "access_code_id", "quantity")
    )
    return reservations, list(Ticket.objects.order_by("pk").values_list("pk", "reservation_id"))


def refused_form(client, url: str, data: dict):
    """Post a request the rules refuse: the form comes back with errors, and nothing changed."""
    before = state()
    response = client.post(url, data)
    assert response.status_code == 200, "expected the form again, with errors"
    assert state() == before
    assert b"Please correct the error" in response.content
    return response.context["adminform"].form


def held(reservation: Reservation) -> int:
    return Ticket.objects.filter(reservation=reservation).count()


def test_add_form_renders_without_a_tickets_inline(admin_client):
    response = admin_client.get(ADD_URL)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"] == []


def test_the_add_form_shows_no_reference_before_one_is_saved(admin_client, screening):
    response = admin_client.get(ADD_URL)
    assert b"field-reference" not in response.content
    refused = admin_client.post(ADD_URL, add_data(screening, quantity=5))
    assert refused.status_code == 200
    assert b"field-reference" not in refused.content


def test_the_saved_reference_is_the_one_staff_are_shown(admin_client, screening):
    response = admin_client.post(ADD_URL, add_data(screening), follow=True)
    reservation = Reservation.objects.get()
    messages = [str(message) for message in response.context["messages"]]
    assert any(reservation.reference in message for message in messages), messages
    change_page = admin_client.get(change_url(reservation)).content.decode()
    assert "field-reference" in change_page
    assert reservation.reference in change_page


def test_staff_book_seats_and_tickets_are_allocated(admin_client, screening):
    response = admin_client.post(ADD_URL, add_data(screening, quantity=3))
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert reservation.quantity == 3
    assert held(reservation) == 3
    assert LogEntry.objects.filter(object_id=str(reservation.pk)).exists()


@pytest.mark.parametrize(
    ("quantity", "field", "message"),
    [
        (0, "quantity", "A new reservation needs at least 1 seat; 0 is only for cancelling an existing one."),
        (-1, "quantity", "Ensure this value is greater than or equal to 0."),
        (5, "quantity", "Ensure this value is less than or equal to 4."),
        ("abc", "quantity", "Enter a whole number."),
        ("", "quantity", "This field is required."),
    ],
)
def test_add_refuses_a_bad_quantity_on_the_field(admin_client, screening, quantity, field, message):
    form = refused_form(admin_client, ADD_URL, add_data(screening, quantity=quantity))
    assert form.errors == {field: [message]}


def test_add_refuses_more_seats_than_are_left(admin_client, screening):
    ReservationFactory(screening=screening, quantity=3)
    form = refused_form(admin_client, ADD_URL, add_data(screening, quantity=4))
    assert form.errors == {"quantity": [f"Only 3 seats left for {ELF_AT_YORK}; you asked for 4."]}


def test_add_refuses_a_sold_out_screening(admin_client, screening):
    ReservationFactory(screening=screening, quantity=4)
    ReservationFactory(screening=screening, quantity=2)
    form = refused_form(admin_client, ADD_URL, add_data(screening, quantity=1))
    assert form.errors == {
        "screening": [f"No seats left for {ELF_AT_YORK}: all 6 are reserved. Choose another screening."]
    }


def test_add_refuses_a_used_up_code(admin_client, screening):
    code = AccessCodeFactory(value="BCDF-2345-GHJK-6789")
    ReservationFactory(access_code=code, quantity=1)
    form = refused_form(admin_client, ADD_URL, add_data(screening, access_code=code.pk))
    assert form.errors == {
        "access_code": ["Access code BCDF-2345-GHJK-6789 is used up: it can be used once and has been used once."]
    }


def test_add_refuses_a_code_for_another_film(admin_client, screening):
    code = AccessCodeFactory(value="BCDF-2345-GHJK-6789", valid_for=FilmFactory(name="Home Alone"))
    form = refused_form(admin_client, ADD_URL, add_data(screening, access_code=code.pk))
    assert form.errors == {"access_code": ["Access code BCDF-2345-GHJK-6789 is for Home Alone only, not Elf."]}


def test_add_refuses_a_film_without_free_tickets(admin_client, screening):
    Ticket.objects.all().delete()
    form = refused_form(admin_client, ADD_URL, add_data(screening, quantity=2))
    assert form.non_field_errors() == [
        "Not enough tickets left for Elf: this reservation needs 2 more and only 0 are free. "
        "Load more ticket stock for the film first."
    ]


def test_change_form_shows_seats_left_and_the_tickets_held(admin_client, screening):
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=2, name="Mary Holly", email="m@example.com"
    )
    response = admin_client.get(change_url(reservation))
    assert response.status_code == 200
    content = response.content.decode()
    assert "4 of 6" in content
    for code in Ticket.objects.filter(reservation=reservation).values_list("code", flat=True):
        assert code in content
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission


def test_change_raises_the_quantity_and_allocates(admin_client, screening):
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=1, name="Mary Holly", email="m@example.com"
    )
    response = admin_client.post(change_url(reservation), change_data(reservation, quantity=4, name="Mary H."))
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert (reservation.quantity, reservation.name) == (4, "Mary H.")
    assert held(reservation) == 4


def test_change_refuses_more_seats_than_are_left(admin_client, screening):
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=2, name="Mary Holly", email="m@example.com"
    )
    ReservationFactory(screening=screening, quantity=3)
    form = refused_form(admin_client, change_url(reservation), change_data(reservation, quantity=4, name="Changed"))
    assert form.errors == {"quantity": [f"Only 3 seats left for {ELF_AT_YORK}; you asked for 4."]}
    assert Reservation.objects.get(pk=reservation.pk).name == "Mary Holly"


def test_change_to_zero_cancels_and_frees_the_tickets(admin_client, screening):
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=3, name="Mary Holly", email="m@example.com"
    )
    ReservationFactory(screening=screening, quantity=4)  # overbooked by hand: cancelling still works
    response = admin_client.post(change_url(reservation), change_data(reservation, quantity=0))
    assert response.status_code == 302
    assert Reservation.objects.get(pk=reservation.pk).quantity == 0
    assert held(reservation) == 0


def test_change_refuses_a_used_up_code(admin_client, screening):
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=1, name="Mary Holly", email="m@example.com"
    )
    used = AccessCodeFactory()
    ReservationFactory(access_code=used, quantity=1)
    form = refused_form(admin_client, change_url(reservation), change_data(reservation, access_code=used.pk))
    assert list(form.errors) == ["access_code"]


def test_change_moves_to_a_screening_of_another_film_and_swaps_tickets(admin_client, screening):
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=2, name="Mary Holly", email="m@example.com"
    )
    home_alone = FilmFactory(name="Home Alone")
    TicketFactory.create_batch(2, film=home_alone)
    other = ScreeningFactory(film=home_alone)
    response = admin_client.post(change_url(reservation), change_data(reservation, screening=other.pk))
    assert response.status_code == 302
    assert set(Ticket.objects.filter(reservation=reservation).values_list("film", flat=True)) == {home_alone.pk}


def test_change_refuses_a_move_when_the_new_film_has_no_tickets(admin_client, screening):
    reservation = Reservation.objects.create(
        screening=screening, access_code=AccessCodeFactory(), quantity=2, name="Mary Holly", email="m@example.com"
    )
    other = ScreeningFactory(film=FilmFactory(name="Home Alone"))
    form = refused_form(admin_client, change_url(reservation), change_data(reservation, screening=other.pk))
    assert "Not enough tickets left for Home Alone" in form.non_field_errors()[0]


def screening_data(screening: Screening, **overrides) -> dict:
    local = screening.local_start
    data = {
        "film": screening.film_id,
        "cinema": screening.cinema_id,
        "starts_at_0": local.strftime("%d/%m/%Y"),
        "starts_at_1": local.strftime("%H:%M:%S"),
        "capacity": screening.capacity,
    }
    return {**data, **overrides}


def test_screening_capacity_cannot_go_below_the_seats_reserved(admin_client, screening):
    ReservationFactory(screening=screening, quantity=4)
    url = reverse("admin:campaign_screening_change", args=[screening.pk])
    form = refused_form(admin_client, url, screening_data(screening, capacity=3))
    assert "4 seats are already reserved" in form.errors["capacity"][0]
    response = admin_client.post(url, screening_data(screening, capacity=4))
    assert response.status_code == 302
    assert Screening.objects.get(pk=screening.pk).capacity == 4


def test_the_film_of_a_booked_screening_cannot_change_in_the_admin(admin_client, screening):
    ReservationFactory(screening=screening, quantity=1)
    url = reverse("admin:campaign_screening_change", args=[screening.pk])
    form = refused_form(admin_client, url, screening_data(screening, film=FilmFactory().pk))
    assert (
        form.errors["film"][0] == "1 seat is reserved for this screening; move or cancel it before changing its film."
    )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_busy_screening_gives_a_form_error_not_a_hung_page(admin_client, screening, settings):
    settings.RESERVATION_LOCK_TIMEOUT_MS = 200
    with screening_locked_elsewhere(screening):
        form = refused_form(admin_client, ADD_URL, add_data(screening))
        assert form.non_field_errors() == [BUSY_MESSAGE]


def test_a_staff_booking_records_no_ip_address(admin_client, screening):
    """The address a staff member books from is theirs, not the customer's: none is kept or shown."""
    assert 'name="ip_address"' not in admin_client.get(ADD_URL).content.decode()
    admin_client.post(ADD_URL, add_data(screening, ip_address="192.0.2.1"))
    reservation = Reservation.objects.get()
    assert reservation.ip_address is None

    booked_online = ReservationFactory(screening=screening, ip_address="198.51.100.7", email="online@example.com")
    booked_online.allocate_tickets()
    assert 'name="ip_address"' not in admin_client.get(change_url(booked_online)).content.decode()
    admin_client.post(change_url(booked_online), change_data(booked_online, name="Jo Online", ip_address="192.0.2.1"))
    booked_online.refresh_from_db()
    assert (booked_online.name, booked_online.ip_address) == ("Jo Online", "198.51.100.7")


def test_the_quantity_help_is_true_on_the_add_form_and_on_the_change_form(admin_client, screening):
    def quantity_help(url: str) -> str:
        return admin_client.get(url).context["adminform"].form.fields["quantity"].help_text

    assert quantity_help(ADD_URL) == "Seats to book, 1 to 4."
    reservation = ReservationFactory(screening=screening, quantity=2)
    assert quantity_help(change_url(reservation)) == (
        "Seats held, 0 to 4. 0 cancels the reservation: its seats are freed and the customer is sent a cancellation."
    )
