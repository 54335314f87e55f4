"""Reservation.allocate_tickets: exactly `quantity` tickets of the screening's film, in constant queries."""

import itertools

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.campaign.factories import (
    AccessCodeFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import Reservation, Ticket

pytestmark = pytest.mark.django_db

# Read what it holds; then lock the free tickets it needs and link them with one bulk UPDATE,
# or release the surplus with one. Never more, whatever the quantity.
ALLOCATE_QUERIES = 3
CUSTOMERS = itertools.count()


@pytest.fixture
def elf():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(12, film=film)
    return film


def book(screening, quantity: int) -> Reservation:
    return Reservation.objects.create(
        screening=screening,
        access_code=AccessCodeFactory(),
        quantity=quantity,
        name="Mary Holly",
        email=f"mary.{next(CUSTOMERS)}@example.com",  # one active booking per email
    )


def held(reservation: Reservation) -> set[int]:
    return set(Ticket.objects.filter(reservation=reservation).values_list("pk", flat=True))


def assert_holds_exactly_its_quantity(reservation: Reservation) -> None:
    reservation.refresh_from_db()
    tickets = Ticket.objects.filter(reservation=reservation)
    assert tickets.count() == reservation.quantity
    assert set(tickets.values_list("film_id", flat=True)) <= {reservation.screening.film_id}


@pytest.mark.parametrize("quantity", [1, 2, 3, 4])
def test_create_links_quantity_tickets_of_the_film(elf, quantity):
    TicketFactory.create_batch(5, film=FilmFactory())  # another film's stock is never touched
    reservation = book(ScreeningFactory(film=elf), quantity)
    assert_holds_exactly_its_quantity(reservation)
    assert Ticket.objects.exclude(film=elf).filter(reservation__isnull=False).count() == 0


def test_raising_the_quantity_keeps_the_tickets_held(elf):
    reservation = book(ScreeningFactory(film=elf), 2)
    before = held(reservation)
    Reservation.objects.update_booking(reservation, quantity=4)
    assert before < held(reservation)
    assert_holds_exactly_its_quantity(reservation)


def test_lowering_the_quantity_keeps_some_and_frees_the_rest(elf):
    reservation = book(ScreeningFactory(film=elf), 4)
    before = held(reservation)
    Reservation.objects.update_booking(reservation, quantity=1)
    assert held(reservation) < before
    assert_holds_exactly_its_quantity(reservation)
    assert Ticket.objects.filter(pk__in=before, reservation__isnull=True).count() == 3


def test_quantity_zero_frees_every_ticket(elf):
    reservation = book(ScreeningFactory(film=elf), 3)
    Reservation.objects.update_booking(reservation, quantity=0)
    assert held(reservation) == set()
    assert Ticket.objects.filter(reservation__isnull=True).count() == 12


def test_moving_to_a_screening_of_another_film_swaps_the_whole_set(elf):
    reservation = book(ScreeningFactory(film=elf), 3)
    before = held(reservation)
    home_alone = FilmFactory(name="Home Alone")
    TicketFactory.create_batch(3, film=home_alone)
    Reservation.objects.update_booking(reservation, screening=ScreeningFactory(film=home_alone))
    assert held(reservation).isdisjoint(before)
    assert_holds_exactly_its_quantity(reservation)
    assert Ticket.objects.filter(pk__in=before, reservation__isnull=True).count() == 3


def test_moving_to_another_screening_of_the_same_film_keeps_the_tickets(elf):
    reservation = book(ScreeningFactory(film=elf), 3)
    before = held(reservation)
    Reservation.objects.update_booking(reservation, screening=ScreeningFactory(film=elf))
    assert held(reservation) == before


def test_not_enough_stock_rolls_the_whole_update_back(elf):
    reservation = book(ScreeningFactory(film=elf), 2)
    before = held(reservation)
    free = Ticket.objects.filter(reservation__isnull=True).order_by("pk").values_list("pk", flat=True)
    Ticket.objects.filter(pk__in=list(free[1:])).delete()  # one free ticket left
    with pytest.raises(ValidationError) as error:
        Reservation.objects.update_booking(reservation, quantity=4)
    assert error.value.message_dict == {
        NON_FIELD_ERRORS: [
            "Not enough tickets left for Elf: this reservation needs 2 more and only 1 is free. "
            "Load more ticket stock for the film first."
        ]
    }
    assert Reservation.objects.get(pk=reservation.pk).quantity == 2
    assert held(reservation) == before
    assert Ticket.objects.filter(reservation__isnull=True).count() == 1


def test_wrong_film_and_surplus_tickets_are_released(elf):
    reservation = ReservationFactory(screening=ScreeningFactory(film=elf), quantity=2)
    right = TicketFactory.create_batch(3, film=elf, reservation=reservation)
    wrong = TicketFactory(film=FilmFactory(), reservation=reservation)
    reservation.allocate_tickets()
    assert held(reservation) == {right[0].pk, right[1].pk}
    assert Ticket.objects.get(pk=wrong.pk).reservation is None


@pytest.mark.parametrize("quantity", [1, 4])
def test_allocation_costs_the_same_queries_for_any_quantity(
    elf, django_assert_num_queries, django_assert_max_num_queries, quantity
):
    reservation = ReservationFactory(screening=ScreeningFactory(film=elf), quantity=quantity)
    reservation = Reservation.objects.select_related("screening").get(pk=reservation.pk)
    with django_assert_num_queries(ALLOCATE_QUERIES):
        reservation.allocate_tickets()
    assert len(held(reservation)) == quantity
    reservation.quantity = 5 - quantity
    with django_assert_max_num_queries(ALLOCATE_QUERIES):
        reservation.allocate_tickets()
    assert len(held(reservation)) == 5 - quantity


def test_a_caller_that_knows_the_tickets_held_saves_the_read(elf, django_assert_num_queries):
    reservation = ReservationFactory(screening=ScreeningFactory(film=elf), quantity=3)
    reservation = Reservation.objects.select_related("screening").get(pk=reservation.pk)
    with django_assert_num_queries(2):  # lock the free tickets, link them
        reservation.allocate_tickets(held=())
    assert len(held(reservation)) == 3


def test_a_whole_booking_costs_the_same_queries_for_one_seat_or_four(elf):
    screening = ScreeningFactory(film=elf, capacity=10)
    counts = []
    for quantity in (1, 4):
        code = AccessCodeFactory()
        with CaptureQueriesContext(connection) as queries:
            Reservation.objects.create(
                screening=screening,
                access_code=code,
                quantity=quantity,
                name="Mary Holly",
                email=f"q{quantity}@example.com",
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
