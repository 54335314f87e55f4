"""The counts the database keeps beside reservations and tickets (migration 0026) equal a count
made here from the rows, after every kind of write: bookings, changes, cancellations and moves,
a screening cancelled, tickets loaded, issued and deleted, codes generated, withdrawn and given
another film, rows written and deleted directly. On PostgreSQL and on SQLite alike; and
``recount_campaign`` counts them again from scratch."""

import datetime as dt
import importlib
import io
import itertools
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import (
    AccessCode,
    AccessCodeBatch,
    BookingCount,
    BookingHour,
    Reservation,
    Screening,
    Ticket,
    TicketCount,
)
from backoffice.campaign.services.access_codes import access_codes_generate
from backoffice.campaign.services.campaign_counts import campaign_counts_recount
from backoffice.campaign.services.code_blocks import access_codes_block
from backoffice.campaign.services.reservations import reservations_cancel, reservations_move, screening_cancel

pytestmark = pytest.mark.django_db

CUSTOMERS = itertools.count()
MIGRATION = importlib.import_module("backoffice.campaign.migrations.0026_campaign_counts")


def counted_from_rows() -> tuple[dict, dict, dict, dict]:
    """Tickets per film by state; bookings per (screening, batch, film of the code); codes
    redeemed per (batch, film); bookings made per hour (UTC): counted here, row by row."""
    tickets = defaultdict(Counter)
    for ticket in Ticket.objects.all():
        tickets[ticket.film_id][ticket.state] += 1
    bookings, redeemed, hours = defaultdict(Counter), defaultdict(set), Counter()
    for booking in Reservation.objects.select_related("access_code"):
        code = booking.access_code
        key = (booking.screening_id, code.batch_id, code.valid_for_id)
        bookings[key]["seats"] += booking.quantity
        bookings[key]["active" if booking.quantity else "cancelled"] += 1
        if booking.quantity:
            redeemed[code.batch_id, code.valid_for_id].add(code.pk)
        hours[booking.created_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)] += 1
    return (
        {film: (n["free"], n["held"], n["void"]) for film, n in tickets.items()},
        {key: (n["seats"], n["active"], n["cancelled"]) for key, n in bookings.items()},
        {key: len(codes) for key, codes in redeemed.items()},
        dict(hours),
    )


def kept() -> tuple[dict, dict, dict, dict]:
    """The same, as the kept counts say (rows at zero are no rows)."""
    tickets = {row.film_id: (row.free, row.held, row.void) for row in TicketCount.objects.all()}
    bookings = {
        (row.screening_id, row.batch_id, row.film_id): (row.seats, row.active, row.cancelled)
        for row in BookingCount.objects.all()
    }
    redeemed = BookingCount.objects.values("batch", "film").annotate(n=Sum("redeemed")).order_by()
    hours = BookingHour.objects.values("hour").annotate(n=Sum("bookings")).order_by()
    return (
        {film: counts for film, counts in tickets.items() if any(counts)},
        {key: counts for key, counts in bookings.items() if any(counts)},
        {(row["batch"], row["film"]): row["n"] for row in redeemed if row["n"]},
        {row["hour"]: row["n"] for row in hours if row["n"]},
    )


def assert_counts_kept() -> None:
    assert kept() == counted_from_rows()


def book(screening, quantity, *, code=None) -> Reservation:
    return Reservation.objects.create(
        screening=screening,
        access_code=code or AccessCodeFactory(),
        quantity=quantity,
        name="Mary Holly",
        email=f"mary.{next(CUSTOMERS)}@example.com",
    )


@pytest.fixture
def campaign():
    elf, carol = FilmFactory(name="Elf"), FilmFactory(name="A Christmas Carol")
    york = CinemaFactory(name="York - Vangarde")
    start = timezone.now() + dt.timedelta(days=3)
    screenings = [
        ScreeningFactory(film=film, cinema=york, starts_at=start + dt.timedelta(hours=i), capacity=20)
        for i, film in enumerate([elf, elf, carol, carol])
    ]
    Ticket.objects.bulk_create(  # as a spreadsheet import writes them
        [Ticket(code=f"ELF-{n:03d}", film=elf) for n in range(30)]
        + [Ticket(code=f"CAROL-{n:03d}", film=carol) for n in range(30)]
    )
    batch = access_codes_generate(count=6, max_usages=4, source=AccessCodeBatch.Source.COMMAND)
    return {"films": (elf, carol), "screenings": screenings, "codes": list(batch.codes.order_by("pk"))}


def test_bookings_changes_cancellations_and_moves_keep_the_counts(campaign):
    elf_1, elf_2, carol_1, carol_2 = campaign["screenings"]
    codes = campaign["codes"]
    assert_counts_kept()
    first = book(elf_1, 2, code=codes[0])
    second = book(elf_1, 3, code=codes[0])  # the same code twice: one code redeemed
    third = book(carol_1, 1, code=codes[1])
    typed = book(elf_2, 4)  # a code typed by hand, no batch
    assert_counts_kept()
    assert kept()[0][campaign["films"][0].pk] == (30 - 9, 9, 0)

    Reservation.objects.update_booking(first, quantity=1)  # fewer seats: a ticket goes back void
    Reservation.objects.update_booking(second, screening=carol_2)  # another film: tickets swapped
    Reservation.objects.update_booking(third, access_code=codes[2])  # another code
    assert_counts_kept()
    reservations_move(reservations=Reservation.objects.filter(pk=typed.pk), screening=carol_1, by=None)
    reservations_cancel(reservations=Reservation.objects.filter(pk=first.pk), by=None)
    assert_counts_kept()
    screening_cancel(screening=carol_1, by=None, reason="Projector broken", move_to=carol_2)
    assert_counts_kept()
    screening_cancel(screening=carol_2, by=None, reason="Flooded")
    assert_counts_kept()
    assert kept()[2] == {}  # every booking cancelled: no code redeemed


def test_tickets_loaded_issued_and_deleted_keep_the_counts(campaign):
    elf, carol = campaign["films"]
    booking = book(campaign["screenings"][0], 2)  # its confirmation issues its tickets' codes
    assert Ticket.objects.filter(reservation=booking, issued_at__isnull=False).count() == 2
    TicketFactory.create_batch(3, film=carol)
    TicketFactory(film=elf, issued_at=timezone.now())  # void as it comes
    assert_counts_kept()
    Ticket.objects.filter(film=carol, reservation__isnull=True).first().delete()
    Ticket.objects.filter(code__startswith="CAROL-").update(film=elf)  # all moved, in one statement
    Reservation.objects.filter(pk=booking.pk).delete()  # its tickets let go, void: their codes went out
    assert_counts_kept()
    assert kept()[0][elf.pk] == (28 + 29, 0, 3)


def test_codes_generated_withdrawn_and_given_another_film_keep_the_counts(campaign):
    elf, carol = campaign["films"]
    typed = AccessCodeFactory(max_usages=4)
    book(campaign["screenings"][0], 1, code=typed)
    book(campaign["screenings"][1], 2, code=typed)
    cancelled = book(campaign["screenings"][1], 1, code=typed)
    Reservation.objects.update_booking(cancelled, quantity=0)
    access_codes_generate(count=5, film=carol, source=AccessCodeBatch.Source.COMMAND)
    access_codes_block(block=True, reason="Posted online", created_by=None, code=typed)
    assert_counts_kept()
    AccessCode.objects.filter(pk=typed.pk).update(valid_for=elf)  # staff give a typed code a film
    assert_counts_kept()
    assert kept()[2] == {(None, elf.pk): 1}
    AccessCode.objects.filter(pk=typed.pk).update(valid_for=None, blocked_at=None)
    assert_counts_kept()


def test_rows_written_and_deleted_directly_keep_the_counts(campaign):
    """Many rows in one statement: each code's bookings before and after are what count."""
    elf_1, elf_2, *_ = campaign["screenings"]
    code = campaign["codes"][3]
    rows = [ReservationFactory(screening=elf_1, quantity=2, access_code=code) for _ in range(2)]
    Reservation.objects.bulk_create(
        [ReservationFactory.build(screening=elf_2, access_code=code, quantity=q) for q in (1, 0)]
    )
    assert_counts_kept()
    Reservation.objects.filter(access_code=code).update(quantity=0)  # all of the code's, at once
    assert_counts_kept()
    Reservation.objects.filter(pk=rows[0].pk).update(quantity=3, screening=elf_2)
    Reservation.objects.filter(pk=rows[1].pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    Reservation.objects.filter(pk__in=[row.pk for row in rows]).update(quantity=1)
    assert_counts_kept()
    Reservation.objects.filter(access_code=code).delete()
    assert_counts_kept()
    assert kept()[1] == kept()[3] == {}


def test_recount_campaign_counts_everything_again_from_the_rows(campaign):
    elf_1, _, carol_1, _ = campaign["screenings"]
    book(elf_1, 2, code=campaign["codes"][0])
    book(carol_1, 3, code=campaign["codes"][0])
    Reservation.objects.update_booking(book(elf_1, 1), quantity=0)
    expected = counted_from_rows()
    TicketCount.objects.update(free=0, held=7)
    BookingCount.objects.update(seats=99, redeemed=0)
    BookingHour.objects.update(bookings=5)
    Screening.objects.update(reserved_seats=0)
    assert kept() != expected
    out = io.StringIO()
    call_command("recount_campaign", stdout=out)
    assert kept() == expected
    assert [s.reserved_seats for s in Screening.objects.order_by("pk")] == [2, 0, 3, 0]
    assert "2 films' tickets" in out.getvalue()
    assert campaign_counts_recount().booking_groups == len(expected[1])
    assert kept() == expected


def test_the_migration_counts_what_was_there_before_it(campaign):
    book(campaign["screenings"][0], 2, code=campaign["codes"][0])
    book(campaign["screenings"][2], 1, code=campaign["codes"][0])
    expected = counted_from_rows()
    TicketCount.objects.all().delete()
    BookingCount.objects.all().delete()
    BookingHour.objects.all().delete()
    with connection.cursor() as cursor:
        hour = MIGRATION.HOURS[connection.vendor]
        for statement in [*MIGRATION.COUNT_TICKETS, *(s.format(hour=hour) for s in MIGRATION.COUNT_BOOKINGS)]:
            cursor.execute(statement)
    assert kept() == expected


def test_the_triggers_are_in_place():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {row[0] for row in cursor.fetchall()}
    expected = {
        f"campaign_{kind}_count_{event}" for kind in ("ticket", "booking") for event in ("insert", "update", "delete")
    }
    assert expected | {"campaign_booking_count_code"} <= names


@pytest.mark.django_db(transaction=True)
def test_emptying_every_table_as_between_tests_leaves_no_count_behind(campaign):
    """Django empties SQLite's tables with a DELETE each, in no set order (PostgreSQL's with
    TRUNCATE, which runs no trigger): a deletion's trigger must not write a count again for a
    screening or film deleted before it, which the database's keys then refuse at the commit."""
    booking = book(campaign["screenings"][0], 2, code=campaign["codes"][0])
    Reservation.objects.update_booking(booking, quantity=1)
    counts = [model._meta.db_table for model in (TicketCount, BookingCount, BookingHour)]
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    in_order = [*counts, *sorted(set(tables) - set(counts))]  # the counts first, films before tickets
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), in_order))
    assert not TicketCount.objects.exists()
    assert not BookingCount.objects.exists()
    assert not BookingHour.objects.exists()
