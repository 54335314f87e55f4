"""The queries the big pages run are the ones their indexes (migration 0025) answer: each plan,
with sequential scans made a last resort, reads the index named for it. On a handful of test rows
PostgreSQL would rather read the table, so the plan is forced; what it proves is that the
query's shape (its expression, its condition) matches the index, which a change to either would
silently break."""

import importlib

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from backoffice.campaign.factories import FilmFactory, ScreeningFactory, TicketFactory
from backoffice.campaign.models import AccessCode, Film, Reservation, Screening, Ticket
from backoffice.campaign.querysets import TICKET_FREE, TICKET_HELD, TICKET_VOID

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


@pytest.fixture(autouse=True)
def _postgresql_plans():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's indexes and plans")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


def plan(queryset) -> str:
    return queryset.explain()


def stock(film) -> None:
    """Free tickets of ``film`` and of four others, as in a campaign, analysed: the planner reads
    the sizes, and on an empty table would follow whatever sizes an earlier test's ANALYZE left."""
    for stocked in (film, *FilmFactory.create_batch(4)):
        Ticket.objects.bulk_create(TicketFactory.build(film=stocked) for _ in range(1_000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE campaign_ticket")


def test_a_films_codes_come_from_the_partial_index():
    film = FilmFactory()
    codes = AccessCode.objects.filter(valid_for=film).order_by("-pk")[:100]
    assert "access_code_valid_for" in plan(codes)


@pytest.mark.parametrize(("field", "index"), [("name", "reservation_name_trgm"), ("email", "reservation_email_trgm")])
def test_words_searched_by_part_use_the_trigram_indexes(field, index):
    # The admin's search: UPPER(column::text) LIKE UPPER('%word%'). A server built without
    # pg_trgm (the pip-installed throwaway one) has no such index: the migration left it out.
    trigram = importlib.import_module("backoffice.campaign.migrations.0025_ten_times_indexes").trigram_available
    searched = Reservation.objects.filter(**{f"{field}__icontains": "surname42"}).order_by()
    assert (index in plan(searched)) == trigram(connection)
    assert list(searched) == []


def test_a_whole_email_address_uses_its_index():
    assert "reservation_email_upper" in plan(Reservation.objects.filter(email__iexact="holly@example.org").order_by())


def test_the_codes_in_use_come_from_the_index_of_active_bookings():
    used = Reservation.objects.filter(quantity__gt=0).values("access_code").distinct()
    assert "reservation_active_code" in plan(used)


def test_the_screening_list_is_read_in_its_order_from_an_index():
    page = Screening.objects.with_sold_out().order_by("starts_at", "pk")[:100]
    assert "screening_start" in plan(page)


def test_a_films_screenings_going_ahead_come_from_the_covering_index():
    film = FilmFactory()
    # On empty tables the planner costs several of the table's indexes alike and takes any of
    # them. With the others dropped (inside this test's transaction, so rolled back), it can use
    # the covering index only if the query's shape matches it; otherwise it reads the table.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Screening._meta.db_table)
        for name, info in constraints.items():
            if info["index"] and not info["unique"] and not info["primary_key"] and name != "screening_open_by_film":
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    ahead = Screening.objects.not_cancelled().filter(film=film, starts_at__gte=timezone.now()).with_sold_out()
    assert "screening_open_by_film" in plan(ahead.filter(sold_out=True).values("film").annotate(n=Count("pk")))


def test_the_films_lists_sold_out_figures_come_from_the_covering_index_alone():
    """Upcoming screenings, sold-out ones, and whether any has seats left, per film: each read
    from ``screening_open_by_film`` without the screening rows (COUNT(*), and "available" said
    as seats left above 0), which took 200 ms of heap reads at ten times the campaign."""
    ScreeningFactory(film=FilmFactory(), capacity=5)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Screening._meta.db_table)
        for name, info in constraints.items():
            if info["index"] and not info["unique"] and not info["primary_key"] and name != "screening_open_by_film":
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        # On one row PostgreSQL may also pick a bitmap scan of the index, which then reads the
        # rows: what is asked here is whether the index alone can answer.
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    films = plan(Film.objects.with_sold_out())
    # Counted, counted sold out, any upcoming, any available, and none upcoming (run ended).
    assert films.count("Index Only Scan using screening_open_by_film") == 5, films


def test_each_films_void_tickets_are_counted_from_their_index():
    film = FilmFactory()
    stock(film)
    void = Ticket.objects.filter(TICKET_VOID, film__in=[film.pk]).values("film").annotate(n=Count("pk")).order_by()
    assert "ticket_void_by_film" in plan(void)


def test_each_films_held_tickets_are_counted_from_their_index():
    film = FilmFactory()
    stock(film)
    held = Ticket.objects.filter(TICKET_HELD, film__in=[film.pk]).values("film").annotate(n=Count("pk")).order_by()
    assert "ticket_held_by_film" in plan(held)


def test_a_films_free_tickets_come_in_code_order_from_the_index_of_unheld_ones():
    film = FilmFactory()
    stock(film)
    tickets = Ticket.objects.filter(TICKET_FREE, film=film).order_by("code")[:100]
    assert "ticket_unheld_by_film" in plan(tickets)
