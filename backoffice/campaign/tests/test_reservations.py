"""The booking rules of Reservation.objects (create and update_booking) and screening_update."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Reservation, Screening, Ticket
from backoffice.campaign.services.reservations import (
    reservation_booking,
    reservation_create,
    reservation_update,
    screening_update,
)
from backoffice.campaign.tests.booking_support import refused

pytestmark = pytest.mark.django_db

CUSTOMERS = itertools.count()
ELF_AT_YORK = "Elf at York - Vangarde, Sat 12 Dec 2026 18:30"


@pytest.fixture
def elf():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(30, film=film)
    return film


@pytest.fixture
def screening(elf):
    return ScreeningFactory(
        film=elf,
        cinema=CinemaFactory(name="York - Vangarde"),
        starts_at=dt.datetime(2026, 12, 12, 18, 30, tzinfo=LONDON),
        capacity=6,
    )


def book(screening: Screening, **kwargs) -> Reservation:
    fields = {
        "screening": screening,
        "access_code": AccessCodeFactory(),
        "quantity": 2,
        "name": "Mary Holly",
        "email": f"mary.{next(CUSTOMERS)}@example.com",  # one active booking per email
    }
    return Reservation.objects.create(**{**fields, **kwargs})


def held(reservation: Reservation) -> list[tuple[int, int]]:
    return list(Ticket.objects.filter(reservation=reservation).values_list("pk", "film_id"))


# --- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [1, 2, 3, 4])
def test_create_books_seats_and_allocates_tickets(screening, quantity):
    reservation = book(screening, quantity=quantity, ip_address="192.0.2.7")
    reservation.refresh_from_db()
    assert reservation.quantity == quantity
    assert reservation.ip_address == "192.0.2.7"
    assert len(reservation.reference) == 8
    tickets = held(reservation)
    assert len(tickets) == quantity
    assert {film for _, film in tickets} == {screening.film_id}


def test_create_accepts_a_number_typed_as_text(screening):
    assert book(screening, quantity=" 3 ").quantity == 3


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        # The field's own validators speak here, as they do on the admin's form.
        (-1, "Ensure this value is greater than or equal to 0."),
        (0, "A new reservation needs at least 1 seat; 0 is only for cancelling an existing one."),
        (5, "Ensure this value is less than or equal to 4."),
        ("abc", "“abc” value must be an integer."),
        (None, "This field cannot be null."),
        ("", "“” value must be an integer."),
    ],
)
def test_create_refuses_a_bad_quantity(screening, quantity, message):
    errors = refused(book, screening, quantity=quantity)
    assert errors == {"quantity": [message]}


def test_create_refuses_a_missing_quantity(screening):
    errors = refused(
        Reservation.objects.create,
        screening=screening,
        access_code=AccessCodeFactory(),
        name="Mary Holly",
        email="mary@example.com",
    )
    assert errors == {"quantity": ["This field cannot be null."]}


def test_create_refuses_a_missing_screening_and_code():
    errors = refused(Reservation.objects.create, quantity=2, name="Mary Holly", email="mary@example.com")
    assert errors == {
        "screening": ["Choose the screening to book."],
        "access_code": ["Enter the customer's access code."],
    }


def test_create_refuses_more_seats_than_are_left(screening):
    ReservationFactory(screening=screening, quantity=4)
    ReservationFactory(screening=screening, quantity=0)  # cancelled: holds no seat
    errors = refused(book, screening, quantity=3)
    assert errors == {"quantity": [f"Only 2 seats left for {ELF_AT_YORK}; you asked for 3."]}
    assert book(screening, quantity=2).quantity == 2


def test_create_refuses_a_sold_out_screening(screening):
    ReservationFactory(screening=screening, quantity=4)
    ReservationFactory(screening=screening, quantity=2)
    errors = refused(book, screening, quantity=1)
    assert errors == {"screening": [f"No seats left for {ELF_AT_YORK}: all 6 are reserved. Choose another screening."]}


def test_create_counts_only_this_screenings_reservations(screening):
    ReservationFactory(screening=ScreeningFactory(film=screening.film, capacity=50), quantity=4)
    book(screening, quantity=4)
    book(screening, quantity=2)
    assert Reservation.objects.filter(screening=screening).count() == 2


def test_create_refuses_a_used_up_code(screening):
    code = AccessCodeFactory(value="BCDF-2345-GHJK-6789", max_usages=1)
    ReservationFactory(access_code=code, quantity=1)
    errors = refused(book, screening, access_code=code)
    assert errors == {
        "access_code": ["Access code BCDF-2345-GHJK-6789 is used up: it can be used once and has been used once."]
    }


def test_a_code_is_used_once_per_active_reservation(screening):
    code = AccessCodeFactory(value="BCDF-2345-GHJK-6789", max_usages=3)
    ReservationFactory(access_code=code, quantity=0)  # a cancelled booking gives its use back
    book(screening, access_code=code, quantity=1)
    book(screening, access_code=code, quantity=1)
    book(screening, access_code=code, quantity=1)
    errors = refused(book, screening, access_code=code, quantity=1)
    assert errors == {
        "access_code": ["Access code BCDF-2345-GHJK-6789 is used up: it can be used 3 times and has been used 3 times."]
    }


def test_create_refuses_a_code_for_another_film(screening):
    code = AccessCodeFactory(value="BCDF-2345-GHJK-6789", valid_for=FilmFactory(name="Home Alone"))
    errors = refused(book, screening, access_code=code)
    assert errors == {"access_code": ["Access code BCDF-2345-GHJK-6789 is for Home Alone only, not Elf."]}


def test_a_code_for_the_film_or_any_film_is_accepted(screening):
    book(screening, access_code=AccessCodeFactory(valid_for=screening.film))
    book(screening, access_code=AccessCodeFactory(valid_for=None))
    assert Reservation.objects.count() == 2


def test_create_refuses_a_film_without_free_tickets_and_writes_nothing(screening):
    Ticket.objects.filter(pk__in=Ticket.objects.order_by("pk").values("pk")[1:]).delete()
    errors = refused(book, screening, quantity=2)
    assert errors == {
        NON_FIELD_ERRORS: [
            "Not enough tickets left for Elf: this reservation needs 2 more and only 1 is free. "
            "Load more ticket stock for the film first."
        ]
    }


def test_create_runs_the_field_validation(screening):
    errors = refused(book, screening, email="not-an-email")
    assert list(errors) == ["email"]


def test_a_refused_create_leaves_the_instance_unsaved(screening):
    Ticket.objects.all().delete()
    reservation = Reservation(
        screening=screening, access_code=AccessCodeFactory(), quantity=1, name="Mary Holly", email="m@example.com"
    )

    def book_it() -> None:
        with reservation_booking(reservation):
            reservation_create(reservation=reservation)
            reservation.allocate_tickets(held=())

    with pytest.raises(ValidationError):
        book_it()
    assert reservation.pk is None
    assert reservation._state.adding


def test_a_change_returns_the_row_as_it_was_and_the_booking_needs_it(screening):
    reservation = book(screening, quantity=2)
    reservation.quantity = 1
    with reservation_booking(reservation) as booking:
        booking.before = reservation_update(reservation=reservation, fields=["quantity"])
        reservation.allocate_tickets()
    assert (booking.before.pk, booking.before.quantity) == (reservation.pk, 2)
    assert list(reservation.emails.values_list("kind", flat=True).order_by("pk")) == ["confirmation", "update"]

    # Without the row as it was, the booking cannot tell a change from a new booking: it writes nothing.
    reservation.quantity = 0
    with pytest.raises(RuntimeError, match=r"booking\.before"), reservation_booking(reservation):
        reservation_update(reservation=reservation, fields=["quantity"])
    reservation.refresh_from_db()
    assert reservation.quantity == 1
    assert reservation.emails.count() == 2


def test_a_reference_already_taken_is_drawn_again(screening):
    taken = book(screening, quantity=1).reference
    reservation = book(screening, quantity=1, reference=taken)
    assert reservation.reference != taken
    assert Reservation.objects.filter(reference=taken).count() == 1
    assert Ticket.objects.filter(reservation=reservation).count() == 1


def test_create_refuses_a_screening_or_code_that_no_longer_exists(screening):
    gone = ScreeningFactory(film=screening.film)
    gone_pk = gone.pk
    gone.delete()
    errors = refused(book, Screening(pk=gone_pk))
    assert errors == {"screening": ["That screening no longer exists; choose another."]}


# --- update_booking -------------------------------------------------------------------------


def test_update_raises_the_quantity_within_the_seats_left(screening):
    reservation = book(screening, quantity=2)
    ReservationFactory(screening=screening, quantity=2)
    Reservation.objects.update_booking(reservation, quantity=4)
    reservation.refresh_from_db()
    assert reservation.quantity == 4
    assert len(held(reservation)) == 4


def test_update_counts_every_other_reservation_of_the_screening(screening):
    reservation = book(screening, quantity=2)
    ReservationFactory(screening=screening, quantity=3)
    errors = refused(Reservation.objects.update_booking, reservation, quantity=4)
    assert errors == {"quantity": [f"Only 3 seats left for {ELF_AT_YORK}; you asked for 4."]}


def test_lowering_the_quantity_always_succeeds_and_frees_tickets(screening):
    reservation = book(screening, quantity=4)
    # Arranged overbooking (as if capacity had been typed in wrong): lowering must still work.
    ReservationFactory(screening=screening, quantity=4)
    Reservation.objects.update_booking(reservation, quantity=1)
    assert len(held(reservation)) == 1
    Reservation.objects.update_booking(reservation, quantity=0)
    reservation.refresh_from_db()
    assert reservation.quantity == 0
    assert held(reservation) == []
    assert Ticket.objects.filter(reservation__isnull=True).count() == 30


def test_cancelling_gives_the_code_use_back(screening):
    code = AccessCodeFactory(max_usages=1)
    first = book(screening, access_code=code)
    Reservation.objects.update_booking(first, quantity=0)
    second = book(screening, access_code=code)
    assert second.pk
    # Reactivating the first booking would now use the code twice.
    errors = refused(Reservation.objects.update_booking, first, quantity=1)
    assert "is used up" in errors["access_code"][0]


def test_update_refuses_a_bad_quantity(screening):
    reservation = book(screening)
    for quantity, message in [
        (-1, "Ensure this value is greater than or equal to 0."),
        (5, "Ensure this value is less than or equal to 4."),
        ("abc", "“abc” value must be an integer."),
    ]:
        errors = refused(
            Reservation.objects.update_booking, Reservation.objects.get(pk=reservation.pk), quantity=quantity
        )
        assert errors == {"quantity": [message]}


def test_moving_to_another_screening_checks_its_seats(screening):
    reservation = book(screening, quantity=3)
    other = ScreeningFactory(film=screening.film, capacity=4)
    ReservationFactory(screening=other, quantity=2)
    errors = refused(Reservation.objects.update_booking, reservation, screening=other)
    assert errors == {"quantity": [f"Only 2 seats left for {other}; you asked for 3."]}
    Reservation.objects.update_booking(Reservation.objects.get(pk=reservation.pk), screening=other, quantity=2)
    reservation.refresh_from_db()
    assert (reservation.screening_id, reservation.quantity) == (other.pk, 2)


def test_moving_to_a_screening_of_another_film_rechecks_the_code(screening):
    reservation = book(screening, access_code=AccessCodeFactory(value="BCDF-2345-GHJK-6789", valid_for=screening.film))
    other_film = FilmFactory(name="Home Alone")
    TicketFactory.create_batch(4, film=other_film)
    errors = refused(Reservation.objects.update_booking, reservation, screening=ScreeningFactory(film=other_film))
    assert errors == {"access_code": ["Access code BCDF-2345-GHJK-6789 is for Elf only, not Home Alone."]}


def test_changing_the_code_checks_its_usages(screening):
    reservation = book(screening)
    used = AccessCodeFactory(max_usages=1)
    ReservationFactory(access_code=used, quantity=1)
    errors = refused(Reservation.objects.update_booking, reservation, access_code=used)
    assert "is used up" in errors["access_code"][0]
    fresh = AccessCodeFactory()
    Reservation.objects.update_booking(Reservation.objects.get(pk=reservation.pk), access_code=fresh)
    assert Reservation.objects.get(pk=reservation.pk).access_code == fresh


def test_an_edit_keeps_concurrent_changes_to_other_fields(screening):
    reservation = book(screening, quantity=2)
    Reservation.objects.filter(pk=reservation.pk).update(email="new@example.com")  # someone else's edit
    Reservation.objects.update_booking(reservation, name="Mary Holly-Berry")
    reservation.refresh_from_db()
    assert (reservation.name, reservation.email, reservation.quantity) == ("Mary Holly-Berry", "new@example.com", 2)


def test_update_refuses_fields_that_are_not_editable(screening):
    reservation = book(screening)
    with pytest.raises(ValueError, match="reference"):
        Reservation.objects.update_booking(reservation, reference="XYZ")


def test_update_of_a_deleted_reservation_says_so(screening):
    reservation = book(screening)
    Reservation.objects.filter(pk=reservation.pk).delete()
    with pytest.raises(ValidationError) as error:
        Reservation.objects.update_booking(reservation, quantity=1)
    assert error.value.message_dict == {
        NON_FIELD_ERRORS: ["This reservation no longer exists; it may have been deleted."]
    }


# --- screening_update -----------------------------------------------------------------------


def test_capacity_cannot_be_saved_below_the_seats_reserved(screening):
    book(screening, quantity=4)
    screening.capacity = 3
    errors = refused(screening_update, screening=screening, fields=["capacity"])
    assert errors == {
        "capacity": [
            "4 seats are already reserved for this screening; capacity cannot go below 4. "
            "Cancel or move reservations first."
        ]
    }
    screening.capacity = 4
    screening_update(screening=screening, fields=["capacity"])
    assert Screening.objects.get(pk=screening.pk).capacity == 4


def test_the_film_of_a_booked_screening_cannot_change(screening):
    book(screening, quantity=1)
    screening.film = FilmFactory(name="Home Alone")
    errors = refused(screening_update, screening=screening, fields=["film"])
    assert list(errors) == ["film"]
