"""Each screening's ``reserved_seats`` equals the sum of its reservations' quantities, whatever
writes them: the booking rules, bulk cancels and moves, plain saves, updates and deletes. The
triggers of migration 0025 keep it, on PostgreSQL and on SQLite alike."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Sum

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import LONDON, Reservation, Screening
from backoffice.campaign.services.reservations import reservations_cancel, reservations_move

pytestmark = pytest.mark.django_db


def counted() -> dict[int, tuple[int, int]]:
    """Each screening's kept count beside the sum of its reservations."""
    sums = dict(Reservation.objects.values("screening").annotate(n=Sum("quantity")).values_list("screening", "n"))
    return {s.pk: (s.reserved_seats, sums.get(s.pk) or 0) for s in Screening.objects.all()}


def assert_kept() -> None:
    for pk, (kept, summed) in counted().items():
        assert kept == summed, f"screening {pk}: reserved_seats {kept}, reservations hold {summed}"


@pytest.fixture
def screenings():
    elf = FilmFactory(name="Elf")
    TicketFactory.create_batch(30, film=elf)
    york = CinemaFactory(name="York - Vangarde")
    start = dt.datetime(2026, 12, 12, 18, 30, tzinfo=LONDON)
    return [
        ScreeningFactory(film=elf, cinema=york, starts_at=start + dt.timedelta(days=i), capacity=8) for i in range(2)
    ]


def test_rows_written_directly_are_counted(screenings):
    first, second = screenings
    a = ReservationFactory(screening=first, quantity=2)
    ReservationFactory(screening=first, quantity=3)
    Reservation.objects.bulk_create(
        [ReservationFactory.build(screening=second, access_code=AccessCodeFactory(), quantity=4)]
    )
    assert_kept()
    first.refresh_from_db()
    assert first.reserved_seats == 5
    Reservation.objects.filter(pk=a.pk).update(quantity=1)  # fewer seats
    assert_kept()
    Reservation.objects.filter(pk=a.pk).update(screening=second, quantity=4)  # moved and more
    assert_kept()
    Reservation.objects.filter(pk=a.pk).update(name="Someone Else")  # neither: nothing moves
    assert_kept()
    Reservation.objects.filter(pk=a.pk).delete()
    assert_kept()
    assert [s.reserved_seats for s in Screening.objects.order_by("pk")] == [3, 4]


def test_bookings_changes_cancels_and_moves_are_counted(screenings):
    first, second = screenings
    booked = [
        Reservation.objects.create(
            screening=first, access_code=AccessCodeFactory(), quantity=n, name="Mary Holly", email=f"m{n}@example.com"
        )
        for n in (1, 2, 3)
    ]
    assert_kept()
    Reservation.objects.update_booking(booked[0], quantity=2)
    Reservation.objects.update_booking(booked[1], screening=second)
    assert_kept()
    reservations_move(reservations=Reservation.objects.filter(pk=booked[2].pk), screening=second, by=None)
    assert_kept()
    reservations_cancel(reservations=Reservation.objects.filter(screening=second), by=None)
    assert_kept()
    assert [s.reserved_seats for s in Screening.objects.order_by("pk")] == [2, 0]


def test_saving_a_screening_loaded_before_a_booking_keeps_the_booking_counted(screenings):
    first, _ = screenings
    loaded = Screening.objects.get(pk=first.pk)  # a form opened before the booking
    ReservationFactory(screening=first, quantity=3)
    loaded.capacity = 10
    loaded.save()
    first.refresh_from_db()
    assert (first.capacity, first.reserved_seats) == (10, 3)


def test_the_lists_read_the_kept_count(screenings):
    first, second = screenings
    ReservationFactory(screening=first, quantity=4)
    ReservationFactory(screening=first, quantity=4)
    ReservationFactory(screening=second, quantity=2)
    rows = {s.pk: (s.seats_reserved, s.seats_left, s.sold_out) for s in Screening.objects.with_sold_out()}
    assert rows == {first.pk: (8, 0, True), second.pk: (2, 6, False)}
    assert list(Screening.objects.sold_out()) == [first]


def test_the_triggers_are_in_place():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'campaign_reservation'::regclass")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'campaign_reservation'"
            )
        names = {row[0] for row in cursor.fetchall()}
    expected = (
        {"campaign_reservation_seats_write", "campaign_reservation_seats_change"}
        if connection.vendor == "postgresql"
        else {f"campaign_reservation_seats_{event}" for event in ("insert", "delete", "update")}
    )
    assert expected <= names
