"""Bookings close BOOKING_CUTOFF_MINUTES before a screening starts, on every path, and the
admin's screening picker says which screenings can still be booked."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Reservation, Screening
from backoffice.campaign.tests.booking_support import refused

pytestmark = pytest.mark.django_db

PICKER_URL = reverse("admin:autocomplete")


@pytest.fixture
def wonka():
    film = FilmFactory(name="Wonka")
    TicketFactory.create_batch(20, film=film)
    return film


def starting_in(film, minutes: int, **kwargs) -> Screening:
    return ScreeningFactory(film=film, starts_at=timezone.now() + dt.timedelta(minutes=minutes), **kwargs)


def book(screening: Screening, quantity: int = 2, **kwargs) -> Reservation:
    fields = {"access_code": AccessCodeFactory(), "name": "Mary Holly", "email": "mary@example.com"}
    return Reservation.objects.create(screening=screening, quantity=quantity, **{**fields, **kwargs})


def closed_message(screening: Screening) -> str:
    closes = (screening.starts_at - dt.timedelta(minutes=60)).astimezone(LONDON)
    return f"Bookings for {screening} closed at {closes:%H:%M}, 60 minutes before the start. Choose a later screening."


@pytest.mark.parametrize("minutes", [-30, 0, 30, 59])
def test_a_new_booking_after_the_cutoff_is_refused(wonka, minutes):
    screening = starting_in(wonka, minutes)
    assert refused(book, screening) == {"screening": [closed_message(screening)]}


def test_a_booking_before_the_cutoff_is_taken(wonka):
    assert book(starting_in(wonka, 61)).quantity == 2


def test_the_cutoff_is_a_setting(wonka, settings):
    settings.BOOKING_CUTOFF_MINUTES = 10
    assert book(starting_in(wonka, 30)).quantity == 2
    settings.BOOKING_CUTOFF_MINUTES = 120
    assert "screening" in refused(book, starting_in(wonka, 90))


def test_more_seats_on_a_closed_screening_are_refused_but_fewer_are_fine(wonka):
    reservation = ReservationFactory(screening=starting_in(wonka, 30), quantity=2)
    reservation.allocate_tickets()
    errors = refused(Reservation.objects.update_booking, reservation, quantity=3)
    assert errors == {"screening": [closed_message(reservation.screening)]}
    reservation.refresh_from_db()
    assert Reservation.objects.update_booking(reservation, quantity=1).quantity == 1
    assert reservation.tickets.count() == 1


def test_a_move_to_a_closed_screening_is_refused(wonka):
    reservation = book(starting_in(wonka, 600))
    closed = starting_in(wonka, 45)
    errors = refused(Reservation.objects.update_booking, reservation, screening=closed)
    assert errors == {"screening": [closed_message(closed)]}


def test_a_move_away_from_a_closed_screening_is_fine(wonka):
    reservation = ReservationFactory(screening=starting_in(wonka, 30), quantity=2)
    reservation.allocate_tickets()
    later = starting_in(wonka, 600)
    assert Reservation.objects.update_booking(reservation, screening=later).screening == later


def test_reviving_a_cancelled_reservation_on_a_closed_screening_is_refused(wonka):
    reservation = ReservationFactory(screening=starting_in(wonka, 30), quantity=0)
    errors = refused(Reservation.objects.update_booking, reservation, quantity=2)
    assert errors == {"screening": [closed_message(reservation.screening)]}


def test_cancelling_and_correcting_the_customer_stay_possible_after_the_cutoff(wonka):
    reservation = ReservationFactory(screening=starting_in(wonka, -10), quantity=2)
    reservation.allocate_tickets()
    Reservation.objects.update_booking(reservation, name="Mary Holly-Berry", email="mhb@example.com")
    Reservation.objects.update_booking(reservation, quantity=0)
    reservation.refresh_from_db()
    assert (reservation.name, reservation.email, reservation.quantity) == ("Mary Holly-Berry", "mhb@example.com", 0)
    assert reservation.tickets.count() == 0


def test_the_admin_refuses_a_closed_screening_on_the_form(admin_client, wonka):
    screening = starting_in(wonka, 20)
    data = {
        "name": "Mary Holly",
        "email": "mary@example.com",
        "screening": screening.pk,
        "access_code": AccessCodeFactory().pk,
        "quantity": 2,
        "ip_address": "",
    }
    response = admin_client.post(reverse("admin:campaign_reservation_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"screening": [closed_message(screening)]}
    assert not Reservation.objects.exists()


def test_bookable_lists_the_screenings_still_open(wonka, settings):
    open_ = starting_in(wonka, 61)
    starting_in(wonka, 59)
    starting_in(wonka, -5)
    assert list(Screening.objects.bookable()) == [open_]
    settings.BOOKING_CUTOFF_MINUTES = 0
    assert Screening.objects.bookable().count() == 2


# --- the admin's screening picker ------------------------------------------------------------


def picker(client, term: str = "") -> list[str]:
    params = {"app_label": "campaign", "model_name": "reservation", "field_name": "screening", "term": term}
    response = client.get(PICKER_URL, params)
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


@pytest.fixture
def leicester_square(wonka):
    return ScreeningFactory(
        film=wonka,
        cinema=CinemaFactory(name="London - Leicester Square"),
        starts_at=dt.datetime(2027, 12, 8, 19, 30, tzinfo=LONDON),
        capacity=14,
    )


def test_the_picker_shows_film_cinema_day_time_and_seats_left(admin_client, leicester_square):
    ReservationFactory(screening=leicester_square, quantity=2)
    assert picker(admin_client) == ["Wonka · London - Leicester Square · Wed 8 Dec 19:30 · 12 left"]


def test_the_picker_marks_sold_out_and_closed_screenings(admin_client, leicester_square, wonka):
    leicester_square.capacity = 0
    leicester_square.save(update_fields=["capacity"])
    closed = starting_in(wonka, 30, cinema=CinemaFactory(name="York - Vangarde"))
    labels = picker(admin_client)
    local = closed.local_start
    assert labels == [
        "Wonka · London - Leicester Square · Wed 8 Dec 19:30 · sold out",
        f"Wonka · York - Vangarde · {local:%a} {local.day} {local:%b %H:%M} · bookings closed",
    ]


def test_the_picker_lists_screenings_taking_bookings_first_soonest_first_then_closed_ones_latest_first(
    admin_client, wonka
):
    york = CinemaFactory(name="York - Vangarde")
    past = starting_in(wonka, -60 * 24 * 365, cinema=york)
    later = starting_in(wonka, 60 * 48, cinema=york)
    started = starting_in(wonka, -30, cinema=york)
    closing = starting_in(wonka, 30, cinema=york)
    soon = starting_in(wonka, 90, cinema=york)
    called_off = starting_in(wonka, 60 * 24, cinema=york, cancelled_at=timezone.now())
    params = {"app_label": "campaign", "model_name": "reservation", "field_name": "screening"}
    found = [int(result["id"]) for result in admin_client.get(PICKER_URL, params).json()["results"]]
    assert found == [s.pk for s in (soon, later, called_off, closing, started, past)]


def test_the_picker_matches_words_at_their_start(admin_client, wonka):
    elf = FilmFactory(name="Elf")
    TicketFactory(film=elf)
    belfast, york = CinemaFactory(name="Belfast - Dublin Road"), CinemaFactory(name="York - Vangarde")
    starting_in(wonka, 600, cinema=belfast)
    at_york = starting_in(elf, 600, cinema=york)
    local = at_york.local_start
    label = f"Elf · York - Vangarde · {local:%a} {local.day} {local:%b %H:%M} · 10 left"
    assert picker(admin_client, "elf") == [label]
    assert picker(admin_client, "Vang") == [label]
    assert picker(admin_client, "elf york") == [label]
    assert picker(admin_client, "onka") == []
    assert picker(admin_client, "fast") == []
    assert picker(admin_client, at_york.slug[:12]) == [label]  # a slug, typed from its start


def test_the_picker_names_a_past_screening_past_with_its_year(admin_client, wonka):
    last_season = ScreeningFactory(
        film=wonka,
        cinema=CinemaFactory(name="York - Vangarde"),
        starts_at=dt.datetime(2025, 12, 6, 18, 30, tzinfo=LONDON),
    )
    starting_in(wonka, -30, cinema=last_season.cinema)
    assert picker(admin_client)[1] == "Wonka · York - Vangarde · Sat 6 Dec 2025 18:30 · past"


@pytest.mark.parametrize("term", ["wonka", "leicester", "2027-12-08", "8 Dec", "08/12/2027", "Wonka 8 Dec"])
def test_the_picker_finds_screenings_by_film_cinema_or_date(admin_client, leicester_square, term):
    ScreeningFactory(
        film=FilmFactory(name="Elf"),
        cinema=CinemaFactory(name="York - Vangarde"),
        starts_at=dt.datetime(2027, 12, 9, 19, 30, tzinfo=LONDON),
    )
    assert picker(admin_client, term) == ["Wonka · London - Leicester Square · Wed 8 Dec 19:30 · 14 left"]


def test_the_picker_costs_the_same_queries_for_one_screening_or_a_page(admin_client, wonka):
    starting_in(wonka, 600)
    picker(admin_client)  # the session and user are loaded once; count what follows
    with CaptureQueriesContext(connection) as one:
        picker(admin_client)
    for n in range(25):
        starting_in(wonka, 700 + n, cinema=CinemaFactory())
    with CaptureQueriesContext(connection) as page:
        assert len(picker(admin_client)) == 20
    assert len(page) == len(one)


def test_the_picker_label_is_not_cut_off(admin_client):
    response = admin_client.get(reverse("admin:campaign_reservation_add"))
    assert b"campaign/admin/screening-picker.css" in response.content
