"""The counts kept beside the rows they count, by database triggers, and counting them again.

Each screening's ``reserved_seats`` (migration 0025), each film's ``TicketCount``, each
screening's ``BookingCount`` by the batch and film of its codes, and ``BookingHour``, the
bookings made each hour (migration 0026), move in the transaction of every write to
reservations and tickets, whatever makes it. They are counted from scratch only when they were
never kept (the migrations), or after something went around the triggers (a restore of one
table, a trigger dropped by hand): ``campaign_counts_recount``, run by ``manage.py
recount_campaign``.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncHour

from backoffice.campaign.models import BookingCount, BookingHour, Reservation, Screening, Ticket, TicketCount
from backoffice.campaign.querysets import TICKET_FREE, TICKET_HELD, TICKET_VOID

BATCH_SIZE = 10_000


@dataclass(frozen=True)
class Recount:
    screenings: int  # screenings whose seats reserved were counted
    films: int  # films with tickets
    booking_groups: int  # (screening, batch, film) groups with bookings
    hours: int  # (hour, film) with bookings made


def campaign_counts_recount() -> Recount:
    """Count seats reserved, tickets by film, bookings by screening and code and bookings by
    hour again, from the rows, in one transaction. On PostgreSQL reservations, tickets and codes
    are locked against writes (reads go on) while it counts, so no write falls between the
    count and what it replaces."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE campaign_reservation, campaign_ticket, campaign_accesscode IN SHARE MODE")
        seats = Reservation.objects.filter(screening=OuterRef("pk")).values("screening").annotate(n=Sum("quantity"))
        screenings = Screening.objects.update(
            reserved_seats=Coalesce(Subquery(seats.values("n"), output_field=IntegerField()), 0)
        )
        TicketCount.objects.all().delete()
        tickets = Ticket.objects.values("film").annotate(
            free=Count("pk", filter=TICKET_FREE),
            held=Count("pk", filter=TICKET_HELD),
            void=Count("pk", filter=TICKET_VOID),
        )
        TicketCount.objects.bulk_create(
            (TicketCount(film_id=row["film"], free=row["free"], held=row["held"], void=row["void"]) for row in tickets),
            batch_size=BATCH_SIZE,
        )
        BookingCount.objects.all().delete()
        # A code is counted once, on the row of its first booking holding seats.
        first_active = Reservation.objects.filter(access_code=OuterRef("access_code"), quantity__gt=0).order_by("pk")
        bookings = (
            Reservation.objects.annotate(first_active=Subquery(first_active.values("pk")[:1]))
            .values("screening", "access_code__batch", "access_code__valid_for")
            .annotate(
                seats=Sum("quantity"),
                active=Count("pk", filter=Q(quantity__gt=0)),
                cancelled=Count("pk", filter=Q(quantity=0)),
                redeemed=Count("pk", filter=Q(quantity__gt=0, pk=F("first_active"))),
            )
            .order_by()
        )
        rows = BookingCount.objects.bulk_create(
            (
                BookingCount(
                    screening_id=row["screening"],
                    batch_id=row["access_code__batch"],
                    film_id=row["access_code__valid_for"],
                    seats=row["seats"],
                    active=row["active"],
                    cancelled=row["cancelled"],
                    redeemed=row["redeemed"],
                )
                for row in bookings.iterator()
            ),
            batch_size=BATCH_SIZE,
        )
        BookingHour.objects.all().delete()
        made = (
            Reservation.objects.values(hour=TruncHour("created_at", tzinfo=dt.UTC), film=F("screening__film"))
            .annotate(bookings=Count("pk"))
            .order_by()
        )
        hours = BookingHour.objects.bulk_create(
            (BookingHour(hour=row["hour"], film_id=row["film"], bookings=row["bookings"]) for row in made.iterator()),
            batch_size=BATCH_SIZE,
        )
    if connection.vendor == "postgresql":  # planned from their new rows at once, not at autovacuum's next look
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE campaign_ticketcount, campaign_bookingcount, campaign_bookinghour")
    return Recount(screenings=screenings, films=len(tickets), booking_groups=len(rows), hours=len(hours))
